package engine

import (
	"context"
	"errors"
	"regexp"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/vitess/go/mysql"
	"github.com/dolthub/vitess/go/sqltypes"
)

// QueryLimits makes max_execution_time hold, which go-mysql-server v0.20.0
// accepts and ignores (GMS-NOTES.md), and answers a killed query with
// MySQL's errors: a SELECT running past its limit (the MAX_EXECUTION_TIME(n)
// hint, else the session's max_execution_time, in milliseconds; 0 is none)
// is killed as KILL QUERY would kill it, and fails with ER_QUERY_TIMEOUT
// (3024); one killed by KILL QUERY fails with ER_QUERY_INTERRUPTED (1317)
// instead of a bare "context canceled". As in MySQL, the limit applies to
// read-only SELECT statements only.
//
// It also bounds the memory every statement may hold (WithQueryMemoryLimit,
// memlimit.go): past it the statement fails with ER_OUT_OF_RESOURCES
// (1041). A session may lower its limit with SET logq_query_memory_limit
// (bytes), never raise it past the server's. And it kills the statement of
// a client that went away (peer.go), which go-mysql-server notices only
// for results of many rows, every 5 s: a COUNT(*) over a self-join ran on
// for its client long gone.
//
// Use SessionBuilder for the server's sessions and Wrap (after
// compat.MySQLWire) for its handler. Safe for concurrent use.
type QueryLimits struct {
	processes   sql.ProcessList
	sessions    sync.Map // connection ID (uint32) → sql.Session
	running     sync.Map // *memBudget → struct{}: the budgets of running statements
	memoryLimit int64    // bytes a statement may hold; 0: none
	stats       LimitStats
}

// LimitStats counts what the limits did since start.
type LimitStats struct {
	// MemoryExceeded counts statements failed for their memory limit.
	MemoryExceeded atomic.Int64
	// ClientGoneKills counts statements killed because their client
	// closed the connection while they ran.
	ClientGoneKills atomic.Int64
}

// LimitsOption configures QueryLimits.
type LimitsOption func(*QueryLimits)

// WithQueryMemoryLimit bounds the memory one statement may hold in the
// operators that keep rows (sorts, groups, DISTINCT keys, hash join
// tables; memlimit.go) to bytes; 0 or less: no limit (the default).
func WithQueryMemoryLimit(bytes int64) LimitsOption {
	return func(l *QueryLimits) { l.memoryLimit = max(bytes, 0) }
}

// NewQueryLimits returns the limits of an engine whose processes (its
// ProcessList) run the queries.
func NewQueryLimits(processes sql.ProcessList, opts ...LimitsOption) *QueryLimits {
	l := &QueryLimits{processes: processes}
	for _, o := range opts {
		o(l)
	}
	return l
}

// Stats returns the counters of the limits, for metrics.
func (l *QueryLimits) Stats() *LimitStats { return &l.stats }

// MemoryLimit returns the server's per-statement memory limit in bytes; 0:
// none.
func (l *QueryLimits) MemoryLimit() int64 { return l.memoryLimit }

// MemoryHeld returns the bytes the running statements hold in sorts,
// groups, DISTINCT keys and join tables, as charged against their limits
// (statements without a limit are not counted). It sums the budgets of the
// statements running now, so that a charge an operator forgot to give back
// ends with its statement instead of staying in the figure.
func (l *QueryLimits) MemoryHeld() int64 {
	var n int64
	l.running.Range(func(k, _ any) bool {
		n += max(k.(*memBudget).used.Load(), 0)
		return true
	})
	return n
}

// SetDefaultExecutionTime sets the global max_execution_time that new
// sessions start with; 0 sets none.
func SetDefaultExecutionTime(d time.Duration) error {
	return sql.SystemVariables.AssignValues(map[string]any{"max_execution_time": d.Milliseconds()})
}

// SetMaxAllowedPacket sets the max_allowed_packet that sessions read: the
// server's limit on a client's request (the MySQL listener enforces it);
// 0 leaves go-mysql-server's 1 GiB.
func SetMaxAllowedPacket(n int64) error {
	if n == 0 {
		return nil
	}
	return sql.SystemVariables.AssignValues(map[string]any{"max_allowed_packet": n})
}

// SessionBuilder is engine.SessionBuilder that also remembers the session,
// to read its max_execution_time at every query.
func (l *QueryLimits) SessionBuilder(ctx context.Context, conn *mysql.Conn, addr string) (sql.Session, error) {
	s, err := SessionBuilder(ctx, conn, addr)
	if err == nil {
		l.sessions.Store(conn.ConnectionID, s)
	}
	return s, err
}

// Wrap returns h with the limits applied.
func (l *QueryLimits) Wrap(h mysql.Handler) (mysql.Handler, error) {
	return &limitedHandler{Handler: h, l: l}, nil
}

type limitedHandler struct {
	mysql.Handler
	l *QueryLimits
}

func (h *limitedHandler) ComQuery(ctx context.Context, c *mysql.Conn, query string, callback mysql.ResultSpoolFn) error {
	run := h.l.start(c, query)
	return run.finish(h.Handler.ComQuery(withBudget(ctx, run.budget), c, query, callback))
}

func (h *limitedHandler) ComMultiQuery(ctx context.Context, c *mysql.Conn, query string, callback mysql.ResultSpoolFn) (string, error) {
	run := h.l.start(c, query)
	rest, err := h.Handler.ComMultiQuery(withBudget(ctx, run.budget), c, query, callback)
	return rest, run.finish(err)
}

func (h *limitedHandler) ComStmtExecute(ctx context.Context, c *mysql.Conn, prepare *mysql.PrepareData, callback func(*sqltypes.Result) error) error {
	run := h.l.start(c, prepare.PrepareStmt)
	return run.finish(h.Handler.ComStmtExecute(withBudget(ctx, run.budget), c, prepare, callback))
}

func (h *limitedHandler) ConnectionClosed(c *mysql.Conn) {
	h.l.sessions.Delete(c.ConnectionID)
	h.Handler.ConnectionClosed(c)
}

// limitedRun is one statement under its limits.
type limitedRun struct {
	l      *QueryLimits
	id     uint32     // the connection's
	budget *memBudget // nil: no memory limit
	limit  time.Duration

	mu      sync.Mutex
	timer   *time.Timer // max_execution_time
	watch   *time.Timer // the next check of the client (peer.go)
	done    bool
	expired bool // killed by its time limit
	gone    bool // killed because its client went away
}

// start arms the limits of query on connection c.
func (l *QueryLimits) start(c *mysql.Conn, query string) *limitedRun {
	s := l.session(c.ConnectionID)
	run := &limitedRun{l: l, id: c.ConnectionID, limit: limitOf(s, query), budget: l.budgetOf(s)}
	if run.budget != nil {
		l.running.Store(run.budget, struct{}{})
	}
	if run.limit > 0 {
		run.timer = time.AfterFunc(run.limit, func() {
			run.mu.Lock()
			defer run.mu.Unlock()
			if !run.done { // never the next statement of the connection
				run.expired = true
				l.processes.Kill(run.id)
			}
		})
	}
	run.watchClient(c.Conn)
	return run
}

// finish disarms the limits and returns the statement's error as MySQL
// gives it.
func (r *limitedRun) finish(err error) error {
	r.mu.Lock()
	r.done = true
	expired := r.expired
	if r.watch != nil {
		r.watch.Stop()
	}
	r.mu.Unlock()
	if r.timer != nil {
		r.timer.Stop()
	}
	if r.budget != nil {
		r.l.running.Delete(r.budget)
	}
	switch {
	case err == nil:
		return nil
	case r.budget.exceeded():
		// Whatever go-mysql-server made of the error on its way up.
		r.l.stats.MemoryExceeded.Add(1)
		return r.budget.error()
	case expired:
		return mysql.NewSQLError(mysql.ERQueryTimeout, mysql.SSUnknownSQLState,
			"Query execution was interrupted, maximum statement execution time exceeded (%v)", r.limit)
	case errors.Is(err, context.Canceled) || isCanceledText(err):
		return mysql.NewSQLError(mysql.ERQueryInterrupted, "70100", "Query execution was interrupted")
	}
	return err
}

// isCanceledText reports a cancellation that reached here only as text:
// go-mysql-server turns it into an SQLError 1105 "context canceled".
func isCanceledText(err error) bool {
	var se *mysql.SQLError
	return errors.As(err, &se) && se.Num == mysql.ERUnknownError && se.Message == context.Canceled.Error()
}

// selectHint finds a read-only SELECT and its MAX_EXECUTION_TIME hint,
// which MySQL reads only right after the statement's first SELECT.
var (
	selectStart = regexp.MustCompile(`(?is)^\s*(?:/\*[^+].*?\*/\s*|\(\s*)*(?:select|with)\b`)
	hintLimit   = regexp.MustCompile(`(?is)^\s*(?:/\*[^+].*?\*/\s*|\(\s*)*select\s*/\*\+[^*]*?\bmax_execution_time\s*\(\s*(\d+)\s*\)`)
)

// session returns the session of connection id; nil when unknown.
func (l *QueryLimits) session(id uint32) sql.Session {
	s, ok := l.sessions.Load(id)
	if !ok {
		return nil
	}
	return s.(sql.Session)
}

// limitOf returns the time limit of query in session s: the hint's, else
// the session's max_execution_time; 0 when none, or when query is not a
// SELECT.
func limitOf(s sql.Session, query string) time.Duration {
	if !selectStart.MatchString(query) || selectsInto(query) {
		return 0
	}
	if m := hintLimit.FindStringSubmatch(query); m != nil {
		ms, err := strconv.ParseInt(m[1], 10, 64)
		if err == nil {
			return time.Duration(ms) * time.Millisecond
		}
	}
	return time.Duration(sessionInt(s, "max_execution_time")) * time.Millisecond
}

// budgetOf returns the memory budget of a statement of session s: the
// server's limit, or the session's logq_query_memory_limit when lower.
func (l *QueryLimits) budgetOf(s sql.Session) *memBudget {
	limit, source := l.memoryLimit, "--query-memory-limit"
	if v := sessionInt(s, queryMemoryLimitVar); v > 0 && (limit == 0 || v < limit) {
		limit, source = v, queryMemoryLimitVar
	}
	return newMemBudget(limit, source)
}

// sessionInt returns the integer session variable name of s; 0 when s is
// nil or the value is not a positive integer.
func sessionInt(s sql.Session, name string) int64 {
	if s == nil {
		return 0
	}
	// The base session reads its map without the context; making one
	// (sql.NewEmptyContext) cost 20 µs, a tenth of SELECT 1.
	v, err := s.GetSessionVariable(nil, name)
	if err != nil {
		return 0
	}
	n, ok := v.(int64)
	if !ok || n <= 0 {
		return 0
	}
	return n
}

// selectsInto reports SELECT ... INTO, which MySQL does not limit (it is
// not read-only); logq refuses its file forms anyway.
var selectsIntoRE = regexp.MustCompile(`(?i)\binto\s+(@|outfile\b|dumpfile\b)`)

func selectsInto(query string) bool { return selectsIntoRE.MatchString(query) }
