package engine_test

import (
	gosql "database/sql"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestTimeArithmeticKeepsFractions checks date ± INTERVAL and FROM_UNIXTIME
// against values computed here, as MySQL 8 gives them: ts + INTERVAL keeps
// the microseconds (go-mysql-server dropped them), in the session's wall
// clock (a DATETIME result: no daylight-saving step); FROM_UNIXTIME keeps
// the argument's fraction with as many digits as it has, in the session's
// zone; and a WHERE with fractional FROM_UNIXTIME bounds selects exactly
// the rows inside them.
func TestTimeArithmeticKeepsFractions(t *testing.T) {
	// Rows around Europe/Berlin's switch back to winter time (2026-10-25
	// 01:00 UTC), with fractional seconds.
	start := time.Date(2026, 10, 24, 23, 0, 0, 0, time.UTC)
	var data strings.Builder
	var stamps []time.Time
	for i := range 200 {
		ts := start.Add(time.Duration(i)*97*time.Second + time.Duration(i*7919%1_000_000)*time.Microsecond)
		stamps = append(stamps, ts)
		fmt.Fprintf(&data, `{"ts":%q,"level":"INFO","service":"t","message":"m%d"}`+"\n", ts.Format(time.RFC3339Nano), i)
	}
	db := startLogq(t, []byte(data.String()), logqConfig{shards: 1, bucket: 24 * time.Hour, batchRows: 64, unflushed: 0.3, appendLines: 50})
	const layout = "2006-01-02 15:04:05.000000"
	wall := func(ts time.Time, loc *time.Location) time.Time {
		w := ts.In(loc)
		return time.Date(w.Year(), w.Month(), w.Day(), w.Hour(), w.Minute(), w.Second(), w.Nanosecond(), time.UTC)
	}
	for _, zone := range []string{"+00:00", "+05:30", "-08:00", "Europe/Berlin"} {
		loc, err := time.LoadLocation(zone)
		if err != nil {
			loc = fixedZone(t, zone)
		}
		conn := reconnect(t, db, "time_zone", "'"+zone+"'")

		got := queryStrings(t, conn, "SELECT ts, ts + INTERVAL 1 SECOND, INTERVAL 90 MINUTE + ts, ts - INTERVAL 1 DAY, "+
			"DATE_SUB(ts, INTERVAL 1500 MICROSECOND) FROM logs ORDER BY ts")
		require.Len(t, got, len(stamps))
		for i, ts := range stamps {
			w := wall(ts, loc)
			want := []string{w.Format(layout), w.Add(time.Second).Format(layout), w.Add(90 * time.Minute).Format(layout),
				w.AddDate(0, 0, -1).Format(layout), w.Add(-1500 * time.Microsecond).Format(layout)}
			require.Equal(t, want, got[i], "row %d, zone %s", i, zone)
		}

		// UNIX_TIMESTAMP(ts) is the stored instant, in the repeated hour too,
		// on the row path and as a pushed-down group key alike.
		got = queryStrings(t, conn, "SELECT UNIX_TIMESTAMP(ts) FROM logs ORDER BY ts")
		for i, ts := range stamps {
			require.Equal(t, strconv.FormatFloat(float64(ts.UnixMicro())/1e6, 'f', 6, 64), got[i][0], "row %d, zone %s", i, zone)
		}
		grouped := "SELECT UNIX_TIMESTAMP(ts) DIV 600 * 600 AS b, COUNT(*) FROM logs GROUP BY 1 ORDER BY 1"
		want := map[int64]int{}
		for _, ts := range stamps {
			want[ts.Unix()/600*600]++
		}
		for _, c := range []*gosql.DB{conn, reconnect(t, db, "time_zone", "'"+zone+"'", "logq_aggregate_pushdown", "0")} {
			got = queryStrings(t, c, grouped)
			require.Len(t, got, len(want), zone)
			for _, r := range got {
				b, err := strconv.ParseInt(r[0], 10, 64)
				require.NoError(t, err)
				require.Equal(t, strconv.Itoa(want[b]), r[1], "bucket %d, zone %s", b, zone)
			}
		}

		for _, tc := range []struct {
			arg  string
			want string
		}{
			{"1893459600", time.Unix(1893459600, 0).In(loc).Format("2006-01-02 15:04:05")},
			{"1893459600.5", time.UnixMicro(1893459600_500000).In(loc).Format("2006-01-02 15:04:05.0")},
			{"1893459600.25", time.UnixMicro(1893459600_250000).In(loc).Format("2006-01-02 15:04:05.00")},
			{"1893459600.1234565", time.UnixMicro(1893459600_123457).In(loc).Format(layout)},
			{"'1893459600.75'", time.UnixMicro(1893459600_750000).In(loc).Format(layout)},
			{"-1", "NULL"},
		} {
			require.Equal(t, [][]string{{tc.want}}, queryStrings(t, conn, "SELECT FROM_UNIXTIME("+tc.arg+")"), "FROM_UNIXTIME(%s), zone %s", tc.arg, zone)
		}

		// Fractional bounds: rows with lo <= ts <= hi.
		for k := range 5 {
			lo := stamps[10+k*31].Add(time.Duration(k) * 113 * time.Millisecond)
			hi := lo.Add(time.Duration(1+k) * 17 * time.Minute)
			want := 0
			for _, ts := range stamps {
				if !ts.Before(lo) && !ts.After(hi) {
					want++
				}
			}
			sec := func(t time.Time) string {
				return strconv.FormatFloat(float64(t.UnixMicro())/1e6, 'f', 6, 64)
			}
			q := fmt.Sprintf("SELECT COUNT(*), COUNT(ts) FROM logs WHERE ts BETWEEN FROM_UNIXTIME(%s) AND FROM_UNIXTIME(%s)", sec(lo), sec(hi))
			require.Equal(t, [][]string{{strconv.Itoa(want), strconv.Itoa(want)}}, queryStrings(t, conn, q), "%s, zone %s", q, zone)
		}
	}
}
