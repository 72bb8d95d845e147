package partitions

import (
	"fmt"
	"sync"
	"sync/atomic"

	"logq/partitions/columns"
	"logq/partitions/segment"
)

// Segment is one immutable segment of a partition as the rest of logq sees
// it: its identity, its statistics, and a reference count that keeps the
// file on disk while a query reads it.
//
// A segment is either a file or sealed buffered rows held in memory
// (InMemory, seal.go): rows not yet flushed, sorted and cut into batches
// with the statistics a file of them would have, so that plans prune them
// and aggregates answer from their statistics as for a file. An in-memory
// segment has no Path and no Reader; its batches come from Batch. It never
// enters the partition's list of files (partition.segs), so compaction,
// the scrub, damage handling and retention never see it; the store
// publishes it to the Observer when it seals the rows and retires it when
// the flush that wrote them publishes their file.
//
// The store holds one reference while the segment is live. Compaction,
// retention and the scrub drop that reference when they retire the segment;
// when the last reader lets go, the file is deleted, or moved to quarantine/
// if the scrub found it damaged, so that a read still running on a damaged
// segment keeps reading the file at its path. Readers take references
// through TryIncRef, which fails once the segment has been retired and
// released, so a plan never starts reading a file that has disappeared.
type Segment struct {
	Key   Key
	ID    uint64 // unique within the partition, increasing in write order
	Path  string // "" for an in-memory segment
	Stats *segment.Stats

	// batches holds the rows of an in-memory segment, one batch per entry
	// of Stats.Batches, in row order; nil for a file.
	batches []*columns.Batch

	refs    atomic.Int64
	retired atomic.Bool                // set by compaction, retention and the scrub before they drop the store's reference
	release func(*Segment)             // called once when refs drops to zero
	bad     atomic.Pointer[[]BadBatch] // damaged batches (damage.go); written under mu

	mu     sync.Mutex
	reader *segment.Reader // opened on first use, closed on release
	damage error           // why the scrub retired it: the file is quarantined, not deleted
}

// Reader returns the segment's reader, opening the file on first use. The
// caller must hold a reference for as long as it uses the reader. Safe for
// concurrent use.
func (s *Segment) Reader() (*segment.Reader, error) {
	if s.InMemory() {
		return nil, fmt.Errorf("%s: held in memory, it has no file", s.Name())
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.reader == nil {
		r, err := segment.Open(s.Path)
		if err != nil {
			return nil, err
		}
		s.reader = r
	}
	return s.reader, nil
}

// InMemory reports whether the segment is sealed buffered rows held in
// memory rather than a file.
func (s *Segment) InMemory() bool { return s.batches != nil }

// Batch returns batch i of an in-memory segment, in row order, and nil for
// a file (read it through Reader). The batch is immutable: it must not be
// modified, and needs no reference to stay valid.
func (s *Segment) Batch(i int) *columns.Batch {
	if s.batches == nil {
		return nil
	}
	return s.batches[i]
}

// Name identifies the segment in messages: its path, or for an in-memory
// segment its partition and ID.
func (s *Segment) Name() string {
	if s.InMemory() {
		return fmt.Sprintf("sealed rows %d of partition %s", s.ID-sealedIDBase, s.Key.DirName())
	}
	return s.Path
}

// Retired reports whether the segment has left the live set: replaced by
// compaction, dropped by retention or removed by the scrub as damaged.
func (s *Segment) Retired() bool { return s.retired.Load() }

// markDamaged records why the scrub is retiring the segment, before it does:
// the release then moves the file to quarantine instead of deleting it.
func (s *Segment) markDamaged(why error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.damage = why
}

// damaged returns what markDamaged recorded, or nil.
func (s *Segment) damaged() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.damage
}

// closeReader closes the cached reader, if any.
func (s *Segment) closeReader() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.reader == nil {
		return nil
	}
	err := s.reader.Close()
	s.reader = nil
	return err
}

// NewSegment returns a live segment holding the store's one reference.
// release, if not nil, runs once when the last reference is dropped.
func NewSegment(k Key, id uint64, path string, st *segment.Stats, release func(*Segment)) *Segment {
	s := &Segment{Key: k, ID: id, Path: path, Stats: st, release: release}
	s.refs.Store(1)
	return s
}

// newSealedSegment returns a live in-memory segment of batches, holding
// the store's one reference; st must be their statistics (Summarize).
func newSealedSegment(k Key, id uint64, st *segment.Stats, batches []*columns.Batch) *Segment {
	if len(batches) != len(st.Batches) || len(batches) == 0 {
		panic(fmt.Sprintf("BUG: sealed segment of %d batches with statistics of %d", len(batches), len(st.Batches)))
	}
	s := &Segment{Key: k, ID: id, Stats: st, batches: batches}
	s.refs.Store(1)
	return s
}

// TryIncRef takes a reference unless the segment has been retired.
// Safe for concurrent use.
func (s *Segment) TryIncRef() bool {
	for {
		n := s.refs.Load()
		if n <= 0 {
			return false
		}
		if s.refs.CompareAndSwap(n, n+1) {
			return true
		}
	}
}

// DecRef drops a reference taken by TryIncRef (or the store's own). The last
// one releases the segment: its reader is closed and, if it was retired, the
// file is removed (moved to quarantine/ if the scrub found it damaged).
func (s *Segment) DecRef() {
	switch n := s.refs.Add(-1); {
	case n == 0:
		if s.release != nil {
			s.release(s)
		}
	case n < 0:
		panic("BUG: partitions.Segment reference count below zero")
	}
}
