package engine_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestPrefixLikeAndStringRanges checks `col LIKE 'p%'` and ordering
// comparisons of string columns against values computed here, MySQL's
// answers under utf8mb4_0900_bin: LIKE 'p%' keeps exactly the values that
// start with p, whatever follows (go-mysql-server rewrites it into a range
// whose upper bound drops characters past U+FFFD, such as emoji), and
// < <= > >= order values as code points. Each runs on trace_id and a
// dynamic column, and on level, service and host (utf8mb4_0900_ai_ci) with
// the literal given COLLATE utf8mb4_0900_bin, flushed and buffered, and
// must be claimed by the scan (no Filter left above it).
func TestPrefixLikeAndStringRanges(t *testing.T) {
	values := []string{"svc-1", "svc-1😀", "svc-10", "svc-1ÿ", "svc-1\uFFFD", "svc-1\U0010FFFF", "svc-", "svc-2", "svc", "Svc-1", "é", "", "svc-1%x", "svc-1_"}
	var data bytes.Buffer
	start := time.Date(2026, 11, 2, 0, 0, 0, 0, time.UTC)
	for i := range 400 {
		v := values[i%len(values)]
		line, err := json.Marshal(map[string]string{"ts": start.Add(time.Duration(i) * time.Second).Format(time.RFC3339),
			"level": v, "service": v, "host": v, "trace_id": v, "tag": v, "message": "m"})
		require.NoError(t, err)
		data.Write(append(line, '\n'))
	}
	for _, cfg := range []logqConfig{
		{shards: 2, bucket: 24 * time.Hour, batchRows: 64, unflushed: 0, appendLines: 100},
		{shards: 1, bucket: 24 * time.Hour, batchRows: 64, unflushed: 1, appendLines: 100},
	} {
		db := startLogq(t, data.Bytes(), cfg)
		for _, col := range []string{"trace_id", "tag", "level", "service", "host"} {
			lit, sel := func(s string) string { return s }, col
			if col == "level" || col == "service" || col == "host" {
				lit = func(s string) string { return s + " COLLATE utf8mb4_0900_bin" }
				sel = "CAST(" + col + " AS BINARY)" // groups as bytes, not folded
			}
			cases := []struct {
				cond string
				keep func(v string) bool
			}{
				{col + " LIKE " + lit("'svc-1%'"), func(v string) bool { return strings.HasPrefix(v, "svc-1") }},
				{col + " LIKE " + lit("'svc-1!%%'") + " ESCAPE '!'", func(v string) bool { return strings.HasPrefix(v, "svc-1%") }},
				{col + " LIKE " + lit("'é%'"), func(v string) bool { return strings.HasPrefix(v, "é") }},
				{col + " >= " + lit("'svc-1'"), func(v string) bool { return v >= "svc-1" }},
				{col + " > " + lit("'svc-1'"), func(v string) bool { return v > "svc-1" }},
				{col + " < " + lit("'svc-10'"), func(v string) bool { return v < "svc-10" }},
				{col + " <= " + lit("'svc-1😀'") + " AND " + col + " > " + lit("'svc'"), func(v string) bool { return v <= "svc-1😀" && v > "svc" }},
				{lit("'svc-1'") + " < " + col, func(v string) bool { return "svc-1" < v }},
			}
			for _, tc := range cases {
				q := "SELECT " + sel + ", COUNT(*) FROM logs WHERE " + tc.cond + " GROUP BY 1"
				want := map[string]int{}
				for i := range 400 {
					if v := values[i%len(values)]; tc.keep(v) {
						want[v]++
					}
				}
				var wantRows [][]string
				for v, n := range want {
					wantRows = append(wantRows, []string{v, fmt.Sprint(n)})
				}
				got := queryStrings(t, db, q)
				sortRows := func(r [][]string) {
					slices.SortFunc(r, func(a, b []string) int { return strings.Compare(a[0], b[0]) })
				}
				sortRows(wantRows)
				sortRows(got)
				require.Equal(t, wantRows, got, "%s (%s)", q, cfg)
				plan := strings.Join(slices.Concat(queryStrings(t, db, "EXPLAIN PLAN "+q)...), "\n")
				require.NotContains(t, plan, "Filter", "%s: the scan claims the condition\n%s", q, plan)
			}
		}
	}
}
