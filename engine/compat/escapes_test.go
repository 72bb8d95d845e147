package compat

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// TestMySQLEscapes checks the statement rewrite on its own: backslashes
// doubled before % and _ inside strings only, and a second pass (the rest
// of a multi-statement text comes back) changing nothing.
func TestMySQLEscapes(t *testing.T) {
	for in, want := range map[string]string{
		`SELECT 1`:                              `SELECT 1`,
		`SELECT 'a\%b'`:                         `SELECT 'a\\%b'`,
		`SELECT "a\_b", 'c\\%'`:                 `SELECT "a\\_b", 'c\\%'`,
		`SELECT 'it''s \%', 'x\'\%'`:            `SELECT 'it''s \\%', 'x\'\\%'`,
		"SELECT `a\\%b` FROM t -- \\%\n, '\\%'": "SELECT `a\\%b` FROM t -- \\%\n, '\\\\%'",
		`SELECT /* '\% */ '\_' # '\%`:           `SELECT /* '\% */ '\\_' # '\%`,
		`SELECT '\%`:                            `SELECT '\\%`,
		`SELECT 'a\`:                            `SELECT 'a\`,
		`SELECT '\%'; SELECT '\_'`:              `SELECT '\\%'; SELECT '\\_'`,
	} {
		got := mysqlEscapes(in)
		require.Equal(t, want, got, in)
		require.Equal(t, got, mysqlEscapes(got), "second pass over %s", got)
	}
}
