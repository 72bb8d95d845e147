package engine

import (
	"strings"
	"sync/atomic"

	"github.com/dolthub/go-mysql-server/sql"

	exec "logq/engine/exec"
)

// Provider is the go-mysql-server database provider: one database, logq.
type Provider struct {
	db      *Database
	stats   *exec.ScanStats
	cache   *exec.BatchCache
	queries *atomic.Pointer[func() int64] // QueryLimits.MemoryHeld, once set
}

var _ sql.DatabaseProvider = (*Provider)(nil)

// Database implements sql.DatabaseProvider.
func (p *Provider) Database(_ *sql.Context, name string) (sql.Database, error) {
	if strings.EqualFold(name, DatabaseName) {
		return p.db, nil
	}
	return nil, sql.ErrDatabaseNotFound.New(name)
}

// HasDatabase implements sql.DatabaseProvider.
func (p *Provider) HasDatabase(_ *sql.Context, name string) bool {
	return strings.EqualFold(name, DatabaseName)
}

// AllDatabases implements sql.DatabaseProvider.
func (p *Provider) AllDatabases(*sql.Context) []sql.Database { return []sql.Database{p.db} }

// Database is logq, holding the table logs, and damaged, the list of
// damaged data no query can read (damaged_table.go). It implements sql.ViewDatabase
// with no views: with users enabled go-mysql-server wraps databases, and
// SHOW TABLES and information_schema.columns (Grafana's column browser)
// fail on a database without it.
type Database struct {
	table   *Table
	damaged *damagedTable
}

var (
	_ sql.Database     = (*Database)(nil)
	_ sql.ViewDatabase = (*Database)(nil)
)

// Name implements sql.Database.
func (d *Database) Name() string { return DatabaseName }

// GetTableInsensitive implements sql.Database.
func (d *Database) GetTableInsensitive(_ *sql.Context, name string) (sql.Table, bool, error) {
	switch {
	case strings.EqualFold(name, TableName):
		return d.table.snapshot(), true, nil
	case strings.EqualFold(name, DamagedTableName):
		return d.damaged, true, nil
	}
	return nil, false, nil
}

// GetTableNames implements sql.Database: logs only. damaged is found by
// name (SELECT ... FROM logq.damaged, DESCRIBE) but not listed, so that
// tools listing the database's tables (Grafana's table picker, DBeaver)
// keep offering the one table of logs, as before it existed.
func (d *Database) GetTableNames(*sql.Context) ([]string, error) { return []string{TableName}, nil }

// CreateView implements sql.ViewDatabase: logq has no views.
func (d *Database) CreateView(*sql.Context, string, string, string) error {
	return errReadOnlySchema.New("CREATE VIEW")
}

// DropView implements sql.ViewDatabase.
func (d *Database) DropView(_ *sql.Context, name string) error {
	return sql.ErrViewDoesNotExist.New(DatabaseName, name)
}

// GetViewDefinition implements sql.ViewDatabase.
func (d *Database) GetViewDefinition(*sql.Context, string) (sql.ViewDefinition, bool, error) {
	return sql.ViewDefinition{}, false, nil
}

// AllViews implements sql.ViewDatabase.
func (d *Database) AllViews(*sql.Context) ([]sql.ViewDefinition, error) { return nil, nil }

// logq has no triggers or stored procedures. Database says so through
// sql.TriggerDatabase and sql.StoredProcedureDatabase rather than by not
// implementing them: with accounts on, go-mysql-server wraps databases in
// a PrivilegedDatabase that implements both and fails with "database does
// not support triggers" when the wrapped one does not, and every INSERT
// asks for the table's triggers.
var (
	_ sql.TriggerDatabase         = (*Database)(nil)
	_ sql.StoredProcedureDatabase = (*Database)(nil)
)

// GetTriggers implements sql.TriggerDatabase: none.
func (d *Database) GetTriggers(*sql.Context) ([]sql.TriggerDefinition, error) { return nil, nil }

// CreateTrigger implements sql.TriggerDatabase.
func (d *Database) CreateTrigger(*sql.Context, sql.TriggerDefinition) error {
	return errReadOnlySchema.New("CREATE TRIGGER")
}

// DropTrigger implements sql.TriggerDatabase.
func (d *Database) DropTrigger(_ *sql.Context, name string) error {
	return sql.ErrTriggerDoesNotExist.New(name)
}

// GetStoredProcedure implements sql.StoredProcedureDatabase: none.
func (d *Database) GetStoredProcedure(*sql.Context, string) (sql.StoredProcedureDetails, bool, error) {
	return sql.StoredProcedureDetails{}, false, nil
}

// GetStoredProcedures implements sql.StoredProcedureDatabase.
func (d *Database) GetStoredProcedures(*sql.Context) ([]sql.StoredProcedureDetails, error) {
	return nil, nil
}

// SaveStoredProcedure implements sql.StoredProcedureDatabase.
func (d *Database) SaveStoredProcedure(*sql.Context, sql.StoredProcedureDetails) error {
	return errReadOnlySchema.New("CREATE PROCEDURE")
}

// DropStoredProcedure implements sql.StoredProcedureDatabase.
func (d *Database) DropStoredProcedure(_ *sql.Context, name string) error {
	return sql.ErrStoredProcedureDoesNotExist.New(name)
}

// Provider implements sql.MutableDatabaseProvider only to refuse, in
// words: go-mysql-server's own refusal of CREATE DATABASE and DROP
// DATABASE reads "can't modify database databaseProvider".
var _ sql.MutableDatabaseProvider = (*Provider)(nil)

// CreateDatabase implements sql.MutableDatabaseProvider.
func (p *Provider) CreateDatabase(_ *sql.Context, name string) error {
	return errOneDatabase.New("CREATE DATABASE " + name)
}

// DropDatabase implements sql.MutableDatabaseProvider.
func (p *Provider) DropDatabase(_ *sql.Context, name string) error {
	return errOneDatabase.New("DROP DATABASE " + name)
}
