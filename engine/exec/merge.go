package exec

import (
	"cmp"
	"container/heap"
	"slices"

	"logq/partitions/columns"
)

// merger yields the rows of many sources in row order (see
// columns.CompareRows), or in exactly the reverse order. Sources are opened
// in order of their bounds and only when the merge reaches them, so the heap
// holds only the sources that overlap in time.
type merger struct {
	reverse bool
	pending []source // not opened yet, by bound
	active  sourceHeap
}

func newMerger(sources []source, reverse bool) *merger {
	slices.SortStableFunc(sources, func(a, b source) int {
		if reverse {
			return cmp.Compare(b.bound(), a.bound())
		}
		return cmp.Compare(a.bound(), b.bound())
	})
	return &merger{reverse: reverse, pending: sources, active: sourceHeap{reverse: reverse}}
}

// Next returns the next row, or nil at the end. A row stays valid until the
// following call.
func (m *merger) Next(prev bool) (*columns.Batch, int, error) {
	if prev && len(m.active.s) > 0 {
		// Advance the source whose row was returned last.
		top := m.active.s[0]
		ok, err := top.advance()
		if err != nil {
			return nil, 0, err
		}
		if ok {
			heap.Fix(&m.active, 0)
		} else {
			heap.Pop(&m.active)
		}
		if err := m.active.takeErr(); err != nil {
			return nil, 0, err
		}
	}
	// Open every source that could yield a row before the heap's first.
	for len(m.pending) > 0 {
		if len(m.active.s) > 0 {
			b, i := m.active.s[0].current()
			ts, bound := b.TS[i], m.pending[0].bound()
			if !m.reverse && bound > ts || m.reverse && bound < ts {
				break
			}
		}
		src := m.pending[0]
		m.pending = m.pending[1:]
		ok, err := src.advance()
		if err != nil {
			return nil, 0, err
		}
		if ok {
			heap.Push(&m.active, src)
			if err := m.active.takeErr(); err != nil {
				return nil, 0, err
			}
		}
	}
	if len(m.active.s) == 0 {
		return nil, 0, nil
	}
	b, i := m.active.s[0].current()
	return b, i, nil
}

// sourceHeap orders opened sources by their current rows.
type sourceHeap struct {
	s       []source
	reverse bool
	err     error // of decoding a whole row for a tie; see takeErr
}

func (h *sourceHeap) Len() int { return len(h.s) }
func (h *sourceHeap) Less(i, j int) bool {
	a, ai := h.s[i].current()
	b, bi := h.s[j].current()
	c := cmp.Compare(a.TS[ai], b.TS[bi])
	if c == 0 {
		c = h.compareWhole(h.s[i], h.s[j])
	}
	if h.reverse {
		return c > 0
	}
	return c < 0
}

// compareWhole orders the current rows of x and y, of equal ts, by content.
// Sources may hold only the columns a query reads; the content order needs
// them all, so a tie decodes the rest (rare: timestamps are in µs). An
// error is kept for the merge to return after the heap operation.
func (h *sourceHeap) compareWhole(x, y source) int {
	a, ai, err := x.whole()
	if err == nil {
		var b *columns.Batch
		var bi int
		if b, bi, err = y.whole(); err == nil {
			return columns.CompareRows(a, ai, b, bi)
		}
	}
	if h.err == nil {
		h.err = err
	}
	return 0
}

// takeErr returns and clears the error of the last heap operation.
func (h *sourceHeap) takeErr() error {
	err := h.err
	h.err = nil
	return err
}
func (h *sourceHeap) Swap(i, j int) { h.s[i], h.s[j] = h.s[j], h.s[i] }
func (h *sourceHeap) Push(x any)    { h.s = append(h.s, x.(source)) }
func (h *sourceHeap) Pop() any {
	x := h.s[len(h.s)-1]
	h.s = h.s[:len(h.s)-1]
	return x
}
