package bench

import (
	"os"
	"runtime"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestParseProcStatus(t *testing.T) {
	const full = "Name:\tlogq\nUmask:\t0022\nState:\tS (sleeping)\nPid:\t4242\nPPid:\t17\n" +
		"VmPeak:\t 2000000 kB\nVmHWM:\t  524288 kB\nVmRSS:\t  262144 kB\nThreads:\t9\n"
	for _, tc := range []struct {
		name string
		data string
		want procStatus
		ok   bool
	}{
		{"full", full, procStatus{ppid: 17, rssBytes: 256 << 20, hwmBytes: 512 << 20}, true},
		{"zombie has no Vm lines", "Name:\tlogq\nState:\tZ (zombie)\nPPid:\t17\n", procStatus{ppid: 17}, false},
		{"empty", "", procStatus{}, false},
		{"garbage values", "PPid:\tx\nVmRSS:\t\nVmHWM:\t-\n", procStatus{}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := parseProcStatus([]byte(tc.data))
			require.Equal(t, tc.ok, ok)
			require.Equal(t, tc.want, got)
		})
	}
}

// TestRSSSamplerSelf samples this test process through a child's view: the
// sampler accepts only processes whose parent is us, so it must record
// nothing for our own pid, and samples for a child.
func TestRSSSamplerSelf(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("/proc is Linux only")
	}
	s := startRSSSampler(os.Getpid(), time.Millisecond)
	time.Sleep(20 * time.Millisecond)
	require.Zero(t, s.stop().Samples, "our own pid has another parent")
	require.Zero(t, s.stop().Samples, "stop is idempotent")

	c, err := startChild(t.Context(), "sleep", "sleep", []string{"10"}, func(string) {}, func(string) {})
	require.NoError(t, err)
	defer c.kill()
	s = startRSSSampler(c.pid(), time.Millisecond)
	time.Sleep(30 * time.Millisecond)
	res := s.stop()
	require.Positive(t, res.Samples)
	require.Positive(t, res.SampledPeakBytes)
	require.GreaterOrEqual(t, res.HWMBytes, res.SampledPeakBytes)
}
