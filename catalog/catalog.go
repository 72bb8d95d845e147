package catalog

import (
	"cmp"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"

	"logq/partitions"
)

// Catalog is the in-memory index of partitions, segments and batch statistics.
// All methods are safe for concurrent use. Plan and Columns never take a lock:
// they read immutable snapshots that writers replace atomically.
type Catalog struct {
	// snap is the current view of partitions and segments. Writers build a
	// new snapshot under writeMu and store it; readers load it once per plan.
	snap    atomic.Pointer[snapshot]
	writeMu sync.Mutex

	// cols is the current column registry, replaced the same way under colsMu.
	cols   atomic.Pointer[columnSet]
	colsMu sync.Mutex

	// afterAttempt is a testing knob: when set, Plan calls it after each
	// planning attempt, before deciding whether to start over.
	afterAttempt func()
}

// New returns an empty catalog.
func New() *Catalog {
	c := &Catalog{}
	c.snap.Store(&snapshot{})
	c.cols.Store(&columnSet{})
	return c
}

// snapshot is one immutable view of the catalog. Nothing in it is modified
// after it has been published, so planners share it without locks.
type snapshot struct {
	parts    []*partitionState // sorted by compareKeys: time, then shard
	maxWidth int64             // widest partition bucket, bounds the time search
	segments int               // segments over all partitions
	batches  int               // batches over all segments
	bytes    int64             // memory the statistics and keys hold (MemoryBytes)
}

// partitionState is the immutable list of live segments of one partition.
type partitionState struct {
	key     partitions.Key
	segs    []*partitions.Segment // sorted by ID, that is in write order
	keys    []*segmentKeys        // keys[i]: the collation keys of segs[i]'s statistics
	batches int                   // batches over segs
	bytes   int64                 // memory of the segments' statistics and keys
}

// SegmentsChanged applies one atomic change to partition k: the segments in
// added become visible (a flush, a compaction's output) and those in removed
// (matched by ID) disappear (a compaction's inputs, retention). A Plan sees
// either all of the change or none of it. A partition the catalog does not
// know is created, even when both lists are empty: the store registers a new
// partition that way so that plans list it while its rows are still buffered.
// Removal applies before addition: an added segment whose ID is already
// present, or also listed in removed, replaces the old one.
//
// The catalog holds no reference of its own on the segments. The store must
// publish a change before it drops its own reference on a removed segment;
// then a planner that finds a retired segment knows a newer snapshot exists.
// The slices are not retained. Every added segment must have Stats and k as
// its Key; anything else is a bug of the caller and panics.
func (c *Catalog) SegmentsChanged(k partitions.Key, added []*partitions.Segment, removed []*partitions.Segment) {
	checkKey(k)
	for _, s := range added {
		if s == nil || s.Stats == nil || s.Key != k {
			panic(fmt.Sprintf("BUG: catalog: segment added to partition %s without stats or with another key", k.DirName()))
		}
	}
	c.writeMu.Lock()
	defer c.writeMu.Unlock()
	old := c.snap.Load()
	i, found := old.find(k)
	var prev *partitionState
	if found {
		prev = old.parts[i]
	}
	c.snap.Store(old.withPartition(i, found, prev.apply(k, added, removed)))
}

// DropPartition removes partition k and all its segments from the catalog
// (retention). Plans made afterwards do not list it; plans already made keep
// their references. Dropping an unknown partition does nothing.
func (c *Catalog) DropPartition(k partitions.Key) {
	c.writeMu.Lock()
	defer c.writeMu.Unlock()
	old := c.snap.Load()
	i, found := old.find(k)
	if !found {
		return
	}
	c.snap.Store(old.withoutPartition(i))
}

// checkKey panics on a key no partition can have: the binary search over
// partition times relies on positive widths.
func checkKey(k partitions.Key) {
	if k.Width <= 0 || k.Shards <= 0 || k.Shard < 0 || k.Shard >= k.Shards {
		panic(fmt.Sprintf("BUG: catalog: invalid partition key %+v", k))
	}
}

// compareKeys orders partitions by bucket start, then shard, then the rest of
// the key so that the order is total.
func compareKeys(a, b partitions.Key) int {
	if c := cmp.Compare(a.Start, b.Start); c != 0 {
		return c
	}
	if c := cmp.Compare(a.Shard, b.Shard); c != 0 {
		return c
	}
	if c := cmp.Compare(a.Width, b.Width); c != 0 {
		return c
	}
	return cmp.Compare(a.Shards, b.Shards)
}

// find returns the index of k in s.parts, or where it would be inserted.
func (s *snapshot) find(k partitions.Key) (int, bool) {
	return slices.BinarySearchFunc(s.parts, k, func(p *partitionState, k partitions.Key) int {
		return compareKeys(p.key, k)
	})
}

// withPartition returns a copy of s in which p is at index i, replacing the
// partition there when found is set and inserted before it otherwise.
func (s *snapshot) withPartition(i int, found bool, p *partitionState) *snapshot {
	next := &snapshot{
		maxWidth: max(s.maxWidth, p.key.Width),
		segments: s.segments + len(p.segs),
		batches:  s.batches + p.batches,
		bytes:    s.bytes + p.bytes,
	}
	if found {
		next.segments -= len(s.parts[i].segs)
		next.batches -= s.parts[i].batches
		next.bytes -= s.parts[i].bytes
		next.parts = slices.Clone(s.parts)
		next.parts[i] = p
		return next
	}
	next.parts = make([]*partitionState, 0, len(s.parts)+1)
	next.parts = append(next.parts, s.parts[:i]...)
	next.parts = append(next.parts, p)
	next.parts = append(next.parts, s.parts[i:]...)
	return next
}

// withoutPartition returns a copy of s without the partition at index i.
func (s *snapshot) withoutPartition(i int) *snapshot {
	gone := s.parts[i]
	next := &snapshot{
		parts:    slices.Delete(slices.Clone(s.parts), i, i+1),
		segments: s.segments - len(gone.segs),
		batches:  s.batches - gone.batches,
		bytes:    s.bytes - gone.bytes,
	}
	for _, p := range next.parts {
		next.maxWidth = max(next.maxWidth, p.key.Width)
	}
	return next
}

// apply returns the state of partition k after removing the segments whose
// IDs are in removed or added, then adding those in added. p may be nil (a new partition).
func (p *partitionState) apply(k partitions.Key, added, removed []*partitions.Segment) *partitionState {
	var segs []*partitions.Segment
	if p != nil {
		segs = make([]*partitions.Segment, 0, len(p.segs)+len(added))
		for _, s := range p.segs {
			if !containsID(removed, s.ID) && !containsID(added, s.ID) {
				segs = append(segs, s)
			}
		}
	}
	segs = append(segs, added...)
	slices.SortStableFunc(segs, func(a, b *partitions.Segment) int { return cmp.Compare(a.ID, b.ID) })
	// Of several added segments with one ID, the last one wins.
	segs = compactByID(segs)
	next := &partitionState{key: k, segs: segs, keys: make([]*segmentKeys, len(segs))}
	for i, s := range segs {
		next.batches += len(s.Stats.Batches)
		next.keys[i] = p.keysOf(s)
		next.bytes += s.Stats.MemoryBytes() + next.keys[i].memoryBytes()
	}
	return next
}

// MemoryBytes estimates the memory the catalog holds: the statistics of
// every live segment (blooms, value lists, counts) and their collation
// keys. It grows with the rows stored, about 1.6 MB per million WORKLOAD
// rows, most of it the trace_id bloom filters.
func (c *Catalog) MemoryBytes() int64 { return c.snap.Load().bytes }

// keysOf returns the collation keys of s's statistics, computed once for
// the life of s in the catalog.
func (p *partitionState) keysOf(s *partitions.Segment) *segmentKeys {
	if p != nil {
		if i := slices.Index(p.segs, s); i >= 0 {
			return p.keys[i]
		}
	}
	return newSegmentKeys(s.Stats)
}

// compactByID keeps the last of each run of segments with equal IDs.
func compactByID(segs []*partitions.Segment) []*partitions.Segment {
	out := segs[:0]
	for i, s := range segs {
		if i+1 < len(segs) && segs[i+1].ID == s.ID {
			continue
		}
		out = append(out, s)
	}
	return out
}

// containsID reports whether a segment with the given ID is in segs. The
// lists of one change are short (a flush adds one segment, a compaction
// merges a handful), so a linear scan beats building a set.
func containsID(segs []*partitions.Segment, id uint64) bool {
	for _, s := range segs {
		if s.ID == id {
			return true
		}
	}
	return false
}
