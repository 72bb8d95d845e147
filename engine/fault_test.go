package engine_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestDamagedSegmentIsAQueryWarning damages a segment under a running
// server: a query reading it answers from the rest with a warning naming
// the file (damage_test.go checks the answers and warnings in detail), the
// server keeps serving, and queries that do not read it still answer.
// (Before issue 13 the query failed: one flipped byte cost every query over
// the segment's time range.)
func TestDamagedSegmentIsAQueryWarning(t *testing.T) {
	data := genData(t, 20_000, 2, 13)
	lq, st := startLogqStore(t, data, logqConfig{shards: 1, bucket: 24 * time.Hour, batchRows: 1000, unflushed: 0, appendLines: 5000})
	segs := st.Segments()
	require.NotEmpty(t, segs)
	victim := segs[0]
	for _, s := range segs {
		s.DecRef()
	}
	buf, err := os.ReadFile(victim.Path)
	require.NoError(t, err)
	buf[len(buf)/3] ^= 0xff // inside the record batches
	require.NoError(t, os.WriteFile(victim.Path, buf, 0o644))

	conn, err := lq.Conn(context.Background())
	require.NoError(t, err)
	defer conn.Close()
	var count int64
	require.NoError(t, conn.QueryRowContext(context.Background(), "SELECT COUNT(*) FROM logs WHERE message IS NOT NULL").Scan(&count))
	require.Positive(t, count)
	require.Less(t, count, int64(20_000), "the damaged batch's rows are not counted")
	var level, code, msg string
	require.NoError(t, conn.QueryRowContext(context.Background(), "SHOW WARNINGS").Scan(&level, &code, &msg))
	require.Equal(t, "1877", code)
	require.Contains(t, msg, filepath.Base(victim.Path))

	// The process lives on, and a query pruned away from the damaged
	// partition answers.
	last := time.Date(2026, 11, 2, 23, 0, 0, 0, time.UTC)
	var n int
	require.NoError(t, lq.QueryRowContext(context.Background(),
		"SELECT COUNT(*) FROM logs WHERE ts >= ?", last.Format("2006-01-02 15:04:05")).Scan(&n))
	require.Positive(t, n)
}
