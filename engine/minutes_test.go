package engine_test

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestMinuteCountsInOddZones runs wall-clock buckets answered from the
// counts per minute and level in a zone whose offset is not whole minutes:
// Africa/Monrovia kept -0:44:30 until January 1972. There a UTC minute
// straddles two wall-clock minutes, so the batches of 1971 must be read row
// by row while those of 1972 on come from their minute counts; the answer
// must be go-mysql-server's row path's either way, and in UTC and +05:45.
func TestMinuteCountsInOddZones(t *testing.T) {
	r := rand.New(rand.NewPCG(1971, 1))
	var b strings.Builder
	for _, from := range []time.Time{
		time.Date(1971, 12, 31, 22, 0, 0, 0, time.UTC), // at -0:44:30, across the new year
		time.Date(1972, 1, 6, 23, 0, 0, 0, time.UTC),   // across the change to UTC+0 (1972-01-07 00:44:30 UTC)
		time.Date(2026, 11, 3, 10, 0, 0, 0, time.UTC),
	} {
		for range 3000 {
			ts := from.Add(time.Duration(r.Int64N(int64(3 * time.Hour))))
			fmt.Fprintf(&b, `{"ts":%q,"level":%q,"message":"m"}`+"\n", ts.Format(time.RFC3339Nano),
				[]string{"INFO", "WARN", "ERROR", "FATAL"}[r.IntN(4)])
		}
	}
	db := startLogq(t, []byte(b.String()), logqConfig{shards: 1, bucket: 24 * time.Hour, batchRows: 500, appendLines: 1000})
	queries := []string{
		"SELECT DATE_FORMAT(ts, '%Y-%m-%d %H:%i') AS t, COUNT(*) FROM logs GROUP BY 1 ORDER BY 1",
		"SELECT DATE_FORMAT(ts, '%H') AS t, level, COUNT(*) FROM logs WHERE level IN ('ERROR', 'FATAL') GROUP BY 1, 2 ORDER BY 1, 2",
		"SELECT DATE(ts) AS t, COUNT(level) FROM logs GROUP BY 1 ORDER BY 1",
		"SELECT UNIX_TIMESTAMP(ts) DIV 300 * 300 AS t, COUNT(*) FROM logs GROUP BY 1 ORDER BY 1",
	}
	for _, zone := range []string{"Africa/Monrovia", "+00:00", "+05:45"} {
		on := reconnect(t, db, "time_zone", "'"+zone+"'")
		off := reconnect(t, db, "time_zone", "'"+zone+"'", "logq_aggregate_pushdown", "0")
		for _, q := range queries {
			want := queryStrings(t, off, q)
			require.GreaterOrEqual(t, len(want), 3, q)
			require.Equal(t, want, queryStrings(t, on, q), "%s in %s", q, zone)
			plan := strings.Join(slices.Concat(queryStrings(t, on, "EXPLAIN PLAN "+q)...), "\n")
			m := statsRE.FindStringSubmatch(plan)
			require.True(t, m != nil && m[1] != "0" && m[3] == "counts per minute and level", "%s: from minute counts:\n%s", q, plan)
		}
	}
}
