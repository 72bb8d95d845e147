package exec

import (
	"sync"
	"time"
)

// CacheBudget sizes the batch cache from what the rest of the server holds.
// The cache is the one elastic user of memory: the buffers, the catalog's
// statistics (which grow with the rows stored, ~1.5 MB per million), a
// merge under way and the running statements are not. Left at its full
// size beside them, it pushed the live heap at 100M rows near the Go soft
// limit, where the collector runs without pause. So the cache gets what
// the others leave of cacheLiveShare of the limit, between minCacheBytes
// and its configured size.
type CacheBudget struct {
	Configured int64        // Options.CacheBytes: the most it may hold
	MemLimit   int64        // the Go soft memory limit; 0: none (always configured)
	Others     func() int64 // bytes the other users hold now

	mu      sync.Mutex
	checked time.Time // when limit was last computed
	limit   int64
}

const (
	// cacheLiveShare is the share of the Go memory limit (in percent) the
	// accounted live heap may reach: the collector's target is about twice
	// the live heap, capped by the limit, so past about half of it it
	// collects more often, and near all of it without pause.
	cacheLiveShare = 60
	// cacheRuntimeReserve is the live heap nothing accounts for:
	// go-mysql-server, connections' buffers, goroutine stacks, Arrow pools.
	cacheRuntimeReserve = 64 << 20
	// minCacheBytes keeps the batches of the queries running now.
	minCacheBytes = 16 << 20
	// cacheBudgetEvery is how often the limit is computed again.
	cacheBudgetEvery = 100 * time.Millisecond
)

// current returns the cache's limit now, computing it at most every
// cacheBudgetEvery.
func (b *CacheBudget) current(now time.Time) int64 {
	if b.MemLimit <= 0 || b.Configured <= 0 {
		return max(b.Configured, 0)
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.checked.IsZero() || now.Sub(b.checked) >= cacheBudgetEvery {
		b.checked = now
		b.limit = cacheLimitFor(b.Configured, b.MemLimit, b.Others())
	}
	return b.limit
}

// cacheLimitFor is the cache's share of memLimit when others hold others.
func cacheLimitFor(configured, memLimit, others int64) int64 {
	avail := memLimit/100*cacheLiveShare - cacheRuntimeReserve - others
	return min(configured, max(avail, minCacheBytes))
}
