package bench

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"logq/partitions/columns"
	"logq/partitions/segment"
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

// TestColumnBytes writes two real segments and a quarantined copy, and
// checks that every column is measured once per segment, that the figures
// fit inside the files, and that the quarantine is ignored.
func TestColumnBytes(t *testing.T) {
	dir := t.TempDir()
	b := &columns.Batch{}
	for i := range 5000 {
		b.TS = append(b.TS, 1_793_491_200_000_000+int64(i)*1000)
		b.Level.AppendString([]string{"INFO", "ERROR"}[i%2])
		b.Service.AppendString(fmt.Sprintf("svc-%d", i%5))
		b.Host.AppendNull()
		b.TraceID.AppendString(fmt.Sprintf("%016x", uint64(i)*0x9e3779b97f4a7c15))
		b.Message.AppendString(fmt.Sprintf("request %d took %d ms", i, i%97))
		b.AddColumn("status", columns.TypeInt64, i).AppendInt(int64(200 + i%3))
		b.PadDynamic(i + 1)
	}
	var fileBytes int64
	for _, name := range []string{"parts/a/1.seg", "parts/b/2.seg", "quarantine/a/3.seg"} {
		path := filepath.Join(dir, name)
		require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o755))
		f, err := os.Create(path)
		require.NoError(t, err)
		_, err = segment.Encode(f, b, segment.WriteOptions{})
		require.NoError(t, err)
		fi, err := f.Stat()
		require.NoError(t, err)
		require.NoError(t, f.Close())
		if !strings.HasPrefix(name, "quarantine") {
			fileBytes += fi.Size()
		}
	}
	one, err := segment.ColumnSizes(b, 0)
	require.NoError(t, err)
	got, err := columnBytes(dir, 10000)
	require.NoError(t, err)
	names := []string{}
	var sum int64
	for i, c := range got {
		names = append(names, c.Name)
		require.Equal(t, 2*one[c.Name], c.Bytes, c.Name)
		require.InDelta(t, float64(c.Bytes)/10000, c.BytesPerRow, 1e-9)
		if i > 0 {
			require.LessOrEqual(t, c.Bytes, got[i-1].Bytes, "largest first")
		}
		sum += c.Bytes
	}
	require.ElementsMatch(t, []string{"ts", "level", "service", "host", "trace_id", "message", "status"}, names)
	require.Less(t, sum, fileBytes)
	require.Greater(t, got[0].Bytes, int64(0))
}
