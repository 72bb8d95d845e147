package exec

import (
	"runtime"
	"sync"
	"weak"

	"logq/partitions/columns"
)

// SortOrders remembers, for each buffered batch a query has read, the
// permutation that puts it in row order: buffered batches are immutable
// and read by query after query until they are flushed, so each is sorted
// once. Entries go when their batch is collected (weak keys), so flushed
// batches leave nothing behind.
type SortOrders struct {
	mu sync.Mutex
	m  map[weak.Pointer[columns.Batch]][]int32
}

// sortedMarker is the order of a batch already in row order.
var sortedMarker = []int32{}

// of returns b's row-order permutation, or nil when b is sorted.
func (s *SortOrders) of(b *columns.Batch) []int32 {
	key := weak.Make(b)
	s.mu.Lock()
	order, ok := s.m[key]
	s.mu.Unlock()
	if !ok {
		order = b.SortIndex()
		if order == nil {
			order = sortedMarker
		}
		s.mu.Lock()
		if s.m == nil {
			s.m = map[weak.Pointer[columns.Batch]][]int32{}
		}
		if _, ok := s.m[key]; !ok {
			s.m[key] = order
			runtime.AddCleanup(b, s.forget, key)
		}
		s.mu.Unlock()
	}
	if len(order) == 0 {
		return nil
	}
	return order
}

func (s *SortOrders) forget(key weak.Pointer[columns.Batch]) {
	s.mu.Lock()
	delete(s.m, key)
	s.mu.Unlock()
}
