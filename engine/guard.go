package engine

import (
	"strings"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/analyzer"
	"github.com/dolthub/go-mysql-server/sql/expression"
	"github.com/dolthub/go-mysql-server/sql/expression/function"
	"github.com/dolthub/go-mysql-server/sql/plan"
	"github.com/dolthub/go-mysql-server/sql/transform"
	"github.com/dolthub/vitess/go/mysql"
)

// noFileAccessRule refuses every statement that reads or writes a file of
// the server's machine: LOAD_FILE(), SELECT ... INTO OUTFILE or DUMPFILE,
// and LOAD DATA [LOCAL] INFILE. go-mysql-server guards them only by
// secure_file_priv, whose default, the empty string, allows any path, so
// anyone who could connect read /etc/shadow and wrote files as the server's
// user. MySQL's secure_file_priv = NULL does this; go-mysql-server has no
// NULL setting, so logq refuses the statements before they run, for every
// user, with MySQL's error for it (ER_OPTION_PREVENTS_STATEMENT, 1290).
func noFileAccessRule(_ *sql.Context, _ *analyzer.Analyzer, n sql.Node, _ *plan.Scope, _ analyzer.RuleSelector, _ *sql.QueryFlags) (sql.Node, transform.TreeIdentity, error) {
	var refused error
	transform.Inspect(n, func(n sql.Node) bool {
		switch n := n.(type) {
		case *plan.Into:
			if n.Outfile != "" || n.Dumpfile != "" {
				refused = errFileAccess
			}
		case *plan.LoadData:
			refused = errFileAccess
		}
		if e, ok := n.(sql.Expressioner); ok && refused == nil {
			for _, x := range e.Expressions() {
				sql.Inspect(x, func(x sql.Expression) bool {
					switch x := x.(type) {
					case *function.LoadFile:
						refused = errFileAccess
					case *plan.Subquery:
						if _, _, err := noFileAccessRule(nil, nil, x.Query, nil, nil, nil); err != nil {
							refused = err
						}
					}
					return refused == nil
				})
			}
		}
		return refused == nil
	})
	return n, transform.SameTree, refused
}

// errFileAccess is MySQL's answer under secure_file_priv = NULL.
var errFileAccess = mysql.NewSQLError(mysql.EROptionPreventsStatement, mysql.SSUnknownSQLState,
	"The MySQL server is running with the --secure-file-priv option so it cannot execute this statement "+
		"(logq reads and writes no server file from SQL)")

// disableSecureFilePriv points secure_file_priv at a directory that does
// not exist. MySQL shows NULL when file access is off; go-mysql-server
// stores NULL as "", which means any path, so this is the closest it can
// show, a second guard behind noFileAccessRule, and what silences its
// warning about the empty default at start-up.
func disableSecureFilePriv() error {
	return sql.SystemVariables.AssignValues(map[string]any{"secure_file_priv": noFilePrivDir})
}

// noFilePrivDir is what secure_file_priv shows.
const noFilePrivDir = "/nonexistent/logq-has-no-file-access-from-sql"

// unhonouredGlobalsRule refuses SET GLOBAL (or PERSIST) of a server-wide
// setting that logq does not act on. go-mysql-server accepted
// `SET GLOBAL max_connections = 1`, `read_only = 1` or
// `max_allowed_packet = 1024` and showed the new values, while nothing
// changed (probe A9): a setting that lies is worse than none. Variables
// whose global value is the default of new sessions (time_zone, sql_mode,
// max_execution_time, logq's own) keep working.
func unhonouredGlobalsRule(_ *sql.Context, _ *analyzer.Analyzer, n sql.Node, _ *plan.Scope, _ analyzer.RuleSelector, _ *sql.QueryFlags) (sql.Node, transform.TreeIdentity, error) {
	set, ok := n.(*plan.Set)
	if !ok {
		return n, transform.SameTree, nil
	}
	for _, e := range set.Exprs {
		sf, ok := e.(*expression.SetField)
		if !ok {
			continue
		}
		v, ok := sf.LeftChild.(*expression.SystemVar)
		if !ok || v.Scope == nil {
			continue
		}
		scope, ok := v.Scope.(*sql.MysqlScope)
		if !ok {
			continue
		}
		name := strings.ToLower(v.Name)
		if scope.Type == sql.SystemVariableScope_Session {
			if sessionReadOnly[name] {
				return n, transform.SameTree, mysql.NewSQLError(erVariableIsReadonly, mysql.SSUnknownSQLState,
					"SESSION variable '%s' is read-only. Use SET GLOBAL to assign the value", name)
			}
			continue
		}
		sv, _, found := sql.SystemVariables.GetGlobal(name)
		if found && (sv.IsGlobalOnly() || serverOnlySettings[name]) {
			return n, transform.SameTree, mysql.NewSQLError(mysql.ERNotSupportedYet, mysql.SSUnknownSQLState,
				"SET GLOBAL %s is not supported: logq does not act on it (server settings are flags of logq serve, see logq serve -h)", name)
		}
	}
	return n, transform.SameTree, nil
}

// sessionReadOnly are variables whose session value MySQL does not let a
// session change (ER_VARIABLE_IS_READONLY, 1621); go-mysql-server does,
// and logq reads max_allowed_packet's to bound string results (compat's
// bounded.go) while the server's listener bounds requests by its flag.
var sessionReadOnly = map[string]bool{"max_allowed_packet": true}

const erVariableIsReadonly = 1621

// serverOnlySettings are variables with a session scope whose global value
// go-mysql-server nevertheless reads from nowhere.
var serverOnlySettings = map[string]bool{"max_allowed_packet": true, "net_read_timeout": true,
	"net_write_timeout": true, "wait_timeout": true, "interactive_timeout": true}
