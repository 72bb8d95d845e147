package engine

import (
	"context"
	"math"
	"sync"
	"sync/atomic"

	sqle "github.com/dolthub/go-mysql-server"
	"github.com/dolthub/go-mysql-server/server"
	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/analyzer"
	"github.com/dolthub/go-mysql-server/sql/expression"
	"github.com/dolthub/go-mysql-server/sql/expression/function"
	"github.com/dolthub/go-mysql-server/sql/expression/function/aggregation"
	"github.com/dolthub/go-mysql-server/sql/plan"
	"github.com/dolthub/go-mysql-server/sql/transform"
	"github.com/dolthub/go-mysql-server/sql/types"
	"github.com/dolthub/vitess/go/mysql"

	"logq/catalog"
	"logq/partitions"
)

// Options tunes the engine; the zero value selects the defaults.
type Options struct {
	// Workers bounds the batch loads (decode and filter) running at once
	// across all queries; 0 means one per core.
	Workers int
	// CacheBytes is the budget of decoded batches kept between queries; 0
	// means defaultCacheBytes, negative disables the cache.
	CacheBytes int64
	// MemoryLimit is the Go runtime's soft memory limit; when set, the
	// cache gives back what the buffers, the catalog, merges and running
	// statements need of it (cacheBudget). 0: none.
	MemoryLimit int64
	// PlanLoopback runs every session's queries through the plan's
	// encoding, as SET logq_plan_loopback = ON does for one session (tests
	// and diagnostics).
	PlanLoopback bool
}

// New returns the SQL engine over store, whose observer is cat.
func New(store *partitions.Store, cat *catalog.Catalog, opts ...Options) (*sqle.Engine, *Provider) {
	var o Options
	if len(opts) > 0 {
		o = opts[0]
	}
	stats := &ScanStats{}
	cacheBytes := o.CacheBytes
	switch {
	case cacheBytes == 0:
		cacheBytes = defaultCacheBytes
	case cacheBytes < 0:
		cacheBytes = 0 // keeps nothing
	}
	var queries atomic.Pointer[func() int64] // set by CountQueryMemory
	others := func() int64 {
		buffered, compacting := store.HeldBytes()
		n := buffered + compacting + cat.MemoryBytes()
		if f := queries.Load(); f != nil {
			n += (*f)()
		}
		return n
	}
	cache := newBatchCache(&cacheBudget{configured: cacheBytes, memLimit: o.MemoryLimit, others: others}, stats, store)
	t := &Table{store: store, cat: cat, stats: stats, cache: cache, orders: &sortOrders{}, pool: newPool(o.Workers), loopback: o.PlanLoopback}
	pro := &Provider{db: &Database{table: t, damaged: &damagedTable{store: store, cat: cat}}, stats: stats, cache: cache, queries: &queries}
	registerVariables.Do(func() {
		if err := disableSecureFilePriv(); err != nil {
			panic("BUG: secure_file_priv: " + err.Error())
		}
		sql.SystemVariables.AddSystemVariables([]sql.SystemVariable{&sql.MysqlSystemVariable{
			Name:    aggregatePushdownVar,
			Scope:   sql.GetMysqlScope(sql.SystemVariableScope_Both),
			Dynamic: true,
			Type:    types.NewSystemBoolType(aggregatePushdownVar),
			Default: int8(1),
		}, &sql.MysqlSystemVariable{
			Name:    damagedDataVar,
			Scope:   sql.GetMysqlScope(sql.SystemVariableScope_Both),
			Dynamic: true,
			Type:    types.NewSystemEnumType(damagedDataVar, damagedWarn, damagedError),
			Default: damagedWarn,
		}, &sql.MysqlSystemVariable{
			Name:    planLoopbackVar,
			Scope:   sql.GetMysqlScope(sql.SystemVariableScope_Both),
			Dynamic: true,
			Type:    types.NewSystemBoolType(planLoopbackVar),
			Default: int8(0),
		}, &sql.MysqlSystemVariable{
			// Bytes; 0: the server's limit (QueryLimits), which a session
			// may lower and never raise.
			Name:    queryMemoryLimitVar,
			Scope:   sql.GetMysqlScope(sql.SystemVariableScope_Both),
			Dynamic: true,
			Type:    types.NewSystemIntType(queryMemoryLimitVar, 0, math.MaxInt64, false),
			Default: int64(0),
		}})
	})
	a := WithMySQLSemantics(analyzer.NewBuilder(pro)).
		AddPreAnalyzeRule(noFileAccessRuleID, noFileAccessRule).
		AddPreAnalyzeRule(unhonouredGlobalsRuleID, unhonouredGlobalsRule).
		AddPreAnalyzeRule(ownGrantsRuleID, ownGrantsRule).
		AddPreAnalyzeRule(declaredResultRuleID, declaredResultRule). // on the plan as written (declared.go)
		AddPostAnalyzeRule(aggregateRuleID, aggregateRule).          // after the functions: it matches intDiv
		AddPostAnalyzeRule(declaredSchemaRuleID, declaredSchemaRule).
		Build()
	AllowOwnGrants(a.Catalog)
	a.ExecBuilder = newExecBuilder() // memlimit_exec.go: operators charge the query's memory budget
	return sqle.New(a, nil), pro
}

// WithMySQLSemantics adds to b the rules that make go-mysql-server answer as
// MySQL 8 where v0.20.0 differs (GMS-NOTES.md): DIV over DECIMAL,
// UNIX_TIMESTAMP's cost per row, EXPLAIN of plain aggregates, prefix LIKE,
// FROM_UNIXTIME's fractions, date ± INTERVAL's fractions, DISTINCT and
// COUNT(DISTINCT) under a collation, SHOW COLUMNS' types and collations
// (collation.go).
// They do
// not depend on logs; the tests' and the benchmark's reference engines use
// them too, so that they stand for MySQL.
func WithMySQLSemantics(b *analyzer.Builder) *analyzer.Builder {
	return b.AddPreAnalyzeRule(mysqlExpressionsRuleID, mysqlExpressionsRule).
		AddPostAnalyzeRule(mysqlFunctionsRuleID, mysqlFunctionsRule).
		AddPostAnalyzeRule(explainRowsRuleID, explainRowsRule).
		AddPostAnalyzeRule(collatedDistinctRuleID, collatedDistinctRule).
		AddPostAnalyzeRule(showColumnsRuleID, showColumnsRule)
}

// mysqlExpressionsRule rewrites, before go-mysql-server's rules run (and
// so before the WHERE pushdown evaluates constants), the expressions where
// go-mysql-server v0.20.0 answers differently from MySQL: every LIKE into
// a mysqlLike, FROM_UNIXTIME(x) into a fromUnixtime, date ± INTERVAL into
// DATE_ADD and DATE_SUB, ts compared with FROM_UNIXTIME into a tsVsEpoch,
// SUM and AVG of integers into mysqlSum and mysqlAvg (exactSums), the
// regular expression functions into re2Func, and the string functions that
// can build huge results into boundedString.
func mysqlExpressionsRule(ctx *sql.Context, _ *analyzer.Analyzer, n sql.Node, _ *plan.Scope, _ analyzer.RuleSelector, _ *sql.QueryFlags) (sql.Node, transform.TreeIdentity, error) {
	n, sums, err := exactSums(n)
	if err != nil {
		return n, sums, err
	}
	n, rest, err := rewriteExpressions(n, func(e sql.Expression) sql.Expression {
		switch e := e.(type) {
		case *expression.Like:
			return &mysqlLike{e}
		case *function.FromUnixtime:
			if len(e.ChildExpressions) == 1 {
				return &fromUnixtime{e}
			}
		case *expression.Arithmetic:
			return intervalArithmetic(e)
		case *tsVsEpoch:
			return nil
		case *aggregation.CountDistinct:
			return collatedCountDistinct(e)
		case *function.RegexpLike, *function.RegexpInstr, *function.RegexpSubstr, *function.RegexpReplace:
			return newRE2Func(e) // regexp.go: never ICU in WebAssembly
		case *function.Repeat, *function.Space, *function.Pad, *function.Replace, *function.Concat, *function.ConcatWithSeparator:
			return newBoundedString(e) // bounded.go: no result past max_allowed_packet
		}
		return epochComparison(ctx, e)
	})
	if sums == transform.NewTree {
		rest = transform.NewTree
	}
	return n, rest, err
}

// rewriteExpressions replaces, in every node of a plan, each expression
// for which rewrite returns another (nil: keep it).
func rewriteExpressions(n sql.Node, rewrite func(sql.Expression) sql.Expression) (sql.Node, transform.TreeIdentity, error) {
	return transform.Node(n, func(n sql.Node) (sql.Node, transform.TreeIdentity, error) {
		if _, ok := n.(sql.Expressioner); !ok {
			return n, transform.SameTree, nil
		}
		return transform.NodeExprs(n, func(e sql.Expression) (sql.Expression, transform.TreeIdentity, error) {
			if out := rewrite(e); out != nil {
				return out, transform.NewTree, nil
			}
			return e, transform.SameTree, nil
		})
	})
}

// explainRowsRule lets EXPLAIN of an aggregate without GROUP BY answer:
// go-mysql-server flags such a query as returning at most one row, to take
// a shortcut when sending it, and keeps the flag when the query is EXPLAINed
// (its rules only see the query under EXPLAIN), so the EXPLAIN, one row
// per plan line, failed with "result max1Row iterator returned more than
// one row". Without the flag the one row goes out the ordinary way.
func explainRowsRule(_ *sql.Context, _ *analyzer.Analyzer, n sql.Node, _ *plan.Scope, _ analyzer.RuleSelector, flags *sql.QueryFlags) (sql.Node, transform.TreeIdentity, error) {
	if flags != nil {
		flags.Unset(sql.QFlagMax1Row)
	}
	return n, transform.SameTree, nil
}

// Rule ids of logq's analyzer rules, clear of go-mysql-server's own.
const (
	mysqlFunctionsRuleID analyzer.RuleId = 1000 + iota
	aggregateRuleID
	explainRowsRuleID
	mysqlExpressionsRuleID
	collatedDistinctRuleID
	showColumnsRuleID
	noFileAccessRuleID
	unhonouredGlobalsRuleID
	ownGrantsRuleID
	declaredResultRuleID
	declaredSchemaRuleID
)

// registerVariables adds logq's session variables to go-mysql-server's
// process-wide registry, once.
var registerVariables sync.Once

// Stats returns the counters of every scan since start.
func (p *Provider) Stats() *ScanStats { return p.stats }

// CacheBytes returns the decoded batches the cache holds now, and its
// budget (Options.CacheBytes).
func (p *Provider) CacheBytes() (held, limit int64) { return p.cache.bytes() }

// CountQueryMemory makes the batch cache yield to what the running
// statements hold too (QueryLimits.MemoryHeld): the limits are made after
// the engine they wrap.
func (p *Provider) CountQueryMemory(held func() int64) { p.queries.Store(&held) }

// SessionBuilder makes the session of a new MySQL connection, with logq as
// its current database so that `SELECT ... FROM logs` needs no USE.
func SessionBuilder(_ context.Context, conn *mysql.Conn, addr string) (sql.Session, error) {
	client := sql.Client{Capabilities: conn.Capabilities}
	if u, ok := conn.UserData.(sql.MysqlConnectionUser); ok {
		client.User, client.Address = u.User, u.Host
	}
	s := sql.NewBaseSessionWithClientServer(addr, client, conn.ConnectionID)
	s.SetCurrentDatabase(DatabaseName)
	return s, nil
}

var _ server.SessionBuilder = SessionBuilder
