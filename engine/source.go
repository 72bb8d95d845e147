package engine

import (
	"context"
	"fmt"
	"slices"

	"logq/catalog"
	"logq/partitions"
	"logq/partitions/columns"
)

// A source yields the matching rows of one sorted run of a partition (one
// segment, or the partition's buffered rows) in row order, or in reverse.
type source interface {
	// advance moves to the next matching row; false at the end.
	advance() (bool, error)
	// current returns the current row.
	current() (*columns.Batch, int)
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
}

// scope is what every source of one scan applies: the ts bounds of the
// top-level conditions, the whole condition and the direction.
type scope struct {
	lo, hi  int64
	cond    pred
	reverse bool
}

func (c *batchCursor) load(b *columns.Batch, sc scope) {
	from, _ := slices.BinarySearch(b.TS, sc.lo)
	to := len(b.TS)
	if sc.hi < b.TS[to-1] {
		to, _ = slices.BinarySearch(b.TS, sc.hi+1)
	}
	c.b, c.pos = b, -1
	c.sel = c.sel[:0]
	if sc.cond == nil {
		for i := from; i < to; i++ {
			c.sel = append(c.sel, int32(i))
		}
	} else {
		r := batchRow{b: b, dyn: map[string]*columns.Dynamic{}}
		for i := from; i < to; i++ {
			r.i = i
			if sc.cond.eval(&r) == triTrue {
				c.sel = append(c.sel, int32(i))
			}
		}
	}
	if sc.reverse {
		slices.Reverse(c.sel)
	}
}

// step moves to the next selected row; false when the batch is done.
func (c *batchCursor) step() bool {
	if c.b == nil || c.pos+1 >= len(c.sel) {
		return false
	}
	c.pos++
	return true
}

func (c *batchCursor) current() (*columns.Batch, int) { return c.b, int(c.sel[c.pos]) }

// segmentSource reads the kept batches of one segment. While the caller
// consumes one batch, the next is loaded on the pool.
type segmentSource struct {
	ctx     context.Context
	seg     catalog.SegmentPlan
	sc      scope
	cache   *batchCache
	pool    *pool
	next    int // batches whose load has started, in scan direction
	cur     batchCursor
	pending <-chan loadResult
}

func newSegmentSource(ctx context.Context, sp catalog.SegmentPlan, sc scope, cache *batchCache, p *pool) *segmentSource {
	return &segmentSource{ctx: ctx, seg: sp, sc: sc, cache: cache, pool: p}
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
	if s.sc.reverse {
		bi = s.seg.Batches[len(s.seg.Batches)-1-s.next]
	}
	s.next++
	sc, cache, seg := s.sc, s.cache, s.seg.Segment
	s.pending = s.pool.load(s.ctx, seg.Path, func() (batchCursor, error) {
		var c batchCursor
		b, err := cache.get(seg, bi)
		if err == nil {
			c.load(b, sc)
		}
		return c, err
	})
}

func (s *segmentSource) bound() int64 {
	st := s.seg.Segment.Stats.Batches
	if s.sc.reverse {
		return st[s.seg.Batches[len(s.seg.Batches)-1]].MaxTS
	}
	return st[s.seg.Batches[0]].MinTS
}

func (s *segmentSource) current() (*columns.Batch, int) { return s.cur.current() }

func (s *segmentSource) advance() (bool, error) {
	for !s.cur.step() {
		s.prime()
		if s.pending == nil {
			return false, nil
		}
		r := <-s.pending
		s.pending = nil
		if r.err != nil {
			return false, r.err
		}
		s.cur = r.cur
		s.startLoad() // the following batch, while this one is consumed
	}
	return true, nil
}

// readBatch decodes batch bi of seg; errors name the file.
func readBatch(seg *partitions.Segment, bi int) (*columns.Batch, error) {
	r, err := seg.Reader()
	if err != nil {
		return nil, errScan.New(seg.Path, err)
	}
	b, err := r.Rows(bi)
	if err != nil {
		return nil, errScan.New(fmt.Sprintf("%s (batch %d)", seg.Path, bi), err)
	}
	return b, nil
}

// bufferSource yields the matching rows of one buffered batch, which the
// store keeps in row order.
type bufferSource struct {
	b      *columns.Batch
	sc     scope
	cur    batchCursor
	loaded bool
}

func newBufferSource(b *columns.Batch, sc scope) *bufferSource {
	return &bufferSource{b: b, sc: sc}
}

func (s *bufferSource) bound() int64 {
	if s.sc.reverse {
		return s.b.TS[len(s.b.TS)-1]
	}
	return s.b.TS[0]
}

func (s *bufferSource) current() (*columns.Batch, int) { return s.cur.current() }

func (s *bufferSource) advance() (bool, error) {
	if !s.loaded {
		s.loaded = true
		s.cur.load(s.b, s.sc)
	}
	return s.cur.step(), nil
}
