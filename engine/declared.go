package engine

import (
	"strings"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/analyzer"
	"github.com/dolthub/go-mysql-server/sql/information_schema"
	"github.com/dolthub/go-mysql-server/sql/plan"
	"github.com/dolthub/go-mysql-server/sql/transform"
	"github.com/dolthub/go-mysql-server/sql/types"
	"github.com/dolthub/vitess/go/sqltypes"

	"logq/engine/compat"
)

// ts behaves as MySQL's TIMESTAMP(6): an instant, shown and compared as
// the wall clock of the session's time_zone. To go-mysql-server it is a
// DATETIME(6) holding that wall clock (compat.LocalDatetime). go-mysql-server
// v0.20.0's own TIMESTAMP would not do: it ignores the session's zone,
// announces TIMESTAMP(6) results with 0 decimals (GMS-NOTES.md), and it
// range-checks the value it sends, here the session's wall clock, against
// 1970-2038 UTC, so that the rows near either end of that range fail a
// query in a zone east or west of UTC ("value ... is outside of
// timestamp(6) range"). What a client reads as ts's type, though, is
// TIMESTAMP(6), as MySQL declares it (compat.DeclaringTable): DESCRIBE and
// SHOW [FULL] COLUMNS (compat's rule), SHOW CREATE TABLE and
// information_schema.COLUMNS (declaredSchemaRule), and the definitions of
// result columns that are ts itself, under an alias, through a derived
// table or a UNION, or its MIN or MAX (declared_result.go and
// compat.MySQLWire). An expression over ts (ts + INTERVAL 1 SECOND,
// DATE(ts)) stays what go-mysql-server types it, as in MySQL (DATETIME,
// DATE).

// tsDeclaredType is the type clients are told ts, damaged.min_ts and
// damaged.max_ts have.
var tsDeclaredType = types.MustCreateDatetimeType(sqltypes.Timestamp, 6)

var (
	_ compat.DeclaringTable = (*Table)(nil)
	_ compat.DeclaringTable = (*damagedTable)(nil)
)

// DeclaredType implements compat.DeclaringTable: ts is TIMESTAMP(6).
func (t *Table) DeclaredType(column string) sql.Type {
	if strings.EqualFold(column, "ts") {
		return tsDeclaredType
	}
	return nil
}

// DeclaredType implements compat.DeclaringTable: min_ts and max_ts are
// TIMESTAMP(6), as ts.
func (t *damagedTable) DeclaredType(column string) sql.Type {
	if strings.EqualFold(column, "min_ts") || strings.EqualFold(column, "max_ts") {
		return tsDeclaredType
	}
	return nil
}

// declaredSchema returns s, a schema of t's columns, with their declared
// types; changed is false (and out is s) when none differs.
func declaredSchema(t sql.Table, s sql.Schema) (out sql.Schema, changed bool) {
	for i, c := range s {
		d := compat.DeclaredType(t, c.Name)
		if d == nil || d.Equals(c.Type) {
			continue
		}
		if out == nil {
			out = s.Copy()
		}
		out[i].Type = d
	}
	if out == nil {
		return s, false
	}
	return out, true
}

// declaredSchemaRule makes SHOW CREATE TABLE and information_schema.COLUMNS
// show declared types. It runs after go-mysql-server's rules, which set
// SHOW CREATE TABLE's schema and resolve the COLUMNS table's defaults.
func declaredSchemaRule(_ *sql.Context, a *analyzer.Analyzer, n sql.Node, _ *plan.Scope, _ analyzer.RuleSelector, _ *sql.QueryFlags) (sql.Node, transform.TreeIdentity, error) {
	return transform.Node(n, func(n sql.Node) (sql.Node, transform.TreeIdentity, error) {
		switch n := n.(type) {
		case *plan.ShowCreateTable:
			rt, ok := n.Child.(*plan.ResolvedTable)
			if !ok || n.IsView {
				return n, transform.SameTree, nil
			}
			s, changed := declaredSchema(rt.Table, n.TargetSchema())
			if !changed {
				return n, transform.SameTree, nil
			}
			out, err := n.WithTargetSchema(s)
			return out, transform.NewTree, err
		case *plan.ResolvedTable:
			cols, ok := n.Table.(*information_schema.ColumnsTable)
			if !ok {
				return n, transform.SameTree, nil
			}
			out, err := n.WithTable(&declaredColumnsTable{ColumnsTable: cols, cat: a.Catalog})
			return out, transform.NewTree, err
		}
		return n, transform.SameTree, nil
	})
}

// declaredColumnsTable is information_schema.COLUMNS with the declared
// types in DATA_TYPE, COLUMN_TYPE and DATETIME_PRECISION.
type declaredColumnsTable struct {
	*information_schema.ColumnsTable
	cat sql.Catalog
}

// PartitionRows implements sql.Table.
func (c *declaredColumnsTable) PartitionRows(ctx *sql.Context, p sql.Partition) (sql.RowIter, error) {
	iter, err := c.ColumnsTable.PartitionRows(ctx, p)
	if err != nil {
		return nil, err
	}
	rows, err := sql.RowIterToRows(ctx, iter)
	if err != nil {
		return nil, err
	}
	s := c.Schema()
	at := func(name string) int { return s.IndexOfColName(name) }
	db, tbl, col := at("TABLE_SCHEMA"), at("TABLE_NAME"), at("COLUMN_NAME")
	dataType, colType, precision := at("DATA_TYPE"), at("COLUMN_TYPE"), at("DATETIME_PRECISION")
	if min(db, tbl, col, dataType, colType, precision) < 0 {
		return sql.RowsToRowIter(rows...), nil // not the layout of v0.20.0
	}
	tables := map[[2]string]sql.Table{} // nil: not found
	for _, r := range rows {
		key := [2]string{asString(r[db]), asString(r[tbl])}
		t, seen := tables[key]
		if !seen {
			t, _, err = c.cat.Table(ctx, key[0], key[1])
			if err != nil {
				t = nil
			}
			tables[key] = t
		}
		if t == nil {
			continue
		}
		d := compat.DeclaredType(t, asString(r[col]))
		if d == nil {
			continue
		}
		// As go-mysql-server fills them in from a type (columns_table.go).
		r[colType] = d.String()
		r[dataType] = strings.SplitN(d.String(), "(", 2)[0]
		if dt, ok := d.(sql.DatetimeType); ok {
			r[precision] = dt.Precision()
		}
	}
	return sql.RowsToRowIter(rows...), nil
}

func asString(v any) string {
	s, _ := v.(string)
	return s
}
