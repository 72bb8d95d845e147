package engine

import (
	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/analyzer"
	"github.com/dolthub/go-mysql-server/sql/expression"
	"github.com/dolthub/go-mysql-server/sql/expression/function/aggregation"
	"github.com/dolthub/go-mysql-server/sql/plan"
	"github.com/dolthub/go-mysql-server/sql/transform"

	"logq/engine/compat"
)

// declaredResultRule records in the statement's compat.ResultTypes (if
// compat.MySQLWire gave it one) the declared types of its result columns.
// It runs before go-mysql-server's rules, on the plan as written, where
// every column still leads to its table; the result's columns stay the
// same through the analysis.
func declaredResultRule(ctx *sql.Context, _ *analyzer.Analyzer, n sql.Node, scope *plan.Scope, _ analyzer.RuleSelector, _ *sql.QueryFlags) (sql.Node, transform.TreeIdentity, error) {
	if rt := compat.StatementResultTypes(ctx); rt != nil && scope.IsEmpty() {
		rt.Declared = declaredResult(n)
	}
	return n, transform.SameTree, nil
}

// declaredResult returns the declared types of n's result columns, nil
// when none has one.
func declaredResult(n sql.Node) []sql.Type {
	d := &declarations{tables: map[sql.TableId]func(string) sql.Type{}, exprs: map[sql.ColumnId]sql.Type{}}
	d.collect(n)
	out := d.outputs(n)
	for _, t := range out {
		if t != nil {
			return out
		}
	}
	return nil
}

// declarations follows columns of a plan back to declared columns of
// tables: through aliases, derived tables, UNION, scalar subqueries and
// MIN, MAX, ANY_VALUE, FIRST and LAST, which keep their argument's type in
// MySQL.
type declarations struct {
	tables map[sql.TableId]func(column string) sql.Type // per table, alias or derived table of the plan
	exprs  map[sql.ColumnId]sql.Type                    // per projected expression of a declared type
}

// collect learns the declared columns of n and the nodes below it.
func (d *declarations) collect(n sql.Node) {
	for _, c := range n.Children() {
		d.collect(c)
	}
	switch n := n.(type) {
	case *plan.ResolvedTable:
		d.tables[n.Id()] = func(c string) sql.Type { return compat.DeclaredType(n.Table, c) }
	case *plan.TableAlias:
		if rt, ok := n.Child.(*plan.ResolvedTable); ok {
			d.tables[n.Id()] = func(c string) sql.Type { return compat.DeclaredType(rt.Table, c) }
		}
	case *plan.SubqueryAlias:
		inner, s := d.outputs(n.Child), n.Schema()
		d.tables[n.Id()] = func(c string) sql.Type {
			if i := s.IndexOfColName(c); i >= 0 && i < len(inner) {
				return inner[i]
			}
			return nil
		}
	}
	if p, ok := n.(sql.Projector); ok {
		for _, e := range p.ProjectedExprs() {
			if ide, ok := e.(sql.IdExpression); ok && ide.Id() != 0 {
				if t := d.of(e); t != nil {
					d.exprs[ide.Id()] = t
				}
			}
		}
	}
}

// of is the declared type of e's values, or nil.
func (d *declarations) of(e sql.Expression) sql.Type {
	switch e := e.(type) {
	case *expression.Alias:
		return d.of(e.Child)
	case *expression.GetField:
		if t, ok := d.exprs[e.Id()]; ok {
			return t
		}
		if f, ok := d.tables[e.TableId()]; ok {
			return f(e.Name())
		}
	case *aggregation.Max, *aggregation.Min, *aggregation.AnyValue, *aggregation.First, *aggregation.Last:
		if c := e.Children(); len(c) == 1 {
			return d.of(c[0])
		}
	case *plan.Subquery: // a scalar subquery: its one column's
		d.collect(e.Query)
		if out := d.outputs(e.Query); len(out) == 1 {
			return out[0]
		}
	}
	return nil
}

// outputs is the declared types of n's result columns (nil entries: none).
func (d *declarations) outputs(n sql.Node) []sql.Type {
	var out []sql.Type
	switch n := n.(type) {
	case sql.Projector:
		for _, e := range n.ProjectedExprs() {
			out = append(out, d.of(e))
		}
	case *plan.ResolvedTable, *plan.TableAlias, *plan.SubqueryAlias:
		f := d.tables[n.(plan.TableIdNode).Id()]
		for _, c := range n.Schema() {
			var t sql.Type
			if f != nil {
				t = f(c.Name)
			}
			out = append(out, t)
		}
	case *plan.SetOp:
		// A column of a UNION has a declared type when every side's
		// column has that one.
		l, r := d.outputs(n.Left()), d.outputs(n.Right())
		for i := range l {
			if i < len(r) && l[i] != nil && r[i] != nil && l[i].Equals(r[i]) {
				out = append(out, l[i])
			} else {
				out = append(out, nil)
			}
		}
	case *plan.Limit, *plan.Offset, *plan.Sort, *plan.TopN, *plan.Filter, *plan.Having,
		*plan.Distinct, *plan.OrderedDistinct, *plan.Max1Row:
		return d.outputs(n.Children()[0])
	}
	return out
}
