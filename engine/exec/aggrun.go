package exec

import (
	"context"
	"sync"
	"time"

	"github.com/apache/arrow-go/v18/arrow/memory"

	"logq/partitions"
	"logq/partitions/columns"
	"logq/partitions/segment"
)

// segmentTuples aggregates into part the batches bi of seg, answered from
// their tuple or minute counts: from the segment's merged counts when they
// are every batch and answer q, else batch by batch.
func (q *AggSpec) segmentTuples(cache *BatchCache, part *AggTable, seg *partitions.Segment, bis []int, loc *time.Location) error {
	if q.Stats.Tuples && len(bis) == len(seg.Stats.Batches) {
		if tr := cache.tuples(seg, wholeSegment, false); q.Stats.answersWhole(tr) {
			return q.tuplePartial(part, tr, loc)
		}
	}
	for _, bi := range bis {
		tr := cache.tuples(seg, bi, q.Stats.Minutes)
		if !q.Stats.Minutes {
			if err := q.tuplePartial(part, tr, loc); err != nil {
				return err
			}
			continue
		}
		cond, _ := q.Stats.minutesCond(&seg.Stats.Batches[bi]) // ok: answers said so
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

// Run aggregates the batches of t that the plan keeps on the pool, a
// window of them at a time, merging each partial as it completes. It tells
// obs of the damaged data it meets and of the memory the merged groups
// hold, a batch at a time, from the calling goroutine only.
func (q *AggSpec) Run(ctx context.Context, t *Env, loc *time.Location, obs Observer) (*AggTable, error) {
	snap, err := q.snapshot(t, obs)
	if err != nil {
		return nil, err
	}
	defer snap.Plan.Release()
	return q.runSnapshot(ctx, t, snap, loc, obs)
}

// LoopbackRun returns what Run would, computed as a coordinator computes
// it over the nodes of a cluster: the snapshot's partitions are dealt to a
// few nodes, each node's partial aggregate goes through its Arrow encoding
// (StateRoundTrip), and the coordinator combines the partials.
func (q *AggSpec) LoopbackRun(ctx context.Context, t *Env, loc *time.Location, obs Observer) (*AggTable, error) {
	snap, err := q.snapshot(t, obs)
	if err != nil {
		return nil, err
	}
	defer snap.Plan.Release()
	total := NewAggTable(q)
	for _, node := range snap.deal(loopbackNodes) {
		part, err := q.runSnapshot(ctx, t, node, loc, heldBeside{obs, total.Size()})
		if err == nil {
			part, err = StateRoundTrip(memory.DefaultAllocator, part) // as the node sends it
		}
		if err != nil {
			return nil, err
		}
		total.MergeFrom(part, false)
		if err := obs.Holding(total.Size()); err != nil {
			return nil, err
		}
	}
	t.Stats.StatesRoundTripped.Add(1)
	return total, nil
}

// heldBeside is an Observer of one part of a run, beside the bytes the
// run already holds.
type heldBeside struct {
	Observer
	held int64
}

func (h heldBeside) Holding(n int64) error { return h.Observer.Holding(h.held + n) }

// snapshot takes the snapshot q reads and reports the damage its plan
// meets.
func (q *AggSpec) snapshot(t *Env, obs Observer) (Snapshot, error) {
	pred := q.Push.Pruning()
	snap := t.TakeSnapshot(pred)
	if err := t.ReportPlanned(obs, snap.Plan, pred); err != nil {
		snap.Plan.Release()
		return Snapshot{}, err
	}
	t.Stats.RecordPlan(snap)
	return snap, nil
}

// runSnapshot aggregates the batches of snap (see Run).
func (q *AggSpec) runSnapshot(ctx context.Context, t *Env, snap Snapshot, loc *time.Location, obs Observer) (*AggTable, error) {
	sc := q.Push.Scope()
	sc.View = q.View
	lctx, cancel := context.WithCancel(ctx)
	defer cancel() // an error stops the loads still queued
	tasks := newLoadWindow[*AggTable](lctx, t.Pool)
	// A scan whose batches decode to more than the cache holds gets no hit
	// from it on its next run and pushes out what other queries use. When
	// its condition reads columns that nothing else does, its batches
	// bypass the cache and those columns are decoded into reused memory
	// (batchCache.scan). RawBytes counts every column, an upper bound of
	// what a projection decodes.
	var scanBytes int64
	var uncached bool
	total := NewAggTable(q)
	fromCounts := NewAggTable(q) // the batches answered from level counts
	for _, p := range snap.Plan.Partitions {
		var whole []*partitions.Segment
		for _, sp := range p.Segments {
			seg := sp.Segment
			// The batches answered from tuple or minute counts, aggregated by one
			// task into one partial table: at 100M rows a week has 1,700
			// batches, and a task and a table of its own for each spent
			// more on dictionaries and maps than on the counts.
			var fromTuples, fromLevels []int
			for k, bi := range sp.Batches {
				if q.Stats.Answers(seg.Stats, bi, sp.Inside[k]) && q.Stats.inZone(loc, &seg.Stats.Batches[bi]) {
					t.Stats.BatchesFromStats.Add(1)
					if q.Stats.Tuples || q.Stats.Minutes {
						fromTuples = append(fromTuples, bi)
						continue
					}
					if q.Stats.distinct != 0 || q.Stats.distinctDyn != "" {
						total.MergeFrom(q.Stats.partial(q, seg.Stats, bi), false)
						if err := obs.Holding(total.Size() + fromCounts.Size()); err != nil {
							return nil, err
						}
					} else {
						fromLevels = append(fromLevels, bi)
					}
					continue
				}
				bsc := sc
				if sc.Cond != nil {
					bsc.Cond = withoutImplied(sc.Cond, &seg.Stats.Batches[bi])
				}
				scanBytes += seg.Stats.Batches[bi].RawBytes
				tasks.add(seg.Name(), func() (*AggTable, error) {
					var b *columns.Batch
					var err error
					if uncached {
						s := scratchPool.Get().(*segment.Scratch)
						defer func() {
							s.Reset()
							scratchPool.Put(s)
						}()
						b, err = t.Cache.scan(seg, bi, q.cols, s)
					} else {
						b, err = t.Cache.get(seg, bi, q.cols)
					}
					if err != nil {
						return nil, err
					}
					return q.aggregateRows(b, true, bsc, loc)
				})
			}
			if len(fromLevels) == len(seg.Stats.Batches) && len(fromLevels) > 1 {
				// Every batch: the segment's level counts, summed once.
				q.Stats.addCounts(fromCounts, q, t.Cache.levels(seg))
			} else {
				for _, bi := range fromLevels {
					q.Stats.addCounts(fromCounts, q, &seg.Stats.Batches[bi])
				}
			}
			if len(fromLevels) > 0 {
				if err := obs.Holding(total.Size() + fromCounts.Size()); err != nil {
					return nil, err
				}
			}
			if q.Stats.Tuples && len(fromTuples) == len(seg.Stats.Batches) && !seg.InMemory() {
				whole = append(whole, seg) // with the partition's others
			} else if len(fromTuples) > 0 {
				tasks.add(seg.Name(), func() (*AggTable, error) {
					part := NewAggTable(q)
					return part, q.segmentTuples(t.Cache, part, seg, fromTuples, loc)
				})
			}
		}
		if len(whole) > 0 {
			// The segments answered whole from their tuple counts: the
			// partition's counts, merged once.
			tasks.add(p.Key.DirName(), func() (*AggTable, error) {
				part := NewAggTable(q)
				if len(whole) > 1 {
					if tr := t.Cache.mergedTuples(whole); q.Stats.answersWhole(tr) {
						return part, q.tuplePartial(part, tr, loc)
					}
				}
				for _, seg := range whole {
					if err := q.segmentTuples(t.Cache, part, seg, allBatches(seg), loc); err != nil {
						return nil, err
					}
				}
				return part, nil
			})
		}
		for _, b := range snap.Buffered[p.Key].Batches {
			t.Stats.BufferedRowsRead.Add(int64(b.Len()))
			tasks.add("buffered rows of "+p.Key.DirName(), func() (*AggTable, error) {
				return q.aggregateRows(b, false, sc, loc)
			})
		}
	}

	total.MergeFrom(fromCounts, false)
	if _, limit := t.Cache.Bytes(); scanBytes > limit && len(q.cols.scratch) > 0 {
		uncached = true
	}
	for {
		part, ok, err := tasks.Next()
		if !ok {
			break
		}
		if d, damaged := asDamaged(err); damaged {
			if err := obs.Damaged(d); err != nil {
				return nil, err
			}
			continue // the batch adds nothing
		}
		if err != nil {
			return nil, err
		}
		total.MergeFrom(part, false)
		if err := obs.Holding(total.Size()); err != nil {
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
func (q *AggSpec) aggregateRows(b *columns.Batch, sorted bool, sc Scope, loc *time.Location) (*AggTable, error) {
	sel := selections.Get().(*[]int32)
	defer selections.Put(sel)
	c := batchCursor{sel: (*sel)[:0]}
	b = sc.View.Batch(b)
	c.load(b, nil, sorted, sc)
	*sel = c.sel // keep what it grew to
	return q.aggregateBatch(b, c.sel, loc, nil)
}

// AnsweredFromStats returns how many of the batches a plan made now keeps
// q answers from their statistics, without reading them, and how many it
// keeps: what EXPLAIN shows.
func (q *AggSpec) AnsweredFromStats(t *Env) (answered, kept int) {
	snap := t.TakeSnapshot(q.Push.Pruning())
	defer snap.Plan.Release()
	for _, p := range snap.Plan.Partitions {
		for _, sp := range p.Segments {
			for k, bi := range sp.Batches {
				if q.Stats.Answers(sp.Segment.Stats, bi, sp.Inside[k]) {
					answered++
				}
			}
		}
	}
	return answered, snap.Plan.Stats.BatchesKept
}
