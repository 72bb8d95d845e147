package bench

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestCountLines(t *testing.T) {
	for _, tc := range []struct {
		name    string
		data    string
		lines   int64
		wantErr bool
	}{
		{"newline at end", "a\nb\nc\n", 3, false},
		{"no newline at end", "a\nb\nc", 3, false},
		{"one line", "x", 1, false},
		{"empty", "", 0, true},
		{"large", string(bytes.Repeat([]byte("0123456789abcdef\n"), 200_000)), 200_000, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "f.jsonl")
			require.NoError(t, os.WriteFile(path, []byte(tc.data), 0o644))
			lines, size, err := countLines(path)
			if tc.wantErr {
				require.Error(t, err)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tc.lines, lines)
			require.Equal(t, int64(len(tc.data)), size)
		})
	}
	_, _, err := countLines(filepath.Join(t.TempDir(), "missing"))
	require.Error(t, err)
}

func TestCachePath(t *testing.T) {
	o := DefaultGenOptions()
	require.Equal(t, "/c/logq-bench-v1-rows10000000-days7-seed1.jsonl", cachePath("/c", o))
	o.Start = time.Date(2025, 1, 2, 3, 4, 5, 0, time.FixedZone("x", 3600))
	require.Equal(t, "/c/logq-bench-v1-rows10000000-days7-seed1-start20250102T020405Z.jsonl", cachePath("/c", o))
}

// TestPrepareDataCache checks when the cached file is reused: only with a
// matching sidecar and the recorded size.
func TestPrepareDataCache(t *testing.T) {
	cfg := &benchConfig{gen: GenOptions{Rows: 1000, Days: 1, Seed: 3, Start: defaultStart}, cacheDir: t.TempDir()}
	want := genBytes(t, cfg.gen, 1)
	prepare := func() DataSet {
		t.Helper()
		var stderr bytes.Buffer
		ds, err := prepareData(context.Background(), cfg, &stderr)
		require.NoError(t, err)
		got, err := os.ReadFile(ds.File)
		require.NoError(t, err)
		require.Equal(t, want, got)
		require.Equal(t, int64(len(want)), ds.Bytes)
		return ds
	}
	ds := prepare()
	require.True(t, ds.Generated)
	require.False(t, prepare().Generated, "reused")

	for _, damage := range []func(path string){
		func(path string) { require.NoError(t, os.Truncate(path, 100)) },
		func(path string) { require.NoError(t, os.Remove(path+".meta")) },
		func(path string) { require.NoError(t, os.WriteFile(path+".meta", []byte("{"), 0o644)) },
		func(path string) {
			require.NoError(t, os.WriteFile(path+".meta", bytes.Replace(mustRead(t, path+".meta"), []byte(`"gen_version":1`), []byte(`"gen_version":0`), 1), 0o644))
		},
		func(path string) { require.NoError(t, os.Remove(path)) },
	} {
		damage(ds.File)
		require.True(t, prepare().Generated, "regenerated")
		require.False(t, prepare().Generated, "reused")
	}
	entries, err := os.ReadDir(cfg.cacheDir)
	require.NoError(t, err)
	require.Len(t, entries, 2, "the data file and its sidecar, no temporary files")
}

func mustRead(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	return b
}
