package exec

import (
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"logq/partitions/columns"
)

func TestCacheLimitFor(t *testing.T) {
	const mib = 1 << 20
	limit := int64(768 * mib)
	share := limit / 100 * cacheLiveShare
	for _, tc := range []struct {
		name       string
		configured int64
		others     int64
		want       int64
	}{
		{"room to spare: the configured size", 256 * mib, 0, 256 * mib},
		{"the others grow: the cache yields", 256 * mib, 300 * mib, share - cacheRuntimeReserve - 300*mib},
		{"never below the floor", 256 * mib, 2000 * mib, minCacheBytes},
		{"a small configured size stays", 8 * mib, 2000 * mib, 8 * mib},
	} {
		t.Run(tc.name, func(t *testing.T) {
			require.Equal(t, tc.want, cacheLimitFor(tc.configured, limit, tc.others))
		})
	}
}

// TestCacheYieldsToOthers fills the cache, then lets the other users of
// memory grow: the next put evicts down to the smaller limit.
func TestCacheYieldsToOthers(t *testing.T) {
	const mib = 1 << 20
	var others atomic.Int64
	b := &CacheBudget{Configured: 64 * mib, MemLimit: 1000 * mib, Others: others.Load}
	c := NewBatchCache(b, &ScanStats{}, nil)
	entry := func(i int) *cacheEntry {
		return &cacheEntry{key: cacheKey{path: "seg", batch: i}, b: &columns.Batch{}, bytes: 4 * mib}
	}
	for i := range 16 {
		c.put(entry(i))
	}
	held, limit := c.Bytes()
	require.Equal(t, int64(64*mib), limit)
	require.Equal(t, int64(64*mib), held)

	// The others now leave 30 MiB: 600 - 64 - 506.
	others.Store(506 * mib)
	time.Sleep(cacheBudgetEvery)
	c.put(entry(100))
	held, limit = c.Bytes()
	require.Equal(t, int64(30*mib), limit)
	require.LessOrEqual(t, held, limit)
	c.mu.Lock()
	_, newest := c.byKey[entry(100).key]
	_, oldest := c.byKey[entry(0).key]
	c.mu.Unlock()
	require.True(t, newest, "the newest entry stays")
	require.False(t, oldest, "the least recently used goes first")

	// No memory limit: the configured size, whatever the others hold.
	b = &CacheBudget{Configured: 64 * mib, Others: others.Load}
	require.Equal(t, int64(64*mib), b.current(time.Now()))
}
