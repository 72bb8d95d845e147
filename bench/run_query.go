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
	targetMS float64 // issue 3's target for the median at 10M rows; 0: none
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
}

// queryTargetsMS are issue 3's targets on the 2-core machine, in ms.
var queryTargetsMS = map[string]float64{"Q1": 2, "Q2": 5, "Q6": 5, "Q9": 60}

// defaultQueries is the --queries default: issue 3's queries (the floor
// always runs with them).
const defaultQueries = "Q1,Q2,Q6,Q9"

// parseQueryList parses --queries: a comma-separated list of Q1..Q10 (any
// case), "all" for the ten, "floor", or "none" for no query phase. It
// returns the ids in a fixed order, the floor first, so that runs compare.
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
		case id == "FLOOR":
		case workloadSQL[id] != "":
			set[id] = true
		default:
			return nil, fmt.Errorf("--queries: unknown query %q (want Q1..Q10, all, floor or none)", strings.TrimSpace(f))
		}
	}
	ids := []string{floorID}
	for i := 1; i <= 10; i++ {
		if id := "Q" + strconv.Itoa(i); set[id] {
			ids = append(ids, id)
		}
	}
	return ids, nil
}

// buildQueries returns the queries of ids; Q6 looks up traceID.
func buildQueries(ids []string, traceID string) []workloadQuery {
	qs := make([]workloadQuery, 0, len(ids))
	for _, id := range ids {
		q := workloadQuery{id: id, sql: workloadSQL[id], targetMS: queryTargetsMS[id]}
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
// time from sending the query to reading the last row.
func (c *queryClient) runOnce(ctx context.Context, q string) (int64, time.Duration, error) {
	ctx, cancel := context.WithTimeout(ctx, queryRunTimeout)
	defer cancel()
	t0 := time.Now()
	rows, err := c.conn.QueryContext(ctx, q)
	if err != nil {
		return 0, 0, err
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return 0, 0, err
	}
	raw := make([]gosql.RawBytes, len(cols))
	dest := make([]any, len(cols))
	for i := range raw {
		dest[i] = &raw[i]
	}
	var n int64
	for rows.Next() {
		if err := rows.Scan(dest...); err != nil {
			return n, 0, err
		}
		n++
	}
	if err := rows.Err(); err != nil {
		return n, 0, err
	}
	return n, time.Since(t0), nil
}

// timeQuery runs q once untimed (to warm caches and plans) and then runs
// times. A failed run ends the query with Error set; a row count that
// changes between runs is an error too, since the figures would not be of
// one answer. It returns ctx's error only when ctx is done.
func (c *queryClient) timeQuery(ctx context.Context, q string, runs int) (QueryTiming, error) {
	var t QueryTiming
	fail := func(err error) (QueryTiming, error) {
		if ctx.Err() != nil {
			return t, ctx.Err()
		}
		t.Error = err.Error()
		return t, c.reconnect(ctx)
	}
	n, _, err := c.runOnce(ctx, q)
	if err != nil {
		return fail(fmt.Errorf("warm-up: %w", err))
	}
	t.Rows = n
	durs := make([]time.Duration, 0, runs)
	for range runs {
		n, d, err := c.runOnce(ctx, q)
		if err != nil {
			return fail(err)
		}
		if n != t.Rows {
			return fail(fmt.Errorf("row count changed between runs: %d, then %d", t.Rows, n))
		}
		durs = append(durs, d)
	}
	t.setRuns(durs)
	return t, nil
}

// runQueries times every query over one connection to addr; who names the
// server in progress lines. It fails only when it cannot connect or ctx is
// done; a failing query is recorded in its QueryTiming.
func runQueries(ctx context.Context, addr, who string, qs []workloadQuery, runs int, log func(string, ...any)) ([]QueryTiming, error) {
	c, err := openClient(ctx, addr)
	if err != nil {
		return nil, fmt.Errorf("%s at %s: %w", who, addr, err)
	}
	defer c.close()
	out := make([]QueryTiming, 0, len(qs))
	for _, q := range qs {
		t, err := c.timeQuery(ctx, q.sql, runs)
		if err != nil {
			return nil, fmt.Errorf("%s %s: %w", who, q.id, err)
		}
		if t.Error != "" {
			log("%s %s: ERROR: %s", who, q.id, t.Error)
		} else {
			log("%s %s: %d rows, median %s ms, min %s ms", who, q.id, t.Rows, fmtMS(t.MedianMS), fmtMS(t.MinMS))
		}
		out = append(out, t)
	}
	return out, nil
}

// setRuns stores the runs and their median and min, in milliseconds.
func (t *QueryTiming) setRuns(durs []time.Duration) {
	t.RunsMS = make([]float64, len(durs))
	for i, d := range durs {
		t.RunsMS[i] = float64(d.Nanoseconds()) / 1e6
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
