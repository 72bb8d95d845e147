package engine

import (
	"context"
	"sync"
	"time"

	"logq/partitions"
	"logq/partitions/columns"
	"logq/partitions/segment"
)

// segmentTuples aggregates into part the batches bi of seg, answered from
// their tuple or minute counts: from the segment's merged counts when they
// are every batch and answer q, else batch by batch.
func (q *aggSpec) segmentTuples(cache *batchCache, part *aggTable, seg *partitions.Segment, bis []int, loc *time.Location) error {
	if q.stats.tuples && len(bis) == len(seg.Stats.Batches) {
		if tr := cache.tuples(seg, wholeSegment, false); q.stats.answersWhole(tr) {
			return q.tuplePartial(part, tr, loc)
		}
	}
	for _, bi := range bis {
		tr := cache.tuples(seg, bi, q.stats.minutes)
		if !q.stats.minutes {
			if err := q.tuplePartial(part, tr, loc); err != nil {
				return err
			}
			continue
		}
		cond, _ := q.stats.minutesCond(&seg.Stats.Batches[bi]) // ok: answers said so
		if err := q.tuplePartialWhere(part, tr, cond, loc); err != nil {
			return err
		}
	}
	return nil
}

// allBatches is the index of every batch of seg.
func allBatches(seg *partitions.Segment) []int {
	bis := make([]int, len(seg.Stats.Batches))
	for i := range bis {
		bis[i] = i
	}
	return bis
}

// scratchPool holds the memory of the batches that uncached scans read.
var scratchPool = sync.Pool{New: func() any { return new(segment.Scratch) }}

// run aggregates the batches of t that the plan keeps on the pool, a
// window of them at a time, merging each partial as it completes. It tells
// obs of the damaged data it meets and of the memory the merged groups
// hold, a batch at a time, from the calling goroutine only.
func (q *aggSpec) run(ctx context.Context, t *env, loc *time.Location, obs observer) (*aggTable, error) {
	sc := q.push.scope()
	sc.view = q.view
	pred := q.push.pruning()
	snap := t.takeSnapshot(pred)
	defer snap.plan.Release()
	if err := t.reportPlanned(obs, snap.plan, pred); err != nil {
		return nil, err
	}
	t.stats.recordPlan(snap)

	lctx, cancel := context.WithCancel(ctx)
	defer cancel() // an error stops the loads still queued
	tasks := newLoadWindow[*aggTable](lctx, t.pool)
	// A scan whose batches decode to more than the cache holds gets no hit
	// from it on its next run and pushes out what other queries use. When
	// its condition reads columns that nothing else does, its batches
	// bypass the cache and those columns are decoded into reused memory
	// (batchCache.scan). RawBytes counts every column, an upper bound of
	// what a projection decodes.
	var scanBytes int64
	var uncached bool
	total := newAggTable(q)
	fromCounts := newAggTable(q) // the batches answered from level counts
	for _, p := range snap.plan.Partitions {
		var whole []*partitions.Segment
		for _, sp := range p.Segments {
			seg := sp.Segment
			// The batches answered from tuple or minute counts, aggregated by one
			// task into one partial table: at 100M rows a week has 1,700
			// batches, and a task and a table of its own for each spent
			// more on dictionaries and maps than on the counts.
			var fromTuples, fromLevels []int
			for k, bi := range sp.Batches {
				if q.stats.answers(seg.Stats, bi, sp.Inside[k]) && q.stats.inZone(loc, &seg.Stats.Batches[bi]) {
					t.stats.BatchesFromStats.Add(1)
					if q.stats.tuples || q.stats.minutes {
						fromTuples = append(fromTuples, bi)
						continue
					}
					if q.stats.distinct != 0 || q.stats.distinctDyn != "" {
						total.mergeFrom(q.stats.partial(q, seg.Stats, bi), false)
						if err := obs.holding(total.size() + fromCounts.size()); err != nil {
							return nil, err
						}
					} else {
						fromLevels = append(fromLevels, bi)
					}
					continue
				}
				bsc := sc
				if sc.cond != nil {
					bsc.cond = withoutImplied(sc.cond, &seg.Stats.Batches[bi])
				}
				scanBytes += seg.Stats.Batches[bi].RawBytes
				tasks.add(seg.Name(), func() (*aggTable, error) {
					var b *columns.Batch
					var err error
					if uncached {
						s := scratchPool.Get().(*segment.Scratch)
						defer func() {
							s.Reset()
							scratchPool.Put(s)
						}()
						b, err = t.cache.scan(seg, bi, q.cols, s)
					} else {
						b, err = t.cache.get(seg, bi, q.cols)
					}
					if err != nil {
						return nil, err
					}
					return q.aggregateRows(b, true, bsc, loc)
				})
			}
			if len(fromLevels) == len(seg.Stats.Batches) && len(fromLevels) > 1 {
				// Every batch: the segment's level counts, summed once.
				q.stats.addCounts(fromCounts, q, t.cache.levels(seg))
			} else {
				for _, bi := range fromLevels {
					q.stats.addCounts(fromCounts, q, &seg.Stats.Batches[bi])
				}
			}
			if len(fromLevels) > 0 {
				if err := obs.holding(total.size() + fromCounts.size()); err != nil {
					return nil, err
				}
			}
			if q.stats.tuples && len(fromTuples) == len(seg.Stats.Batches) && !seg.InMemory() {
				whole = append(whole, seg) // with the partition's others
			} else if len(fromTuples) > 0 {
				tasks.add(seg.Name(), func() (*aggTable, error) {
					part := newAggTable(q)
					return part, q.segmentTuples(t.cache, part, seg, fromTuples, loc)
				})
			}
		}
		if len(whole) > 0 {
			// The segments answered whole from their tuple counts: the
			// partition's counts, merged once.
			tasks.add(p.Key.DirName(), func() (*aggTable, error) {
				part := newAggTable(q)
				if len(whole) > 1 {
					if tr := t.cache.mergedTuples(whole); q.stats.answersWhole(tr) {
						return part, q.tuplePartial(part, tr, loc)
					}
				}
				for _, seg := range whole {
					if err := q.segmentTuples(t.cache, part, seg, allBatches(seg), loc); err != nil {
						return nil, err
					}
				}
				return part, nil
			})
		}
		for _, b := range snap.buffered[p.Key].Batches {
			t.stats.BufferedRowsRead.Add(int64(b.Len()))
			tasks.add("buffered rows of "+p.Key.DirName(), func() (*aggTable, error) {
				return q.aggregateRows(b, false, sc, loc)
			})
		}
	}

	total.mergeFrom(fromCounts, false)
	if _, limit := t.cache.bytes(); scanBytes > limit && len(q.cols.scratch) > 0 {
		uncached = true
	}
	for {
		part, ok, err := tasks.next()
		if !ok {
			break
		}
		if d, damaged := asDamaged(err); damaged {
			if err := obs.damaged(d); err != nil {
				return nil, err
			}
			continue // the batch adds nothing
		}
		if err != nil {
			return nil, err
		}
		total.mergeFrom(part, false)
		if err := obs.holding(total.size()); err != nil {
			return nil, err
		}
	}
	return total, nil
}

// selections recycles the selection vectors of aggregated batches: one of a
// batch's length per batch and query would otherwise be allocated and
// zeroed every time (a quarter of Q4's CPU at 10M rows).
var selections = sync.Pool{New: func() any { return new([]int32) }}

// aggregateRows aggregates the rows of b that sc selects; sorted says b is
// in row order (a segment batch).
func (q *aggSpec) aggregateRows(b *columns.Batch, sorted bool, sc scope, loc *time.Location) (*aggTable, error) {
	sel := selections.Get().(*[]int32)
	defer selections.Put(sel)
	c := batchCursor{sel: (*sel)[:0]}
	b = sc.view.Batch(b)
	c.load(b, nil, sorted, sc)
	*sel = c.sel // keep what it grew to
	return q.aggregateBatch(b, c.sel, loc, nil)
}
