package engine

import (
	"context"
	"errors"
	"regexp"
	"strconv"
	"sync"
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
// Use SessionBuilder for the server's sessions and Wrap (after MySQLWire)
// for its handler. Safe for concurrent use.
type QueryLimits struct {
	processes sql.ProcessList
	sessions  sync.Map // connection ID (uint32) → sql.Session
}

// NewQueryLimits returns the limits of an engine whose processes (its
// ProcessList) run the queries.
func NewQueryLimits(processes sql.ProcessList) *QueryLimits {
	return &QueryLimits{processes: processes}
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
	return run.finish(h.Handler.ComQuery(ctx, c, query, callback))
}

func (h *limitedHandler) ComMultiQuery(ctx context.Context, c *mysql.Conn, query string, callback mysql.ResultSpoolFn) (string, error) {
	run := h.l.start(c, query)
	rest, err := h.Handler.ComMultiQuery(ctx, c, query, callback)
	return rest, run.finish(err)
}

func (h *limitedHandler) ComStmtExecute(ctx context.Context, c *mysql.Conn, prepare *mysql.PrepareData, callback func(*sqltypes.Result) error) error {
	run := h.l.start(c, prepare.PrepareStmt)
	return run.finish(h.Handler.ComStmtExecute(ctx, c, prepare, callback))
}

func (h *limitedHandler) ConnectionClosed(c *mysql.Conn) {
	h.l.sessions.Delete(c.ConnectionID)
	h.Handler.ConnectionClosed(c)
}

// limitedRun is one statement under its limit.
type limitedRun struct {
	mu      sync.Mutex
	timer   *time.Timer
	done    bool
	expired bool
	limit   time.Duration
}

// start arms the limit of query on connection c, if it has one.
func (l *QueryLimits) start(c *mysql.Conn, query string) *limitedRun {
	run := &limitedRun{limit: l.limitOf(c.ConnectionID, query)}
	if run.limit > 0 {
		id := c.ConnectionID
		run.timer = time.AfterFunc(run.limit, func() {
			run.mu.Lock()
			defer run.mu.Unlock()
			if !run.done { // never the next statement of the connection
				run.expired = true
				l.processes.Kill(id)
			}
		})
	}
	return run
}

// finish disarms the limit and returns the statement's error as MySQL
// gives it.
func (r *limitedRun) finish(err error) error {
	r.mu.Lock()
	r.done = true
	expired := r.expired
	r.mu.Unlock()
	if r.timer != nil {
		r.timer.Stop()
	}
	switch {
	case err == nil:
		return nil
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

// limitOf returns the limit of query on connection id: the hint's, else
// the session's max_execution_time; 0 when none, or when query is not a
// SELECT.
func (l *QueryLimits) limitOf(id uint32, query string) time.Duration {
	if !selectStart.MatchString(query) || selectsInto(query) {
		return 0
	}
	if m := hintLimit.FindStringSubmatch(query); m != nil {
		ms, err := strconv.ParseInt(m[1], 10, 64)
		if err == nil {
			return time.Duration(ms) * time.Millisecond
		}
	}
	s, ok := l.sessions.Load(id)
	if !ok {
		return 0
	}
	// The base session reads its map without the context; making one
	// (sql.NewEmptyContext) cost 20 µs, a tenth of SELECT 1.
	v, err := s.(sql.Session).GetSessionVariable(nil, "max_execution_time")
	if err != nil {
		return 0
	}
	ms, ok := v.(int64)
	if !ok || ms <= 0 {
		return 0
	}
	return time.Duration(ms) * time.Millisecond
}

// selectsInto reports SELECT ... INTO, which MySQL does not limit (it is
// not read-only); logq refuses its file forms anyway.
var selectsIntoRE = regexp.MustCompile(`(?i)\binto\s+(@|outfile\b|dumpfile\b)`)

func selectsInto(query string) bool { return selectsIntoRE.MatchString(query) }
