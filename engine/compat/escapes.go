package compat

import (
	"context"
	"strings"

	"github.com/dolthub/vitess/go/mysql"
	querypb "github.com/dolthub/vitess/go/vt/proto/query"
)

// MySQL keeps the backslash of \% and \_ in a string literal ('a\%b' is
// the four characters a, \, %, b) so that LIKE patterns can escape their
// wildcards: message LIKE '%100\%%' finds "100%". go-mysql-server's parser
// (vitess) drops it like that of any unknown escape, and the pattern
// becomes '%100%%', which finds every "100". The protocol handler
// therefore doubles those backslashes in the statement text before the
// parser sees it: \\% reads back as \%.

func (w *mysqlWire) ComPrepare(ctx context.Context, c *mysql.Conn, query string, prepare *mysql.PrepareData) ([]*querypb.Field, error) {
	if prepare != nil {
		prepare.PrepareStmt = mysqlEscapes(prepare.PrepareStmt) // what each execution parses
	}
	return w.Handler.ComPrepare(ctx, c, mysqlEscapes(query), prepare)
}

// mysqlEscapes returns query with the backslash of every \% and \_ inside
// a quoted string doubled. Identifiers in backticks and comments are left
// alone. Applying it twice changes nothing more: \\ is one escape.
func mysqlEscapes(query string) string {
	if !strings.Contains(query, `\%`) && !strings.Contains(query, `\_`) {
		return query
	}
	var b strings.Builder
	done := 0 // query[:done] is in b
	for i := 0; i < len(query); {
		switch c := query[i]; {
		case c == '\'' || c == '"':
			i++
			for i < len(query) && query[i] != c {
				if query[i] == '\\' && i+1 < len(query) {
					if n := query[i+1]; n == '%' || n == '_' {
						b.WriteString(query[done:i])
						b.WriteByte('\\')
						done = i
					}
					i++
				}
				i++
			}
			i++ // the closing quote; a doubled quote reopens the string
		case c == '`':
			i = skipPast(query, i+1, "`")
		case c == '#' || strings.HasPrefix(query[i:], "-- "):
			i = skipPast(query, i, "\n")
		case strings.HasPrefix(query[i:], "/*"):
			i = skipPast(query, i+2, "*/")
		default:
			i++
		}
	}
	if done == 0 {
		return query
	}
	b.WriteString(query[done:])
	return b.String()
}

// skipPast returns the index after the first end at or after i, or the
// length of s when there is none.
func skipPast(s string, i int, end string) int {
	if j := strings.Index(s[i:], end); j >= 0 {
		return i + j + len(end)
	}
	return len(s)
}
