package engine_test

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestDamagedSegmentIsAQueryError damages a segment under a running server:
// a query reading it fails with an error naming the file, the server keeps
// serving, and queries that do not read it still answer.
func TestDamagedSegmentIsAQueryError(t *testing.T) {
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

	// An aggregate reads every batch before its first row goes out, so the
	// error reaches the client as an error. (Once rows have been sent, the
	// MySQL protocol layer, vitess, can only drop the connection: the client
	// sees a lost connection and the server log names the file.)
	var count int64
	err = lq.QueryRow("SELECT COUNT(*) FROM logs WHERE message IS NOT NULL").Scan(&count)
	require.Error(t, err)
	require.Contains(t, err.Error(), victim.Path)

	// The process lives on, and a query pruned away from the damaged
	// partition answers.
	last := time.Date(2026, 11, 2, 23, 0, 0, 0, time.UTC)
	var n int
	require.NoError(t, lq.QueryRowContext(context.Background(),
		"SELECT COUNT(*) FROM logs WHERE ts >= ?", last.Format("2006-01-02 15:04:05")).Scan(&n))
	require.Positive(t, n)
}
