package engine

import (
	"context"
	"math"
	"sync"
	"sync/atomic"

	exec "logq/engine/exec"

	sqle "github.com/dolthub/go-mysql-server"
	"github.com/dolthub/go-mysql-server/server"
	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/analyzer"
	"github.com/dolthub/go-mysql-server/sql/types"
	"github.com/dolthub/vitess/go/mysql"

	"logq/catalog"
	"logq/engine/compat"
	"logq/partitions"
	"logq/partitions/columns"
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
	// Nodes are the other nodes of a cluster: every query reads their
	// stores too, through the plans it sends them (nil: this node alone).
	Nodes exec.Nodes
	// Appender stores the rows of INSERT statements; nil: the store. A
	// node of a cluster places them on their partitions' owners.
	Appender Appender
}

// Appender stores rows durably: it returns once they are in the write-ahead
// log of every node they belong to (partitions.Store.AppendWith's contract).
type Appender interface {
	AppendWith(ctx context.Context, b *columns.Batch, o partitions.AppendOptions) (partitions.AppendResult, error)
}

// New returns the SQL engine over store, whose observer is cat.
func New(store *partitions.Store, cat *catalog.Catalog, opts ...Options) (*sqle.Engine, *Provider) {
	var o Options
	if len(opts) > 0 {
		o = opts[0]
	}
	stats := &exec.ScanStats{}
	cacheBytes := o.CacheBytes
	switch {
	case cacheBytes == 0:
		cacheBytes = exec.DefaultCacheBytes
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
	cache := exec.NewBatchCache(&exec.CacheBudget{Configured: cacheBytes, MemLimit: o.MemoryLimit, Others: others}, stats, store)
	t := &Table{Env: exec.Env{Store: store, Cat: cat, Stats: stats, Cache: cache, Orders: &exec.SortOrders{}, Pool: exec.NewPool(o.Workers)}, loopback: o.PlanLoopback, nodes: o.Nodes, appender: o.Appender}
	if t.appender == nil {
		t.appender = store
	}
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
			Name:    partialResultsVar,
			Scope:   sql.GetMysqlScope(sql.SystemVariableScope_Both),
			Dynamic: true,
			Type:    types.NewSystemBoolType(partialResultsVar),
			Default: int8(0),
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
	// ts holds instants, as a MySQL TIMESTAMP does.
	a := compat.WithMySQLSemantics(analyzer.NewBuilder(pro), "ts").
		AddPreAnalyzeRule(noFileAccessRuleID, noFileAccessRule).
		AddPreAnalyzeRule(unhonouredGlobalsRuleID, unhonouredGlobalsRule).
		AddPreAnalyzeRule(ownGrantsRuleID, ownGrantsRule).
		AddPreAnalyzeRule(declaredResultRuleID, declaredResultRule). // on the plan as written (declared.go)
		AddPostAnalyzeRule(aggregateRuleID, aggregateRule).          // after compat's: it matches compat.IntDiv
		AddPostAnalyzeRule(declaredSchemaRuleID, declaredSchemaRule).
		Build()
	AllowOwnGrants(a.Catalog)
	a.ExecBuilder = newExecBuilder() // memlimit_exec.go: operators charge the query's memory budget
	return sqle.New(a, nil), pro
}

// Rule ids of logq's analyzer rules, clear of go-mysql-server's own and of
// compat's (1000 on).
const (
	aggregateRuleID analyzer.RuleId = 1100 + iota
	noFileAccessRuleID
	unhonouredGlobalsRuleID
	ownGrantsRuleID
	declaredResultRuleID
	declaredSchemaRuleID
)

// registerVariables adds logq's session variables to go-mysql-server's
// process-wide registry, once.
var registerVariables sync.Once

// ScanStats counts what the executor read and skipped, for /metrics and
// tests.
type ScanStats = exec.ScanStats

// Stats returns the counters of every scan since start.
func (p *Provider) Stats() *exec.ScanStats { return p.stats }

// Executor is the executor of logs over the store: what the nodes of a
// cluster run plans on (server/flightsvc).
func (p *Provider) Executor() *exec.Env { return &p.db.table.Env }

// CacheBytes returns the decoded batches the cache holds now, and its
// budget (Options.CacheBytes).
func (p *Provider) CacheBytes() (held, limit int64) { return p.cache.Bytes() }

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
