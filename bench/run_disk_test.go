package bench

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestDiskUsage(t *testing.T) {
	dir := t.TempDir()
	files := map[string]int{
		"LOCK":                                  0,
		"wal/000001.wal":                        1000,
		"wal/000002.wal":                        24,
		"parts/20261101-0/MANIFEST":             300,
		"parts/20261101-0/000001.seg":           5000,
		"parts/20261102-3/000007.seg":           7000,
		"parts/20261102-3/000008.seg.tmp":       40,
		"quarantine/20261101-0/000003.seg":      900,
		"parts/20261103-1/wal-like-name.seg.gz": 11,
	}
	for name, size := range files {
		path := filepath.Join(dir, name)
		require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o755))
		require.NoError(t, os.WriteFile(path, make([]byte, size), 0o644))
	}
	require.NoError(t, os.Symlink("parts/20261101-0/000001.seg", filepath.Join(dir, "link.seg")))
	got, err := diskUsage(dir)
	require.NoError(t, err)
	require.Equal(t, Disk{
		TotalBytes:   1000 + 24 + 300 + 5000 + 7000 + 40 + 900 + 11,
		SegmentBytes: 5000 + 7000,
		WALBytes:     1000 + 24,
		OtherBytes:   300 + 40 + 900 + 11,
		Segments:     2,
		Files:        9,
	}, got)

	_, err = diskUsage(filepath.Join(dir, "missing"))
	require.Error(t, err)
}
