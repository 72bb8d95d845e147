package engine_test

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestTraceProbe looks up trace IDs over many small batches whose
// statistics hold bloom filters of their trace IDs: the answers must be
// the reference table's, present IDs and absent ones, with a ts range and
// an IN list too; and every kept batch of an absent ID (a false positive of
// its bloom filter) must be skipped after reading its trace_id column
// alone, in ordered and unordered scans.
func TestTraceProbe(t *testing.T) {
	data := genData(t, 40_000, 2, 5)
	rows := decodeRef(t, data)
	ref := startReference(t, rows)
	lq, _, pro := startLogqProvider(t, data, logqConfig{shards: 2, bucket: 24 * time.Hour, batchRows: 256, appendLines: 5000})
	r := rand.New(rand.NewPCG(5, 6))

	for range 20 {
		row := rows[r.IntN(len(rows))]
		for _, q := range []string{
			fmt.Sprintf("SELECT ts, service, message FROM logs WHERE trace_id = '%s'", row.TraceID),
			fmt.Sprintf("SELECT ts, message FROM logs WHERE trace_id IN ('%s', '%s') ORDER BY ts", row.TraceID, rows[r.IntN(len(rows))].TraceID),
			fmt.Sprintf("SELECT ts, host FROM logs WHERE trace_id = '%s' AND ts >= '2026-11-01 12:00:00'", row.TraceID),
		} {
			want := queryStrings(t, ref, q)
			sameAnswer(t, q, want, queryStrings(t, lq, q), -1, false)
		}
	}

	stats := pro.Stats()
	kept, out, decoded := stats.BatchesKept.Load(), stats.BatchesProbedOut.Load(), stats.BatchesDecoded.Load()
	for i := range 400 {
		id := fmt.Sprintf("%016x", r.Uint64())
		q := fmt.Sprintf("SELECT ts, message FROM logs WHERE trace_id = '%s'", id)
		if i%2 == 0 {
			q += " ORDER BY ts DESC LIMIT 5"
		}
		require.Empty(t, queryStrings(t, lq, q), q)
	}
	falsePositives := stats.BatchesKept.Load() - kept
	require.Positive(t, falsePositives, "400 absent IDs over %d batches at ~1%% false positives", 2*40_000/256)
	require.Equal(t, falsePositives, stats.BatchesProbedOut.Load()-out, "every false positive probed out")
	require.Equal(t, decoded, stats.BatchesDecoded.Load(), "no batch decoded whole for an absent trace")
}
