package engine

import (
	"container/list"
	"sync"

	"logq/partitions"
	"logq/partitions/columns"
)

// batchCache keeps recently decoded segment batches, least recently used
// out first, within a byte budget: repeated queries over the same hours
// (dashboards refreshing) skip LZ4 and Arrow decoding. Decoded batches are
// immutable, so one may serve many queries at once.
type batchCache struct {
	stats *ScanStats

	mu    sync.Mutex
	limit int64
	size  int64
	order *list.List // of *cacheEntry, most recent first
	byKey map[cacheKey]*list.Element
}

type cacheKey struct {
	path  string // segment files are never rewritten under the same name
	batch int
}

type cacheEntry struct {
	key   cacheKey
	b     *columns.Batch
	bytes int64
}

func newBatchCache(limit int64, stats *ScanStats) *batchCache {
	return &batchCache{stats: stats, limit: limit, order: list.New(), byKey: map[cacheKey]*list.Element{}}
}

// get returns batch bi of seg, decoding it on a miss.
func (c *batchCache) get(seg *partitions.Segment, bi int) (*columns.Batch, error) {
	key := cacheKey{seg.Path, bi}
	if c != nil {
		c.mu.Lock()
		if e, ok := c.byKey[key]; ok {
			c.order.MoveToFront(e)
			b := e.Value.(*cacheEntry).b
			c.mu.Unlock()
			c.stats.BatchCacheHits.Add(1)
			return b, nil
		}
		c.mu.Unlock()
	}
	b, err := readBatch(seg, bi)
	if err != nil || c == nil {
		return b, err
	}
	st := seg.Stats.Batches[bi]
	c.stats.BatchesDecoded.Add(1)
	c.stats.BytesRead.Add(st.CompressedBytes)
	// Decoded size: the Arrow buffers plus the offsets and validity the
	// columns package keeps per row and column.
	c.put(&cacheEntry{key: key, b: b, bytes: st.RawBytes + int64(st.Rows)*48})
	return b, nil
}

func (c *batchCache) put(e *cacheEntry) {
	if e.bytes > c.limit/4 {
		return // one batch must not flush the cache
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.byKey[e.key]; ok {
		return
	}
	c.byKey[e.key] = c.order.PushFront(e)
	c.size += e.bytes
	for c.size > c.limit {
		last := c.order.Back()
		old := last.Value.(*cacheEntry)
		c.order.Remove(last)
		delete(c.byKey, old.key)
		c.size -= old.bytes
	}
}
