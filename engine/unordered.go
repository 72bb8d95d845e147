package engine

import (
	"context"

	"logq/partitions"
	"logq/partitions/columns"
)

// unordered reads the kept batches of a scan in no particular order: loads
// run on the pool, a window of them at a time, and the scan reads each
// batch as soon as its load completes, whichever it is.
type unordered struct {
	ctx     context.Context
	pool    *pool
	tasks   []loadTask
	started int // tasks started
	running int
	results chan loadResult
	cur     batchCursor
	found   *[]partitions.Damage // where damaged batches go, skipped (the scan's)
}

// loadTask loads one batch: a segment batch, or a buffered one (filtered
// only: no order is needed).
type loadTask struct {
	what string
	fn   func() (batchCursor, error)
}

func newUnordered(ctx context.Context, snap snapshot, sc scope, t *Table, cols *colSet, found *[]partitions.Damage) *unordered {
	u := &unordered{ctx: ctx, pool: t.pool, found: found}
	probe := traceProbe(sc.cond)
	for _, p := range snap.plan.Partitions {
		for _, sp := range p.Segments {
			seg := sp.Segment
			for _, bi := range sp.Batches {
				u.tasks = append(u.tasks, loadTask{what: seg.Name(), fn: func() (batchCursor, error) {
					c := batchCursor{spans: true}
					if ok, err := t.cache.mayMatch(seg, bi, probe); !ok {
						return c, err // no row can match: an empty batch
					}
					b, err := t.cache.get(seg, bi, cols)
					if err == nil {
						c.load(sc.view.Batch(b), nil, true, sc)
					}
					return c, err
				}})
			}
		}
		for _, b := range snap.buffered[p.Key].Batches {
			t.stats.BufferedRowsRead.Add(int64(b.Len()))
			u.tasks = append(u.tasks, loadTask{what: "buffered rows of " + p.Key.DirName(), fn: func() (batchCursor, error) {
				var c batchCursor
				c.load(sc.view.Batch(b), nil, false, sc)
				return c, nil
			}})
		}
	}
	// Twice the workers: every worker finds the next batch waiting while the
	// scan reads one, and no more than that is decoded ahead of a LIMIT.
	u.results = make(chan loadResult, 2*cap(t.pool.slots))
	return u
}

// start keeps the window of loads full.
func (u *unordered) start() {
	for u.running < cap(u.results) && u.started < len(u.tasks) {
		task := u.tasks[u.started]
		u.started++
		u.running++
		u.pool.loadInto(u.ctx, task.what, task.fn, u.results)
	}
}

// next returns the next row, or a nil batch at the end.
func (u *unordered) next() (*columns.Batch, int, error) {
	for !u.cur.step() {
		u.start()
		if u.running == 0 {
			return nil, 0, nil
		}
		r := <-u.results
		u.running--
		if d, ok := asDamaged(r.err); ok {
			*u.found = append(*u.found, d)
			r = loadResult{} // an empty batch: go on with the next
		}
		if r.err != nil {
			return nil, 0, r.err
		}
		u.cur = r.cur
	}
	b, i := u.cur.current()
	return b, i, nil
}
