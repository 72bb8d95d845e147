package engine

import (
	"context"
	"errors"
	"regexp"
	"strings"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/analyzer"
	"github.com/dolthub/go-mysql-server/sql/plan"
	"github.com/dolthub/go-mysql-server/sql/transform"
	"github.com/dolthub/vitess/go/mysql"
	"github.com/dolthub/vitess/go/sqltypes"
	querypb "github.com/dolthub/vitess/go/vt/proto/query"
	ast "github.com/dolthub/vitess/go/vt/sqlparser"
)

// With accounts on (server/accounts), go-mysql-server v0.20.0 differs from
// MySQL in two ways a user meets at once:
//
//   - a plain SHOW GRANTS needs SELECT on the mysql database, so an account
//     that is not an admin cannot see its own grants; MySQL lets everyone
//     see their own, and needs SELECT on mysql only for another account's;
//   - a statement refused for lack of a privilege fails with the generic
//     error 1105, where MySQL answers ER_TABLEACCESS_DENIED_ERROR (1142)
//     or ER_DBACCESS_DENIED_ERROR (1044), which clients and tools test for.

// AllowOwnGrants lets every account run SHOW GRANTS for itself: its
// authorization check (SELECT on mysql, go-mysql-server's parser asks it of
// SHOW GRANTS alone) passes, and ownGrantsRule makes it for another account.
func AllowOwnGrants(cat *analyzer.Catalog) {
	cat.AuthHandler = ownGrantsAuth{cat.AuthHandler}
}

type ownGrantsAuth struct{ sql.AuthorizationHandler }

func (h ownGrantsAuth) HandleAuth(ctx *sql.Context, state sql.AuthorizationQueryState, auth ast.AuthInformation) error {
	if auth.AuthType == ast.AuthType_SELECT && auth.TargetType == ast.AuthTargetType_DatabaseIdentifiers &&
		len(auth.TargetNames) == 1 && auth.TargetNames[0] == "mysql" {
		return nil // SHOW GRANTS: ownGrantsRule
	}
	return h.AuthorizationHandler.HandleAuth(ctx, state, auth)
}

// ownGrantsRule checks SHOW GRANTS FOR another account as MySQL does: it
// needs SELECT on the mysql database.
func ownGrantsRule(ctx *sql.Context, a *analyzer.Analyzer, n sql.Node, _ *plan.Scope, _ analyzer.RuleSelector, _ *sql.QueryFlags) (sql.Node, transform.TreeIdentity, error) {
	sg, ok := n.(*plan.ShowGrants)
	if !ok || sg.CurrentUser || sg.For == nil {
		return n, transform.SameTree, nil
	}
	db := a.Catalog.MySQLDb
	client := ctx.Session.Client()
	if !db.Enabled() || (strings.EqualFold(sg.For.Name, client.User) && sg.For.Host == client.Address) {
		return n, transform.SameTree, nil
	}
	if db.UserHasPrivileges(ctx, sql.NewPrivilegedOperation(sql.PrivilegeCheckSubject{Database: "mysql"}, sql.PrivilegeType_Select)) {
		return n, transform.SameTree, nil
	}
	return nil, transform.SameTree, sql.ErrDatabaseAccessDeniedForUser.New(quoteAccount(client.User, client.Address), "mysql")
}

func quoteAccount(user, host string) string { return "'" + user + "'@'" + host + "'" }

// erTableAccessDenied is MySQL's ER_TABLEACCESS_DENIED_ERROR, which vitess
// does not name.
const erTableAccessDenied = 1142

// AccountsWire wraps the server's handler so that what MySQL tools read
// about accounts is answered as MySQL does: privilege refusals carry
// MySQL's codes, 1142 (a table or a command) and 1044 (a database), SQL
// state 42000; and SHOW PLUGINS has MySQL's five columns and lists the
// authentication plugins, where go-mysql-server answers with
// information_schema.plugins's eleven columns and no row.
func AccountsWire(h mysql.Handler) (mysql.Handler, error) {
	return &accessErrors{Handler: h}, nil
}

type accessErrors struct{ mysql.Handler }

func (h *accessErrors) ComQuery(ctx context.Context, c *mysql.Conn, query string, callback mysql.ResultSpoolFn) error {
	return accessError(h.Handler.ComQuery(ctx, c, showPlugins(query), callback))
}

func (h *accessErrors) ComMultiQuery(ctx context.Context, c *mysql.Conn, query string, callback mysql.ResultSpoolFn) (string, error) {
	rest, err := h.Handler.ComMultiQuery(ctx, c, showPlugins(query), callback)
	return rest, accessError(err)
}

func (h *accessErrors) ComPrepare(ctx context.Context, c *mysql.Conn, query string, prepare *mysql.PrepareData) ([]*querypb.Field, error) {
	fields, err := h.Handler.ComPrepare(ctx, c, showPlugins(query), prepare)
	return fields, accessError(err)
}

func (h *accessErrors) ComStmtExecute(ctx context.Context, c *mysql.Conn, prepare *mysql.PrepareData, callback func(*sqltypes.Result) error) error {
	return accessError(h.Handler.ComStmtExecute(ctx, c, prepare, callback))
}

// accessError gives a refusal go-mysql-server sent as 1105 its MySQL code.
// go-mysql-server has turned the error into text by now
// (sql.CastSQLError), so its kinds are recognised by their messages.
func accessError(err error) error {
	var se *mysql.SQLError
	if !errors.As(err, &se) || se.Number() != mysql.ERUnknownError {
		return err
	}
	msg := se.Message
	switch {
	case strings.HasPrefix(msg, "command denied to user "), strings.Contains(msg, " to table '") && strings.HasPrefix(msg, "Access denied for user "):
		return mysql.NewSQLError(erTableAccessDenied, mysql.SSClientError, "%s", msg)
	case strings.HasPrefix(msg, "Access denied for user ") && strings.Contains(msg, " to database '"):
		return mysql.NewSQLError(mysql.ERDBAccessDenied, mysql.SSClientError, "%s", msg)
	}
	return err
}

var showPluginsRE = regexp.MustCompile(`(?i)^\s*SHOW\s+PLUGINS\s*;?\s*$`)

// pluginsQuery is SHOW PLUGINS as MySQL answers it: Name, Status, Type,
// Library, License, one row per plugin. logq's are the two authentication
// plugins of its accounts (server/accounts).
const pluginsQuery = `SELECT 'mysql_native_password' AS Name, 'ACTIVE' AS Status, 'AUTHENTICATION' AS Type, CAST(NULL AS CHAR) AS Library, 'GPL' AS License
UNION ALL SELECT 'caching_sha2_password', 'ACTIVE', 'AUTHENTICATION', NULL, 'GPL'`

// showPlugins replaces a SHOW PLUGINS statement with pluginsQuery.
func showPlugins(query string) string {
	if len(query) < 64 && showPluginsRE.MatchString(query) {
		return pluginsQuery
	}
	return query
}
