package engine_test

import (
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"logq/partitions"
)

// TestExplainPruningQ1 reads the pruning figures EXPLAIN PLAN shows for the
// WORKLOAD Q1 shape and checks them against what the stored rows allow,
// computed here from the rows themselves: a partition is kept when its
// bucket overlaps the hour and its shard is svc-3's; a segment or batch when
// its rows span the hour and include both an ERROR row and an svc-3 row
// (the statistics hold exact level counts and service sets at this size).
func TestExplainPruningQ1(t *testing.T) {
	data := genData(t, 30_000, 7, 5)
	lq, st := startLogqStore(t, data, logqConfig{shards: 4, bucket: 24 * time.Hour, batchRows: 500, unflushed: 0, appendLines: 3000})
	lo := time.Date(2026, 11, 3, 10, 0, 0, 0, time.UTC).UnixMicro()
	hi := time.Date(2026, 11, 3, 11, 0, 0, 0, time.UTC).UnixMicro() - 1

	type want struct{ parts, segs, batches, partsTotal, segsTotal, batchesTotal int }
	var w want
	parts := map[partitions.Key]bool{}
	segs := st.Segments()
	defer func() {
		for _, s := range segs {
			s.DecRef()
		}
	}()
	for _, s := range segs {
		w.segsTotal++
		if !parts[s.Key] {
			parts[s.Key] = true
			w.partsTotal++
			if s.Key.MinTS() <= hi && s.Key.MaxTS() >= lo && s.Key.Shard == partitions.ShardOf([]byte("svc-3"), s.Key.Shards) {
				w.parts++
			}
		}
		r, err := s.Reader()
		require.NoError(t, err)
		segMin, segMax, segErr, segSvc := int64(1<<62), int64(-1<<62), false, false
		for bi := 0; bi < r.NumBatches(); bi++ {
			w.batchesTotal++
			b, err := r.Rows(bi)
			require.NoError(t, err)
			bMin, bMax, bErr, bSvc := b.TS[0], b.TS[b.Len()-1], false, false
			for i := 0; i < b.Len(); i++ {
				bErr = bErr || string(b.Level.Value(i)) == "ERROR"
				bSvc = bSvc || string(b.Service.Value(i)) == "svc-3"
			}
			if bMin <= hi && bMax >= lo && bErr && bSvc {
				w.batches++
			}
			segMin, segMax = min(segMin, bMin), max(segMax, bMax)
			segErr, segSvc = segErr || bErr, segSvc || bSvc
		}
		if segMin <= hi && segMax >= lo && segErr && segSvc {
			w.segs++
		}
	}
	require.Positive(t, w.batches, "the data must hold Q1 rows for the test to mean something")
	require.Less(t, w.batches, w.batchesTotal/10)

	q1 := workloadQueries("")[0].sql
	plan := strings.Join(flatten(queryStrings(t, lq, "EXPLAIN PLAN "+q1)), "\n")
	m := regexp.MustCompile(`pruning: partitions (\d+)/(\d+), segments (\d+)/(\d+), batches (\d+)/(\d+)`).FindStringSubmatch(plan)
	require.NotNil(t, m, "EXPLAIN PLAN shows the pruning:\n%s", plan)
	n := func(i int) int { v, _ := strconv.Atoi(m[i]); return v }
	require.Equal(t, want{n(1), n(3), n(5), n(2), n(4), n(6)}, w, "EXPLAIN PLAN:\n%s", plan)
	for _, cond := range []string{"logs.level = 'ERROR'", "logs.service = 'svc-3'", "logs.ts >= '2026-11-03 10:00:00'", "logs.ts < '2026-11-03 11:00:00'"} {
		require.Contains(t, plan, cond, "EXPLAIN PLAN names the pushed conditions")
	}
	require.NotContains(t, plan, "Filter", "every condition of Q1 is claimed:\n%s", plan)
	require.NotContains(t, plan, "Sort", "the ts index replaces the sort:\n%s", plan)
}

func flatten(rows [][]string) []string {
	var out []string
	for _, r := range rows {
		out = append(out, r...)
	}
	return out
}

// TestPushdownUnderAlias checks that conditions written against an alias
// are claimed too, and answer like the reference.
func TestPushdownUnderAlias(t *testing.T) {
	data := genData(t, 5_000, 2, 29)
	rows := decodeRef(t, data)
	ref := startReference(t, rows)
	lq := startLogq(t, data, logqConfig{shards: 2, bucket: 24 * time.Hour, batchRows: 256, unflushed: 0.2, appendLines: 1000})
	q := "SELECT l.ts, l.service FROM logs l WHERE l.level = 'ERROR' AND l.ts >= '2026-11-01 06:00:00' ORDER BY l.ts DESC LIMIT 20"
	plan := strings.Join(flatten(queryStrings(t, lq, "EXPLAIN PLAN "+q)), "\n")
	require.Contains(t, plan, "pushed: (l.level = 'ERROR')", plan)
	require.NotContains(t, plan, "Filter", plan)
	sameAnswer(t, q, queryStrings(t, ref, q), queryStrings(t, lq, q), 0, true)
}
