package exec

import (
	"context"

	"logq/partitions"
	"logq/partitions/columns"
)

// unordered reads the kept batches of a scan in no particular order: loads
// run on the pool, a window of them at a time, and the scan reads each
// batch as soon as its load completes, whichever it is.
type unordered struct {
	loads *loadWindow[batchCursor] // a segment batch, or a buffered one (filtered only: no order is needed)
	cur   batchCursor
	found *[]partitions.Damage // where damaged batches go, skipped (the scan's)
}

func newUnordered(ctx context.Context, t *Env, snap Snapshot, sc Scope, cols *ColSet, found *[]partitions.Damage) *unordered {
	u := &unordered{loads: newLoadWindow[batchCursor](ctx, t.Pool), found: found}
	probe := traceProbe(sc.Cond)
	for _, p := range snap.Plan.Partitions {
		for _, sp := range p.Segments {
			seg := sp.Segment
			for _, bi := range sp.Batches {
				u.loads.add(seg.Name(), func() (batchCursor, error) {
					c := batchCursor{spans: true}
					if ok, err := t.Cache.mayMatch(seg, bi, probe); !ok {
						return c, err // no row can match: an empty batch
					}
					b, err := t.Cache.get(seg, bi, cols)
					if err == nil {
						c.load(sc.View.Batch(b), nil, true, sc)
					}
					return c, err
				})
			}
		}
		for _, b := range snap.Buffered[p.Key].Batches {
			t.Stats.BufferedRowsRead.Add(int64(b.Len()))
			u.loads.add("buffered rows of "+p.Key.DirName(), func() (batchCursor, error) {
				var c batchCursor
				c.load(sc.View.Batch(b), nil, false, sc)
				return c, nil
			})
		}
	}
	return u
}

// Next returns the next row, or a nil batch at the end.
func (u *unordered) Next() (*columns.Batch, int, error) {
	for !u.cur.step() {
		c, ok, err := u.loads.Next()
		if !ok {
			return nil, 0, nil
		}
		if d, damaged := asDamaged(err); damaged {
			*u.found = append(*u.found, d)
			continue // an empty batch: go on with the next
		}
		if err != nil {
			return nil, 0, err
		}
		u.cur = c
	}
	b, i := u.cur.current()
	return b, i, nil
}
