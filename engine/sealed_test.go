package engine_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"logq/engine"
)

// TestSealedRows runs WORKLOAD.md's queries over rows in the three states
// at once, flushed to files, sealed in memory and open, against the
// go-mysql-server reference table; and checks that sealed rows are read as
// segments are: a level count over them comes from their statistics, with
// no batch read or decoded, and only the open rows read row by row.
func TestSealedRows(t *testing.T) {
	n := int64(60_000)
	if raceEnabled {
		n = 30_000
	}
	data := genData(t, n, 7, 11)
	rows := decodeRef(t, data)
	ref := startReference(t, rows)
	cfg := logqConfig{shards: 2, bucket: 24 * time.Hour, batchRows: 1024, unflushed: 0.6, sealed: 0.4, appendLines: 1500}
	lq, st, pro := startLogqProvider(t, data, cfg)

	stored := st.Stats()
	open := stored.BufferedRows - stored.SealedRows
	require.Equal(t, n, stored.SegmentRows+stored.BufferedRows)
	require.InDelta(t, 0.4*float64(n), float64(stored.SealedRows), 1, "rows sealed")
	require.InDelta(t, 0.2*float64(n), float64(open), 1, "rows left open")

	for _, q := range workloadQueries(rows[len(rows)/3].TraceID) {
		t.Run(q.id, func(t *testing.T) {
			want := queryStrings(t, ref, q.sql)
			require.NotEmpty(t, want, "the data set must give %s rows to compare", q.id)
			sameAnswer(t, q.sql, want, queryStrings(t, lq, q.sql), q.orderCol, q.limited)
		})
	}

	// Q3, the week-long level count: every file and sealed batch lies
	// inside its range, so all come from statistics.
	sealedReads := func(s *engine.ScanStats) [4]int64 {
		return [4]int64{s.BatchesDecoded.Load(), s.SealedBatchesRead.Load(), s.BufferedRowsRead.Load(), s.BatchesFromStats.Load()}
	}
	stats := pro.Stats()
	before := sealedReads(stats)
	kept := stats.BatchesKept.Load()
	q := "SELECT level, COUNT(*) FROM logs GROUP BY level ORDER BY level"
	sameAnswer(t, q, queryStrings(t, ref, q), queryStrings(t, lq, q), 0, false)
	after := sealedReads(stats)
	require.Zero(t, after[0]-before[0], "batches decoded")
	require.Zero(t, after[1]-before[1], "sealed batches read")
	require.Equal(t, open, after[2]-before[2], "buffered rows read: only the open ones")
	require.Equal(t, stats.BatchesKept.Load()-kept, after[3]-before[3], "batches answered from statistics: every kept one")

	// A scan of an hour of sealed rows (the data is in time order: the
	// sealed rows are those from 40 % to 80 % of the week) reads their
	// batches from memory, decoding nothing.
	before = sealedReads(stats)
	q = "SELECT ts, level, service, message FROM logs WHERE ts >= '2026-11-04 12:00:00' AND ts < '2026-11-04 13:00:00' ORDER BY ts"
	sameAnswer(t, q, queryStrings(t, ref, q), queryStrings(t, lq, q), 0, false)
	after = sealedReads(stats)
	require.Zero(t, after[0]-before[0], "batches decoded")
	require.Positive(t, after[1]-before[1], "sealed batches read")
	require.Zero(t, after[2]-before[2], "buffered rows read")
}
