package engine

import (
	"fmt"
	"io"
	"math"
	"strings"
	"time"

	"github.com/dolthub/go-mysql-server/sql"

	"logq/engine/compat"
	exec "logq/engine/exec"
	"logq/engine/plan"
)

// aggQuery is an aggregate over logs that the aggregate rule took from
// go-mysql-server's GroupBy: its partial aggregate (aggSpec), and how the
// merged groups become the GroupBy's rows; go-mysql-server then sees only
// the groups.
type aggQuery struct {
	exec.AggSpec
	t    *Table   // the query's view of logs
	outs []aggOut // one per selected expression

	selected []sql.Expression // the GroupBy's, for sql.Projector
	schema   sql.Schema
}

// aggOut is how one selected expression is computed: an aggregate's
// result, or an expression over a group's representative row (its key
// values and first ts; see repRow).
type aggOut struct {
	agg  int            // index into aggs, or -1
	expr sql.Expression // agg < 0: evaluated over the representative row
}

// aggNode is the plan node of an aggQuery; it replaces the GroupBy and the
// table under it.
type aggNode struct {
	q *aggQuery
}

var (
	_ sql.ExecSourceRel = (*aggNode)(nil)
	_ sql.Projector     = (*aggNode)(nil)
)

func (n *aggNode) Resolved() bool       { return true }
func (n *aggNode) IsReadOnly() bool     { return true }
func (n *aggNode) Schema() sql.Schema   { return n.q.schema }
func (n *aggNode) Children() []sql.Node { return nil }

// ProjectedExprs implements sql.Projector: the GroupBy's selected
// expressions, through which the nodes above resolve their columns.
func (n *aggNode) ProjectedExprs() []sql.Expression { return n.q.selected }

func (n *aggNode) WithChildren(children ...sql.Node) (sql.Node, error) {
	if len(children) != 0 {
		return nil, sql.ErrInvalidChildrenNumber.New(n, len(children), 0)
	}
	return n, nil
}

// String is the node in EXPLAIN PLAN.
func (n *aggNode) String() string {
	q := n.q
	var keys, aggs []string
	for i := range q.Keys {
		keys = append(keys, q.Keys[i].Describe())
	}
	for i := range q.Aggs {
		aggs = append(aggs, q.Aggs[i].Text)
	}
	p := sql.NewTreePrinter()
	_ = p.WriteNode("LogsAggregate(pushed down: computed over columns inside the partitions)")
	_ = p.WriteChildren(
		"groups: ["+strings.Join(keys, ", ")+"]",
		"aggregates: ["+strings.Join(aggs, ", ")+"]",
		explainScan(q.t, q.Push)+"; "+q.explainStats(),
	)
	return p.String()
}

// explainStats says how many kept batches a plan made now answers from
// their statistics, without reading them.
func (q *aggQuery) explainStats() string {
	n, kept := q.AnsweredFromStats(&q.t.Env)
	what := ""
	switch {
	case q.Stats.Tuples && q.Stats.Measured != nil:
		what = " (level, service, host counts and sums)"
	case q.Stats.Tuples:
		what = " (level, service, host counts)"
	case q.Stats.Minutes:
		what = " (counts per minute and level)"
	}
	return fmt.Sprintf("batches answered from statistics %d/%d%s", n, kept, what)
}

// RowIter implements sql.ExecSourceRel: it aggregates every kept batch
// before returning the first group.
func (n *aggNode) RowIter(ctx *sql.Context, _ sql.Row) (sql.RowIter, error) {
	loc, err := compat.SessionLocation(ctx)
	if err != nil {
		return nil, err
	}
	q := n.q
	loopback := planLoopback(ctx, q.t)
	if loopback {
		if q, loc, err = loopbackAggregate(q, loc); err != nil {
			return nil, err
		}
	}
	charge := &memCharge{b: budgetOf(ctx)}
	obs := &sessionObserver{ctx: ctx, report: newDamageReport(ctx), charge: charge}
	run := q.Run
	if loopback {
		run = q.LoopbackRun // partials of three nodes, sent as Arrow and combined
	}
	total, err := run(ctx, &q.t.Env, loc, obs)
	if err == nil && q.t.nodes != nil {
		err = q.addNodes(ctx, total, loc)
	}
	if err != nil {
		charge.release()
		return nil, err
	}
	it, err := q.rows(ctx, total, loc, charge)
	if err != nil {
		charge.release()
	}
	return it, err
}

// rows turns the merged groups into the GroupBy's rows. The final table
// and the rows are charged before they are made (as much again as total,
// and a row per group), and the rows' charge is given back when the
// iterator closes.
func (q *aggQuery) rows(ctx *sql.Context, total *exec.AggTable, loc *time.Location, charge *memCharge) (sql.RowIter, error) {
	rowsBytes := int64(len(total.Tuples)+1) * (rowOverheadBytes + 2*valueSlotBytes*int64(len(q.outs)))
	if err := charge.set(2*total.Size() + rowsBytes); err != nil {
		return nil, err
	}
	final := exec.NewAggTable(&q.AggSpec)
	final.MergeFrom(total, true)
	if len(final.Tuples) == 0 && !q.Grouped {
		final.Group(exec.GroupTuple{}) // an aggregate without GROUP BY has one row
	}
	out := make([]sql.Row, 0, len(final.Tuples))
	rep := make(sql.Row, 1+len(q.Keys))
	for g, tup := range final.Tuples {
		rep[0] = nil
		if ts := final.MinTS[g]; ts != math.MaxInt64 {
			rep[0] = compat.LocalDatetime(ts, loc)
		}
		for k := range q.Keys {
			rep[1+k] = nil
			if q.Keys[k].Kind == exec.KeyString {
				if v := final.Dicts[k].Vals[tup[k]]; v != nil {
					rep[1+k] = *v
				}
			}
		}
		accs := final.AccsOf(g)
		row := make(sql.Row, len(q.outs))
		for i, o := range q.outs {
			if o.agg >= 0 {
				row[i] = accs[o.agg].Result(&q.Aggs[o.agg], loc)
				continue
			}
			v, err := o.expr.Eval(ctx, rep)
			if err != nil {
				return nil, err
			}
			row[i] = v
		}
		out = append(out, row)
	}
	_ = charge.set(rowsBytes) // total and final are garbage now
	return &rowsIter{rows: out, charge: charge}, nil
}

// rowsIter returns rows computed in advance.
type rowsIter struct {
	rows   []sql.Row
	next   int
	charge *memCharge // the rows'; nil: none
}

func (it *rowsIter) Next(*sql.Context) (sql.Row, error) {
	if it.next >= len(it.rows) {
		return nil, io.EOF
	}
	it.next++
	return it.rows[it.next-1], nil
}

func (it *rowsIter) Close(*sql.Context) error {
	if it.charge != nil {
		it.charge.release()
	}
	it.rows = nil
	return nil
}

// addNodes adds to total, this node's partial aggregate, those of the
// other nodes of the cluster.
func (q *aggQuery) addNodes(ctx *sql.Context, total *exec.AggTable, loc *time.Location) error {
	p := &plan.Plan{Aggregate: exec.AggregateOf(&q.AggSpec)}
	if err := complete(p, loc, q.Push); err != nil {
		return err
	}
	remote, err := nodeStreams(ctx, ctx, q.t.nodes, p)
	if err != nil {
		return err
	}
	others, err := exec.CombineStates(&q.AggSpec, remote)
	if err != nil {
		return err
	}
	report := newDamageReport(ctx)
	for _, d := range exec.RemoteDamage(remote) {
		if err := report.add(ctx, d); err != nil {
			return err
		}
	}
	total.MergeFrom(others, false)
	return nil
}
