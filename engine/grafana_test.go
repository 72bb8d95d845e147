package engine_test

import (
	"encoding/json"
	"fmt"
	"os"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// grafanaDashboard is what the test reads of server/grafana's dashboard.
type grafanaDashboard struct {
	Templating struct {
		List []struct {
			Name  string `json:"name"`
			Query string `json:"query"`
		} `json:"list"`
	} `json:"templating"`
	Panels []struct {
		Title   string `json:"title"`
		Targets []struct {
			RawSQL string `json:"rawSql"`
		} `json:"targets"`
	} `json:"panels"`
}

// grafanaExpand expands what Grafana's MySQL datasource expands in a
// panel's SQL (pkg/tsdb/mysql/macros.go): $__timeFilter, $__timeGroup,
// $__timeGroupAlias, $__timeFrom, $__timeTo, $__unixEpochFrom/To, the
// $__interval variable and the multi-value variable $service, as it sends
// them for a time range [from, to] in whole seconds.
func grafanaExpand(sql string, from, to int64, interval time.Duration, services []string) string {
	var quoted []string
	for _, s := range services {
		quoted = append(quoted, "'"+strings.ReplaceAll(s, "'", "''")+"'")
	}
	sql = strings.ReplaceAll(sql, "$__interval", fmt.Sprintf("%ds", int64(interval.Seconds())))
	sql = strings.ReplaceAll(sql, "$service", strings.Join(quoted, ","))
	macro := regexp.MustCompile(`\$(__[_a-zA-Z0-9]+)\(([^)]*)\)`)
	return macro.ReplaceAllStringFunc(sql, func(m string) string {
		g := macro.FindStringSubmatch(m)
		args := strings.Split(g[2], ",")
		for i := range args {
			args[i] = strings.TrimSpace(args[i])
		}
		group := func() string {
			d, err := time.ParseDuration(strings.Trim(args[1], `'"`))
			if err != nil {
				panic(err)
			}
			return fmt.Sprintf("UNIX_TIMESTAMP(%s) DIV %.0f * %.0f", args[0], d.Seconds(), d.Seconds())
		}
		switch g[1] {
		case "__timeFilter":
			return fmt.Sprintf("%s BETWEEN FROM_UNIXTIME(%d) AND FROM_UNIXTIME(%d)", args[0], from, to)
		case "__timeFrom":
			return fmt.Sprintf("FROM_UNIXTIME(%d)", from)
		case "__timeTo":
			return fmt.Sprintf("FROM_UNIXTIME(%d)", to)
		case "__unixEpochFrom":
			return strconv.FormatInt(from, 10)
		case "__unixEpochTo":
			return strconv.FormatInt(to, 10)
		case "__timeGroup":
			return group()
		case "__timeGroupAlias":
			return group() + ` AS "time"`
		}
		panic("macro not expanded by this test: " + m)
	})
}

// TestGrafanaDashboard runs the queries of the dashboard in
// server/grafana, expanded as Grafana expands them, in four session zones,
// and requires the answers computed here from the rows themselves: the
// service menu, log volume per 5-minute bucket and level (rows at
// xx:x4:59.999999 included, which go-mysql-server's own DIV misplaces),
// errors per service, and the latest errors with their times shown in the
// session's zone.
func TestGrafanaDashboard(t *testing.T) {
	raw, err := os.ReadFile("../server/grafana/dashboards/logq.json")
	require.NoError(t, err)
	var dash grafanaDashboard
	require.NoError(t, json.Unmarshal(raw, &dash))
	require.Len(t, dash.Templating.List, 1)
	require.Len(t, dash.Panels, 3)

	data := genData(t, 20_000, 2, 77)
	// Rows in the last microsecond of 5-minute buckets.
	for i := range 300 {
		ts := dataStart.Add(time.Duration(i) * 7 * time.Minute).Truncate(5 * time.Minute).Add(-time.Microsecond)
		if ts.Before(dataStart) {
			continue
		}
		data = append(data, fmt.Sprintf(`{"ts":%q,"level":"ERROR","service":"svc-%d","host":"h","message":"edge %d"}`+"\n",
			ts.Format(time.RFC3339Nano), i%4, i)...)
	}
	rows := decodeRef(t, data)
	db := startLogq(t, data, logqConfig{shards: 2, bucket: 6 * time.Hour, batchRows: 500, unflushed: 0.2, appendLines: 2000})

	from := dataStart.Add(3*time.Hour + 17*time.Second).Unix()
	to := from + 5*3600
	interval := 5 * time.Minute

	var services []string
	for _, r := range rows {
		services = append(services, r.Service)
	}
	slices.Sort(services)
	services = slices.Compact(services)

	for _, zone := range []string{"+00:00", "+05:30", "-08:00", "Europe/Berlin"} {
		loc, err := time.LoadLocation(zone)
		if err != nil {
			loc = fixedZone(t, zone)
		}
		conn := reconnect(t, db, "time_zone", "'"+zone+"'")
		got := queryStrings(t, conn, dash.Templating.List[0].Query)
		var want [][]string
		for _, s := range services {
			want = append(want, []string{s})
		}
		require.Equal(t, want, got, "service menu, zone %s", zone)

		for _, chosen := range [][]string{services, {services[1], services[3], "svc-none"}} {
			keep := func(r refRow) bool {
				sec := r.TS.Unix()
				inRange := sec >= from && (sec < to || sec == to && r.TS.Nanosecond() == 0)
				return inRange && slices.Contains(chosen, r.Service)
			}
			sqlOf := func(panel int) string {
				return grafanaExpand(dash.Panels[panel].Targets[0].RawSQL, from, to, interval, chosen)
			}

			// Log volume by level.
			counts := map[[2]string]int{}
			for _, r := range rows {
				if keep(r) {
					bucket := r.TS.Unix() / 300 * 300 // ts > 0: DIV is floor
					counts[[2]string{strconv.FormatInt(bucket, 10), r.Level}]++
				}
			}
			want = nil
			for k, n := range counts {
				want = append(want, []string{k[0], k[1], strconv.Itoa(n)})
			}
			byTimeMetric := func(rows [][]string) {
				sort.Slice(rows, func(i, j int) bool {
					if rows[i][0] != rows[j][0] {
						return rows[i][0] < rows[j][0]
					}
					return rows[i][1] < rows[j][1]
				})
			}
			got = queryStrings(t, conn, sqlOf(0))
			byTimeMetric(want)
			require.True(t, sort.SliceIsSorted(got, func(i, j int) bool { return got[i][0] < got[j][0] }), "ORDER BY 1")
			byTimeMetric(got)
			require.Equal(t, want, got, "%s, zone %s", sqlOf(0), zone)

			// Errors by service.
			errs := map[string]int{}
			for _, r := range rows {
				if keep(r) && (r.Level == "ERROR" || r.Level == "FATAL") {
					errs[r.Service]++
				}
			}
			want = nil
			for s, n := range errs {
				want = append(want, []string{s, strconv.Itoa(n)})
			}
			sort.Slice(want, func(i, j int) bool {
				a, _ := strconv.Atoi(want[i][1])
				b, _ := strconv.Atoi(want[j][1])
				return a > b || a == b && want[i][0] < want[j][0]
			})
			want = want[:min(20, len(want))]
			require.Equal(t, want, queryStrings(t, conn, sqlOf(1)), "%s, zone %s", sqlOf(1), zone)

			// Latest errors, times in the session's zone.
			var latest []refRow
			for _, r := range rows {
				if keep(r) && (r.Level == "ERROR" || r.Level == "FATAL") {
					latest = append(latest, r)
				}
			}
			require.Less(t, len(latest), 1000, "the LIMIT must not cut the test's rows")
			sort.SliceStable(latest, func(i, j int) bool { return latest[i].TS.After(latest[j].TS) })
			want = nil
			for _, r := range latest {
				want = append(want, []string{r.TS.In(loc).Format("2006-01-02 15:04:05.000000"), r.Level, r.Service, r.Host, r.Message})
			}
			got = queryStrings(t, conn, sqlOf(2))
			timesOf := func(rows [][]string) []string {
				var out []string
				for _, r := range rows {
					out = append(out, r[0])
				}
				return out
			}
			require.Equal(t, timesOf(want), timesOf(got), "%s, zone %s", sqlOf(2), zone)
			require.ElementsMatch(t, want, got)
		}
	}
}

// fixedZone is the location of a ±hh:mm time_zone value.
func fixedZone(t *testing.T, zone string) *time.Location {
	h, err1 := strconv.Atoi(zone[1:3])
	m, err2 := strconv.Atoi(zone[4:6])
	require.NoError(t, err1)
	require.NoError(t, err2)
	off := h*3600 + m*60
	if zone[0] == '-' {
		off = -off
	}
	return time.FixedZone(zone, off)
}

// TestGrafanaMacros runs the expansions of the MySQL datasource's macros
// that the dashboard does not use, as Grafana (pkg/tsdb/mysql/macros.go)
// writes them, against answers computed here: $__time and $__timeEpoch
// (UNIX_TIMESTAMP with the fraction), $__unixEpochFilter,
// $__unixEpochNanoFilter, $__unixEpochGroup and its alias over numeric
// columns, and $__timeFilter of a range starting before 1970 (DATE_ADD on
// FROM_UNIXTIME(0)), in four session zones.
func TestGrafanaMacros(t *testing.T) {
	type row struct {
		ts   time.Time
		secs int64
	}
	var rows []row
	var data strings.Builder
	for i := range 3000 {
		ts := dataStart.Add(time.Duration(i) * 57 * time.Second).Add(time.Duration(i%7) * 123457 * time.Microsecond)
		secs := ts.Unix()
		if i%5 == 0 {
			secs = secs - secs%300 - int64(i%2) // on and one second before 5-minute edges
		}
		rows = append(rows, row{ts, secs})
		fmt.Fprintf(&data, `{"ts":%q,"message":"m%d","epoch_s":%d,"epoch_ns":%d}`+"\n", ts.Format(time.RFC3339Nano), i, secs, ts.UnixNano())
	}
	db := startLogq(t, []byte(data.String()), logqConfig{shards: 2, bucket: 6 * time.Hour, batchRows: 256, unflushed: 0.2, appendLines: 500})
	from := time.Date(2026, 11, 1, 7, 13, 0, 0, time.UTC)
	to := from.Add(9 * time.Hour)

	for _, zone := range []string{"+00:00", "+05:30", "-08:00", "Europe/Berlin"} {
		conn := reconnect(t, db, "time_zone", "'"+zone+"'")

		// $__time(ts) (and $__timeEpoch(ts), which expands alike) with
		// $__timeFilter(ts).
		var want [][]string
		for _, r := range rows {
			if !r.ts.Before(from) && !r.ts.After(to) {
				want = append(want, []string{fmt.Sprintf("%d.%06d", r.ts.Unix(), r.ts.Nanosecond()/1000)})
			}
		}
		q := fmt.Sprintf("SELECT UNIX_TIMESTAMP(ts) as time_sec FROM logs WHERE ts BETWEEN FROM_UNIXTIME(%d) AND FROM_UNIXTIME(%d) ORDER BY ts", from.Unix(), to.Unix())
		require.Equal(t, want, queryStrings(t, conn, q), "%s, zone %s", q, zone)

		// $__unixEpochGroupAlias(epoch_s, '5m') with $__unixEpochFilter(epoch_s).
		buckets := map[int64]int{}
		for _, r := range rows {
			if r.secs >= from.Unix() && r.secs <= to.Unix() {
				buckets[r.secs/300*300]++
			}
		}
		want = nil
		for b, n := range buckets {
			want = append(want, []string{strconv.FormatInt(b, 10), strconv.Itoa(n)})
		}
		sort.Slice(want, func(i, j int) bool { return want[i][0] < want[j][0] })
		q = fmt.Sprintf(`SELECT epoch_s DIV 300 * 300 AS "time", COUNT(*) FROM logs WHERE epoch_s >= %d AND epoch_s <= %d GROUP BY 1 ORDER BY 1`, from.Unix(), to.Unix())
		require.Equal(t, want, queryStrings(t, conn, q), "%s, zone %s", q, zone)

		// $__unixEpochNanoFilter(epoch_ns).
		n := 0
		for _, r := range rows {
			if ns := r.ts.UnixNano(); ns >= from.UnixNano() && ns <= to.UnixNano() {
				n++
			}
		}
		q = fmt.Sprintf("SELECT COUNT(*) FROM logs WHERE epoch_ns >= %d AND epoch_ns <= %d", from.UnixNano(), to.UnixNano())
		require.Equal(t, [][]string{{strconv.Itoa(n)}}, queryStrings(t, conn, q), "%s, zone %s", q, zone)

		// $__timeFilter(ts) of a range from before 1970.
		early := time.Date(1969, 12, 31, 0, 0, 0, 0, time.UTC)
		n = 0
		for _, r := range rows {
			if !r.ts.After(to) {
				n++
			}
		}
		q = fmt.Sprintf("SELECT COUNT(*) FROM logs WHERE ts BETWEEN DATE_ADD(FROM_UNIXTIME(0), INTERVAL %d SECOND) AND FROM_UNIXTIME(%d)", early.Unix(), to.Unix())
		require.Equal(t, [][]string{{strconv.Itoa(n)}}, queryStrings(t, conn, q), "%s, zone %s", q, zone)
	}
}
