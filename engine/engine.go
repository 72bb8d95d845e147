package engine

import (
	"context"

	sqle "github.com/dolthub/go-mysql-server"
	"github.com/dolthub/go-mysql-server/server"
	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/analyzer"
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
	cache := newBatchCache(cacheBytes, stats)
	t := &Table{store: store, cat: cat, stats: stats, cache: cache, orders: &sortOrders{}, pool: newPool(o.Workers)}
	pro := &Provider{db: &Database{table: t}, stats: stats}
	a := WithMySQLSemantics(analyzer.NewBuilder(pro)).Build()
	return sqle.New(a, nil), pro
}

// WithMySQLSemantics adds to b the rules that make go-mysql-server answer as
// MySQL 8 where v0.20.0 differs (GMS-NOTES.md): DIV over DECIMAL. They do
// not depend on logs; the tests' and the benchmark's reference engines use
// them too, so that they stand for MySQL.
func WithMySQLSemantics(b *analyzer.Builder) *analyzer.Builder {
	return b.AddPostAnalyzeRule(mysqlDivRuleID, mysqlDivRule)
}

// Rule ids of logq's analyzer rules, clear of go-mysql-server's own.
const (
	mysqlDivRuleID analyzer.RuleId = 1000 + iota
)

// Stats returns the counters of every scan since start.
func (p *Provider) Stats() *ScanStats { return p.stats }

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
