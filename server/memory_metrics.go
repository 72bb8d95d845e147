package server

import (
	"runtime/debug"

	"github.com/prometheus/client_golang/prometheus"

	"logq/catalog"
	"logq/engine"
	"logq/partitions"
)

// memoryCollector reports how the server's memory splits among its users,
// so that an operator sees which one grows when the heap nears the Go
// memory limit (--memory-limit): the buffered rows, the batch cache, the
// catalog's statistics, the merge under way and the running statements.
// Each part that has a bound of its own reports it too.
type memoryCollector struct {
	store  *partitions.Store
	cat    *catalog.Catalog
	pro    *engine.Provider
	limits *engine.QueryLimits
	used   *prometheus.Desc
	budget *prometheus.Desc
	limit  *prometheus.Desc
}

func newMemoryCollector(store *partitions.Store, cat *catalog.Catalog, pro *engine.Provider, limits *engine.QueryLimits) *memoryCollector {
	return &memoryCollector{
		store: store, cat: cat, pro: pro, limits: limits,
		used: prometheus.NewDesc("logq_memory_bytes",
			"Memory held, by part: buffers (rows not yet flushed), batch_cache (decoded batches kept between queries), catalog (segment statistics: grows with the rows stored), compaction (rows of the merge under way), queries (sorts, groups and DISTINCT keys of running statements).",
			[]string{"part"}, nil),
		budget: prometheus.NewDesc("logq_memory_budget_bytes",
			"The bound of each part that has one: buffers (Append waits past it), batch_cache (--cache-bytes). Statements have theirs each (logq_sql_query_memory_limit_bytes).",
			[]string{"part"}, nil),
		limit: prometheus.NewDesc("logq_memory_limit_bytes",
			"The Go runtime's soft memory limit (--memory-limit or GOMEMLIMIT); 0: none.", nil, nil),
	}
}

// watchMemory exports the split of the server's memory, and makes the batch
// cache yield to the running statements too.
func (m *metrics) watchMemory(store *partitions.Store, cat *catalog.Catalog, pro *engine.Provider, limits *engine.QueryLimits) {
	pro.CountQueryMemory(limits.MemoryHeld)
	m.reg.MustRegister(newMemoryCollector(store, cat, pro, limits))
}

// Describe implements prometheus.Collector.
func (c *memoryCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- c.used
	ch <- c.budget
	ch <- c.limit
}

// Collect implements prometheus.Collector.
func (c *memoryCollector) Collect(ch chan<- prometheus.Metric) {
	st := c.store.Stats()
	cacheHeld, cacheLimit := c.pro.CacheBytes()
	used := func(part string, v int64) {
		ch <- prometheus.MustNewConstMetric(c.used, prometheus.GaugeValue, float64(v), part)
	}
	budget := func(part string, v int64) {
		ch <- prometheus.MustNewConstMetric(c.budget, prometheus.GaugeValue, float64(v), part)
	}
	used("buffers", st.BufferedBytes)
	used("batch_cache", cacheHeld)
	used("catalog", c.cat.MemoryBytes())
	used("compaction", st.CompactingBytes)
	used("queries", c.limits.MemoryHeld())
	budget("buffers", st.BufferLimitBytes)
	budget("batch_cache", cacheLimit)
	limit := debug.SetMemoryLimit(-1)
	if limit == 1<<63-1 {
		limit = 0
	}
	ch <- prometheus.MustNewConstMetric(c.limit, prometheus.GaugeValue, float64(limit))
}
