package compat

import (
	"context"

	"github.com/dolthub/go-mysql-server/sql"
)

// Declared types: a table may tell clients another type for a column than
// the one its values have in go-mysql-server (a column held as DATETIME(6)
// that clients must see as TIMESTAMP(6), since v0.20.0's own TIMESTAMP
// differs from MySQL's). SHOW [FULL] COLUMNS shows the declared type
// (showColumnsRule), and MySQLWire sends it in the definitions of a
// result's columns once the engine has recorded them (ResultTypes).

// DeclaringTable is a table that declares some of its columns to clients
// with another type than their values have in go-mysql-server.
type DeclaringTable interface {
	// DeclaredType returns the type clients are told the named column has,
	// or nil when it is the column's own. The analyzer and the statement's
	// goroutine call it, from any number of goroutines at once; it must be
	// safe for concurrent use.
	DeclaredType(column string) sql.Type
}

// DeclaredType is the declared type of a column of t, looking through
// table wrappers (sql.TableWrapper) for a DeclaringTable, or nil.
func DeclaredType(t sql.Table, column string) sql.Type {
	for t != nil {
		if d, ok := t.(DeclaringTable); ok {
			return d.DeclaredType(column)
		}
		w, ok := t.(sql.TableWrapper)
		if !ok {
			break
		}
		t = w.Underlying()
	}
	return nil
}

// ResultTypes carries the declared types of one statement's result columns
// from the engine, which records them while the statement is planned, to
// MySQLWire, which tells them to the client. MySQLWire puts one in the
// context of each statement it hands go-mysql-server; the engine's rule
// fills it in on the statement's goroutine, before go-mysql-server sends
// the column definitions, and MySQLWire reads it on that goroutine too.
type ResultTypes struct {
	// Declared holds a type per result column; a nil entry, or a nil
	// slice, keeps go-mysql-server's type.
	Declared []sql.Type
}

type resultTypesKey struct{}

// withResultTypes returns ctx carrying a new ResultTypes.
func withResultTypes(ctx context.Context) (context.Context, *ResultTypes) {
	rt := &ResultTypes{}
	return context.WithValue(ctx, resultTypesKey{}, rt), rt
}

// StatementResultTypes returns the ResultTypes MySQLWire gave the statement
// of ctx, or nil when the statement did not come through MySQLWire.
func StatementResultTypes(ctx context.Context) *ResultTypes {
	rt, _ := ctx.Value(resultTypesKey{}).(*ResultTypes)
	return rt
}
