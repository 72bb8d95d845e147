package engine

import (
	"context"

	sqle "github.com/dolthub/go-mysql-server"
	"github.com/dolthub/go-mysql-server/server"
	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/vitess/go/mysql"

	"logq/catalog"
	"logq/partitions"
)

// New returns the SQL engine over store, whose observer is cat.
func New(store *partitions.Store, cat *catalog.Catalog) (*sqle.Engine, *Provider) {
	stats := &ScanStats{}
	t := &Table{store: store, cat: cat, stats: stats, cache: newBatchCache(defaultCacheBytes, stats),
		orders: &sortOrders{}, pool: newPool(0)}
	pro := &Provider{db: &Database{table: t}, stats: stats}
	return sqle.NewDefault(pro), pro
}

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
