package exec

import (
	"context"

	"logq/partitions"
	"logq/partitions/columns"
)

// A rowStream yields the rows a plan selects, one at a time: in the total
// order (ts, then the rows' content), reversed, or in no order.
type RowStream interface {
	// Next returns the next row, or a nil batch at the end. The row stays
	// valid until the following call.
	Next() (*columns.Batch, int, error)
}

// Rows opens the rows of snap that sc selects, reading the columns cols
// (nil: all). Loads that find a batch damaged add it to found and go on
// without it; the caller reports found.
func (t *Env) Rows(ctx context.Context, snap Snapshot, sc Scope, cols *ColSet, found *[]partitions.Damage) RowStream {
	if !sc.Ordered {
		return newUnordered(ctx, t, snap, sc, cols, found)
	}
	var sources []source
	for _, p := range snap.Plan.Partitions {
		for _, sp := range p.Segments {
			if len(sp.Batches) > 0 {
				sources = append(sources, newSegmentSource(ctx, sp, sc, cols, t.Cache, t.Pool, found))
			}
		}
		for _, b := range snap.Buffered[p.Key].Batches {
			t.Stats.BufferedRowsRead.Add(int64(b.Len()))
			if b.Len() > 0 {
				sources = append(sources, newBufferSource(b, sc, t.Orders))
			}
		}
	}
	return &orderedRows{m: newMerger(sources, sc.Reverse)}
}

// orderedRows is the RowStream of a merger.
type orderedRows struct {
	m        *merger
	returned bool // a row was returned and its source not advanced yet
}

func (o *orderedRows) Next() (*columns.Batch, int, error) {
	b, i, err := o.m.Next(o.returned)
	o.returned = b != nil
	return b, i, err
}
