package engine_test

import (
	"bytes"
	gosql "database/sql"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"logq/engine"
)

// Seeds and sizes of TestMetamorphic. A failure prints the seeds with the
// query, so that it can be replayed by name (-run 'TestMetamorphic/q017').
const (
	metaDataSeed  = 20261101   // genData and the extra lines
	metaQuerySeed = 0x6d657461 // the random queries
	metaRows      = 40_000
	metaDays      = 3
	metaQueries   = 240
)

// metaConfigs are the ways of storing the same rows that must give the same
// answers. They vary everything logqConfig offers: shard count (how services
// spread over partitions), bucket width (partition boundaries at every hour,
// every six hours or at midnight), rows per record batch (so batch-level
// pruning and batch boundaries fall on different rows), the share left
// unflushed (buffered rows read beside segments, or only them) and the
// share of those sealed in memory (open rows beside sealed ones, only
// sealed ones, only open ones), and the lines
// per Append (the batches the buffer receives), the scan's worker count (one
// load at a time, or many racing) and the decoded-batch cache.
//
// The first configuration is the plainest (one shard, day buckets, one batch
// per segment, everything flushed): it is the baseline for the queries the
// reference table cannot answer.
var metaConfigs = []logqConfig{
	{shards: 1, bucket: 24 * time.Hour, batchRows: 65536, unflushed: 0, appendLines: 8192, workers: 1},
	{shards: 3, bucket: 6 * time.Hour, batchRows: 1000, unflushed: 0.3, sealed: 0.2, appendLines: 997, workers: 8},
	{shards: 8, bucket: time.Hour, batchRows: 64, unflushed: 0, appendLines: 4096, workers: 3, noCache: true},
	{shards: 8, bucket: 24 * time.Hour, batchRows: 64, unflushed: 1, sealed: 0.5, appendLines: 333},
	{shards: 3, bucket: time.Hour, batchRows: 65536, unflushed: 0.3, appendLines: 50_000, workers: 1, noCache: true},
	{shards: 1, bucket: 6 * time.Hour, batchRows: 1000, unflushed: 1, sealed: 1, appendLines: 128, workers: 16},
}

// metaTieInstants are the instants on which the extra lines pile up rows of
// several services: the start of the data, midnights (a boundary of every
// bucket width), six-hour and hour boundaries, the last microsecond of a
// day and the first after a boundary, and instants inside buckets.
var metaTieInstants = []time.Time{
	time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC),
	time.Date(2026, 11, 2, 0, 0, 0, 0, time.UTC),
	time.Date(2026, 11, 3, 0, 0, 0, 0, time.UTC),
	time.Date(2026, 11, 4, 0, 0, 0, 0, time.UTC),
	time.Date(2026, 11, 1, 6, 0, 0, 0, time.UTC),
	time.Date(2026, 11, 2, 18, 0, 0, 0, time.UTC),
	time.Date(2026, 11, 1, 13, 0, 0, 0, time.UTC),
	time.Date(2026, 11, 3, 1, 0, 0, 0, time.UTC),
	time.Date(2026, 11, 2, 23, 59, 59, 999999000, time.UTC),
	time.Date(2026, 11, 3, 12, 0, 0, 1000, time.UTC),
	time.Date(2026, 11, 1, 9, 41, 17, 250000000, time.UTC),
	time.Date(2026, 11, 2, 14, 5, 33, 123456000, time.UTC),
	time.Date(2026, 11, 3, 20, 20, 20, 500000000, time.UTC),
}

// metaExtraColumns are the dynamic columns only the extra lines carry. The
// reference table does not have them, so queries that read them are
// compared across logq configurations instead.
var metaExtraColumns = []string{"attempt", "ratio", "cached", "`req.bytes`"}

// TestMetamorphic stores the same rows under every configuration of
// metaConfigs and requires identical answers to metaQueries seeded random
// queries, run on each server directly and through the plan's encoding
// (logq_plan_loopback). An answer is compared with the go-mysql-server reference table
// when the query reads only the reference's columns, and with the first
// configuration's answer otherwise. A query ordered by ts must moreover give
// exactly the same sequence of rows, ties included, in every configuration
// and when it runs again on the same server: rows have one total order.
func TestMetamorphic(t *testing.T) {
	data, extraTraceIDs := metaData(t)
	rows := decodeRef(t, data)
	ref := startReference(t, rows)
	var lqs []*metaServer
	var providers []*engine.Provider
	for i, cfg := range metaConfigs {
		name := fmt.Sprintf("config %d (%s append=%d)", i, cfg, cfg.appendLines)
		db, _, pro := startLogqProvider(t, data, cfg)
		lqs = append(lqs, &metaServer{name: name, db: db})
		if !raceEnabled || i == 0 { // the race detector checks concurrency, not the encoding
			providers = append(providers, pro)
			// Every plan encoded, decoded and run as a node would run it.
			lqs = append(lqs, &metaServer{name: name + " plan loopback", db: reconnect(t, db, "logq_plan_loopback", "1"), loopback: true})
		}
	}

	traceIDs := []string{rows[0].TraceID, rows[len(rows)/2].TraceID, rows[len(rows)-1].TraceID}
	queries := metaGenQueries(rand.New(rand.NewPCG(metaQuerySeed, 0)), metaQueries, append(traceIDs, extraTraceIDs...))
	metaRequireCoverage(t, queries)
	var ran, nonEmpty, tieAnswers int
	for i, q := range queries {
		t.Run(fmt.Sprintf("q%03d", i), func(t *testing.T) {
			defer func() {
				if t.Failed() {
					t.Logf("data seed %d, query seed %#x, query %d: %s", metaDataSeed, metaQuerySeed, i, q.sql)
				}
			}()
			t.Log(q.sql)
			ran++
			answers := make([][][]string, len(lqs))
			for c, s := range lqs {
				answers[c] = queryStrings(t, s.db, q.sql)
			}
			if len(answers[0]) > 0 {
				nonEmpty++
			}
			if q.tsCol >= 0 && metaHasTies(answers[0], q.tsCol) {
				tieAnswers++
			}
			t.Run("answer", func(t *testing.T) { metaSameAnswers(t, q, ref, lqs, answers) })
			if q.tsCol >= 0 {
				t.Run("order", func(t *testing.T) { metaSameOrder(t, q, lqs, answers) })
			}
		})
	}
	t.Logf("%d queries, %d with rows, %d ordered by ts with equal timestamps in the answer", len(queries), nonEmpty, tieAnswers)
	if ran < len(queries) {
		return // -run picked some queries
	}
	for _, pro := range providers {
		require.Positive(t, pro.Stats().PlansRoundTripped.Load(), "plans run through the loopback")
		require.Positive(t, pro.Stats().RowStreamsRoundTripped.Load(), "rows sent as Arrow record streams and merged")
	}
	// The queries must not be vacuous: most find rows, and enough ordered
	// ones return equal timestamps for the order of ties to be checked.
	require.Greater(t, nonEmpty, len(queries)/2, "queries with rows")
	require.GreaterOrEqual(t, tieAnswers, 20, "ordered answers holding equal timestamps")
}

// metaCoverage names the query features the issue asks for, each with a
// pattern that finds it in the SQL text.
var metaCoverage = []struct{ what, pattern string }{
	{"ORDER BY ts ASC", `ORDER BY ts( ASC)?( LIMIT \d+)?$`},
	{"ORDER BY ts DESC", `ORDER BY ts DESC`},
	{"ORDER BY ts without LIMIT", `ORDER BY ts( ASC| DESC)?$`},
	{"LIMIT 1", `LIMIT 1$`},
	{"LIMIT 7", `LIMIT 7$`},
	{"LIMIT 100", `LIMIT 100$`},
	{"ts >=", `ts >= '`},
	{"ts >", `ts > '`},
	{"ts <", `ts < '`},
	{"ts <=", `ts <= '`},
	{"ts BETWEEN", `ts BETWEEN '`},
	{"ts = an instant of equal timestamps", `ts = '`},
	{"ts on a midnight", `ts (>=|>|<|<=|=|BETWEEN) '2026-11-0\d 00:00:00(\.000000)?'`},
	{"a range across midnight", `'2026-11-0\d 2[1-3]:[^']*' AND (ts <=? )?'2026-11-0\d 0[0-2]:`},
	{"level =", `level = '`},
	{"level IN", `level IN \(`},
	{"service =", `service = '`},
	{"service IN", `service IN \(`},
	{"host =", `host = '`},
	{"host IN", `host IN \(`},
	{"a value that does not exist", `'(NOPE|svc-99|host-999)'`},
	{"trace_id =", `trace_id = '`},
	{"LIKE", `message LIKE '`},
	{"NOT LIKE", `message NOT LIKE '`},
	{"LIKE with _", `LIKE '[^'%]*_`},
	{"LIKE of another case", `LIKE '(%TIMED OUT%|get /api%)'`},
	{"status or latency_ms", `(status|latency_ms) (=|>|<|<>|>=|<=|IN|BETWEEN) `},
	{"AND", ` AND `},
	{"OR", ` OR `},
	{"NOT", `NOT \(`},
	{"IS NULL on a dynamic column", `(attempt|ratio|cached|req\.bytes)` + "`?" + ` IS NULL`},
	{"IS NOT NULL on a dynamic column", `(attempt|ratio|cached|req\.bytes)` + "`?" + ` IS NOT NULL`},
	{"comparison on a dynamic column", `(attempt|ratio|req\.bytes)` + "`?" + ` (=|>|<=|IN|LIKE|BETWEEN) `},
	{"COUNT(*)", `^SELECT COUNT\(\*\) FROM`},
	{"GROUP BY level", `GROUP BY level`},
	{"GROUP BY service", `GROUP BY service`},
	{"SELECT *", `^SELECT \* FROM`},
	{"dynamic columns in the projection", `^SELECT [^(]*(attempt|ratio|cached|req\.bytes)[^(]* FROM`},
}

// metaRequireCoverage requires every feature of metaCoverage in at least
// two queries, so that a change of seed or generator cannot quietly drop
// one.
func metaRequireCoverage(t *testing.T, queries []metaQuery) {
	for _, c := range metaCoverage {
		re := regexp.MustCompile(c.pattern)
		n := 0
		for _, q := range queries {
			if re.MatchString(q.sql) {
				n++
			}
		}
		require.GreaterOrEqual(t, n, 2, "queries with %s (query seed %#x)", c.what, metaQuerySeed)
	}
}

// metaServer is one configuration's server.
type metaServer struct {
	name     string
	db       *gosql.DB
	loopback bool // the same server as the one before it, through the plan's encoding
}

// metaSameAnswers requires every configuration's answer to be the
// reference's, as sameAnswer defines it (rows of equal ts may come in any
// order, and a LIMIT may cut a run of them anywhere). The reference table
// lacks the extra dynamic columns, so a query reading them is compared with
// the first configuration's answer instead.
func metaSameAnswers(t *testing.T, q metaQuery, ref *gosql.DB, lqs []*metaServer, answers [][][]string) {
	want, wantName := answers[0], lqs[0].name
	if !q.dynamic {
		want, wantName = queryStrings(t, ref, q.sql), "the reference table"
	}
	for c, got := range answers {
		sameAnswer(t, fmt.Sprintf("%s (%s compared with %s)", q.sql, lqs[c].name, wantName), want, got, q.orderCol, q.limited)
	}
}

// metaSameOrder requires a query ordered by ts to give the same sequence of
// rows, ties included, in every configuration and on a second run on each
// server (a loopback connection's answer is one).
func metaSameOrder(t *testing.T, q metaQuery, lqs []*metaServer, answers [][][]string) {
	for c := 1; c < len(lqs); c++ {
		metaSameSequence(t, q.sql, lqs[0].name, answers[0], lqs[c].name, answers[c])
	}
	for c, s := range lqs {
		if s.loopback {
			continue // its answer was already a second run on that server
		}
		again := queryStrings(t, s.db, q.sql)
		metaSameSequence(t, q.sql, s.name, answers[c], s.name+", run again", again)
	}
}

// metaSameSequence requires got to be want row for row, and names the first
// row where they part.
func metaSameSequence(t testing.TB, q, wantName string, want [][]string, gotName string, got [][]string) {
	t.Helper()
	for i := range min(len(want), len(got)) {
		if !slices.Equal(want[i], got[i]) {
			t.Fatalf("row %d of %d differs:\n%s: %q\n%s: %q\nquery: %s", i, len(want), wantName, want[i], gotName, got[i], q)
		}
	}
	if len(want) != len(got) {
		t.Fatalf("%s: %d rows, %s: %d rows\nquery: %s", wantName, len(want), gotName, len(got), q)
	}
}

// metaHasTies reports whether two adjacent rows have the same value in
// column col.
func metaHasTies(rows [][]string, col int) bool {
	for i := 1; i < len(rows); i++ {
		if rows[i][col] == rows[i-1][col] {
			return true
		}
	}
	return false
}

// metaData returns genData's rows with the extra lines of metaExtraLines
// scattered among them (so that some land in flushed segments and some stay
// buffered), and the trace ids of the extra lines.
func metaData(t testing.TB) ([]byte, []string) {
	gen := bytes.SplitAfter(genData(t, int64(raceScale(metaRows)), metaDays, metaDataSeed), []byte("\n"))
	if len(gen[len(gen)-1]) == 0 {
		gen = gen[:len(gen)-1]
	}
	r := rand.New(rand.NewPCG(metaDataSeed, 1))
	extra, traceIDs := metaExtraLines(r)
	at := make([]int, len(extra))
	for i := range at {
		at[i] = r.IntN(len(gen) + 1)
	}
	slices.Sort(at)
	var buf bytes.Buffer
	for i, line := range gen {
		for len(at) > 0 && at[0] == i {
			buf.Write(extra[0])
			extra, at = extra[1:], at[1:]
		}
		buf.Write(line)
	}
	for _, line := range extra {
		buf.Write(line)
	}
	return buf.Bytes(), traceIDs
}

// metaExtraLines returns hand-made lines in random order: groups of rows of
// different services (so in different shards), a few of the same service
// and one of a service the generator does not have, sharing each of
// metaTieInstants; and single rows on and beside hour boundaries. It also
// returns their trace ids.
func metaExtraLines(r *rand.Rand) ([][]byte, []string) {
	var lines [][]byte
	var traceIDs []string
	add := func(ts time.Time, service string) {
		line, traceID := metaLine(r, len(lines), ts, service)
		lines = append(lines, line)
		traceIDs = append(traceIDs, traceID)
	}
	for _, ts := range metaTieInstants {
		perm := r.Perm(50)
		n := 6 + r.IntN(10)
		for _, k := range perm[:n] {
			add(ts, fmt.Sprintf("svc-%d", k))
		}
		// Rows of one service share a partition in every configuration.
		for range 1 + r.IntN(3) {
			add(ts, fmt.Sprintf("svc-%d", perm[r.IntN(n)]))
		}
		add(ts, "billing-worker")
	}
	for range 150 {
		ts := dataStart.Add(time.Duration(r.IntN(metaDays*24+1)) * time.Hour)
		switch r.IntN(4) {
		case 0:
			ts = ts.Add(-time.Microsecond)
		case 1:
			ts = ts.Add(time.Microsecond)
		case 2:
			ts = ts.Add(time.Duration(r.Int64N(int64(time.Hour)))).Truncate(time.Microsecond)
		}
		add(ts, fmt.Sprintf("svc-%d", r.IntN(50)))
	}
	r.Shuffle(len(lines), func(i, j int) {
		lines[i], lines[j] = lines[j], lines[i]
		traceIDs[i], traceIDs[j] = traceIDs[j], traceIDs[i]
	})
	return lines, traceIDs
}

// metaZones are the UTC offsets the extra lines write their ts in.
var metaZones = []*time.Location{
	time.UTC,
	time.FixedZone("-08:00", -8*3600),
	time.FixedZone("-05:00", -5*3600),
	time.FixedZone("+01:00", 3600),
	time.FixedZone("+05:30", 5*3600+1800),
	time.FixedZone("+09:00", 9*3600),
}

// metaLine returns the n-th extra line, at ts, of service, and its trace id.
// It has every core field, status and latency_ms (which the reference table
// reads as numbers, so they are never missing), and, each with some
// probability, the extra dynamic columns: attempt (an integer in some lines
// and a string in others, so it widens to VARCHAR), ratio (fractional and
// whole numbers: DOUBLE), cached (BOOLEAN) and req.bytes (a nested BIGINT).
func metaLine(r *rand.Rand, n int, ts time.Time, service string) ([]byte, string) {
	layout := "2006-01-02T15:04:05.999999Z07:00"
	if r.IntN(3) == 0 {
		layout = "2006-01-02T15:04:05.000000Z07:00"
	}
	traceID := fmt.Sprintf("%016x", r.Uint64())
	status := []int{200, 200, 201, 404, 500, 503}[r.IntN(6)]
	latency := r.IntN(400)
	messages := []string{
		fmt.Sprintf("GET /api/v1/orders/%d completed status=%d duration=%dms", 90000+n, status, latency),
		fmt.Sprintf("connection to db-primary timed out after %dms", 1000+n),
		fmt.Sprintf("Connection TIMED OUT on replica %d", n),
		fmt.Sprintf("boundary row %d of %s", n, service),
		fmt.Sprintf("retrying call to pricing-service attempt=%d/5 backoff=%dms", 1+n%5, latency),
		fmt.Sprintf("user_%d logged in from 10.0.0.%d", n, n%256),
	}
	fields := []metaField{
		{"ts", ts.In(metaZones[r.IntN(len(metaZones))]).Format(layout)},
		{"level", []string{"DEBUG", "INFO", "WARN", "ERROR", "FATAL"}[r.IntN(5)]},
		{"service", service},
		{"host", fmt.Sprintf("host-%d", r.IntN(200))},
		{"trace_id", traceID},
		{"status", status},
		{"latency_ms", latency},
		{"message", messages[r.IntN(len(messages))]},
	}
	if r.IntN(2) == 0 {
		var v any = 1 + r.IntN(5)
		if r.IntN(5) < 2 {
			v = []string{"3", "retry-2", "1", "x"}[r.IntN(4)]
		}
		fields = append(fields, metaField{"attempt", v})
	}
	if r.IntN(2) == 0 {
		var v any = r.IntN(3)
		if r.IntN(4) > 0 {
			v = (float64(r.IntN(3000)) + 0.5) / 1000
		}
		fields = append(fields, metaField{"ratio", v})
	}
	if r.IntN(2) == 0 {
		fields = append(fields, metaField{"cached", r.IntN(2) == 0})
	}
	if r.IntN(3) == 0 {
		fields = append(fields, metaField{"req", map[string]int{"bytes": r.IntN(5000)}})
	}
	r.Shuffle(len(fields)-1, func(i, j int) { fields[i+1], fields[j+1] = fields[j+1], fields[i+1] })
	return metaJSONLine(fields), traceID
}

// metaField is one field of a JSON line.
type metaField struct {
	name  string
	value any
}

// metaJSONLine writes fields, in order, as one JSON object and a newline.
func metaJSONLine(fields []metaField) []byte {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, f := range fields {
		if i > 0 {
			b.WriteByte(',')
		}
		name, err := json.Marshal(f.name)
		if err != nil {
			panic(fmt.Sprintf("BUG: marshal %q: %v", f.name, err))
		}
		value, err := json.Marshal(f.value)
		if err != nil {
			panic(fmt.Sprintf("BUG: marshal %v: %v", f.value, err))
		}
		b.Write(name)
		b.WriteByte(':')
		b.Write(value)
	}
	b.WriteString("}\n")
	return b.Bytes()
}

// metaQuery is one generated query and how to compare its answers.
type metaQuery struct {
	sql      string
	orderCol int  // column the answer is ordered by, -1 if none
	tsCol    int  // orderCol when the query orders by ts, else -1
	limited  bool // ordered with a LIMIT: ties at the cut may differ from the reference
	dynamic  bool // reads an extra dynamic column, which the reference lacks
}

// metaGen builds random queries. dynamic records whether the query being
// built reads an extra dynamic column.
type metaGen struct {
	r        *rand.Rand
	traceIDs []string
	dynamic  bool
}

// metaGenQueries returns n queries drawn from r; traceIDs are trace ids of
// the data to look up.
func metaGenQueries(r *rand.Rand, n int, traceIDs []string) []metaQuery {
	g := &metaGen{r: r, traceIDs: traceIDs}
	out := make([]metaQuery, n)
	for i := range out {
		out[i] = g.query()
	}
	return out
}

// query returns one query: about half ordered by ts (with and without a
// small LIMIT), the rest unordered rows, counts and groups. A query that may
// return many rows is confined to a window of at most three hours, which
// keeps the test fast.
func (g *metaGen) query() metaQuery {
	g.dynamic = false
	q := metaQuery{orderCol: -1, tsCol: -1}
	switch k := g.r.IntN(20); {
	case k < 10:
		cols, tsCol := g.projection(true)
		dir := []string{"", " ASC", " DESC"}[g.r.IntN(3)]
		limit := []int{0, 1, 7, 7, 100}[g.r.IntN(5)]
		where := g.optionalWhere()
		if limit == 0 {
			where = g.and(g.window(), where)
		}
		q.sql = fmt.Sprintf("SELECT %s FROM logs%s ORDER BY ts%s", cols, where, dir)
		if limit > 0 {
			q.sql += fmt.Sprintf(" LIMIT %d", limit)
		}
		q.orderCol, q.tsCol, q.limited = tsCol, tsCol, limit > 0
	case k < 14:
		cols, _ := g.projection(false)
		q.sql = fmt.Sprintf("SELECT %s FROM logs%s", cols, g.and(g.window(), g.optionalWhere()))
	case k < 16:
		q.sql = "SELECT COUNT(*) FROM logs" + g.optionalWhere()
	default:
		key := []string{"level", "service", "host", "status", "attempt", "cached"}[g.r.IntN(6)]
		g.noteColumn(key)
		aggs := []string{"COUNT(*)", "COUNT(*), MIN(ts), MAX(ts)", "COUNT(*), MAX(latency_ms)", "COUNT(ratio), MAX(ratio)"}[g.r.IntN(4)]
		g.noteColumn(aggs)
		q.sql = fmt.Sprintf("SELECT %s, %s FROM logs%s GROUP BY %s", key, aggs, g.optionalWhere(), key)
		if g.r.IntN(2) == 0 {
			q.sql += " ORDER BY " + key
			q.orderCol = 0
		}
	}
	q.dynamic = g.dynamic
	return q
}

// projection returns a column list and the position of ts in it (-1 when
// absent); withTS makes sure ts is in it. Now and then it is * (the
// reference has fewer columns) or includes extra dynamic columns.
func (g *metaGen) projection(withTS bool) (string, int) {
	if g.r.IntN(15) == 0 {
		g.dynamic = true
		return "*", 0
	}
	core := []string{"ts", "level", "service", "host", "trace_id", "message", "status", "latency_ms"}
	g.r.Shuffle(len(core), func(i, j int) { core[i], core[j] = core[j], core[i] })
	cols := core[:1+g.r.IntN(5)]
	if g.r.IntN(3) == 0 {
		extra := slices.Clone(metaExtraColumns)
		g.r.Shuffle(len(extra), func(i, j int) { extra[i], extra[j] = extra[j], extra[i] })
		cols = append(cols, extra[:1+g.r.IntN(2)]...)
		g.dynamic = true
	}
	tsCol := slices.Index(cols, "ts")
	if withTS && tsCol < 0 {
		tsCol = g.r.IntN(len(cols) + 1)
		cols = slices.Insert(cols, tsCol, "ts")
	}
	return strings.Join(cols, ", "), tsCol
}

// noteColumn marks the query dynamic when expr names an extra column.
func (g *metaGen) noteColumn(expr string) {
	for _, c := range metaExtraColumns {
		if strings.Contains(expr, strings.Trim(c, "`")) {
			g.dynamic = true
		}
	}
}

// optionalWhere returns a WHERE clause, or nothing one time in five.
func (g *metaGen) optionalWhere() string {
	if g.r.IntN(5) == 0 {
		return ""
	}
	return " WHERE " + g.condition(2)
}

// and joins a condition with a WHERE clause from optionalWhere.
func (g *metaGen) and(cond, where string) string {
	if where == "" {
		return " WHERE " + cond
	}
	return " WHERE " + cond + " AND (" + strings.TrimPrefix(where, " WHERE ") + ")"
}

// condition returns a random boolean expression nested at most depth deep.
func (g *metaGen) condition(depth int) string {
	if depth == 0 {
		return g.atom()
	}
	switch g.r.IntN(8) {
	case 0, 1:
		return g.condition(depth-1) + " AND " + g.condition(depth-1)
	case 2:
		return "(" + g.condition(depth-1) + " OR " + g.condition(depth-1) + ")"
	case 3:
		return "NOT (" + g.condition(depth-1) + ")"
	}
	return g.atom()
}

// atom returns one predicate.
func (g *metaGen) atom() string {
	switch k := g.r.IntN(24); {
	case k < 7:
		return g.tsPredicate()
	case k < 9:
		return "level" + g.eqOrIn([]string{"DEBUG", "INFO", "WARN", "ERROR", "FATAL", "TRACE", "error", "NOPE"})
	case k < 11:
		return "service" + g.eqOrIn(g.services())
	case k < 12:
		return "host" + g.eqOrIn([]string{g.host(), g.host(), g.host(), "host-999", "HOST-7"})
	case k < 13:
		id := "0123456789abcdef"
		if g.r.IntN(8) > 0 {
			id = g.traceIDs[g.r.IntN(len(g.traceIDs))]
		}
		return fmt.Sprintf("trace_id = '%s'", id)
	case k < 16:
		not := []string{"", "", "", "NOT "}[g.r.IntN(4)]
		return fmt.Sprintf("message %sLIKE '%s'", not, metaLikePatterns[g.r.IntN(len(metaLikePatterns))])
	case k < 18:
		return metaNumberPredicates[g.r.IntN(len(metaNumberPredicates))]
	}
	g.dynamic = true
	return metaDynamicPredicates[g.r.IntN(len(metaDynamicPredicates))]
}

// metaLikePatterns are the message patterns: substrings, prefixes,
// suffixes, _ wildcards and case variants of the generated messages.
var metaLikePatterns = []string{
	"%timed out%", "%TIMED OUT%", "GET%", "get /api%", "%ms", "GET /api/v1/____s/%",
	"user\\_%", "%user_%", "retrying call to %-service attempt=_/5%", "boundary row %",
	"health check ok: __ goroutines%", "%payment provider returned error card_declined%", "%no such text%",
}

// metaNumberPredicates compare status and latency_ms, dynamic columns of
// every generated row that the reference table has too.
var metaNumberPredicates = []string{
	"status = 200", "status >= 500", "status IN (404, 503)", "status <> 200", "status BETWEEN 400 AND 499",
	"latency_ms > 100", "latency_ms <= 3", "latency_ms BETWEEN 10 AND 20", "latency_ms = 0", "status IS NULL",
}

// metaDynamicPredicates read the extra dynamic columns, mostly NULL.
var metaDynamicPredicates = []string{
	"attempt = '3'", "attempt = 'retry-2'", "attempt IN ('1', '2', 'x')", "attempt LIKE 'retry%'", "attempt > '2'",
	"attempt IS NULL", "attempt IS NOT NULL",
	"ratio > 0.5", "ratio <= 2", "ratio = 1", "ratio IS NULL", "ratio IS NOT NULL",
	"cached", "NOT cached", "cached = TRUE", "cached IS NULL", "cached IS NOT NULL",
	"`req.bytes` > 1000", "`req.bytes` BETWEEN 100 AND 2000", "`req.bytes` IS NULL",
}

// eqOrIn returns "= v" or "IN (...)" over values.
func (g *metaGen) eqOrIn(values []string) string {
	if g.r.IntN(2) == 0 {
		return fmt.Sprintf(" = '%s'", values[g.r.IntN(len(values))])
	}
	n := 2 + g.r.IntN(3)
	in := make([]string, n)
	for i := range in {
		in[i] = "'" + values[g.r.IntN(len(values))] + "'"
	}
	return " IN (" + strings.Join(in, ", ") + ")"
}

// services returns service names to compare with: mostly busy services,
// some quiet ones, the extra lines' own service, a case variant and one that
// does not exist.
func (g *metaGen) services() []string {
	return []string{
		fmt.Sprintf("svc-%d", g.r.IntN(6)), fmt.Sprintf("svc-%d", g.r.IntN(6)), fmt.Sprintf("svc-%d", g.r.IntN(50)),
		"billing-worker", "SVC-1", "svc-99",
	}
}

// host returns a host name of the data.
func (g *metaGen) host() string { return fmt.Sprintf("host-%d", g.r.IntN(200)) }

// tsPredicate returns a comparison of ts with one or two instants.
func (g *metaGen) tsPredicate() string {
	switch g.r.IntN(7) {
	case 0:
		return "ts >= " + g.instant()
	case 1:
		return "ts > " + g.instant()
	case 2:
		return "ts < " + g.instant()
	case 3:
		return "ts <= " + g.instant()
	case 4:
		return "ts = " + metaLiteral(metaTieInstants[g.r.IntN(len(metaTieInstants))], g.r.IntN(2) == 0)
	}
	return g.window()
}

// window returns a ts range of at most three hours that starts at or up to
// 90 minutes before an instant of instantTime, so often across a bucket or
// day boundary.
func (g *metaGen) window() string {
	from := g.instantTime().Add(-time.Duration(g.r.Int64N(int64(90 * time.Minute)))).Truncate(time.Second)
	if g.r.IntN(3) == 0 {
		from = g.instantTime()
	}
	to := from.Add(time.Duration(1 + g.r.Int64N(int64(3*time.Hour)-1))).Truncate(time.Microsecond)
	full := g.r.IntN(2) == 0
	switch g.r.IntN(3) {
	case 0:
		return fmt.Sprintf("ts BETWEEN %s AND %s", metaLiteral(from, full), metaLiteral(to, full))
	case 1:
		return fmt.Sprintf("ts >= %s AND ts < %s", metaLiteral(from, full), metaLiteral(to, full))
	}
	return fmt.Sprintf("ts > %s AND ts <= %s", metaLiteral(from, full), metaLiteral(to, full))
}

// instant returns a ts literal from instantTime.
func (g *metaGen) instant() string { return metaLiteral(g.instantTime(), g.r.IntN(2) == 0) }

// instantTime returns an instant worth comparing with: an instant of equal
// timestamps, an hour boundary (which is a bucket boundary for some
// configurations and a midnight one time in 24), a microsecond either side
// of one, or any instant around the data.
func (g *metaGen) instantTime() time.Time {
	hour := dataStart.Add(time.Duration(g.r.IntN(metaDays*24+1)) * time.Hour)
	switch g.r.IntN(8) {
	case 0, 1, 2:
		return metaTieInstants[g.r.IntN(len(metaTieInstants))]
	case 3, 4:
		return hour
	case 5:
		return hour.Add(time.Duration(2*g.r.IntN(2)-1) * time.Microsecond)
	}
	span := int64(metaDays*24+2) * int64(time.Hour)
	return dataStart.Add(-time.Hour + time.Duration(g.r.Int64N(span))).Truncate(time.Microsecond)
}

// metaLiteral writes ts as a SQL literal, with all six fraction digits when
// full is set and with as many as it needs otherwise.
func metaLiteral(ts time.Time, full bool) string {
	if full {
		return ts.UTC().Format("'2006-01-02 15:04:05.000000'")
	}
	return ts.UTC().Format("'2006-01-02 15:04:05.999999'")
}
