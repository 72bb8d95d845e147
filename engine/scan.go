package engine

import (
	"context"
	"fmt"
	"io"
	"runtime/debug"
	"time"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/types"

	"logq/engine/compat"
	exec "logq/engine/exec"
	"logq/partitions"
	"logq/partitions/columns"
)

// scanOptions says what one scan reads and in which order.
type scanOptions struct {
	push    *exec.Pushed // claimed conditions; nil: none
	ordered bool         // rows in row order (ts ascending), reversed when reverse
	reverse bool
}

// scan is the row iterator of logs.
type scan struct {
	t      *Table
	loc    *time.Location
	snap   exec.Snapshot
	cancel context.CancelFunc // stops the loads of this scan (LIMIT reached, query killed)

	rows  exec.RowStream
	dyn   []*columns.Dynamic
	dynOf *columns.Batch // the batch dyn was resolved for

	// report tells the user about damaged data; found holds the damage the
	// sources met since Next last reported (both consumer-goroutine only).
	report *damageReport
	found  []partitions.Damage
	remote []exec.RecordStream // the other nodes' streams, which report their damage at their end
}

// newScan plans the scan and reports (or, under logq_damaged_data =
// 'error', fails on) the damaged data the plan meets; it must be called
// from the goroutine that will consume the rows.
func newScan(ctx *sql.Context, t *Table, loc *time.Location, o scanOptions) (*scan, error) {
	loopback := planLoopback(ctx, t)
	if loopback {
		var err error
		if t, loc, o, err = loopbackScan(t, loc, o); err != nil {
			return nil, err
		}
	}
	sc := o.push.Scope()
	sc.Ordered, sc.Reverse, sc.View = o.ordered, o.reverse, t.view
	pred := o.push.Pruning()
	lctx, cancel := context.WithCancel(ctx)
	s := &scan{t: t, loc: loc, snap: t.TakeSnapshot(pred), cancel: cancel, report: newDamageReport(ctx)}
	if err := t.ReportPlanned(&sessionObserver{ctx: ctx, report: s.report}, s.snap.Plan, pred); err != nil {
		_ = s.Close(ctx)
		return nil, err
	}
	t.Stats.RecordPlan(s.snap)
	cols := t.neededColumns(sc.Cond)
	if t.nodes != nil {
		// A coordinator: this node's rows and those of the other nodes,
		// merged. The merge compares whole rows on ties of ts.
		p := scanPlan(t, o)
		if err := complete(p, loc, o.push); err != nil {
			_ = s.Close(ctx)
			return nil, err
		}
		remote, err := nodeStreams(ctx, lctx, t.nodes, p)
		if err != nil {
			_ = s.Close(ctx)
			return nil, err
		}
		if sc.Ordered {
			cols = nil
		}
		s.remote = remote
		s.rows = exec.MergeWith(t.Rows(lctx, s.snap, sc, cols, &s.found), remote, sc.Ordered, sc.Reverse)
		return s, nil
	}
	if !loopback {
		s.rows = t.Rows(lctx, s.snap, sc, cols, &s.found)
		return s, nil
	}
	rows, err := t.LoopbackRows(lctx, s.snap, sc, cols, t.dyn, &s.found)
	if err != nil {
		_ = s.Close(ctx)
		return nil, err
	}
	s.rows = rows
	return s, nil
}

// Next implements sql.RowIter.
func (s *scan) Next(ctx *sql.Context) (row sql.Row, err error) {
	defer func() {
		if v := recover(); v != nil {
			err = fmt.Errorf("BUG: scan of logs panicked: %v\n%s", v, debug.Stack())
		}
	}()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	b, i, err := s.rows.Next()
	for _, d := range s.found {
		if err := s.report.add(ctx, d); err != nil {
			return nil, err
		}
	}
	s.found = s.found[:0]
	if err != nil {
		return nil, err
	}
	if b == nil {
		for _, d := range exec.RemoteDamage(s.remote) {
			if err := s.report.add(ctx, d); err != nil {
				return nil, err
			}
		}
		s.remote = nil
		return nil, io.EOF
	}
	return s.toRow(b, i), nil
}

// toRow converts row i of b to the table's (projected) schema.
func (s *scan) toRow(b *columns.Batch, i int) sql.Row {
	if b != s.dynOf {
		s.dynOf = b
		s.dyn = s.dyn[:0]
		for _, c := range s.t.dyn {
			s.dyn = append(s.dyn, b.Column(c.Name))
		}
	}
	if s.t.proj == nil {
		row := make(sql.Row, len(s.t.schema))
		for col := range row {
			row[col] = s.value(b, i, col)
		}
		return row
	}
	row := make(sql.Row, len(s.t.proj))
	for k, col := range s.t.proj {
		row[k] = s.value(b, i, col)
	}
	return row
}

// value returns row i of b in schema column col.
func (s *scan) value(b *columns.Batch, i, col int) any {
	switch col {
	case exec.ColTS:
		return compat.LocalDatetime(b.TS[i], s.loc)
	case exec.ColLevel, exec.ColService, exec.ColHost, exec.ColTraceID, exec.ColMessage:
		return stringValue(exec.CoreStrings(b, col), i)
	}
	j := col - exec.NumCore
	v := dynamicValue(s.dyn[j], s.t.dyn[j].Type, i)
	if str, ok := v.(string); ok && types.IsJSON(s.t.schema[col].Type) {
		// The catch-all column: JSON functions and comparisons take a
		// document, parsed only if one of them looks inside.
		return types.NewLazyJSONDocument(exec.ViewBytes(str))
	}
	return v
}

func stringValue(c *columns.Strings, i int) any {
	if c.IsNull(i) {
		return nil
	}
	return exec.ViewString(c.Value(i))
}

// dynamicValue returns row i of d as a value of the schema type want. A
// batch written before the column widened holds a narrower type: numbers
// widen to DOUBLE, anything to its text.
func dynamicValue(d *columns.Dynamic, want columns.Type, i int) any {
	if d == nil || d.IsNull(i) {
		return nil
	}
	switch want {
	case columns.TypeInt64:
		if d.Type == columns.TypeInt64 {
			return d.Ints[i]
		}
	case columns.TypeFloat64:
		switch d.Type {
		case columns.TypeFloat64:
			return d.Floats[i]
		case columns.TypeInt64:
			return float64(d.Ints[i])
		}
	case columns.TypeString:
		if d.Type == columns.TypeString {
			return exec.ViewString(d.Strs.Value(i))
		}
	case columns.TypeBool:
		if d.Type == columns.TypeBool {
			if d.Bools[i] {
				return int8(1)
			}
			return int8(0)
		}
	}
	return string(d.AppendText(nil, i))
}

// Close implements sql.RowIter.
func (s *scan) Close(*sql.Context) error {
	s.cancel()
	s.snap.Plan.Release()
	return nil
}

// neededColumns is what a scan converts: the projected columns
// and those the claimed condition reads; nil (all) without a projection.
func (t *Table) neededColumns(cond exec.Pred) *exec.ColSet {
	if t.proj == nil {
		return nil
	}
	var names []string
	for _, i := range t.proj {
		names = append(names, t.schema[i].Name)
	}
	if cond != nil {
		names = cond.Columns(names)
	}
	return exec.NewColSet(names)
}
