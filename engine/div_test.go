package engine_test

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestDivIsMySQLs checks DIV against MySQL's definition (exact DECIMAL
// division truncated toward zero), computed here with integers: Grafana's
// $__timeGroup, UNIX_TIMESTAMP(ts) DIV n * n, must put a row in the last
// microsecond of a bucket into that bucket, which go-mysql-server's own DIV
// does not.
func TestDivIsMySQLs(t *testing.T) {
	instants := []string{
		"2026-11-01T00:04:59.999999Z", "2026-11-01T00:05:00Z", "2026-11-01T00:04:59.5Z",
		"2026-11-01T00:09:59.4Z", "2026-11-01T00:00:00.000001Z", "2026-11-01T23:59:59.999999Z",
	}
	var lines strings.Builder
	for i, ts := range instants {
		fmt.Fprintf(&lines, `{"ts":%q,"level":"INFO","service":"s","message":"m%d","ratio":%d.25}`+"\n", ts, i, i-3)
	}
	db := startLogq(t, []byte(lines.String()), logqConfig{shards: 1, bucket: 24 * time.Hour, batchRows: 4, appendLines: 3})

	for _, n := range []int64{300, 60, 86400, 7} {
		got := queryStrings(t, db, fmt.Sprintf("SELECT message, UNIX_TIMESTAMP(ts) DIV %d * %d, UNIX_TIMESTAMP(ts) DIV %d FROM logs ORDER BY message", n, n, n))
		require.Len(t, got, len(instants))
		for _, row := range got {
			i, err := strconv.Atoi(strings.TrimPrefix(row[0], "m"))
			require.NoError(t, err)
			ts, err := time.Parse(time.RFC3339Nano, instants[i])
			require.NoError(t, err)
			bucket := ts.UnixMicro() / (n * 1_000_000) // positive: truncation is floor
			require.Equal(t, strconv.FormatInt(bucket*n, 10), row[1], "%s DIV %d * %d", instants[i], n, n)
			require.Equal(t, strconv.FormatInt(bucket, 10), row[2], "%s DIV %d", instants[i], n)
		}
	}

	// The same buckets through the pushed-down aggregate (Grafana's
	// $__timeGroupAlias), and through the row path.
	for _, n := range []int64{300, 86400} {
		want := map[int64]int{}
		for _, ts := range instants {
			tm, err := time.Parse(time.RFC3339Nano, ts)
			require.NoError(t, err)
			want[tm.UnixMicro()/(n*1_000_000)*n]++
		}
		var wantRows [][]string
		for bucket, count := range want {
			wantRows = append(wantRows, []string{strconv.FormatInt(bucket, 10), strconv.Itoa(count)})
		}
		slices.SortFunc(wantRows, func(a, b []string) int { return strings.Compare(a[0], b[0]) })
		q := fmt.Sprintf("SELECT UNIX_TIMESTAMP(ts) DIV %d * %d AS \"time\", COUNT(*) FROM logs GROUP BY 1 ORDER BY 1", n, n)
		require.Equal(t, wantRows, queryStrings(t, db, q), q)
		plan := strings.Join(slices.Concat(queryStrings(t, db, "EXPLAIN PLAN "+q)...), "\n")
		require.Contains(t, plan, "LogsAggregate", q)
		off := reconnect(t, db, "time_zone", "'+00:00'", "logq_aggregate_pushdown", "0")
		require.Equal(t, wantRows, queryStrings(t, off, q), "row path: %s", q)
	}

	// DOUBLE column and literals: truncation toward zero, also below zero.
	got := queryStrings(t, db, "SELECT message, ratio DIV 2, ratio DIV -1 FROM logs ORDER BY message")
	for _, row := range got {
		i, err := strconv.Atoi(strings.TrimPrefix(row[0], "m"))
		require.NoError(t, err)
		// ratio was written as "<i-3>.25"; x4 is four times it, exactly.
		x4 := int64(4*(i-3) + 1)
		if i-3 < 0 {
			x4 = int64(4*(i-3) - 1)
		}
		require.Equal(t, strconv.FormatInt(x4/8, 10), row[1], "ratio %d.25 DIV 2", i-3) // Go truncates toward zero too
		require.Equal(t, strconv.FormatInt(-x4/4, 10), row[2], "ratio %d.25 DIV -1", i-3)
	}
	require.Equal(t, [][]string{{"6311532", "-3", "3", "NULL"}},
		queryStrings(t, db, "SELECT 1893459899.999999 DIV 300, -7.5 DIV 2, 7.9 DIV 2, 1.5 DIV 0"))
}
