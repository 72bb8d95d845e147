package bench

import (
	"os"
	"runtime"
	"runtime/debug"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestBuildCommit(t *testing.T) {
	rev := "614ebdb8e0570a7d4dd4c1b3c2c0f8e1b5a6b7c8"
	for _, tc := range []struct {
		settings []debug.BuildSetting
		want     string
	}{
		{want: ""},
		{settings: []debug.BuildSetting{{Key: "vcs.revision", Value: rev}, {Key: "vcs.modified", Value: "false"}}, want: "614ebdb8e057"},
		{settings: []debug.BuildSetting{{Key: "vcs.modified", Value: "true"}, {Key: "vcs.revision", Value: rev}}, want: "614ebdb8e057-dirty"},
		{settings: []debug.BuildSetting{{Key: "vcs.revision", Value: "abc"}}, want: "abc"},
		{settings: []debug.BuildSetting{{Key: "vcs.modified", Value: "true"}}, want: ""},
	} {
		require.Equal(t, tc.want, buildCommit(tc.settings), "%v", tc.settings)
	}
}

func TestMachineInfo(t *testing.T) {
	exe, err := os.Executable()
	require.NoError(t, err)
	m := machineInfo(exe)
	require.Equal(t, runtime.NumCPU(), m.Cores)
	require.Equal(t, runtime.Version(), m.GoVersion, "the test binary's own Go version, read from its build information")
	require.Equal(t, exe, m.Binary)
	// Outside any checkout and without build information: no commit.
	require.Empty(t, gitCommit(t.TempDir()))
	bogus := machineInfo(t.TempDir() + "/missing")
	require.Empty(t, bogus.Commit)
	require.Equal(t, runtime.Version(), bogus.GoVersion)

	require.Equal(t, "machine: 2 cores (AMD EPYC), linux/amd64, go1.26.8, 2026-11-25T19:40:00Z, commit 614ebdb8e057-dirty\n",
		machineLine(Machine{Cores: 2, CPU: "AMD EPYC", OS: "linux", Arch: "amd64", GoVersion: "go1.26.8",
			Date: "2026-11-25T19:40:00Z", Commit: "614ebdb8e057-dirty"}))
}
