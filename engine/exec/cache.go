package exec

import (
	"container/list"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"
	"unsafe"

	"logq/partitions"
	"logq/partitions/columns"
	"logq/partitions/segment"
)

// BatchCache keeps recently decoded segment batches, least recently used
// out first, within a byte budget: repeated queries over the same hours
// (dashboards refreshing) skip LZ4 and Arrow decoding. Decoded batches are
// immutable, so one may serve many queries at once.
type BatchCache struct {
	stats *ScanStats
	store *partitions.Store // told about the damaged batches a read finds

	budget *CacheBudget

	mu    sync.Mutex
	size  int64
	order *list.List // of *cacheEntry, most recent first
	byKey map[cacheKey]*list.Element
}

type cacheKey struct {
	path  string // segment files are never rewritten under the same name
	batch int
	cols  string // the converted columns (colSet.sig); "" for all
}

// ColSet is the set of columns a scan converts; nil means all of them.
type ColSet struct {
	sig   string // sorted names, comma-joined: the cache key
	names map[string]bool

	// scratch names the columns that only the scan's condition reads
	// (Q5's message): a scan too large for the cache decodes them into
	// reused memory (batchCache.scan).
	scratch map[string]bool
}

// withScratch returns cs noting that the columns of names outside keep
// are read by the condition alone.
func (cs *ColSet) withScratch(keep []string) *ColSet {
	out := *cs
	out.scratch = maps.Clone(cs.names)
	for _, n := range keep {
		delete(out.scratch, n)
	}
	return &out
}

// Has reports whether cs holds the column name; a nil ColSet holds all.
func (cs *ColSet) Has(name string) bool { return cs == nil || cs.names[name] }

// NewColSet returns the set of the columns names.
func NewColSet(names []string) *ColSet {
	names = slices.Clone(names)
	slices.Sort(names)
	names = slices.Compact(names)
	cs := &ColSet{sig: strings.Join(names, ","), names: map[string]bool{}}
	for _, n := range names {
		cs.names[n] = true
	}
	return cs
}

type cacheEntry struct {
	key    cacheKey
	b      *columns.Batch
	tuples *tupleRows          // key.cols == tuplesKey or minutesKey
	levels *segment.BatchStats // key.cols == levelsKey
	traces []uint64            // key.cols == tracesKey (probe.go)
	bytes  int64
}

// tuplesKey, minutesKey and levelsKey are the cols of the cache keys under
// which a batch's (or a whole segment's) tupleRows of its tuple and minute
// counts and merged level counts are kept; no column set has these
// signatures.
const (
	tuplesKey  = "\x00tuples"
	minutesKey = "\x00minutes"
	levelsKey  = "\x00levels" // a whole segment's level counts (mergedLevels)
	mergedKey  = "\x00merged" // several whole segments' tuple counts (mergedTuples)
	tracesKey  = "\x00traces" // a batch's hashed trace IDs (traceHashes)
)

func NewBatchCache(budget *CacheBudget, stats *ScanStats, store *partitions.Store) *BatchCache {
	return &BatchCache{stats: stats, store: store, budget: budget, order: list.New(), byKey: map[cacheKey]*list.Element{}}
}

// get returns batch bi of seg with at least the columns cols (nil: all),
// decoding it on a miss. A batch cached whole serves any column set. The
// batches of an in-memory segment (sealed buffered rows) are returned as
// they are, whole, and never cached: they are already in memory.
func (c *BatchCache) get(seg *partitions.Segment, bi int, cols *ColSet) (*columns.Batch, error) {
	return c.read(seg, bi, cols, false)
}

// read is get; a probe's read (mayMatch) is counted as probed, not as a
// decode or a cache hit, which count the batches a scan reads.
func (c *BatchCache) read(seg *partitions.Segment, bi int, cols *ColSet, probe bool) (*columns.Batch, error) {
	if b := seg.Batch(bi); b != nil {
		c.stats.SealedBatchesRead.Add(1)
		return b, nil
	}
	b, key := c.cachedBatch(seg, bi, cols)
	if b != nil {
		if probe {
			c.stats.BatchesProbed.Add(1)
		} else {
			c.stats.BatchCacheHits.Add(1)
		}
		return b, nil
	}
	b, err := readBatch(c.store, seg, bi, cols)
	if err != nil {
		return nil, err
	}
	if probe {
		c.stats.BatchesProbed.Add(1)
	} else {
		c.stats.BatchesDecoded.Add(1)
		c.stats.BytesRead.Add(seg.Stats.Batches[bi].CompressedBytes)
	}
	c.put(&cacheEntry{key: key, b: b, bytes: approxBytes(b)})
	return b, nil
}

// cachedBatch returns batch bi of seg with at least the columns cols (nil:
// all) from the cache, now the most recently used, or nil; and the key a
// batch decoded with cols goes under. A batch cached whole serves any
// column set.
func (c *BatchCache) cachedBatch(seg *partitions.Segment, bi int, cols *ColSet) (*columns.Batch, cacheKey) {
	keys := []cacheKey{{path: seg.Path, batch: bi}}
	if cols != nil {
		keys = append(keys, cacheKey{path: seg.Path, batch: bi, cols: cols.sig})
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, k := range keys {
		if e, ok := c.byKey[k]; ok {
			c.order.MoveToFront(e)
			return e.Value.(*cacheEntry).b, k
		}
	}
	return nil, keys[len(keys)-1]
}

// scan is get for a scan that the cache cannot hold (aggQuery.run): a batch
// cached is used as it is, a miss is decoded without entering the cache,
// the scratch columns of cols into s. The batch is the caller's alone and
// its scratch columns are good until s.Reset.
func (c *BatchCache) scan(seg *partitions.Segment, bi int, cols *ColSet, s *segment.Scratch) (*columns.Batch, error) {
	if len(cols.scratch) == 0 || seg.InMemory() {
		return c.get(seg, bi, cols)
	}
	if b, _ := c.cachedBatch(seg, bi, cols); b != nil {
		c.stats.BatchCacheHits.Add(1)
		return b, nil
	}
	b, err := readBatchScratch(c.store, seg, bi, cols, s)
	if err != nil {
		return nil, err
	}
	c.stats.BatchesDecoded.Add(1)
	c.stats.BatchesUncached.Add(1)
	c.stats.BytesRead.Add(seg.Stats.Batches[bi].CompressedBytes)
	return b, nil
}

// Tuples returns the tupleRows of batch bi of seg, whose statistics have
// tuple counts (or, with minutes, counts per minute and level), building
// them on a miss: a query answered from them then only filters and groups
// them.
func (c *BatchCache) tuples(seg *partitions.Segment, bi int, minutes bool) *tupleRows {
	cols := tuplesKey
	if minutes {
		cols = minutesKey
	}
	key := statsKey(seg, bi, cols)
	if e := c.cached(key); e != nil {
		return e.tuples
	}
	var tr *tupleRows
	switch {
	case minutes:
		tr = newMinuteRows(&seg.Stats.Batches[bi])
	case bi == wholeSegment:
		tr = newSegmentTupleRows(seg.Stats)
	default:
		tr = newTupleRows(seg.Stats, bi)
	}
	c.put(&cacheEntry{key: key, tuples: tr, bytes: tr.bytes()})
	return tr
}

// mergedTuples returns newMergedTupleRows of segs, building them on a
// miss. They are kept under the names of segs: a flush or a merge that
// changes a partition's segments changes the key.
func (c *BatchCache) mergedTuples(segs []*partitions.Segment) *tupleRows {
	names := make([]string, len(segs))
	stats := make([]*segment.Stats, len(segs))
	for i, seg := range segs {
		names[i], stats[i] = statsKey(seg, wholeSegment, "").path, seg.Stats
	}
	key := cacheKey{path: strings.Join(names, "\x00"), batch: wholeSegment, cols: mergedKey}
	if e := c.cached(key); e != nil {
		return e.tuples
	}
	tr := newMergedTupleRows(stats)
	c.put(&cacheEntry{key: key, tuples: tr, bytes: tr.bytes() + int64(len(key.path))})
	return tr
}

// wholeSegment is the batch index under which tuples keeps the tuple
// counts of a whole segment (newSegmentTupleRows).
const wholeSegment = -1

// levels returns mergedLevels of seg, building them on a miss.
func (c *BatchCache) levels(seg *partitions.Segment) *segment.BatchStats {
	key := statsKey(seg, wholeSegment, levelsKey)
	if e := c.cached(key); e != nil {
		return e.levels
	}
	m := mergedLevels(seg.Stats)
	c.put(&cacheEntry{key: key, levels: m, bytes: int64(unsafe.Sizeof(*m)) + int64(len(m.Levels))*64})
	return m
}

// statsKey is the cache key of what is built from the statistics of batch
// bi of seg (or of all of them: wholeSegment). An in-memory segment, which
// has no path, is keyed by its name, unique in the store's life.
func statsKey(seg *partitions.Segment, bi int, cols string) cacheKey {
	key := cacheKey{path: seg.Path, batch: bi, cols: cols}
	if seg.InMemory() {
		key.path = seg.Name()
	}
	return key
}

// cached returns the entry under key, now the most recently used, or nil.
func (c *BatchCache) cached(key cacheKey) *cacheEntry {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.byKey[key]; ok {
		c.order.MoveToFront(e)
		return e.Value.(*cacheEntry)
	}
	return nil
}

// approxBytes is the memory a decoded batch holds.
func approxBytes(b *columns.Batch) int64 {
	n := int64(8 * len(b.TS))
	for _, s := range []*columns.Strings{&b.Level, &b.Service, &b.Host, &b.TraceID, &b.Message} {
		n += int64(len(s.Data) + 4*len(s.Ends) + len(s.Valid) + 4*len(s.Codes))
		for _, v := range s.Dict {
			n += int64(len(v)) + 24
		}
	}
	for _, d := range b.Dynamic {
		n += int64(8*(len(d.Ints)+len(d.Floats)) + len(d.Bools) + len(d.Valid) + len(d.Strs.Data) + 4*len(d.Strs.Ends))
	}
	return n
}

// Bytes returns the decoded bytes the cache holds and its limit now.
func (c *BatchCache) Bytes() (held, limit int64) {
	limit = c.budget.current(time.Now())
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.size, limit
}

func (c *BatchCache) put(e *cacheEntry) {
	limit := c.budget.current(time.Now())
	c.mu.Lock()
	defer c.mu.Unlock()
	if e.bytes > limit/4 {
		c.evictLocked(limit) // the limit may have shrunk
		return               // one batch must not flush the cache
	}
	if _, ok := c.byKey[e.key]; ok {
		return
	}
	c.byKey[e.key] = c.order.PushFront(e)
	c.size += e.bytes
	c.evictLocked(limit)
}

// evictLocked drops the least recently used entries past limit.
// REQUIRES: c.mu held.
func (c *BatchCache) evictLocked(limit int64) {
	for c.size > limit {
		last := c.order.Back()
		old := last.Value.(*cacheEntry)
		c.order.Remove(last)
		delete(c.byKey, old.key)
		c.size -= old.bytes
	}
}
