package server

import (
	"github.com/prometheus/client_golang/prometheus"

	"logq/catalog"
	"logq/partitions"
)

// damageCollector reports, at scrape time, the damaged data no query reads:
// what logq.damaged lists. They are gauges, not counters: damage is
// recorded in the manifests, so the values survive restarts, and they drop
// when retention removes a partition or an operator deletes a quarantined
// file after re-ingesting its rows.
type damageCollector struct {
	store            *partitions.Store
	cat              *catalog.Catalog
	batches, segs, n *prometheus.Desc
}

func newDamageCollector(store *partitions.Store, cat *catalog.Catalog) *damageCollector {
	return &damageCollector{store: store, cat: cat,
		batches: prometheus.NewDesc("logq_damaged_batches",
			"Record batches set aside as damaged: queries skip them, the rest of their segments answer (logq.damaged).", nil, nil),
		segs: prometheus.NewDesc("logq_damaged_segments",
			"Segments set aside whole as damaged, their files in quarantine/ (logq.damaged).", nil, nil),
		n: prometheus.NewDesc("logq_damaged_rows",
			"Rows of the damaged batches and segments, which no query reads (logq.damaged).", nil, nil),
	}
}

// Describe implements prometheus.Collector.
func (c *damageCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- c.batches
	ch <- c.segs
	ch <- c.n
}

// Collect implements prometheus.Collector.
func (c *damageCollector) Collect(ch chan<- prometheus.Metric) {
	batches, segs := c.cat.DamagedBatches(), c.store.DamagedSegments()
	var rows int64
	for _, d := range batches {
		rows += d.Rows
	}
	for _, d := range segs {
		rows += d.Rows
	}
	ch <- prometheus.MustNewConstMetric(c.batches, prometheus.GaugeValue, float64(len(batches)))
	ch <- prometheus.MustNewConstMetric(c.segs, prometheus.GaugeValue, float64(len(segs)))
	ch <- prometheus.MustNewConstMetric(c.n, prometheus.GaugeValue, float64(rows))
}
