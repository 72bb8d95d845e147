package compat

import (
	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/expression"
)

// Like is a LIKE that go-mysql-server's simplifyFilters does not
// recognise, and so does not rewrite: it turns `col LIKE 'p%'` into
// `col >= 'p' AND col <= 'pÿ'` (string(byte(255)) is U+00FF), which drops
// every value with a character past U+00FF after the prefix ('p€',
// 'p😀'); MySQL's LIKE keeps them. The embedded Like evaluates as before,
// and is what a pushdown reads.
type Like struct {
	*expression.Like
}

var _ sql.Expression = (*Like)(nil)

// WithChildren implements sql.Expression, keeping the wrapper.
func (l *Like) WithChildren(children ...sql.Expression) (sql.Expression, error) {
	n, err := l.Like.WithChildren(children...)
	if err != nil {
		return nil, err
	}
	return &Like{n.(*expression.Like)}, nil
}
