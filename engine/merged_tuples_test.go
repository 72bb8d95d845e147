package engine_test

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"logq/partitions"
)

// TestMergedTupleCounts answers aggregates grouped by and filtered on
// level, service and host over partitions of several segments each, whose
// tuple counts and sums are merged per partition: the answers must be the
// reference table's.
func TestMergedTupleCounts(t *testing.T) {
	data := genData(t, 20_000, 2, 11)
	rows := decodeRef(t, data)
	ref := startReference(t, rows)
	lq, st, pro := startLogqProvider(t, data, logqConfig{shards: 2, bucket: 24 * time.Hour, batchRows: 500,
		appendLines: 1000, flushEvery: 4, workers: 2})

	// The layout the test is for: partitions of several segments.
	perPartition := map[partitions.Key]int{}
	for _, seg := range st.Segments() {
		perPartition[seg.Key]++
		seg.DecRef()
	}
	several := 0
	for _, n := range perPartition {
		if n > 1 {
			several++
		}
	}
	require.Positive(t, several, "partitions of several segments: %v", perPartition)

	r := rand.New(rand.NewPCG(11, 12))
	pick := func(col string) string { // a value of col from the data
		row := rows[r.IntN(len(rows))]
		return map[string]string{"level": row.Level, "service": row.Service, "host": row.Host}[col]
	}
	groupings := []string{"level", "service", "host", "level, service", "service, host", ""}
	aggs := []string{"COUNT(*)", "SUM(latency_ms)", "AVG(latency_ms), MAX(latency_ms)", "MIN(status), COUNT(*)"}
	conds := []func() string{
		func() string { return "" },
		func() string { return "WHERE level = 'ERROR'" },
		func() string { return "WHERE level IN ('WARN', 'ERROR')" },
		func() string { return fmt.Sprintf("WHERE service = '%s'", pick("service")) },
		func() string {
			return fmt.Sprintf("WHERE host IN ('%s', '%s') AND level <> 'DEBUG'", pick("host"), pick("host"))
		},
	}
	fromStats := pro.Stats().BatchesFromStats.Load()
	for range 60 {
		g, a, c := groupings[r.IntN(len(groupings))], aggs[r.IntN(len(aggs))], conds[r.IntN(len(conds))]()
		sel := a
		q := fmt.Sprintf("SELECT %s FROM logs %s", a, c)
		if g != "" {
			sel = g + ", " + a
			q = fmt.Sprintf("SELECT %s FROM logs %s GROUP BY %s", sel, c, g)
		}
		q = strings.TrimSpace(q)
		sameAnswer(t, q, queryStrings(t, ref, q), queryStrings(t, lq, q), -1, false)
	}
	require.Positive(t, pro.Stats().BatchesFromStats.Load()-fromStats, "batches answered from their statistics")
}
