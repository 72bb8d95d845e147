package engine_test

import (
	"cmp"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// tieRow is one row of TestTiesOrderedByHiddenColumns, as the test sends it.
type tieRow struct {
	level, service, host, trace, message string
	zone                                 *string // a dynamic column; nil: absent
}

// TestTiesOrderedByHiddenColumns checks that rows of one timestamp spread
// over shards, segments and the buffer come back in the content order
// (level, service, host, trace_id, message, then dynamic columns as text,
// NULL first) even when the query reads none of the columns that decide it:
// ordered scans convert only the columns a query reads and decode the rest
// of a batch only for such ties. The expected order is computed here.
func TestTiesOrderedByHiddenColumns(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 9))
	pick := func(vals ...string) string { return vals[r.IntN(len(vals))] }
	var rows []tieRow
	for i := range 120 {
		zone := fmt.Sprintf("z%d", r.IntN(4))
		row := tieRow{
			level:   pick("ERROR", "INFO", "WARN"),
			service: pick("api", "db", "auth", "web", "queue", "mail"),
			host:    pick("h1", "h2"),
			trace:   pick("t1", "t2"),
			message: fmt.Sprintf("m%03d", r.IntN(1000)),
		}
		if i%10 == 9 {
			// Equal in every core column to the previous row: the dynamic
			// column alone decides.
			row = rows[len(rows)-1]
		}
		if r.IntN(3) > 0 {
			row.zone = &zone
		}
		rows = append(rows, row)
	}
	ts := "2026-11-01T05:00:00.000001Z"
	var lines strings.Builder
	for i, row := range rows {
		fmt.Fprintf(&lines, `{"ts":%q,"level":%q,"service":%q,"host":%q,"trace_id":%q,"message":%q`,
			ts, row.level, row.service, row.host, row.trace, row.message)
		if row.zone != nil {
			fmt.Fprintf(&lines, `,"zone":%q`, *row.zone)
		}
		// A row a second later in every other line keeps batches from being
		// all ties, so that batch boundaries fall inside the tied run.
		lines.WriteString("}\n")
		if i%2 == 0 {
			fmt.Fprintf(&lines, `{"ts":"2026-11-01T05:00:01Z","level":"INFO","service":"api","message":"after %d"}`+"\n", i)
		}
	}
	str := func(s *string) string {
		if s == nil {
			return "NULL"
		}
		return *s
	}
	want := slices.Clone(rows)
	slices.SortStableFunc(want, func(a, b tieRow) int {
		if c := cmp.Or(strings.Compare(a.level, b.level), strings.Compare(a.service, b.service),
			strings.Compare(a.host, b.host), strings.Compare(a.trace, b.trace), strings.Compare(a.message, b.message)); c != 0 {
			return c
		}
		switch {
		case a.zone == nil && b.zone == nil:
			return 0
		case a.zone == nil:
			return -1
		case b.zone == nil:
			return 1
		}
		return strings.Compare(*a.zone, *b.zone)
	})

	for _, cfg := range []logqConfig{
		{shards: 4, bucket: time.Hour, batchRows: 7, unflushed: 0.3, appendLines: 11},
		{shards: 1, bucket: 24 * time.Hour, batchRows: 16, unflushed: 0, appendLines: 5, noCache: true},
	} {
		t.Run(cfg.String(), func(t *testing.T) {
			db := startLogq(t, []byte(lines.String()), cfg)
			const at = "ts = '2026-11-01 05:00:00.000001'"
			for _, dir := range []string{"ASC", "DESC"} {
				msgs := queryStrings(t, db, "SELECT message FROM logs WHERE "+at+" ORDER BY ts "+dir)
				zones := queryStrings(t, db, "SELECT zone FROM logs WHERE "+at+" ORDER BY ts "+dir)
				require.Len(t, msgs, len(want))
				require.Len(t, zones, len(want))
				for k := range want {
					w := want[k]
					if dir == "DESC" {
						w = want[len(want)-1-k]
					}
					require.Equal(t, w.message, msgs[k][0], "message of row %d, ORDER BY ts %s", k, dir)
					require.Equal(t, str(w.zone), zones[k][0], "zone of row %d, ORDER BY ts %s", k, dir)
				}
			}
		})
	}
}
