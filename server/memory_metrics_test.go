package server

import (
	"path/filepath"
	"strconv"
	"testing"

	"github.com/stretchr/testify/require"

	"logq/partitions/segment"
)

// TestMemoryMetrics checks the split of the memory report against the
// store's own counters and against the segment files: buffered rows count
// as buffers until a restart flushes them, then their statistics count as
// the catalog's.
func TestMemoryMetrics(t *testing.T) {
	dir := t.TempDir()
	num := func(s *columnsServer, name string) float64 {
		v, err := strconv.ParseFloat(s.metric(t, name), 64)
		require.NoError(t, err, name)
		return v
	}
	srv := startColumnsServe(t, dir)
	var lines []string
	for i := range 3000 {
		lines = append(lines, colLine(i, `"trace_id":"`+strconv.FormatInt(int64(1e15)+int64(i), 16)+`"`))
	}
	srv.ingest(t, lines)
	buffered := num(srv, "logq_store_buffered_bytes")
	require.Positive(t, buffered)
	require.Equal(t, buffered, num(srv, `logq_memory_bytes{part="buffers"}`))
	require.GreaterOrEqual(t, num(srv, `logq_memory_budget_bytes{part="buffers"}`), buffered)
	require.Zero(t, num(srv, `logq_memory_bytes{part="catalog"}`), "no segment yet")
	require.Zero(t, num(srv, `logq_memory_bytes{part="compaction"}`))
	require.Zero(t, num(srv, `logq_memory_bytes{part="queries"}`))
	require.Positive(t, num(srv, "logq_memory_limit_bytes"))
	srv.query(t, "SELECT message FROM logs ORDER BY ts")
	require.Zero(t, num(srv, `logq_memory_bytes{part="batch_cache"}`), "buffered rows are not cached")
	srv.stop()

	srv = startColumnsServe(t, dir)
	defer srv.stop()
	require.Zero(t, num(srv, `logq_memory_bytes{part="buffers"}`), "flushed at shutdown")
	var want int64
	segs, err := filepath.Glob(filepath.Join(dir, "parts", "*", "*.seg"))
	require.NoError(t, err)
	require.NotEmpty(t, segs)
	for _, path := range segs {
		st, err := segment.ReadStats(path)
		require.NoError(t, err)
		want += st.MemoryBytes()
	}
	got := num(srv, `logq_memory_bytes{part="catalog"}`)
	// The catalog adds the collation keys of levels, services and hosts.
	require.GreaterOrEqual(t, got, float64(want))
	require.LessOrEqual(t, got, 1.5*float64(want))
	srv.query(t, "SELECT message FROM logs ORDER BY ts")
	require.Positive(t, num(srv, `logq_memory_bytes{part="batch_cache"}`), "segment batches read are cached")
	require.Positive(t, num(srv, `logq_memory_budget_bytes{part="batch_cache"}`))
}
