package exec

import (
	"context"
	"fmt"
	"slices"
	"sort"

	"logq/catalog"
	"logq/partitions"
	"logq/partitions/columns"
	"logq/partitions/segment"
)

// A source yields the matching rows of one sorted run of a partition (one
// segment, or the partition's buffered rows) in row order, or in reverse.
type source interface {
	// advance moves to the next matching row; false at the end.
	advance() (bool, error)
	// current returns the current row.
	current() (*columns.Batch, int)
	// whole returns the current row with every column: current may hold
	// only the columns the query reads, while ordering rows of equal ts
	// takes all of them (see columns.CompareRows).
	whole() (*columns.Batch, int, error)
	// bound is the first ts the source can yield: the smallest (ascending)
	// or largest (descending). The merge opens a source only when the rows
	// it has yielded reach this bound, so sources that do not overlap in
	// time are read one after another, never all at once.
	bound() int64
}

// batchCursor walks the selected rows of one batch in row order: the rows
// inside the ts bounds (found by binary search, the batch being sorted)
// that the condition accepts, reversed for descending scans.
type batchCursor struct {
	b   *columns.Batch
	sel []int32
	pos int

	// span, when set by load, stands for sel: the rows [lo, lo+n) of b,
	// from the last when rev. Only a cursor made with spans may get one
	// (a source's; an aggregate reads sel).
	spans, span, rev bool
	lo, n            int
	// rest decodes the batch with every column when b holds only those the
	// query reads; nil when b is whole. Rows keep their positions.
	rest func() (*columns.Batch, error)
}

// Scope is what every source of one scan applies: the ts bounds of the
// top-level conditions, the whole condition, and the order.
type Scope struct {
	lo, hi  int64
	Cond    Pred
	Ordered bool // rows must come in row order (reversed when reverse)
	Reverse bool
	View    *partitions.ColumnView // applied once to every batch read (Table.view)
}

// viewed maps the buffered batch b through the scope's column view and
// returns it with its row order: order (b's own) unless the view removed a
// column of b. Row order compares every column, so rows stored before a
// drop may be out of order without the dropped column; an ordered scan
// sorts them again, as the flush or compaction that rewrites them will (a
// renamed generation keeps its place: see columns.BaseName).
func (sc Scope) viewed(b *columns.Batch, order []int32) (*columns.Batch, []int32) {
	vb := sc.View.Batch(b)
	if sc.Ordered && len(vb.Dynamic) < len(b.Dynamic) {
		return vb, vb.SortIndex()
	}
	return vb, order
}

// resortedOrder is the row order of batch bi of a segment written before
// a column it holds was dropped (see viewed): computed over the whole batch
// as the view shows it, since every remaining column takes part. Until a
// compaction rewrites the segment, ordered scans of it decode whole batches.
func resortedOrder(cache *BatchCache, seg *partitions.Segment, bi int, view *partitions.ColumnView) ([]int32, error) {
	whole, err := cache.get(seg, bi, nil)
	if err != nil {
		return nil, err
	}
	return view.Batch(whole).SortIndex(), nil
}

// load selects the rows of b to read, in row order when b is sorted: with
// order, the permutation that puts b in row order; without, b itself when
// sorted (segment batches) or arrival order when not.
func (c *batchCursor) load(b *columns.Batch, order []int32, sorted bool, sc Scope) {
	n := b.Len()
	row := func(k int) int {
		if order == nil {
			return k
		}
		return int(order[k])
	}
	from, to := 0, n
	if n > 0 && (order != nil || sorted) {
		// Sorted: the ts bounds are a range of positions.
		from = sort.Search(n, func(k int) bool { return b.TS[row(k)] >= sc.lo })
		if sc.hi < b.TS[row(n-1)] {
			to = sort.Search(n, func(k int) bool { return b.TS[row(k)] > sc.hi })
		}
	}
	c.b, c.pos, c.span = b, -1, false
	if c.spans && order == nil && sorted && sc.Cond == nil {
		// Every row in [from, to). A LIMIT reads a few of them: listing
		// a batch's 58,000 rows (and reversing them) for the newest 100
		// was half of Q2's time at 100M rows, where it starts on the
		// newest batch of each of 36 partitions.
		c.span, c.lo, c.n, c.rev = true, from, to-from, sc.Reverse
		return
	}
	c.sel = c.sel[:0]
	for k := from; k < to; k++ {
		i := row(k)
		if ts := b.TS[i]; ts < sc.lo || ts > sc.hi {
			continue // an unsorted batch read in arrival order
		}
		c.sel = append(c.sel, int32(i))
	}
	if sc.Cond != nil {
		c.sel = filterSel(sc.Cond, b, c.sel)
	}
	if sc.Reverse {
		slices.Reverse(c.sel)
	}
}

// step moves to the next selected row; false when the batch is done.
func (c *batchCursor) step() bool {
	n := len(c.sel)
	if c.span {
		n = c.n
	}
	if c.b == nil || c.pos+1 >= n {
		return false
	}
	c.pos++
	return true
}

func (c *batchCursor) current() (*columns.Batch, int) {
	switch {
	case !c.span:
		return c.b, int(c.sel[c.pos])
	case c.rev:
		return c.b, c.lo + c.n - 1 - c.pos
	}
	return c.b, c.lo + c.pos
}

// whole returns the current row with every column, decoding the rest of the
// batch on first use: only a tie on ts across sources asks for it.
func (c *batchCursor) whole() (*columns.Batch, int, error) {
	if c.rest != nil {
		b, err := c.rest()
		if err != nil {
			return nil, 0, err
		}
		c.b, c.rest = b, nil
	}
	b, i := c.current()
	return b, i, nil
}

// segmentSource reads the kept batches of one segment. While the caller
// consumes one batch, the next is loaded on the pool.
type segmentSource struct {
	ctx     context.Context
	seg     catalog.SegmentPlan
	sc      Scope
	cols    *ColSet // the columns the query reads; nil: all
	cache   *BatchCache
	pool    *Pool
	next    int // batches whose load has started, in scan direction
	cur     batchCursor
	pending <-chan loadResult
	found   *[]partitions.Damage // where damaged batches go, skipped (the scan's)
	probe   Pred                 // traceProbe of the scan's condition
}

func newSegmentSource(ctx context.Context, sp catalog.SegmentPlan, sc Scope, cols *ColSet, cache *BatchCache, p *Pool,
	found *[]partitions.Damage) *segmentSource {
	return &segmentSource{ctx: ctx, seg: sp, sc: sc, cols: cols, cache: cache, pool: p, found: found, probe: traceProbe(sc.Cond)}
}

// prime starts loading the first batch before the source is needed.
func (s *segmentSource) prime() {
	if s.pending == nil && s.next == 0 {
		s.startLoad()
	}
}

// startLoad starts loading the next batch, if any.
func (s *segmentSource) startLoad() {
	if s.next >= len(s.seg.Batches) {
		return
	}
	bi := s.seg.Batches[s.next]
	if s.sc.Reverse {
		bi = s.seg.Batches[len(s.seg.Batches)-1-s.next]
	}
	s.next++
	sc, cols, cache, seg := s.sc, s.cols, s.cache, s.seg.Segment
	probe := s.probe
	s.pending = s.pool.load(s.ctx, seg.Name(), func() (batchCursor, error) {
		c := batchCursor{spans: true}
		if ok, err := cache.mayMatch(seg, bi, probe); !ok {
			return c, err // no row can match: an empty batch
		}
		b, err := cache.get(seg, bi, cols)
		var order []int32
		if err == nil && sc.Ordered && sc.View.HasDead(seg.Stats.Columns) {
			order, err = resortedOrder(cache, seg, bi, sc.View)
		}
		if err == nil {
			c.load(sc.View.Batch(b), order, true, sc) // segment batches are in row order
			if cols != nil {
				c.rest = func() (*columns.Batch, error) {
					b, err := cache.get(seg, bi, nil)
					if err != nil {
						return nil, err
					}
					return sc.View.Batch(b), nil
				}
			}
		}
		return c, err
	})
}

func (s *segmentSource) bound() int64 {
	st := s.seg.Segment.Stats.Batches
	if s.sc.Reverse {
		return st[s.seg.Batches[len(s.seg.Batches)-1]].MaxTS
	}
	return st[s.seg.Batches[0]].MinTS
}

func (s *segmentSource) current() (*columns.Batch, int) { return s.cur.current() }

func (s *segmentSource) whole() (*columns.Batch, int, error) { return s.cur.whole() }

func (s *segmentSource) advance() (bool, error) {
	for !s.cur.step() {
		s.prime()
		if s.pending == nil {
			return false, nil
		}
		r := <-s.pending
		s.pending = nil
		if d, ok := asDamaged(r.err); ok {
			*s.found = append(*s.found, d)
			r = loadResult{} // an empty batch: go on with the next
		}
		if r.err != nil {
			return false, r.err
		}
		s.cur = r.cur
		s.startLoad() // the following batch, while this one is consumed
	}
	return true, nil
}

// readBatch decodes batch bi of seg, converting the columns cols (nil:
// all); errors name the file. Damage is told to store and returned as a
// *damagedRead, which the scan reports and skips.
func readBatch(store *partitions.Store, seg *partitions.Segment, bi int, cols *ColSet) (*columns.Batch, error) {
	return readBatchScratch(store, seg, bi, cols, nil)
}

// readBatchScratch is readBatch decoding cols' scratch columns into s
// (segment.Reader.RowsOfScratch); nil s: none.
func readBatchScratch(store *partitions.Store, seg *partitions.Segment, bi int, cols *ColSet, s *segment.Scratch) (*columns.Batch, error) {
	var want, scratch func(string) bool
	if cols != nil {
		// Every generation of a wanted column, so that the cached batch
		// serves any later ColumnView (scope.view picks the live one).
		want = func(stored string) bool { return cols.names[partitions.ColumnName(stored)] }
		scratch = func(stored string) bool { return cols.scratch[partitions.ColumnName(stored)] }
	}
	r, err := seg.Reader()
	if err == nil {
		var b *columns.Batch
		if b, err = r.RowsOfScratch(bi, want, scratch, s); err == nil {
			return b, nil
		}
	}
	if dr := readDamaged(store, seg, bi, err); dr != nil {
		return nil, dr
	}
	return nil, fmt.Errorf("reading %s (batch %d): %w", seg.Name(), bi, err)
}

// bufferSource yields the matching rows of one buffered batch. Buffered
// batches are in arrival order; an ordered scan reads them through their
// row-order permutation, computed once per batch (sortOrders).
type bufferSource struct {
	b      *columns.Batch
	sc     Scope
	orders *SortOrders
	cur    batchCursor
	loaded bool

	hasBound bool
	first    int64 // bound, once hasBound
}

func newBufferSource(b *columns.Batch, sc Scope, orders *SortOrders) *bufferSource {
	return &bufferSource{b: b, sc: sc, orders: orders}
}

// bound is the batch's smallest (largest when reverse) ts, found without
// sorting (a merge that stops early never sorts this batch) and once: the
// merge sorts its sources by bound.
func (s *bufferSource) bound() int64 {
	if !s.hasBound {
		s.hasBound = true
		s.first = s.b.TS[0]
		for _, ts := range s.b.TS[1:] {
			if s.sc.Reverse && ts > s.first || !s.sc.Reverse && ts < s.first {
				s.first = ts
			}
		}
	}
	return s.first
}

func (s *bufferSource) current() (*columns.Batch, int) { return s.cur.current() }

// whole is current: buffered batches are never projected.
func (s *bufferSource) whole() (*columns.Batch, int, error) {
	b, i := s.cur.current()
	return b, i, nil
}

func (s *bufferSource) advance() (bool, error) {
	if !s.loaded {
		s.loaded = true
		var order []int32
		if s.sc.Ordered {
			order = s.orders.of(s.b)
		}
		vb, order := s.sc.viewed(s.b, order)
		s.cur.load(vb, order, s.sc.Ordered, s.sc)
	}
	return s.cur.step(), nil
}
