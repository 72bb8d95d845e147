package engine

import (
	"context"
	"fmt"
	"io"
	"math"
	"strings"
	"sync"
	"time"

	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/dolthub/go-mysql-server/sql"

	"logq/engine/compat"
	"logq/partitions"
	"logq/partitions/columns"
	"logq/partitions/segment"
)

// aggQuery is an aggregate over logs that the aggregate rule took from
// go-mysql-server's GroupBy: computed per batch, in parallel, over columns,
// and merged; go-mysql-server then sees only the groups.
type aggQuery struct {
	t       *Table  // the query's view of logs
	push    *pushed // the claimed WHERE conditions; nil: none
	grouped bool    // GROUP BY present: no rows in, no rows out
	keys    []aggKey
	aggs    []aggFn
	outs    []aggOut // one per selected expression
	cols    *colSet  // the columns the scan converts
	stats   statsPlan

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

// segmentTuples aggregates into part the batches bi of seg, answered from
// their tuple or minute counts: from the segment's merged counts when they
// are every batch and answer q, else batch by batch.
func (q *aggQuery) segmentTuples(cache *batchCache, part *aggTable, seg *partitions.Segment, bis []int, loc *time.Location) error {
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
	for i := range q.keys {
		keys = append(keys, q.keys[i].describe())
	}
	for i := range q.aggs {
		aggs = append(aggs, q.aggs[i].text)
	}
	p := sql.NewTreePrinter()
	_ = p.WriteNode("LogsAggregate(pushed down: computed over columns inside the partitions)")
	_ = p.WriteChildren(
		"groups: ["+strings.Join(keys, ", ")+"]",
		"aggregates: ["+strings.Join(aggs, ", ")+"]",
		explainScan(q.t, q.push)+"; "+q.explainStats(),
	)
	return p.String()
}

// explainStats says how many kept batches a plan made now answers from
// their statistics, without reading them.
func (q *aggQuery) explainStats() string {
	snap := takeSnapshot(q.t, q.push.pruning())
	defer snap.plan.Release()
	n := 0
	for _, p := range snap.plan.Partitions {
		for _, sp := range p.Segments {
			for k, bi := range sp.Batches {
				if q.stats.answers(sp.Segment.Stats, bi, sp.Inside[k]) {
					n++
				}
			}
		}
	}
	what := ""
	switch {
	case q.stats.tuples && q.stats.measured != nil:
		what = " (level, service, host counts and sums)"
	case q.stats.tuples:
		what = " (level, service, host counts)"
	case q.stats.minutes:
		what = " (counts per minute and level)"
	}
	return fmt.Sprintf("batches answered from statistics %d/%d%s", n, snap.plan.Stats.BatchesKept, what)
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
	total, err := q.run(ctx, loc, charge)
	if err == nil && loopback {
		total, err = stateRoundTrip(memory.DefaultAllocator, total) // as a node sends it
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

// run aggregates the kept batches on the pool, a window of them at a time,
// merging each partial as it completes. It reports the damaged data it
// meets (damageReport) and must run on the goroutine ctx.Warn may be
// called from: go-mysql-server's, building the row iterator. The merged
// groups are charged to charge as they grow, a batch at a time.
func (q *aggQuery) run(ctx *sql.Context, loc *time.Location, charge *memCharge) (*aggTable, error) {
	t := q.t
	sc := q.push.scope()
	sc.view = q.t.view
	pred := q.push.pruning()
	snap := takeSnapshot(t, pred)
	defer snap.plan.Release()
	report := newDamageReport(ctx)
	if err := report.planned(ctx, t, snap.plan, pred); err != nil {
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
						if err := charge.set(total.size() + fromCounts.size()); err != nil {
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
				if err := charge.set(total.size() + fromCounts.size()); err != nil {
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
			if err := report.add(ctx, d); err != nil {
				return nil, err
			}
			continue // the batch adds nothing
		}
		if err != nil {
			return nil, err
		}
		total.mergeFrom(part, false)
		if err := charge.set(total.size()); err != nil {
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
func (q *aggQuery) aggregateRows(b *columns.Batch, sorted bool, sc scope, loc *time.Location) (*aggTable, error) {
	sel := selections.Get().(*[]int32)
	defer selections.Put(sel)
	c := batchCursor{sel: (*sel)[:0]}
	b = sc.view.Batch(b)
	c.load(b, nil, sorted, sc)
	*sel = c.sel // keep what it grew to
	return q.aggregateBatch(b, c.sel, loc, nil)
}

// rows turns the merged groups into the GroupBy's rows. The final table
// and the rows are charged before they are made (as much again as total,
// and a row per group), and the rows' charge is given back when the
// iterator closes.
func (q *aggQuery) rows(ctx *sql.Context, total *aggTable, loc *time.Location, charge *memCharge) (sql.RowIter, error) {
	rowsBytes := int64(len(total.tuples)+1) * (rowOverheadBytes + 2*valueSlotBytes*int64(len(q.outs)))
	if err := charge.set(2*total.size() + rowsBytes); err != nil {
		return nil, err
	}
	final := newAggTable(q)
	final.mergeFrom(total, true)
	if len(final.tuples) == 0 && !q.grouped {
		final.group(groupTuple{}) // an aggregate without GROUP BY has one row
	}
	out := make([]sql.Row, 0, len(final.tuples))
	rep := make(sql.Row, 1+len(q.keys))
	for g, tup := range final.tuples {
		rep[0] = nil
		if ts := final.minTS[g]; ts != math.MaxInt64 {
			rep[0] = compat.LocalDatetime(ts, loc)
		}
		for k := range q.keys {
			rep[1+k] = nil
			if q.keys[k].kind == keyString {
				if v := final.dicts[k].vals[tup[k]]; v != nil {
					rep[1+k] = *v
				}
			}
		}
		accs := final.accsOf(g)
		row := make(sql.Row, len(q.outs))
		for i, o := range q.outs {
			if o.agg >= 0 {
				row[i] = accs[o.agg].result(&q.aggs[o.agg], loc)
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
