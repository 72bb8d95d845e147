package server

import (
	"net/http"
	"regexp"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"logq/catalog"
	"logq/engine"
	"logq/partitions"
	"logq/server/accounts"
	"logq/server/flightsvc"
)

// metrics is the Prometheus registry of one server.
type metrics struct {
	reg           *prometheus.Registry
	ingestLatency prometheus.Histogram
	queries       *queryMetrics
}

func newMetrics(store *partitions.Store, cat *catalog.Catalog, ingest *IngestStats, pro *engine.Provider) *metrics {
	m := &metrics{reg: prometheus.NewRegistry()}
	m.ingestLatency = prometheus.NewHistogram(prometheus.HistogramOpts{
		Name:    "logq_ingest_request_seconds",
		Help:    "Duration of ingest requests, from first byte to durable acknowledgement.",
		Buckets: prometheus.ExponentialBuckets(0.001, 2, 15),
	})
	m.reg.MustRegister(
		// The CPU classes (GC, scavenger, user, idle) too: the GC's share
		// of the CPU is how a heap near its limit shows (logq bench
		// reports it).
		collectors.NewGoCollector(collectors.WithGoCollectorRuntimeMetrics(
			collectors.GoRuntimeMetricsRule{Matcher: regexp.MustCompile(`^/cpu/classes/`)})),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		m.ingestLatency,
		newStoreCollector(store),
		newIngestCollector(ingest),
		newScanCollector(pro.Stats()),
		newDamageCollector(store, cat),
	)
	m.queries = newQueryMetrics(m.reg)
	return m
}

func (m *metrics) handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{Registry: m.reg})
}

// watchConnections exports the MySQL listener's refusals.
func (m *metrics) watchConnections(l *mysqlListener) {
	m.reg.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{
		Name: "logq_sql_connections_refused_total",
		Help: "MySQL connections refused with error 1040 (past --max-connections).",
	}, func() float64 { return float64(l.refused.Load()) }), prometheus.NewCounterFunc(prometheus.CounterOpts{
		Name: "logq_sql_packets_too_large_total",
		Help: "MySQL connections closed for sending more than --max-allowed-packet bytes in one request.",
	}, func() float64 { return float64(l.tooLarge.Load()) }))
}

// watchAccounts exports failed logins.
func (m *metrics) watchAccounts(acc *accounts.Accounts) {
	m.reg.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{
		Name:        "logq_auth_failures_total",
		Help:        "Logins refused for a wrong name or password (MySQL error 1045, HTTP 401).",
		ConstLabels: prometheus.Labels{"protocol": "mysql"},
	}, func() float64 { return float64(acc.MySQLFailures.Load()) }), prometheus.NewCounterFunc(prometheus.CounterOpts{
		Name:        "logq_auth_failures_total",
		Help:        "Logins refused for a wrong name or password (MySQL error 1045, HTTP 401).",
		ConstLabels: prometheus.Labels{"protocol": "http"},
	}, func() float64 { return float64(acc.HTTPFailures.Load()) }))
}

// watchLimits exports what the SQL limits did.
func (m *metrics) watchLimits(l *engine.QueryLimits) {
	st := l.Stats()
	m.reg.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{
		Name: "logq_sql_query_memory_exceeded_total",
		Help: "SQL statements failed with error 1041 for holding more than their memory limit (--query-memory-limit, logq_query_memory_limit).",
	}, func() float64 { return float64(st.MemoryExceeded.Load()) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name: "logq_sql_client_gone_kills_total",
			Help: "SQL statements killed because their client closed the connection while they ran.",
		}, func() float64 { return float64(st.ClientGoneKills.Load()) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "logq_sql_query_memory_limit_bytes",
			Help: "The server's per-statement memory limit (--query-memory-limit); 0: none.",
		}, func() float64 { return float64(l.MemoryLimit()) }))
}

// instrumentIngest times ingest requests.
func (m *metrics) instrumentIngest(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		h.ServeHTTP(w, r)
		m.ingestLatency.Observe(time.Since(start).Seconds())
	})
}

// storeCollector reports the store's size at scrape time.
type storeCollector struct {
	store *partitions.Store
	descs map[string]*prometheus.Desc
}

func newStoreCollector(store *partitions.Store) *storeCollector {
	d := func(name, help string) *prometheus.Desc {
		return prometheus.NewDesc("logq_store_"+name, help, nil, nil)
	}
	return &storeCollector{store: store, descs: map[string]*prometheus.Desc{
		"partitions":     d("partitions", "Partitions with at least one segment."),
		"segments":       d("segments", "Live segment files."),
		"segment_rows":   d("segment_rows", "Rows in segment files."),
		"segment_bytes":  d("segment_bytes", "Compressed bytes of segment data."),
		"buffered_rows":  d("buffered_rows", "Rows acknowledged but not yet in segments."),
		"sealed_rows":    d("sealed_rows", "Buffered rows sealed in memory with segment statistics (counted in buffered_rows)."),
		"buffered_bytes": d("buffered_bytes", "Memory held by buffered rows."),
		"free_bytes":     d("free_bytes", "Free space of the data directory's file system."),
		"disk_full":      d("disk_full", "1 while writes fail for lack of space (below --min-free-bytes or full), else 0."),
		"no_space_refusals_total": d("no_space_refusals_total",
			"Appends refused for lack of space (HTTP 507) since start."),
		"columns":     d("columns", "Live dynamic columns, the catch-all column _extra not counted."),
		"max_columns": d("max_columns", "The limit of dynamic columns (--max-columns); past it fields go to _extra."),
		"flush_bytes_written_total": d("flush_bytes_written_total",
			"Segment file bytes written by flushes since start."),
		"compaction_bytes_written_total": d("compaction_bytes_written_total",
			"Segment file bytes written by compactions since start; with the flushes' over logq_store_segment_bytes, the write amplification."),
	}}
}

// Describe implements prometheus.Collector.
func (c *storeCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range c.descs {
		ch <- d
	}
}

// Collect implements prometheus.Collector.
func (c *storeCollector) Collect(ch chan<- prometheus.Metric) {
	st := c.store.Stats()
	g := func(name string, v float64) {
		ch <- prometheus.MustNewConstMetric(c.descs[name], prometheus.GaugeValue, v)
	}
	g("partitions", float64(st.Partitions))
	g("segments", float64(st.Segments))
	g("segment_rows", float64(st.SegmentRows))
	g("segment_bytes", float64(st.SegmentBytes))
	g("buffered_rows", float64(st.BufferedRows))
	g("buffered_bytes", float64(st.BufferedBytes))
	g("sealed_rows", float64(st.SealedRows))
	g("free_bytes", float64(st.FreeBytes))
	full := 0.0
	if !st.DiskFullSince.IsZero() {
		full = 1
	}
	g("disk_full", full)
	g("columns", float64(st.Columns))
	g("max_columns", float64(st.MaxColumns))
	ch <- prometheus.MustNewConstMetric(c.descs["no_space_refusals_total"], prometheus.CounterValue, float64(st.NoSpaceRefusals))
	ch <- prometheus.MustNewConstMetric(c.descs["flush_bytes_written_total"], prometheus.CounterValue, float64(st.FlushBytesWritten))
	ch <- prometheus.MustNewConstMetric(c.descs["compaction_bytes_written_total"], prometheus.CounterValue, float64(st.CompactionBytesWritten))
}

// ingestCollector exports the ingest handler's counters at scrape time; the
// handler keeps them as atomics so that its hot path needs no registry.
type ingestCollector struct {
	stats *IngestStats
	descs [10]*prometheus.Desc
}

func newIngestCollector(stats *IngestStats) *ingestCollector {
	d := func(name, help string) *prometheus.Desc {
		return prometheus.NewDesc("logq_ingest_"+name, help, nil, nil)
	}
	return &ingestCollector{stats: stats, descs: [10]*prometheus.Desc{
		d("requests_total", "Ingest requests received."),
		d("requests_failed_total", "Ingest requests answered with a status other than 200."),
		d("rows_total", "Rows stored durably by ingest."),
		d("rejected_lines_total", "Lines refused by ingest (see the answer's errors)."),
		d("bytes_total", "JSON bytes received, after decompression."),
		d("wire_bytes_total", "Body bytes received as sent (compressed when gzip)."),
		d("duplicate_keys_total", "Fields of accepted lines overwritten by a later field of the same name (the last value is kept)."),
		d("new_columns_total", "Dynamic columns created by ingest."),
		d("overflow_fields_total", "Field values stored in the catch-all column _extra for want of a column of their own."),
		d("denied_fields_total", "Field values dropped by the deny list (--columns-deny)."),
	}}
}

// Describe implements prometheus.Collector.
func (c *ingestCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range c.descs {
		ch <- d
	}
}

// Collect implements prometheus.Collector.
func (c *ingestCollector) Collect(ch chan<- prometheus.Metric) {
	s := c.stats
	for i, v := range [10]int64{s.Requests.Load(), s.Failed.Load(), s.Rows.Load(),
		s.Rejected.Load(), s.Bytes.Load(), s.WireBytes.Load(), s.DuplicateKeys.Load(),
		s.NewColumns.Load(), s.OverflowFields.Load(), s.DeniedFields.Load()} {
		ch <- prometheus.MustNewConstMetric(c.descs[i], prometheus.CounterValue, float64(v))
	}
}

// queryMetrics counts SQL connections and queries; go-mysql-server calls it
// as its ServerEventListener.
type queryMetrics struct {
	connections prometheus.Gauge
	queries     *prometheus.CounterVec
	latency     prometheus.Histogram
}

func newQueryMetrics(reg prometheus.Registerer) *queryMetrics {
	q := &queryMetrics{
		connections: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "logq_sql_connections", Help: "Open MySQL protocol connections."}),
		queries: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "logq_sql_queries_total", Help: "SQL statements run, by result (ok or error)."}, []string{"result"}),
		latency: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "logq_sql_query_seconds",
			Help:    "Duration of SQL statements, until the last row was sent.",
			Buckets: prometheus.ExponentialBuckets(0.0001, 2, 20),
		}),
	}
	reg.MustRegister(q.connections, q.queries, q.latency)
	return q
}

func (q *queryMetrics) ClientConnected()    { q.connections.Inc() }
func (q *queryMetrics) ClientDisconnected() { q.connections.Dec() }
func (q *queryMetrics) QueryStarted()       {}
func (q *queryMetrics) QueryCompleted(success bool, d time.Duration) {
	result := "ok"
	if !success {
		result = "error"
	}
	q.queries.WithLabelValues(result).Inc()
	q.latency.Observe(d.Seconds())
}

// scanCollector exports the engine's scan counters: what pruning kept of
// what existed, and what was read.
type scanCollector struct {
	stats *engine.ScanStats
	descs []*prometheus.Desc
}

func newScanCollector(stats *engine.ScanStats) *scanCollector {
	c := &scanCollector{stats: stats}
	for _, d := range scanMetricDefs {
		c.descs = append(c.descs, prometheus.NewDesc("logq_scan_"+d.name, d.help, nil, nil))
	}
	return c
}

var scanMetricDefs = []struct {
	name, help string
	value      func(s *engine.ScanStats) int64
}{
	{"total", "Scans of logs.", func(s *engine.ScanStats) int64 { return s.Scans.Load() }},
	{"partitions_total", "Partitions that existed when scans were planned.", func(s *engine.ScanStats) int64 { return s.PartitionsTotal.Load() }},
	{"partitions_kept_total", "Partitions that scans kept after pruning.", func(s *engine.ScanStats) int64 { return s.PartitionsKept.Load() }},
	{"segments_total", "Segments that existed when scans were planned.", func(s *engine.ScanStats) int64 { return s.SegmentsTotal.Load() }},
	{"segments_kept_total", "Segments that scans kept after pruning.", func(s *engine.ScanStats) int64 { return s.SegmentsKept.Load() }},
	{"batches_total", "Record batches that existed when scans were planned.", func(s *engine.ScanStats) int64 { return s.BatchesTotal.Load() }},
	{"batches_kept_total", "Record batches that scans kept after pruning.", func(s *engine.ScanStats) int64 { return s.BatchesKept.Load() }},
	{"batches_decoded_total", "Record batches decoded from segment files.", func(s *engine.ScanStats) int64 { return s.BatchesDecoded.Load() }},
	{"batch_cache_hits_total", "Record batches served from the decoded-batch cache.", func(s *engine.ScanStats) int64 { return s.BatchCacheHits.Load() }},
	{"bytes_read_total", "Compressed bytes of the record batches decoded.", func(s *engine.ScanStats) int64 { return s.BytesRead.Load() }},
	{"sealed_batches_read_total", "Record batches of sealed buffered rows read from memory.", func(s *engine.ScanStats) int64 { return s.SealedBatchesRead.Load() }},
	{"buffered_rows_read_total", "Buffered (not yet flushed) rows scans looked at.", func(s *engine.ScanStats) int64 { return s.BufferedRowsRead.Load() }},
	{"batches_from_stats_total", "Record batches aggregates answered from their statistics, unread.", func(s *engine.ScanStats) int64 { return s.BatchesFromStats.Load() }},
	{"batches_probed_total", "Kept record batches whose trace_id column alone was read first (a lookup by trace_id where the bloom filter cannot tell); not in batches_decoded_total.", func(s *engine.ScanStats) int64 { return s.BatchesProbed.Load() }},
	{"batches_uncached_total", "Record batches decoded past the cache by aggregates too large for it, the columns only their condition reads in reused memory; in batches_decoded_total.", func(s *engine.ScanStats) int64 { return s.BatchesUncached.Load() }},
	{"batches_probed_out_total", "Kept record batches a read of their trace_id column alone showed not to match (bloom filter false positives).", func(s *engine.ScanStats) int64 { return s.BatchesProbedOut.Load() }},
}

// Describe implements prometheus.Collector.
func (c *scanCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range c.descs {
		ch <- d
	}
}

// Collect implements prometheus.Collector.
func (c *scanCollector) Collect(ch chan<- prometheus.Metric) {
	for i, d := range scanMetricDefs {
		ch <- prometheus.MustNewConstMetric(c.descs[i], prometheus.CounterValue, float64(d.value(c.stats)))
	}
}

// watchCluster exports how many node streams queries opened (with routing
// by partition summaries, a query over one partition opens at most one),
// and per node how long they took and how many failed.
func (m *metrics) watchCluster(pool *flightsvc.Pool) {
	m.reg.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{
		Name: "logq_cluster_node_streams_total",
		Help: "Streams this node opened to other nodes of its cluster for the queries it coordinated.",
	}, func() float64 { return float64(pool.Contacted()) }))
	o := &nodeStreamMetrics{
		seconds: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "logq_cluster_node_stream_seconds",
			Help:    "Duration of the streams this node read from each other node, from the plan sent to the last record.",
			Buckets: prometheus.ExponentialBuckets(0.0005, 2, 16),
		}, []string{"node"}),
		errors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "logq_cluster_node_stream_errors_total",
			Help: "Streams from each other node that failed: reason idle_timeout (the node went silent past the idle timeout) or error.",
		}, []string{"node", "reason"}),
	}
	m.reg.MustRegister(o.seconds, o.errors)
	pool.SetObserver(o)
}

// nodeStreamMetrics is the pool's Observer.
type nodeStreamMetrics struct {
	seconds *prometheus.HistogramVec
	errors  *prometheus.CounterVec
}

func (o *nodeStreamMetrics) StreamEnded(id string, d time.Duration, err error, idle bool) {
	o.seconds.WithLabelValues(id).Observe(d.Seconds())
	switch {
	case idle:
		o.errors.WithLabelValues(id, "idle_timeout").Inc()
	case err != nil:
		o.errors.WithLabelValues(id, "error").Inc()
	}
}
