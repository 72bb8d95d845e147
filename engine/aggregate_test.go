package engine_test

import (
	gosql "database/sql"
	"fmt"
	"math/rand/v2"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"logq/engine"
)

// Seeds and sizes of TestAggregatePushdown. A failure names the query by
// number and prints it, so that it can be replayed.
const (
	aggDataSeed  = 20261126
	aggQuerySeed = 0x616767
	aggRows      = 12_000
	aggDays      = 3
	aggQueries   = 520
)

// aggScale shrinks the data under the race detector; the queries and
// assertions stay the same.
func aggScale(n int) int {
	if raceEnabled {
		return n / 4
	}
	return n
}

// aggConfigs are the storages the pushed-down aggregates run over: batch
// and partition boundaries fall on different rows in each, and part of the
// rows is still buffered in some, sealed in memory or open.
var aggConfigs = []logqConfig{
	{shards: 1, bucket: 24 * time.Hour, batchRows: 65536, unflushed: 0, appendLines: 8192, workers: 1},
	{shards: 4, bucket: time.Hour, batchRows: 300, unflushed: 0.25, sealed: 0.15, appendLines: 997, workers: 3},
	{shards: 2, bucket: 6 * time.Hour, batchRows: 64, unflushed: 1, appendLines: 333, noCache: true},
}

// aggZones are the session zones the queries run in: DATE and DATE_FORMAT
// buckets follow the session's wall clock. The data holds no daylight-saving
// transition (November 2026), where go-mysql-server's UNIX_TIMESTAMP of a
// DATETIME is ambiguous (issue 6). A query runs in the named zone only now
// and then: go-mysql-server's row path loads the zone from the zone database
// for every UNIX_TIMESTAMP it evaluates, a millisecond each.
var aggZones = []string{"+00:00", "+05:30", "-08:00", "Europe/Berlin"}

// TestAggregatePushdown runs aggQueries seeded random aggregate queries
// with the aggregate rule on, in every configuration of aggConfigs, and
// requires exactly the rows go-mysql-server's row path gives with the rule
// off (SET logq_aggregate_pushdown = OFF) in the first configuration, plus
// the row path in every configuration for a tenth of them, and the direct
// answer again through the plan's encoding (logq_plan_loopback: each query
// in one of the configurations). The
// queries mix groupings by string columns (some NULL in most rows) and by
// every time bucket form the rule knows, on data with rows in the last
// microsecond of buckets; COUNT, COUNT(DISTINCT), SUM, AVG, MIN, MAX over
// core, BIGINT and DOUBLE columns; WHERE conditions the scan evaluates;
// HAVING, ORDER BY and LIMIT above; empty results. DOUBLE values are
// multiples of 1/4, so every sum is exact in any order and answers compare
// as text, digit for digit.
func TestAggregatePushdown(t *testing.T) {
	data := append(genData(t, int64(aggScale(aggRows)), aggDays, aggDataSeed), aggExtraLines(aggDataSeed)...)
	queries := aggRandomQueries(aggQuerySeed, aggQueries)

	type conns struct{ on, off, loopback map[string]*gosql.DB }
	var servers []conns
	var providers []*engine.Provider
	for _, cfg := range aggConfigs {
		db, _, pro := startLogqProvider(t, data, cfg)
		providers = append(providers, pro)
		c := conns{on: map[string]*gosql.DB{}, off: map[string]*gosql.DB{}, loopback: map[string]*gosql.DB{}}
		for _, zone := range aggZones {
			c.on[zone] = reconnect(t, db, "time_zone", "'"+zone+"'")
			c.off[zone] = reconnect(t, db, "time_zone", "'"+zone+"'", "logq_aggregate_pushdown", "0")
			c.loopback[zone] = reconnect(t, db, "time_zone", "'"+zone+"'", "logq_plan_loopback", "1")
		}
		servers = append(servers, c)
	}

	pushed, rows, fromStats, wholly, fromTuples, fromSums, fromMinutes := 0, 0, 0, 0, 0, 0, 0
	for n, q := range queries {
		name := fmt.Sprintf("q%03d", n)
		want := queryStrings(t, servers[0].off[q.zone], q.sql)
		rows += len(want)
		for ci, s := range servers {
			got := queryStrings(t, s.on[q.zone], q.sql)
			aggSame(t, fmt.Sprintf("%s (%s, zone %s, %s)", name, q.sql, q.zone, aggConfigs[ci]), q.ordered, want, got)
			if n%len(servers) == ci && (!raceEnabled || n%10 == 0) {
				// The plan encoded and decoded gives the direct path's
				// answer: every query once, in one configuration.
				aggSame(t, name+" through the plan loopback", q.ordered, got, queryStrings(t, s.loopback[q.zone], q.sql))
			}
			if n%10 == 0 && ci > 0 {
				aggSame(t, name+" row path", q.ordered, want, queryStrings(t, s.off[q.zone], q.sql))
			}
		}
		plan := strings.Join(slices.Concat(queryStrings(t, servers[0].on[q.zone], "EXPLAIN PLAN "+q.sql)...), "\n")
		if strings.Contains(plan, "LogsAggregate") {
			pushed++
		} else {
			t.Logf("not pushed: %s", q.sql)
		}
		if m := statsRE.FindStringSubmatch(plan); m != nil && m[1] != "0" {
			fromStats++
			if m[1] == m[2] {
				wholly++
			}
			switch m[3] {
			case "level, service, host counts":
				fromTuples++
			case "level, service, host counts and sums":
				fromTuples++
				fromSums++
			case "counts per minute and level":
				fromMinutes++
			}
		}
	}
	// A DISTINCT of a column with about as many values as rows stays on the
	// row path, which streams to the LIMIT; that of a dynamic column with
	// few values comes from the statistics.
	plan := strings.Join(slices.Concat(queryStrings(t, servers[0].on["+00:00"], "EXPLAIN PLAN SELECT DISTINCT region FROM logs")...), "\n")
	m := statsRE.FindStringSubmatch(plan)
	require.True(t, m != nil && m[1] != "0", "DISTINCT region from the statistics:\n%s", plan)
	for _, q := range []string{"SELECT DISTINCT trace_id FROM logs LIMIT 10", "SELECT DISTINCT message FROM logs LIMIT 10",
		"SELECT DISTINCT req_id FROM logs LIMIT 10"} {
		plan := strings.Join(slices.Concat(queryStrings(t, servers[0].on["+00:00"], "EXPLAIN PLAN "+q)...), "\n")
		require.NotContains(t, plan, "LogsAggregate", q)
		require.Len(t, queryStrings(t, servers[0].on["+00:00"], q), 10, q)
	}
	for _, pro := range providers {
		require.Positive(t, pro.Stats().PlansRoundTripped.Load(), "plans run through the loopback")
		require.Positive(t, pro.Stats().StatesRoundTripped.Load(), "partial aggregates of several nodes combined")
	}
	t.Logf("%d queries, %d pushed down, %d rows in all answers, %d answered from statistics (%d wholly, %d from tuple counts, %d with their sums, %d from minute counts)",
		len(queries), pushed, rows, fromStats, wholly, fromTuples, fromSums, fromMinutes)
	// The statistics answer counts by level over whole batches inside the ts
	// range: the stats-shaped queries must have used them.
	require.GreaterOrEqual(t, fromStats, len(queries)/20, "queries answered partly from batch statistics")
	require.Positive(t, wholly, "queries answered wholly from batch statistics")
	require.GreaterOrEqual(t, fromTuples, len(queries)/20, "queries answered partly from tuple counts")
	require.GreaterOrEqual(t, fromSums, len(queries)/80, "queries answered partly from the sums per tuple")
	require.GreaterOrEqual(t, fromMinutes, len(queries)/40, "queries answered partly from minute counts")
	// The generator writes only shapes the rule knows: all must be taken.
	require.Equal(t, len(queries), pushed, "queries computed by the pushed-down aggregate")
	require.Greater(t, rows, 5*len(queries), "answers must not be mostly empty")
}

// statsRE reads how many kept batches EXPLAIN PLAN says an aggregate
// answers from their statistics.
var statsRE = regexp.MustCompile(`batches answered from statistics (\d+)/(\d+)(?: \(([a-z, ]+)\))?`)

// reconnect opens another client to the server behind db with the session
// variables given as name, value pairs.
func reconnect(t *testing.T, db *gosql.DB, vars ...string) *gosql.DB {
	addr, ok := serverAddrs.Load(db)
	require.True(t, ok)
	params := url.Values{}
	for i := 0; i < len(vars); i += 2 {
		params.Set(vars[i], vars[i+1])
	}
	c, err := gosql.Open("mysql", fmt.Sprintf("root@tcp(%s)/logq?%s", addr, params.Encode()))
	require.NoError(t, err)
	t.Cleanup(func() { c.Close() })
	return c
}

// aggSame requires the same rows, in the same order when ordered. A group
// of level, service or host may show any of its spellings (MySQL shows
// one of them), so values compare with the case and the accents of the
// data's spellings (aggExtraLines) taken off.
func aggSame(t *testing.T, what string, ordered bool, want, got [][]string) {
	t.Helper()
	want, got = plainSpellings(want), plainSpellings(got)
	if !ordered {
		key := func(r []string) string { return strings.Join(r, "\x00") }
		want, got = slices.Clone(want), slices.Clone(got)
		slices.SortFunc(want, func(a, b []string) int { return strings.Compare(key(a), key(b)) })
		slices.SortFunc(got, func(a, b []string) int { return strings.Compare(key(a), key(b)) })
	}
	require.Equal(t, want, got, what)
}

// plainSpellings returns rows with every value in lower case without the
// accents aggExtraLines writes.
func plainSpellings(rows [][]string) [][]string {
	plain := strings.NewReplacer("ç", "c", "Ç", "c", "ô", "o", "Ô", "o")
	out := make([][]string, len(rows))
	for i, r := range rows {
		out[i] = make([]string, len(r))
		for j, v := range r {
			out[i][j] = strings.ToLower(plain.Replace(v))
		}
	}
	return out
}

// aggExtraLines are rows beside the generated ones: a DOUBLE column
// (multiples of 1/4), a string column present in a third of them, and
// timestamps in the first and last microseconds of minutes, 5-minute
// buckets, hours and days.
func aggExtraLines(seed uint64) []byte {
	r := rand.New(rand.NewPCG(seed, 7))
	var b strings.Builder
	edges := []time.Duration{0, time.Microsecond, -time.Microsecond, 500 * time.Millisecond, -500 * time.Millisecond}
	for i := range aggScale(3000) {
		ts := dataStart.Add(time.Duration(r.Int64N(int64(aggDays) * 24 * int64(time.Hour))))
		if i%2 == 0 {
			unit := []time.Duration{time.Minute, 5 * time.Minute, time.Hour, 24 * time.Hour}[r.IntN(4)]
			ts = ts.Truncate(unit).Add(edges[r.IntN(len(edges))])
			if ts.Before(dataStart) {
				ts = dataStart
			}
		}
		fmt.Fprintf(&b, `{"ts":%q,"message":"extra %d","req_id":"r%d"`, ts.Format(time.RFC3339Nano), i, i)
		// Now and then without level, service or host: NULL in those. Some
		// are spelled in other cases or with accents, which the collation
		// of the three columns (utf8mb4_0900_ai_ci) calls equal.
		if r.IntN(12) > 0 {
			fmt.Fprintf(&b, `,"level":%q`, []string{"INFO", "WARN", "ERROR", "error", "Warn"}[r.IntN(5)])
		}
		if r.IntN(12) > 0 {
			fmt.Fprintf(&b, `,"service":"%s-%d"`, []string{"svc", "svc", "SVC", "Svç"}[r.IntN(4)], r.IntN(5))
		}
		if r.IntN(12) > 0 {
			fmt.Fprintf(&b, `,"host":"%s-%d"`, []string{"host", "host", "HOST", "hôst"}[r.IntN(4)], r.IntN(3))
		}
		if r.IntN(3) == 0 {
			fmt.Fprintf(&b, `,"region":%q`, []string{"eu", "us", "ap", "EU"}[r.IntN(4)])
		}
		if r.IntN(2) == 0 {
			fmt.Fprintf(&b, `,"ratio":%s`, strconv.FormatFloat(float64(r.IntN(801)-400)/4, 'f', -1, 64))
		}
		if r.IntN(2) == 0 {
			fmt.Fprintf(&b, `,"latency_ms":%d`, r.IntN(900))
		}
		b.WriteString("}\n")
	}
	return []byte(b.String())
}

type aggQuery struct {
	sql     string
	zone    string
	ordered bool
}

// aggRandomQueries returns n random aggregate queries of the shapes the
// aggregate rule computes.
func aggRandomQueries(seed uint64, n int) []aggQuery {
	r := rand.New(rand.NewPCG(seed, 11))
	keys := []string{
		"level", "service", "host", "region",
		"UNIX_TIMESTAMP(ts) DIV 300 * 300", "UNIX_TIMESTAMP(ts) DIV 60 * 60", "UNIX_TIMESTAMP(ts) DIV 3600",
		"UNIX_TIMESTAMP(ts) DIV 86400 * 86400", "UNIX_TIMESTAMP(ts) DIV 7 * 7",
		"FLOOR(UNIX_TIMESTAMP(ts) / 300) * 300", "FLOOR(UNIX_TIMESTAMP(ts) / 86400) * 86400", "FLOOR(UNIX_TIMESTAMP(ts) / 3600)",
		"DATE(ts)", "DATE_FORMAT(ts, '%Y-%m-%d %H:00:00')", "DATE_FORMAT(ts, '%H')", "DATE_FORMAT(ts, '%Y-%m-%d %H:%i')",
		"DATE_FORMAT(ts, '%d/%m %h%p')",
	}
	aggs := []string{
		"COUNT(*)", "COUNT(region)", "COUNT(ratio)", "COUNT(latency_ms)", "COUNT(DISTINCT host)", "COUNT(DISTINCT region)",
		"COUNT(DISTINCT latency_ms)", "SUM(latency_ms)", "AVG(latency_ms)", "MIN(latency_ms)", "MAX(status)",
		"SUM(ratio)", "AVG(ratio)", "MIN(ratio)", "MAX(ratio)", "MIN(ts)", "MAX(ts)", "COUNT(ts)",
	}
	conds := []func() string{
		func() string { return "level IN ('ERROR', 'WARN')" },
		func() string { return fmt.Sprintf("service = 'svc-%d'", r.IntN(6)) },
		// level, service and host compare case- and accent-insensitively.
		func() string { return "level = 'error'" },
		func() string { return fmt.Sprintf("service IN ('SVC-%d', 'svç-%d')", r.IntN(6), r.IntN(6)) },
		func() string { return fmt.Sprintf("host = 'HOST-%d'", r.IntN(3)) },
		func() string { return "region IS NULL" },
		func() string { return "region = 'eu'" },
		func() string { return fmt.Sprintf("latency_ms > %d", r.IntN(300)) },
		func() string { return "message LIKE '%timed out%'" },
		func() string { return "level = 'NOPE'" }, // empty
		func() string {
			// Grafana's "All": every service, so that whole batches
			// satisfy it (those without a NULL service).
			var all []string
			for i := range 50 {
				all = append(all, fmt.Sprintf("'svc-%d'", i))
			}
			return "service IN (" + strings.Join(all, ", ") + ")"
		},
		func() string { return "level IN ('DEBUG', 'INFO', 'WARN', 'ERROR', 'FATAL')" },
		func() string { return fmt.Sprintf("ratio < %d", r.IntN(100)-50) },
		func() string {
			from := dataStart.Add(time.Duration(r.Int64N(int64(aggDays)*24)) * time.Hour).Add(time.Duration(r.IntN(3)-1) * time.Microsecond)
			to := from.Add(time.Duration(1+r.IntN(30)) * time.Hour)
			return fmt.Sprintf("ts >= '%s' AND ts < '%s'", from.Format("2006-01-02 15:04:05.999999"), to.Format("2006-01-02 15:04:05"))
		},
		func() string {
			from := dataStart.Unix() + r.Int64N(int64(aggDays)*86400)
			return fmt.Sprintf("ts BETWEEN FROM_UNIXTIME(%d) AND FROM_UNIXTIME(%d)", from, from+r.Int64N(86400))
		},
	}
	var out []aggQuery
	for i := range n {
		var q aggQuery
		q.zone = aggZones[r.IntN(len(aggZones)-1)]
		if r.IntN(10) == 0 {
			q.zone = aggZones[len(aggZones)-1]
		}
		if i%8 == 0 {
			q.sql, q.ordered = aggStatsShaped(r, conds[0], conds[len(conds)-2])
			out = append(out, q)
			continue
		}
		if i%8 == 4 {
			q.sql, q.ordered = aggDistinct(r, conds)
			out = append(out, q)
			continue
		}
		if i%8 == 2 {
			q.sql, q.ordered = aggTupleShaped(r, conds[len(conds)-2])
			out = append(out, q)
			continue
		}
		if i%8 == 6 {
			q.sql, q.ordered = aggMinuteShaped(r, conds[len(conds)-2], conds[len(conds)-1])
			out = append(out, q)
			continue
		}
		nk := r.IntN(4) // 0: an aggregate without GROUP BY
		var sel, group []string
		for _, i := range r.Perm(len(keys))[:nk] {
			k := keys[i]
			if r.IntN(2) == 0 {
				k += fmt.Sprintf(" AS k%d", len(sel))
			}
			sel = append(sel, k)
			group = append(group, strconv.Itoa(len(sel)))
		}
		for _, i := range r.Perm(len(aggs))[:1+r.IntN(3)] {
			sel = append(sel, aggs[i])
		}
		s := "SELECT " + strings.Join(sel, ", ") + " FROM logs"
		var where []string
		for range r.IntN(3) {
			where = append(where, conds[r.IntN(len(conds))]())
		}
		if len(where) > 0 {
			s += " WHERE " + strings.Join(where, " AND ")
		}
		if nk > 0 {
			s += " GROUP BY " + strings.Join(group, ", ")
			if r.IntN(5) == 0 {
				s += fmt.Sprintf(" HAVING COUNT(*) > %d", r.IntN(5))
			}
			if r.IntN(2) == 0 {
				// Keys identify groups: ordering by all of them is a total order.
				s += " ORDER BY " + strings.Join(group, ", ")
				if r.IntN(2) == 0 {
					s += " DESC"
				}
				q.ordered = true
				if r.IntN(3) == 0 {
					s += fmt.Sprintf(" LIMIT %d", 1+r.IntN(20))
				}
			}
		}
		q.sql = s
		out = append(out, q)
	}
	return out
}

// aggStatsShaped is a query of the shape batch statistics answer: counts of
// rows, per level or not, under a ts range and a level condition or not;
// MIN(ts), MAX(ts) without condition.
func aggStatsShaped(r *rand.Rand, levelCond, tsCond func() string) (string, bool) {
	aggs := []string{"COUNT(*)", "COUNT(level)", "COUNT(ts)"}
	sel := slices.Clone(aggs[:1+r.IntN(len(aggs))])
	var where []string
	if r.IntN(2) == 0 {
		where = append(where, tsCond())
	}
	if r.IntN(3) == 0 {
		where = append(where, levelCond())
	}
	byLevel := r.IntN(2) == 0
	if !byLevel && len(where) == 0 {
		sel = append(sel, "MIN(ts)", "MAX(ts)")
	}
	s := "SELECT "
	if byLevel {
		s += "level, "
	}
	s += strings.Join(sel, ", ") + " FROM logs"
	if len(where) > 0 {
		s += " WHERE " + strings.Join(where, " AND ")
	}
	if byLevel {
		return s + " GROUP BY level ORDER BY level", true
	}
	return s, false
}

// aggMinuteShaped is a query of the shape the counts per minute and level
// of batches answer: counts per time bucket (of whole minutes mostly, some
// not, which the rows answer), maybe per level too, of some levels, maybe
// in a ts range (with a bound inside a minute now and then).
func aggMinuteShaped(r *rand.Rand, tsCond, betweenCond func() string) (string, bool) {
	buckets := []string{
		"UNIX_TIMESTAMP(ts) DIV 300 * 300", "UNIX_TIMESTAMP(ts) DIV 60 * 60", "UNIX_TIMESTAMP(ts) DIV 3600",
		"UNIX_TIMESTAMP(ts) DIV 86400 * 86400", "UNIX_TIMESTAMP(ts) DIV 7 * 7", "UNIX_TIMESTAMP(ts) DIV 90",
		"FLOOR(UNIX_TIMESTAMP(ts) / 300) * 300", "FLOOR(UNIX_TIMESTAMP(ts) / 86400) * 86400", "FLOOR(UNIX_TIMESTAMP(ts) / 1200)",
		"DATE(ts)", "DATE_FORMAT(ts, '%Y-%m-%d %H:00:00')", "DATE_FORMAT(ts, '%H')", "DATE_FORMAT(ts, '%Y-%m-%d %H:%i')",
		"DATE_FORMAT(ts, '%d/%m %h%p')", "DATE_FORMAT(ts, '%H:%i:%s')",
	}
	aggs := []string{"COUNT(*)", "COUNT(level)", "COUNT(ts)"}
	sel := []string{buckets[r.IntN(len(buckets))] + " AS t"}
	group := []string{"1"}
	if r.IntN(2) == 0 {
		sel = append(sel, "level")
		group = append(group, "2")
	}
	for _, i := range r.Perm(len(aggs))[:1+r.IntN(len(aggs))] {
		sel = append(sel, aggs[i])
	}
	var where []string
	switch r.IntN(3) {
	case 0:
		where = append(where, tsCond())
	case 1:
		where = append(where, betweenCond())
	}
	switch r.IntN(4) {
	case 0:
		where = append(where, "level IN ('ERROR', 'FATAL')")
	case 1:
		where = append(where, "level = 'warn'")
	case 2:
		where = append(where, "level IS NULL")
	}
	if r.IntN(3) == 0 {
		// Grafana's "All": the minute counts answer the batches whose
		// services all are in the list, the rows the others.
		var all []string
		for i := range 50 {
			all = append(all, fmt.Sprintf("'svc-%d'", i))
		}
		where = append(where, "service IN ("+strings.Join(all, ", ")+")")
	}
	s := "SELECT " + strings.Join(sel, ", ") + " FROM logs"
	if len(where) > 0 {
		s += " WHERE " + strings.Join(where, " AND ")
	}
	return s + " GROUP BY " + strings.Join(group, ", ") + " ORDER BY " + strings.Join(group, ", "), true
}

// aggTupleShaped is a query of the shape the (level, service, host) counts
// of batches answer: counts grouped by some of the three, under conditions
// on them (NULLs included) and maybe a ts range.
func aggTupleShaped(r *rand.Rand, tsCond func() string) (string, bool) {
	cols := []string{"level", "service", "host"}
	aggs := []string{"COUNT(*)", "COUNT(ts)", "COUNT(level)", "COUNT(service)", "COUNT(host)",
		"COUNT(DISTINCT service)", "COUNT(DISTINCT host)", "COUNT(DISTINCT level)",
		// BIGINT columns, from the per-tuple sums.
		"SUM(latency_ms)", "AVG(latency_ms)", "MIN(latency_ms)", "MAX(latency_ms)", "COUNT(latency_ms)",
		"MAX(status)", "AVG(status)"}
	conds := []func() string{
		func() string { return "level = 'ERROR'" },
		func() string { return "level IN ('ERROR', 'FATAL', 'WARN')" },
		func() string { return fmt.Sprintf("service = 'svc-%d'", r.IntN(6)) },
		func() string { return fmt.Sprintf("host IN ('host-%d', 'host-%d')", r.IntN(20), r.IntN(3)) },
		func() string { return "service LIKE 'svc-1%'" },
		func() string { return "host IS NULL" },
		func() string { return "level IS NOT NULL" },
		func() string { return fmt.Sprintf("(level = 'ERROR' OR service = 'svc-%d')", r.IntN(4)) },
		func() string { return "NOT (level = 'INFO')" },
		func() string { return "service <> 'svc-0'" },
	}
	var sel, group []string
	for _, i := range r.Perm(len(cols))[:r.IntN(4)] {
		sel = append(sel, cols[i])
		group = append(group, cols[i])
	}
	for _, i := range r.Perm(len(aggs))[:1+r.IntN(3)] {
		sel = append(sel, aggs[i])
	}
	var where []string
	for range r.IntN(3) {
		where = append(where, conds[r.IntN(len(conds))]())
	}
	if r.IntN(3) == 0 {
		where = append(where, tsCond())
	}
	s := "SELECT " + strings.Join(sel, ", ") + " FROM logs"
	if len(where) > 0 {
		s += " WHERE " + strings.Join(where, " AND ")
	}
	if len(group) == 0 {
		return s, false
	}
	s += " GROUP BY " + strings.Join(group, ", ")
	if r.IntN(4) == 0 {
		s += " HAVING COUNT(*) > 1"
	}
	if r.IntN(2) == 0 {
		return s, false
	}
	s += " ORDER BY " + strings.Join(group, ", ")
	if r.IntN(2) == 0 {
		s += fmt.Sprintf(" LIMIT %d", 1+r.IntN(10))
	}
	return s, true
}

// aggDistinct is a SELECT DISTINCT of one or two of the columns the rule
// takes DISTINCT of, as Grafana's query builder sends for its column menus,
// with or without a condition, ordered (and then maybe limited) or not.
func aggDistinct(r *rand.Rand, conds []func() string) (string, bool) {
	cols := []string{"level", "service", "host", "region"}
	var sel []string
	for _, i := range r.Perm(len(cols))[:1+r.IntN(2)] {
		sel = append(sel, cols[i])
	}
	s := "SELECT DISTINCT " + strings.Join(sel, ", ") + " FROM logs"
	if r.IntN(3) == 0 {
		s += " WHERE " + conds[r.IntN(len(conds))]()
	}
	if r.IntN(2) == 0 {
		return s, false
	}
	s += " ORDER BY " + strings.Join(sel, ", ")
	if r.IntN(2) == 0 {
		s += fmt.Sprintf(" LIMIT %d", 1+r.IntN(50))
	}
	return s, true
}
