package exec

import (
	"context"
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"logq/engine/compat"
	"logq/engine/plan"
	"logq/partitions"
	"logq/partitions/columns"
)

// nodeRecordRows is the size of the records a node streams to a
// coordinator: large enough that per-record costs vanish, small enough that
// the first rows leave early.
const nodeRecordRows = 8192

// Stream runs the plan p over this node's whole store, as a node runs the
// plan a coordinator sent it, and returns the result as records: the rows
// in the plan's order (whole rows when ordered, for the coordinator's merge
// of streams; else the columns the plan names that this node knows), or the
// partial aggregate's state (see CombineStates). Damage goes to obs as the
// stream is read. release ends the run: it stops the loads still running
// and gives back the snapshot; call it once the stream is read or
// abandoned.
func (t *Env) Stream(ctx context.Context, p *plan.Plan, obs Observer) (s RecordStream, release func(), err error) {
	loc, err := compat.ParseZone(p.TimeZone)
	if err != nil {
		return nil, nil, fmt.Errorf("plan: %w", err)
	}
	push, err := PushedFrom(p, nil)
	if err != nil {
		return nil, nil, err
	}
	view := t.Store.ColumnView()
	if p.Aggregate != nil {
		q := &AggSpec{Push: push, View: view}
		AggregateFrom(q, p.Aggregate)
		q.Finish(q.ReadNames())
		total, err := q.Run(ctx, t, loc, obs)
		if err != nil {
			return nil, nil, err
		}
		return newOneRecord(encodeAggState(memory.DefaultAllocator, total)), func() {}, nil
	}
	sc := push.Scope()
	sc.View = view
	sc.Ordered = p.Order != plan.Order_ORDER_UNORDERED
	sc.Reverse = p.Order == plan.Order_ORDER_DESCENDING
	var cols *ColSet // nil: every column
	if !p.AllColumns && !sc.Ordered {
		names := append([]string{"ts"}, p.Columns...)
		if sc.Cond != nil {
			names = sc.Cond.Columns(names)
		}
		cols = NewColSet(names)
	}
	schema, err := RowSchema(view.Columns(t.Cat.Columns()), cols)
	if err != nil {
		return nil, nil, err
	}
	pred := push.Pruning()
	snap := t.TakeSnapshot(pred)
	if err := t.ReportPlanned(obs, snap.Plan, pred); err != nil {
		snap.Plan.Release()
		return nil, nil, err
	}
	t.Stats.RecordPlan(snap)
	lctx, cancel := context.WithCancel(ctx)
	rows := &reportedRows{obs: obs}
	rows.rows = t.Rows(lctx, snap, sc, cols, &rows.found)
	return Records(rows, schema, nodeRecordRows, nil), func() {
		cancel()
		snap.Plan.Release()
	}, nil
}

// reportedRows tells obs of the damage its rows' loads met, as they are
// read.
type reportedRows struct {
	rows  RowStream
	found []partitions.Damage
	obs   Observer
}

func (r *reportedRows) Next() (*columns.Batch, int, error) {
	b, i, err := r.rows.Next()
	for _, d := range r.found {
		if err := r.obs.Damaged(d); err != nil {
			return nil, 0, err
		}
	}
	r.found = r.found[:0]
	return b, i, err
}

// oneRecord is a RecordStream of one record.
type oneRecord struct {
	schema *arrow.Schema
	rec    arrow.RecordBatch
}

func newOneRecord(rec arrow.RecordBatch) *oneRecord {
	return &oneRecord{schema: rec.Schema(), rec: rec}
}

func (o *oneRecord) Schema() *arrow.Schema { return o.schema }

func (o *oneRecord) Next() (arrow.RecordBatch, error) {
	rec := o.rec
	o.rec = nil
	return rec, nil
}

// CombineStates combines the partial aggregates of q that streams hold
// (each node's Stream of an aggregate plan) into one table, exactly as
// one pass over all their rows would have computed it.
func CombineStates(q *AggSpec, streams []RecordStream) (*AggTable, error) {
	total := NewAggTable(q)
	for _, s := range streams {
		for {
			rec, err := s.Next()
			if err != nil {
				return nil, err
			}
			if rec == nil {
				break
			}
			part, err := decodeAggState(q, rec)
			rec.Release()
			if err != nil {
				return nil, err
			}
			total.MergeFrom(part, false)
		}
	}
	return total, nil
}
