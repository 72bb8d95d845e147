package engine

import (
	"io"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/expression/function/aggregation"
	"github.com/dolthub/go-mysql-server/sql/iters"
	"github.com/dolthub/go-mysql-server/sql/plan"
	"github.com/dolthub/go-mysql-server/sql/rowexec"

	"logq/engine/compat"
)

// memExec builds the row iterators of logq's statements: it is the
// analyzer's ExecBuilder, as the override of go-mysql-server's builder
// (rowexec.NewOverrideBuilder), which asks it first for every node it
// builds, subqueries included. For a statement with a memory budget
// (memlimit.go) it builds the nodes that hold rows so that they charge the
// budget; it leaves every other node, and every node of a statement
// without a budget, to go-mysql-server (nil iterator). The plan is not
// changed: the charging exists only in the iterators of one execution.
type memExec struct {
	// base is the builder memExec overrides, which calls memExec back for
	// each child.
	base sql.NodeExecBuilder
}

// newExecBuilder returns the builder of logq's analyzer.
func newExecBuilder() sql.NodeExecBuilder {
	m := &memExec{}
	m.base = rowexec.NewOverrideBuilder(m)
	return m.base
}

// Build implements sql.NodeExecBuilder. go-mysql-server calls it on the
// statement's goroutine before building n itself; nil leaves n to it.
func (m *memExec) Build(ctx *sql.Context, n sql.Node, row sql.Row) (sql.RowIter, error) {
	switch n := n.(type) {
	case *compat.Distinct:
		// Its child is built here, through this builder, budget or not.
		return n.Build(ctx, m.base, row, &distinctKeys{memCharge{b: budgetOf(ctx)}})
	case *plan.Sort, *plan.TopN, *plan.Window, *plan.GroupBy, *plan.Distinct, *plan.HashLookup:
	default:
		return nil, nil
	}
	b := budgetOf(ctx)
	if b == nil {
		return nil, nil
	}
	switch n := n.(type) {
	case *plan.Sort:
		return m.withHeldInput(ctx, n, row, b, -1)
	case *plan.Window:
		return m.withHeldInput(ctx, n, row, b, -1)
	case *plan.TopN:
		limit, err := iters.GetInt64Value(ctx, n.Limit)
		if err != nil {
			return nil, err
		}
		return m.withHeldInput(ctx, n, row, b, limit)
	case *plan.GroupBy:
		return m.groupBy(ctx, n, row, b)
	case *plan.Distinct:
		child, err := m.base.Build(ctx, n.Child, row)
		if err != nil {
			return nil, err
		}
		return &distinctKeysIter{RowIter: iters.NewDistinctIter(ctx, child), charge: memCharge{b: b}}, nil
	case *plan.HashLookup:
		return m.hashLookup(ctx, n, row, b)
	}
	return nil, nil
}

// withHeldInput builds n, a node that keeps every row of its only child
// (or the first maxRows, when not negative), with its child's rows charged
// to b while n's iterator lives.
func (m *memExec) withHeldInput(ctx *sql.Context, n sql.Node, row sql.Row, b *memBudget, maxRows int64) (sql.RowIter, error) {
	child := n.Children()[0]
	if _, done := child.(*heldInput); done {
		return nil, nil // the copy made below: go-mysql-server builds it
	}
	nn, err := n.WithChildren(&heldInput{UnaryNode: plan.UnaryNode{Child: child}, exec: m, b: b, maxRows: maxRows})
	if err != nil {
		return nil, err
	}
	return m.base.Build(ctx, nn, row)
}

// heldInput is the child of a Sort, TopN or Window in one execution: its
// rows are charged as they go up, and given back when the node closes it.
// It exists only between memExec and go-mysql-server's builder, never in
// an analyzed plan.
type heldInput struct {
	plan.UnaryNode
	exec    *memExec
	b       *memBudget
	maxRows int64 // rows charged at most; negative: all
}

var _ sql.ExecSourceRel = (*heldInput)(nil)

func (h *heldInput) Resolved() bool   { return true }
func (h *heldInput) IsReadOnly() bool { return h.Child.IsReadOnly() }
func (h *heldInput) String() string   { return h.Child.String() }

func (h *heldInput) WithChildren(children ...sql.Node) (sql.Node, error) {
	if len(children) != 1 {
		return nil, sql.ErrInvalidChildrenNumber.New(h, len(children), 1)
	}
	c := *h
	c.Child = children[0]
	return &c, nil
}

// RowIter implements sql.ExecSourceRel.
func (h *heldInput) RowIter(ctx *sql.Context, row sql.Row) (sql.RowIter, error) {
	child, err := h.exec.base.Build(ctx, h.Child, row)
	if err != nil {
		return nil, err
	}
	return &heldRowsIter{child: child, charge: memCharge{b: h.b}, left: h.maxRows}, nil
}

// heldRowsIter charges every row it passes up (up to left of them).
type heldRowsIter struct {
	child  sql.RowIter
	charge memCharge
	left   int64 // rows still to charge; negative: all
}

func (it *heldRowsIter) Next(ctx *sql.Context) (sql.Row, error) {
	row, err := it.child.Next(ctx)
	if err != nil || it.left == 0 {
		return row, err
	}
	it.left--
	if err := it.charge.grow(rowBytes(row)); err != nil {
		return nil, err
	}
	return row, nil
}

// Close gives the rows' charge back: the node above drops them with it.
func (it *heldRowsIter) Close(ctx *sql.Context) error {
	it.charge.release()
	return it.child.Close(ctx)
}

// distinctKeysIter charges go-mysql-server's DISTINCT for each row it
// returns: each is a new key it keeps.
type distinctKeysIter struct {
	sql.RowIter
	charge memCharge
}

func (it *distinctKeysIter) Next(ctx *sql.Context) (sql.Row, error) {
	row, err := it.RowIter.Next(ctx)
	if err == nil {
		err = it.charge.grow(distinctKeyBytes)
	}
	return row, err
}

func (it *distinctKeysIter) Close(ctx *sql.Context) error {
	it.charge.release()
	return it.RowIter.Close(ctx)
}

// groupBy builds a GROUP BY whose groups are charged to b: its selected
// expressions become chargedAggs, whose buffers go-mysql-server makes once
// per new group, and a COUNT(DISTINCT) is charged for each new value it
// keeps. A GROUP BY without grouping expressions holds one group: only its
// COUNT(DISTINCT)s are charged.
func (m *memExec) groupBy(ctx *sql.Context, n *plan.GroupBy, row sql.Row, b *memBudget) (sql.RowIter, error) {
	grouped := len(n.GroupByExprs) > 0
	charge := &memCharge{b: b}
	selected := make([]sql.Expression, len(n.SelectedExprs))
	wrapped := false
	for i, e := range n.SelectedExprs {
		if _, done := e.(*chargedAgg); done {
			return nil, nil // the copy made below: go-mysql-server builds it
		}
		_, distinct := e.(*aggregation.CountDistinct)
		if !grouped && !distinct {
			// Not even the First of a non-aggregate: go-mysql-server
			// streams a GROUP BY of only ANY_VALUEs and firsts.
			selected[i] = e
			continue
		}
		a := &chargedAgg{charge: charge, distinct: distinct}
		if grouped {
			a.bytes = aggBufferBytes
			if !wrapped {
				a.bytes += groupBytes
			}
		}
		if agg, ok := e.(sql.Aggregation); ok {
			a.Aggregation = agg
		} else {
			// go-mysql-server keeps the first value of a selected
			// expression that is not an aggregate.
			a.Aggregation, a.first = aggregation.NewFirst(e), true
		}
		selected[i], wrapped = a, true
	}
	if !wrapped {
		return nil, nil
	}
	iter, err := m.base.Build(ctx, plan.NewGroupBy(selected, n.GroupByExprs, n.Child), row)
	if err != nil {
		return nil, err
	}
	return &releasingIter{RowIter: iter, charge: charge}, nil
}

// chargedAgg is a selected expression of a GROUP BY in one execution,
// whose every new buffer (one per group) is charged.
type chargedAgg struct {
	sql.Aggregation
	charge   *memCharge // the GROUP BY's
	bytes    int64      // charged per buffer
	first    bool       // a First: its buffer's value is charged too
	distinct bool       // a COUNT(DISTINCT): each value it keeps is charged
}

// NewBuffer implements sql.Aggregation; go-mysql-server calls it for each
// new group, on the statement's goroutine.
func (a *chargedAgg) NewBuffer() (sql.AggregationBuffer, error) {
	if err := a.charge.grow(a.bytes); err != nil {
		return nil, err
	}
	buf, err := a.Aggregation.NewBuffer()
	switch {
	case err != nil:
		return nil, err
	case a.first:
		return &chargedFirst{AggregationBuffer: buf, charge: a.charge}, nil
	case a.distinct:
		return &chargedDistinctCount{AggregationBuffer: buf, charge: a.charge}, nil
	}
	return buf, nil
}

// chargedFirst is the buffer of a First: the value it keeps is charged
// once it has one.
type chargedFirst struct {
	sql.AggregationBuffer
	charge *memCharge
	kept   bool
}

func (f *chargedFirst) Update(ctx *sql.Context, row sql.Row) error {
	if err := f.AggregationBuffer.Update(ctx, row); err != nil || f.kept {
		return err
	}
	v, err := f.AggregationBuffer.Eval(ctx)
	if err != nil || v == nil {
		return err
	}
	f.kept = true
	return f.charge.grow(valueBytes(v))
}

// chargedDistinctCount is the buffer of a COUNT(DISTINCT), which keeps a
// 64-bit hash per distinct value: its count, which Eval reads off the
// set, says when it took a new one.
type chargedDistinctCount struct {
	sql.AggregationBuffer
	charge *memCharge
	n      int64 // values charged
}

func (c *chargedDistinctCount) Update(ctx *sql.Context, row sql.Row) error {
	if err := c.AggregationBuffer.Update(ctx, row); err != nil {
		return err
	}
	v, err := c.AggregationBuffer.Eval(ctx)
	if err != nil {
		return err
	}
	if n, ok := v.(int64); ok && n > c.n {
		err, c.n = c.charge.grow((n-c.n)*distinctKeyBytes), n
	}
	return err
}

// releasingIter gives back its charge when it closes.
type releasingIter struct {
	sql.RowIter
	charge *memCharge
}

func (it *releasingIter) Close(ctx *sql.Context) error {
	it.charge.release()
	return it.RowIter.Close(ctx)
}

// hashLookup builds the build side of a hash join with its rows charged,
// as go-mysql-server's buildHashLookup of v0.20.0 does without: the first
// execution reads the child into a map kept on the node (n.Lookup) for
// every probe that follows, for the rest of the statement, so the charge
// stays until the statement ends. Later executions are go-mysql-server's.
func (m *memExec) hashLookup(ctx *sql.Context, n *plan.HashLookup, row sql.Row, b *memBudget) (sql.RowIter, error) {
	n.Mutex.Lock()
	defer n.Mutex.Unlock()
	if n.Lookup != nil {
		return nil, nil
	}
	child, err := m.base.Build(ctx, n.Child, row)
	if err != nil {
		return nil, err
	}
	return &hashBuildIter{n: n, child: child, lookup: map[any][]sql.Row{}, charge: memCharge{b: b}}, nil
}

// hashBuildIter is go-mysql-server's hashLookupGeneratingIter with each
// row it keeps charged: it passes the rows up and files them by key, and
// at the end leaves the map on the node for the probes.
type hashBuildIter struct {
	n      *plan.HashLookup
	child  sql.RowIter
	lookup map[any][]sql.Row
	charge memCharge
	built  bool // the map is complete and on the node
}

func (h *hashBuildIter) Next(ctx *sql.Context) (sql.Row, error) {
	row, err := h.child.Next(ctx)
	if err == io.EOF {
		// Only a complete map may serve probes: a plan may stop reading
		// early.
		h.n.Lookup, h.built = &h.lookup, true
		return nil, io.EOF
	}
	if err != nil {
		return nil, err
	}
	key, err := h.n.GetHashKey(ctx, h.n.RightEntryKey, row)
	if err != nil {
		return nil, err
	}
	h.lookup[key] = append(h.lookup[key], row)
	if err := h.charge.grow(valueSlotBytes + rowBytes(row)); err != nil {
		return nil, err
	}
	return row, nil
}

// Close closes the child, which go-mysql-server's iterator never does
// (logq's scan then kept its snapshot's segments referenced). A complete
// map stays charged with the node for the rest of the statement; an
// incomplete one is dropped, and so is its charge.
func (h *hashBuildIter) Close(ctx *sql.Context) error {
	if !h.built {
		h.charge.release()
	}
	if h.child == nil {
		return nil
	}
	err := h.child.Close(ctx)
	h.child = nil
	return err
}
