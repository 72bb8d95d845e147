package bench

import (
	"context"
	gosql "database/sql"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	_ "github.com/go-sql-driver/mysql" // the client a user's program would use
)

// floorID names the floor: `SELECT 1`, the cost of a round trip through the
// same client and server, against which the workload's figures are read.
const floorID = "floor"

// workloadQuery is one query of the query phase.
type workloadQuery struct {
	id       string
	sql      string
	targetMS float64     // the issues' target for the median at 10M rows; 0: none
	shape    answerShape // how its answers compare
}

// workloadSQL holds WORKLOAD.md's queries by id; Q6's %s is a trace_id that
// exists in the data.
var workloadSQL = map[string]string{
	floorID: "SELECT 1",
	"Q1":    "SELECT ts, service, host, message FROM logs WHERE ts >= '2026-11-03 10:00:00' AND ts < '2026-11-03 11:00:00' AND level = 'ERROR' AND service = 'svc-3' ORDER BY ts DESC LIMIT 100",
	"Q2":    "SELECT ts, level, service, message FROM logs ORDER BY ts DESC LIMIT 100",
	"Q3":    "SELECT level, COUNT(*) FROM logs GROUP BY level ORDER BY level",
	"Q4":    "SELECT UNIX_TIMESTAMP(ts) DIV 300 * 300 AS time, COUNT(*) AS n FROM logs WHERE ts BETWEEN FROM_UNIXTIME(1793836800) AND FROM_UNIXTIME(1793923200) AND level IN ('ERROR','FATAL') GROUP BY 1 ORDER BY 1",
	"Q5":    "SELECT COUNT(*) FROM logs WHERE message LIKE '%timed out%' AND ts >= '2026-11-02 00:00:00' AND ts < '2026-11-03 00:00:00'",
	"Q6":    "SELECT ts, service, message FROM logs WHERE trace_id = '%s'",
	"Q7":    "SELECT service, COUNT(*) AS n FROM logs WHERE level = 'ERROR' GROUP BY service ORDER BY n DESC, service LIMIT 10",
	"Q8":    "SELECT service, AVG(latency_ms), MAX(latency_ms) FROM logs WHERE ts >= '2026-11-04 00:00:00' AND ts < '2026-11-05 00:00:00' GROUP BY service ORDER BY service",
	"Q9":    "SELECT ts, level, service, message FROM logs WHERE ts >= '2026-11-05 00:00:00' AND ts < '2026-11-05 01:00:00' ORDER BY ts",
	"Q10":   "SELECT COUNT(*) FROM logs",

	// The panels of server/grafana's dashboard over one day, as Grafana
	// expands their macros with every service chosen, and the metadata
	// queries of Grafana's query builder.
	"G1": "SELECT UNIX_TIMESTAMP(ts) DIV 300 * 300 AS \"time\", level AS metric, COUNT(*) AS value FROM logs " +
		"WHERE ts BETWEEN FROM_UNIXTIME(1793836800) AND FROM_UNIXTIME(1793923200) AND service IN (" + allServices + ") GROUP BY 1, 2 ORDER BY 1",
	"G2": "SELECT service, COUNT(*) AS errors FROM logs WHERE ts BETWEEN FROM_UNIXTIME(1793836800) AND FROM_UNIXTIME(1793923200) " +
		"AND level IN ('ERROR', 'FATAL') AND service IN (" + allServices + ") GROUP BY service ORDER BY errors DESC, service LIMIT 20",
	"G3": "SELECT ts AS time, level, service, host, message FROM logs WHERE ts BETWEEN FROM_UNIXTIME(1793836800) AND FROM_UNIXTIME(1793923200) " +
		"AND level IN ('ERROR', 'FATAL') AND service IN (" + allServices + ") ORDER BY ts DESC LIMIT 1000",
	"G4": "SELECT DISTINCT service FROM logs ORDER BY service",
	"G5": "SELECT DISTINCT host FROM logs ORDER BY host LIMIT 100",
	"G6": "SELECT COLUMN_NAME FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = 'logq' AND TABLE_NAME = 'logs' ORDER BY ORDINAL_POSITION",

	// Q5 as regular expressions (issue 14: REGEXP at most 3 times the
	// equivalent LIKE): the same literal, and one with a character class.
	"R1": "SELECT COUNT(*) FROM logs WHERE message REGEXP 'timed out' AND ts >= '2026-11-02 00:00:00' AND ts < '2026-11-03 00:00:00'",
	"R2": "SELECT COUNT(*) FROM logs WHERE message REGEXP 'timed out after [0-9]+ms' AND ts >= '2026-11-02 00:00:00' AND ts < '2026-11-03 00:00:00'",
}

// allServices is the IN list of Grafana's $service with All chosen: every
// service of the generated data.
var allServices = func() string {
	var quoted []string
	for _, name := range services.names {
		quoted = append(quoted, "'"+name+"'")
	}
	return strings.Join(quoted, ", ")
}()

// grafanaIDs are the Grafana queries, in report order.
var grafanaIDs = []string{"G1", "G2", "G3", "G4", "G5", "G6"}

// regexpIDs are the regular expression queries, in report order.
var regexpIDs = []string{"R1", "R2"}

// workloadShapes holds the ORDER BY of each query whose answer has one
// (the others compare as multisets). Q7's key, n then service, is unique:
// its order is total.
var workloadShapes = map[string]answerShape{
	"Q1": {order: []int{0}, limited: true},
	"Q2": {order: []int{0}, limited: true},
	"Q3": {order: []int{0}},
	"Q4": {order: []int{0}},
	"Q7": {order: []int{1, 0}, limited: true},
	"Q8": {order: []int{0}},
	"Q9": {order: []int{0}},
	"G1": {order: []int{0}},
	"G2": {order: []int{1, 0}, limited: true},
	"G3": {order: []int{0}, limited: true},
	"G4": {order: []int{0}},
	"G5": {order: []int{0}, limited: true},
}

// queryTargetsMS are the targets on the 2-core machine, in ms: issue 3's
// (Q1, Q2, Q6, Q9) and issue 5's (the aggregates).
var queryTargetsMS = map[string]float64{
	"Q1": 2, "Q2": 5, "Q6": 5, "Q9": 60,
	"Q3": 2, "Q10": 2, "Q4": 10, "Q7": 10, "Q8": 10, "Q5": 40,
	// Issue 6: Grafana's queries within the aggregation issue's targets.
	"G1": 10, "G2": 10, "G4": 10, "G5": 10, "G6": 10,
	// Issue 14: three times Q5's target.
	"R1": 120, "R2": 120,
}

// defaultQueries is the --queries default: all of WORKLOAD.md's queries
// (the floor always runs with them).
const defaultQueries = "all"

// parseQueryList parses --queries: a comma-separated list of Q1..Q10 and
// G1..G6 (any case), "all" for the ten Q, "grafana" for the six G,
// "floor", or "none" for no query phase. It returns the ids in a fixed
// order, the floor first, so that runs compare.
func parseQueryList(s string) ([]string, error) {
	s = strings.TrimSpace(s)
	if strings.EqualFold(s, "none") {
		return nil, nil
	}
	set := map[string]bool{floorID: true}
	for f := range strings.SplitSeq(s, ",") {
		id := strings.ToUpper(strings.TrimSpace(f))
		switch {
		case id == "ALL":
			for i := 1; i <= 10; i++ {
				set["Q"+strconv.Itoa(i)] = true
			}
		case id == "GRAFANA":
			for _, g := range grafanaIDs {
				set[g] = true
			}
		case id == "REGEXP":
			for _, r := range regexpIDs {
				set[r] = true
			}
		case id == "FLOOR":
		case workloadSQL[id] != "":
			set[id] = true
		default:
			return nil, fmt.Errorf("--queries: unknown query %q (want Q1..Q10, G1..G6, R1, R2, all, grafana, regexp, floor or none)", strings.TrimSpace(f))
		}
	}
	ids := []string{floorID}
	for i := 1; i <= 10; i++ {
		if id := "Q" + strconv.Itoa(i); set[id] {
			ids = append(ids, id)
		}
	}
	for _, g := range append(slices.Clone(grafanaIDs), regexpIDs...) {
		if set[g] {
			ids = append(ids, g)
		}
	}
	return ids, nil
}

// buildQueries returns the queries of ids; Q6 looks up traceID.
func buildQueries(ids []string, traceID string) []workloadQuery {
	qs := make([]workloadQuery, 0, len(ids))
	for _, id := range ids {
		q := workloadQuery{id: id, sql: workloadSQL[id], targetMS: queryTargetsMS[id], shape: workloadShapes[id]}
		if id == "Q6" {
			q.sql = fmt.Sprintf(q.sql, strings.ReplaceAll(traceID, "'", "''"))
		}
		qs = append(qs, q)
	}
	return qs
}

// clientDSN is the go-sql-driver DSN of the logq database at addr, with the
// session time zone WORKLOAD.md's queries are written in.
func clientDSN(addr string) string {
	return fmt.Sprintf("root@tcp(%s)/logq?time_zone=%%27%%2B00%%3A00%%27", addr)
}

// queryClient runs queries over one connection, so that every run is
// timed on a warm connection and none pays for a connect.
type queryClient struct {
	db   *gosql.DB
	conn *gosql.Conn
}

// openClient connects to the MySQL server at addr.
func openClient(ctx context.Context, addr string) (*queryClient, error) {
	db, err := gosql.Open("mysql", clientDSN(addr))
	if err != nil {
		return nil, err
	}
	c := &queryClient{db: db}
	if err := c.reconnect(ctx); err != nil {
		return nil, errors.Join(err, db.Close())
	}
	return c, nil
}

// reconnect replaces the connection; a cancelled or failed query may leave
// the old one unusable.
func (c *queryClient) reconnect(ctx context.Context) error {
	if c.conn != nil {
		_ = c.conn.Close() // it may be broken; the pool drops it either way
	}
	conn, err := c.db.Conn(ctx)
	if err != nil {
		return fmt.Errorf("connect: %w", err)
	}
	if err := conn.PingContext(ctx); err != nil {
		return errors.Join(fmt.Errorf("connect: %w", err), conn.Close())
	}
	c.conn = conn
	return nil
}

// close closes the connection and the pool; it is safe to call twice.
func (c *queryClient) close() error {
	var err error
	if c.conn != nil {
		err = c.conn.Close()
		c.conn = nil
	}
	return errors.Join(err, c.db.Close())
}

// runOnce runs q and reads every row into sql.RawBytes (no conversion, as
// a client streaming the result out would), returning the rows and the
// time from sending the query to reading the last row. With capture set it
// also returns the whole answer, copied out of the driver's buffers (the
// warm-up does this; the copy is not timed work of a timed run).
func (c *queryClient) runOnce(ctx context.Context, q string, capture bool) (int64, time.Duration, *answer, error) {
	ctx, cancel := context.WithTimeout(ctx, queryRunTimeout)
	defer cancel()
	t0 := time.Now()
	rows, err := c.conn.QueryContext(ctx, q)
	if err != nil {
		return 0, 0, nil, err
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return 0, 0, nil, err
	}
	var ans *answer
	if capture {
		if ans, err = newAnswer(rows); err != nil {
			return 0, 0, nil, err
		}
	}
	raw := make([]gosql.RawBytes, len(cols))
	dest := make([]any, len(cols))
	for i := range raw {
		dest[i] = &raw[i]
	}
	var n int64
	for rows.Next() {
		if err := rows.Scan(dest...); err != nil {
			return n, 0, nil, err
		}
		if ans != nil {
			ans.add(raw)
		}
		n++
	}
	if err := rows.Err(); err != nil {
		return n, 0, nil, err
	}
	return n, time.Since(t0), ans, nil
}

// runPolicy says how many timed runs a query gets after its warm-up.
type runPolicy struct {
	// runs is the number of timed runs, or with a budget the most.
	runs int
	// budget, when positive, ends the runs once the warm-up and the runs
	// so far have taken this long; at least one timed run is made. The
	// baseline has a budget: its slowest queries take tens of seconds a
	// run at 10M rows, and a fixed count would make it most of the
	// benchmark.
	budget time.Duration
}

// more reports whether another timed run is due after done runs that,
// with the warm-up, took spent.
func (p runPolicy) more(done int, spent time.Duration) bool {
	if done >= p.runs {
		return false
	}
	return done == 0 || p.budget <= 0 || spent < p.budget
}

// queryOutcome is what running one query on one server gave.
type queryOutcome struct {
	timing QueryTiming
	answer *answer      // the warm-up's answer; nil when it failed
	plan   *PlanFigures // logq's plan figures; nil on the baseline or when not collected
}

// timeQuery runs q once untimed (the warm-up, which warms caches and
// plans and captures the answer that is compared) and then timed as the
// policy says. With plans set it also collects the plan figures around
// the warm-up. A failed run ends the query with Error set; a row count
// that changes between runs is an error too, since the figures would not
// be of one answer. It returns ctx's error only when ctx is done.
func (c *queryClient) timeQuery(ctx context.Context, q workloadQuery, p runPolicy, plans *planSource) (queryOutcome, error) {
	var out queryOutcome
	fail := func(err error) (queryOutcome, error) {
		if ctx.Err() != nil {
			return out, ctx.Err()
		}
		out.timing.Error = err.Error()
		out.answer, out.plan = nil, nil
		return out, c.reconnect(ctx)
	}
	if plans != nil && q.id != floorID {
		var err error
		if out.plan, err = plans.start(ctx, c, q.sql); err != nil {
			return fail(err)
		}
	}
	t0 := time.Now()
	n, warm, ans, err := c.runOnce(ctx, q.sql, true)
	if err != nil {
		return fail(fmt.Errorf("warm-up: %w", err))
	}
	spent := time.Since(t0)
	if out.plan != nil {
		out.plan = plans.finish(ctx, out.plan)
	}
	out.timing.Rows, out.timing.WarmupMS, out.answer = n, ms(warm), ans
	var durs []time.Duration
	for p.more(len(durs), spent) {
		n, d, _, err := c.runOnce(ctx, q.sql, false)
		if err != nil {
			return fail(err)
		}
		if n != out.timing.Rows {
			return fail(fmt.Errorf("row count changed between runs: %d, then %d", out.timing.Rows, n))
		}
		durs = append(durs, d)
		spent += d
	}
	out.timing.setRuns(durs)
	return out, nil
}

// runQueries times every query over one connection to addr; who names the
// server in progress lines, and plans, when not nil, collects logq's plan
// figures. It fails only when it cannot connect or ctx is done; a failing
// query is recorded in its QueryTiming.
func runQueries(ctx context.Context, addr, who string, qs []workloadQuery, p runPolicy, plans *planSource, log func(string, ...any)) ([]queryOutcome, error) {
	c, err := openClient(ctx, addr)
	if err != nil {
		return nil, fmt.Errorf("%s at %s: %w", who, addr, err)
	}
	defer c.close()
	out := make([]queryOutcome, 0, len(qs))
	for _, q := range qs {
		o, err := c.timeQuery(ctx, q, p, plans)
		if err != nil {
			return nil, fmt.Errorf("%s %s: %w", who, q.id, err)
		}
		if t := o.timing; t.Error != "" {
			log("%s %s: ERROR: %s", who, q.id, t.Error)
		} else {
			log("%s %s: %d rows, median %s ms, min %s ms of %d runs (warm-up %s ms)", who, q.id, t.Rows, fmtMS(t.MedianMS), fmtMS(t.MinMS), t.Runs, fmtMS(t.WarmupMS))
		}
		out = append(out, o)
	}
	return out, nil
}

// setRuns stores the runs and their median and min, in milliseconds.
func (t *QueryTiming) setRuns(durs []time.Duration) {
	t.Runs = len(durs)
	t.RunsMS = make([]float64, len(durs))
	for i, d := range durs {
		t.RunsMS[i] = ms(d)
	}
	s := slices.Sorted(slices.Values(t.RunsMS))
	if len(s) == 0 {
		return
	}
	t.MinMS = s[0]
	t.MedianMS = s[len(s)/2]
	if len(s)%2 == 0 {
		t.MedianMS = (s[len(s)/2-1] + s[len(s)/2]) / 2
	}
}

// ms converts d to milliseconds.
func ms(d time.Duration) float64 { return float64(d.Nanoseconds()) / 1e6 }
