package engine

import (
	"slices"
	"strings"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/analyzer"
	"github.com/dolthub/go-mysql-server/sql/expression"
	"github.com/dolthub/go-mysql-server/sql/expression/function"
	"github.com/dolthub/go-mysql-server/sql/expression/function/aggregation"
	"github.com/dolthub/go-mysql-server/sql/plan"
	"github.com/dolthub/go-mysql-server/sql/transform"

	"logq/engine/compat"
	exec "logq/engine/exec"
	"logq/partitions/columns"
)

// aggregatePushdownVar turns the aggregate rule off for a session (SET
// logq_aggregate_pushdown = OFF): to compare with the row path, or to rule
// logq's own aggregation out when an answer looks wrong.
const aggregatePushdownVar = "logq_aggregate_pushdown"

// aggregateRule replaces a GroupBy directly over logs (after WHERE
// pushdown: no Filter left between them) with an aggNode, when every
// grouping and selected expression is one it computes exactly as
// go-mysql-server would. Anything else keeps the row path, unchanged.
// HAVING, ORDER BY and LIMIT stay above, in go-mysql-server.
func aggregateRule(ctx *sql.Context, _ *analyzer.Analyzer, n sql.Node, _ *plan.Scope, _ analyzer.RuleSelector, _ *sql.QueryFlags) (sql.Node, transform.TreeIdentity, error) {
	if v, err := ctx.GetSessionVariable(ctx, aggregatePushdownVar); err == nil && v == int8(0) {
		return n, transform.SameTree, nil
	}
	return transform.Node(n, func(n sql.Node) (sql.Node, transform.TreeIdentity, error) {
		switch n := n.(type) {
		case *plan.GroupBy:
			if q := recogniseAggregate(ctx, n); q != nil {
				return &aggNode{q: q}, transform.NewTree, nil
			}
		case *plan.Distinct, *compat.Distinct:
			// SELECT DISTINCT cols is GROUP BY cols without aggregates. The
			// Distinct stays above the node: it sees each value once.
			if q := recogniseDistinct(ctx, n.Children()[0]); q != nil {
				nn, err := n.WithChildren(&aggNode{q: q})
				return nn, transform.NewTree, err
			}
		case *plan.Sort, *plan.TopN:
			return sortByProjected(n)
		case *plan.Project:
			return projectSorted(n)
		}
		return n, transform.SameTree, nil
	})
}

// sortByProjected makes a Sort or TopN over a Project over a pushed-down
// aggregate read the sort keys the Project already computed, instead of
// evaluating them again in every comparison: go-mysql-server sorts by the
// expressions (ORDER BY 1 of Grafana's `UNIX_TIMESTAMP(ts) DIV 300 * 300 AS
// "time"` is UNIX_TIMESTAMP and a DECIMAL DIV per comparison, 80% of the
// query at 1,264 groups).
func sortByProjected(n sql.Node) (sql.Node, transform.TreeIdentity, error) {
	children := n.Children()
	if len(children) != 1 {
		return n, transform.SameTree, nil
	}
	proj, ok := children[0].(*plan.Project)
	if !ok {
		return n, transform.SameTree, nil
	}
	if _, ok := proj.Child.(*aggNode); !ok {
		return n, transform.SameTree, nil
	}
	exprs := n.(sql.Expressioner).Expressions()
	if !readProjected(exprs, proj) {
		return n, transform.SameTree, nil
	}
	nn, err := n.(sql.Expressioner).WithExpressions(exprs...)
	return nn, transform.NewTree, err
}

// projectSorted makes a Project over a Sort or TopN over a Project over a
// pushed-down aggregate (the select list above ORDER BY) read aliased
// values the lower Project computed instead of evaluating them again per
// row: the Sort passes the lower Project's rows through unchanged.
func projectSorted(top *plan.Project) (sql.Node, transform.TreeIdentity, error) {
	var lower *plan.Project
	switch s := top.Child.(type) {
	case *plan.Sort:
		lower, _ = s.Child.(*plan.Project)
	case *plan.TopN:
		lower, _ = s.Child.(*plan.Project)
	}
	if lower == nil {
		return top, transform.SameTree, nil
	}
	if _, ok := lower.Child.(*aggNode); !ok {
		return top, transform.SameTree, nil
	}
	exprs := slices.Clone(top.Projections)
	if !readProjected(exprs, lower) {
		return top, transform.SameTree, nil
	}
	nn, err := top.WithExpressions(exprs...)
	return nn, transform.NewTree, err
}

// readProjected replaces, in exprs, each deterministic alias that proj
// also computes (same column id) with a read of proj's column, keeping the
// alias' name; it reports whether it replaced any.
func readProjected(exprs []sql.Expression, proj *plan.Project) bool {
	changed := false
	for k, e := range exprs {
		a, ok := e.(*expression.Alias)
		if !ok || !deterministic(a) {
			continue
		}
		for i, p := range proj.Projections {
			if pa, ok := p.(*expression.Alias); ok && pa.Id() == a.Id() && pa.String() == a.String() {
				exprs[k] = expression.NewGetField(i, pa.Type(), pa.Name(), pa.IsNullable()).WithId(pa.Id()).(sql.Expression)
				changed = true
				break
			}
		}
	}
	return changed
}

// deterministic reports whether e gives the same value for the same row.
func deterministic(e sql.Expression) bool {
	return !transform.InspectExpr(e, func(e sql.Expression) bool {
		nd, ok := e.(sql.NonDeterministicExpression)
		return ok && nd.IsNonDeterministic()
	})
}

// recogniseDistinct returns the aggQuery grouping by the columns a DISTINCT
// reads, when they are level, service or host: a Project over logs, or logs
// read with a projection.
func recogniseDistinct(ctx *sql.Context, child sql.Node) *aggQuery {
	var exprs []sql.Expression
	from := child
	if p, ok := child.(*plan.Project); ok {
		exprs, from = p.Projections, p.Child
	}
	t, push, ok := logsUnder(from)
	if !ok {
		return nil
	}
	if exprs == nil {
		if exprs, ok = tableColumns(t, from); !ok {
			return nil
		}
	}
	if len(exprs) > exec.MaxAggKeys {
		return nil
	}
	q := &aggQuery{AggSpec: exec.AggSpec{Push: push, Grouped: true, View: t.view}, t: t, selected: exprs, schema: child.Schema()}
	r := recogniser{ctx: ctx, t: t}
	for _, e := range exprs {
		// Only the low-cardinality columns, whose values the statistics
		// list: a DISTINCT of trace_id or message has about as many groups
		// as rows, all held before the first goes out, while the row path
		// streams them to a LIMIT that stops it early.
		k, ok := r.key(unalias(e))
		if !ok || k.Kind != exec.KeyString || !r.fewValues(k.Col) {
			return nil
		}
		q.Keys = append(q.Keys, k)
	}
	for _, e := range exprs {
		expr, ok := q.overRepresentative(e)
		if !ok {
			return nil
		}
		q.outs = append(q.outs, aggOut{agg: -1, expr: expr})
	}
	q.Finish(q.ReadNames())
	return q
}

// tableColumns returns column references to what a table node of logs
// outputs, with the column ids go-mysql-server gives them (see
// columnIdsForNode in its fix_exec_indexes.go: a projected table with a
// primary-key schema numbers its columns by their place in that schema), so
// that the nodes above resolve them against the node replacing it.
func tableColumns(t *Table, n sql.Node) ([]sql.Expression, bool) {
	tn, ok := n.(plan.TableIdNode)
	if !ok {
		return nil, false
	}
	first, ok := tn.Columns().Next(1)
	if !ok {
		return nil, false
	}
	var out []sql.Expression
	for k, c := range n.Schema() {
		ord := t.schema.IndexOfColName(c.Name)
		if ord < 0 {
			return nil, false
		}
		gf := expression.NewGetFieldWithTable(k, int(tn.Id()), c.Type, c.DatabaseSource, c.Source, c.Name, c.Nullable)
		out = append(out, gf.WithId(first+sql.ColumnId(ord)).(sql.Expression))
	}
	return out, true
}

// fewValues reports whether a string column has few distinct values in
// every batch: level, service and host; a dynamic VARCHAR column when
// every stored batch lists its values in its statistics (at most 64; a
// segment without the column counts, one with a narrower type does not).
// It decides on the segments stored at planning time; rows flushed later
// are still read right, only without the guarantee.
func (r recogniser) fewValues(col exec.StringAccessor) bool {
	switch {
	case col.Core == exec.ColLevel || col.Core == exec.ColService || col.Core == exec.ColHost:
		return true
	case col.Core >= 0:
		return false
	}
	return r.t.ListsValues(r.t.view.Stored(col.Name))
}

// logsUnder returns the logs table a GroupBy reads directly, with the
// conditions pushed into it.
func logsUnder(n sql.Node) (*Table, *exec.Pushed, bool) {
	switch n := n.(type) {
	case *plan.TableAlias:
		return logsUnder(n.Child)
	case *plan.ResolvedTable:
		switch t := n.Table.(type) {
		case *Table:
			return t, nil, true
		case *indexedTable:
			return t.Table, t.push, true
		}
	case *plan.IndexedTableAccess:
		if t, ok := n.Table.(*indexedTable); ok {
			return t.Table, t.push, true
		}
	}
	return nil, nil, false
}

// recogniseAggregate returns the aggQuery of gb, or nil when gb has a shape
// the rule does not compute.
func recogniseAggregate(ctx *sql.Context, gb *plan.GroupBy) *aggQuery {
	t, push, ok := logsUnder(gb.Child)
	if !ok || len(gb.GroupByExprs) > exec.MaxAggKeys {
		return nil
	}
	q := &aggQuery{AggSpec: exec.AggSpec{Push: push, Grouped: len(gb.GroupByExprs) > 0, View: t.view}, t: t, selected: gb.SelectedExprs, schema: gb.Schema()}
	r := recogniser{ctx: ctx, t: t}
	for _, e := range gb.GroupByExprs {
		k, ok := r.key(unalias(e))
		if !ok {
			return nil
		}
		q.Keys = append(q.Keys, k)
	}
	for _, e := range gb.SelectedExprs {
		if fn, ok := r.aggregate(unalias(e)); ok {
			q.outs = append(q.outs, aggOut{agg: len(q.Aggs)})
			q.Aggs = append(q.Aggs, fn)
			continue
		}
		expr, ok := q.overRepresentative(e)
		if !ok {
			return nil
		}
		q.outs = append(q.outs, aggOut{agg: -1, expr: expr})
	}
	q.Finish(q.ReadNames())
	return q
}

// overRepresentative rewrites a selected expression that is not an
// aggregate to read a group's representative row: [first ts, key values].
// It must read only grouped columns, and ts only when a key is a function
// of ts (every ts of the group then gives the same value; MySQL rejects
// anything else under ONLY_FULL_GROUP_BY and go-mysql-server picks any
// row's value).
func (q *aggQuery) overRepresentative(e sql.Expression) (sql.Expression, bool) {
	tsKey := false
	for _, k := range q.Keys {
		tsKey = tsKey || k.Kind != exec.KeyString
	}
	ok := true
	out, _, err := transform.Expr(e, func(e sql.Expression) (sql.Expression, transform.TreeIdentity, error) {
		switch e := e.(type) {
		case *expression.GetField:
			if strings.EqualFold(e.Name(), "ts") && tsKey {
				return e.WithIndex(0), transform.NewTree, nil
			}
			for k := range q.Keys {
				if q.Keys[k].Kind == exec.KeyString && strings.EqualFold(q.Keys[k].Col.Name, e.Name()) {
					return e.WithIndex(1 + k), transform.NewTree, nil
				}
			}
			ok = false
		case sql.Aggregation, sql.NonDeterministicExpression, *plan.Subquery, *expression.BindVar:
			ok = false
		}
		return e, transform.SameTree, nil
	})
	return out, ok && err == nil
}

func unalias(e sql.Expression) sql.Expression {
	for {
		a, ok := e.(*expression.Alias)
		if !ok {
			return e
		}
		e = a.Child
	}
}

// recogniser matches expressions against the shapes the aggregate computes.
type recogniser struct {
	ctx *sql.Context
	t   *Table
}

// column returns the schema position of a column reference.
func (r recogniser) column(e sql.Expression) (int, bool) {
	return compiler{ctx: r.ctx, t: r.t}.column(e)
}

// isTS reports whether e reads ts.
func (r recogniser) isTS(e sql.Expression) bool {
	col, ok := r.column(e)
	return ok && col == exec.ColTS
}

// stringColumn returns the accessor of a string column and how its values
// group and count as distinct: bytewise under a binary collation, by
// collation key (folded) under utf8mb4_0900_ai_ci.
func (r recogniser) stringColumn(col int) (acc exec.StringAccessor, folded, ok bool) {
	typ := r.t.schema[col].Type
	st, ok := typ.(sql.StringType)
	if !ok || col == exec.ColTS {
		return exec.StringAccessor{}, false, false
	}
	if folded, ok = comparedBy(st.Collation()); !ok {
		return exec.StringAccessor{}, false, false
	}
	if col < exec.NumCore {
		return exec.StringAccessor{Core: col, Name: columns.CoreNames[col]}, folded, true
	}
	return exec.StringAccessor{Core: -1, Name: r.t.dyn[col-exec.NumCore].Name}, folded, true
}

// key recognises a GROUP BY expression.
func (r recogniser) key(e sql.Expression) (exec.AggKey, bool) {
	if m, ok := e.(*expression.Arithmetic); ok && m.Op == "*" {
		// bucket * n groups as bucket does, for n ≠ 0.
		if n, ok := literalInt(m.RightChild); ok && n != 0 {
			if k, ok := r.key(m.LeftChild); ok && k.Kind != exec.KeyString {
				return k, true
			}
		}
		return exec.AggKey{}, false
	}
	switch e := e.(type) {
	case *expression.GetField:
		col, ok := r.column(e)
		if !ok {
			return exec.AggKey{}, false
		}
		acc, folded, ok := r.stringColumn(col)
		return exec.AggKey{Kind: exec.KeyString, Col: acc, Folded: folded}, ok
	case *compat.IntDiv:
		if n, ok := literalInt(e.RightChild); ok && n > 0 && r.epoch(e.LeftChild) {
			return exec.AggKey{Kind: exec.KeyEpochDiv, N: n}, true
		}
	case *function.Floor:
		if d, ok := e.Child.(*expression.Div); ok {
			if n, ok := literalInt(d.RightChild); ok && n > 0 && r.epoch(d.LeftChild) {
				return exec.AggKey{Kind: exec.KeyEpochFloor, N: n}, true
			}
		}
	case *function.Date:
		if r.isTS(e.Child) {
			return exec.AggKey{Kind: exec.KeyLocal, Unit: 86400}, true
		}
	case *function.DateFormat:
		if !r.isTS(e.LeftChild) {
			return exec.AggKey{}, false
		}
		lit, ok := e.RightChild.(*expression.Literal)
		if !ok {
			return exec.AggKey{}, false
		}
		format, ok := lit.Value().(string)
		if !ok {
			return exec.AggKey{}, false
		}
		fields, unit, ok := exec.DateFormatFields(format)
		if ok && len(fields) > 0 {
			return exec.AggKey{Kind: exec.KeyLocal, Unit: unit, Fields: fields}, true
		}
	}
	return exec.AggKey{}, false
}

// epoch reports whether e is UNIX_TIMESTAMP(ts) of the DECIMAL(…, 6) type
// the bucket arithmetic assumes.
func (r recogniser) epoch(e sql.Expression) bool {
	var u *function.UnixTimestamp
	switch e := e.(type) {
	case *compat.UnixTimestamp:
		u = e.UnixTimestamp
	case *function.UnixTimestamp:
		u = e
	default:
		return false
	}
	if !r.isTS(u.Date) {
		return false
	}
	d, ok := u.Type().(sql.DecimalType)
	return ok && d.Scale() == 6
}

// literalInt returns the value of an integer literal.
func literalInt(e sql.Expression) (int64, bool) {
	lit, ok := e.(*expression.Literal)
	if !ok {
		return 0, false
	}
	return compat.ExactInt(lit.Value())
}

// aggregate recognises an aggregate function over one column, or COUNT(*).
func (r recogniser) aggregate(e sql.Expression) (exec.AggFn, bool) {
	var op exec.AggOp
	var arg sql.Expression
	exact := false
	switch a := e.(type) {
	case *aggregation.Count:
		op, arg = exec.OpCount, a.Child
	case *aggregation.CountDistinct:
		if len(a.Children()) != 1 {
			return exec.AggFn{}, false
		}
		op, arg = exec.OpCountDistinct, a.Children()[0]
		if k, ok := arg.(*compat.CollationKey); ok {
			arg = k.Child // distinct by key: as a folded column counts
			e = aggregation.NewCountDistinct(arg)
		}
	case *aggregation.Sum:
		op, arg = exec.OpSum, a.Child
	case *aggregation.Avg:
		op, arg = exec.OpAvg, a.Child
	case *compat.Sum:
		op, arg, exact = exec.OpSum, a.Child, true
	case *compat.Avg:
		op, arg, exact = exec.OpAvg, a.Child, true
	case *aggregation.Min:
		op, arg = exec.OpMin, a.Child
	case *aggregation.Max:
		op, arg = exec.OpMax, a.Child
	default:
		return exec.AggFn{}, false
	}
	if w, ok := e.(sql.WindowAdaptableExpression); ok && w.Window() != nil {
		return exec.AggFn{}, false
	}
	fn := exec.AggFn{Op: op, Text: e.String(), Exact: exact}
	if lit, ok := arg.(*expression.Literal); ok && op == exec.OpCount {
		if lit.Value() == nil {
			return exec.AggFn{}, false // COUNT(NULL): rare; the row path answers 0
		}
		fn.Arg = exec.ArgRows
		return fn, true
	}
	col, ok := r.column(arg)
	if !ok {
		return exec.AggFn{}, false
	}
	numeric := op == exec.OpSum || op == exec.OpAvg || op == exec.OpMin || op == exec.OpMax
	switch {
	case col == exec.ColTS:
		fn.Arg, fn.Col = exec.ArgTS, exec.StringAccessor{Core: -1, Name: "ts"}
		return fn, op != exec.OpSum && op != exec.OpAvg
	case col < exec.NumCore:
		acc, folded, ok := r.stringColumn(col)
		fn.Arg, fn.Col, fn.Folded = exec.ArgString, acc, folded
		return fn, ok && !numeric
	}
	d := r.t.dyn[col-exec.NumCore]
	fn.Col = exec.StringAccessor{Core: -1, Name: d.Name}
	switch d.Type {
	case columns.TypeInt64:
		fn.Arg = exec.ArgInt
	case columns.TypeFloat64:
		fn.Arg = exec.ArgFloat
	case columns.TypeString:
		acc, folded, ok := r.stringColumn(col)
		fn.Arg, fn.Col, fn.Folded = exec.ArgString, acc, folded
		return fn, ok && !numeric
	default: // BOOLEAN: counted by its text
		fn.Arg = exec.ArgString
		return fn, !numeric
	}
	return fn, true
}
