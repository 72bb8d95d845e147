package bench

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/require"
)

// scanExposition is a /metrics page with the scan counters at n scans.
func scanExposition(n int64) string {
	return fmt.Sprintf(`# HELP logq_scan_total Scans of logs.
# TYPE logq_scan_total counter
logq_scan_total %d
logq_scan_partitions_total %d
logq_scan_partitions_kept_total %d
logq_scan_segments_total %d
logq_scan_segments_kept_total %d
logq_scan_batches_total %d
logq_scan_batches_kept_total %d
logq_scan_batches_decoded_total %d
logq_scan_batch_cache_hits_total %d
logq_scan_bytes_read_total %e
logq_scan_buffered_rows_read_total 0
logq_scan_labelled{x="1"} 99
logq_store_segments 77
`, n, 28*n, n, 77*n, 2*n, 1220*n, 3*n, 2*n, n, float64(401234*n))
}

func TestParseScanCounters(t *testing.T) {
	c := parseScanCounters(strings.NewReader(scanExposition(2)))
	require.Equal(t, scanCounters{"total": 2, "partitions_total": 56, "partitions_kept_total": 2, "segments_total": 154,
		"segments_kept_total": 4, "batches_total": 2440, "batches_kept_total": 6, "batches_decoded_total": 4,
		"batch_cache_hits_total": 2, "bytes_read_total": 802468, "buffered_rows_read_total": 0}, c)
	require.Empty(t, parseScanCounters(strings.NewReader("logq_store_segments 3\nnot a line\n")))
}

func TestPlanFromCounters(t *testing.T) {
	before := parseScanCounters(strings.NewReader(scanExposition(5)))
	after := parseScanCounters(strings.NewReader(scanExposition(6)))
	require.Equal(t, &PlanFigures{Scans: 1, PartitionsKept: 1, PartitionsTotal: 28, SegmentsKept: 2, SegmentsTotal: 77,
		BatchesKept: 3, BatchesTotal: 1220, BatchesDecoded: 2, BatchCacheHits: 1, BytesRead: 401234}, planFromCounters(before, after))
}

func TestExplainedBytes(t *testing.T) {
	// engine/explain.go's line, once per indexed read; a plan with two
	// reads sums them.
	plan := `Limit(100)
 └─ IndexedTableAccess(logs)
     └─ filters: [pushed: (logs.level = 'ERROR'); pruning: partitions 1/28, segments 1/77, batches 1/160, bytes to read 1234567/399123456; buffered rows 0]
 └─ IndexedTableAccess(logs)
     └─ filters: [pushed: none; pruning: partitions 28/28, segments 77/77, batches 160/160, bytes to read 1000/399123456; buffered rows 12]
`
	var p PlanFigures
	ok, note := explainedBytes(plan, &p)
	require.True(t, ok)
	require.Empty(t, note)
	require.EqualValues(t, 1235567, p.BytesToRead)
	require.EqualValues(t, 399123456, p.BytesTotal)

	p = PlanFigures{}
	ok, note = explainedBytes("Project\n └─ Table\n     ├─ name: logs\n", &p)
	require.False(t, ok)
	require.Equal(t, "EXPLAIN PLAN shows no pruning (no indexed read of logs)", note)
	require.Zero(t, p.BytesToRead)
}

// TestPlanSource runs the plan source against the baseline (whose EXPLAIN
// PLAN shows no pruning) and a fake /metrics whose counters advance by one
// scan per scrape pair.
func TestPlanSource(t *testing.T) {
	path, _ := writeGenFile(t, GenOptions{Rows: 100, Days: 1, Seed: 1, Start: defaultStart})
	b, err := startBaseline(context.Background(), path, nil)
	require.NoError(t, err)
	defer func() { require.NoError(t, b.close()) }()
	var scrapes atomic.Int64
	metrics := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/metrics" {
			http.NotFound(w, r)
			return
		}
		fmt.Fprint(w, scanExposition(scrapes.Add(1)/2)) // 0 before the first warm-up, 1 after it, ...
	}))
	defer metrics.Close()
	var log strings.Builder
	logf := func(f string, args ...any) { fmt.Fprintf(&log, f+"\n", args...) }

	qs := append(buildQueries([]string{floorID, "Q1", "Q10"}, ""), workloadQuery{id: "bad", sql: "SELECT nope FROM logs"})
	got, err := runQueries(context.Background(), b.addr, "logq", qs, runPolicy{runs: 1}, &planSource{metricsURL: metrics.URL + "/metrics", log: logf}, logf)
	require.NoError(t, err)
	require.Nil(t, got[0].plan, "the floor reads no table")
	for _, o := range got[1:3] {
		p := o.plan
		require.NotNil(t, p)
		require.Equal(t, PlanFigures{Scans: 1, PartitionsKept: 1, PartitionsTotal: 28, SegmentsKept: 2, SegmentsTotal: 77,
			BatchesKept: 3, BatchesTotal: 1220, BatchesDecoded: 2, BatchCacheHits: 1, BytesRead: 401234,
			ExplainNote: "EXPLAIN PLAN shows no pruning (no indexed read of logs)"}, *p)
		require.Empty(t, o.timing.Error)
	}
	// A query whose EXPLAIN fails (here because the query itself does)
	// has no figures.
	require.Contains(t, got[3].timing.Error, "nope")
	require.Nil(t, got[3].plan)
	require.EqualValues(t, 5, scrapes.Load(), "two scrapes per query, none for the floor, one before the failed warm-up")

	var p PlanFigures
	c, err := openClient(context.Background(), b.addr)
	require.NoError(t, err)
	defer c.close()
	require.NoError(t, c.explainBytes(context.Background(), "SELECT nope FROM logs", &p))
	require.Contains(t, p.ExplainNote, "EXPLAIN PLAN failed: Error 1105 (HY000): column \"nope\" could not be found")
	n, _, _, err := c.runOnce(context.Background(), workloadSQL["Q10"], false)
	require.NoError(t, err, "the connection works after a failed EXPLAIN")
	require.EqualValues(t, 1, n)

	// A server without the counters: no figures, said once, and the
	// queries still run.
	log.Reset()
	got, err = runQueries(context.Background(), b.addr, "logq", qs, runPolicy{runs: 1},
		&planSource{metricsURL: metrics.URL + "/elsewhere", log: logf}, logf)
	require.NoError(t, err)
	for _, o := range got[:3] {
		require.Nil(t, o.plan)
		require.Empty(t, o.timing.Error)
	}
	require.Equal(t, 1, strings.Count(log.String(), "plan figures not collected"), log.String())
}
