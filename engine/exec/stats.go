package exec

import "sync/atomic"

// ScanStats counts the work of every scan of logs since start, for
// metrics: what pruning kept of what existed, and what was read.
type ScanStats struct {
	Scans                           atomic.Int64
	PartitionsTotal, PartitionsKept atomic.Int64
	SegmentsTotal, SegmentsKept     atomic.Int64
	BatchesTotal, BatchesKept       atomic.Int64
	BatchesDecoded, BatchCacheHits  atomic.Int64
	SealedBatchesRead               atomic.Int64 // batches of sealed buffered rows read (in memory, nothing decoded)
	BytesRead                       atomic.Int64 // compressed bytes of the batches decoded
	BufferedRowsRead                atomic.Int64
	BatchesFromStats                atomic.Int64 // batches an aggregate answered from their statistics
	BatchesProbed                   atomic.Int64 // kept batches whose trace_id column a probe read (mayMatch), decoded or cached
	BatchesProbedOut                atomic.Int64 // of those, the batches the probe showed not to match
	BatchesUncached                 atomic.Int64 // of the batches decoded, those a scan too large for the cache read past it (batchCache.scan)
	PlansRoundTripped               atomic.Int64 // plans encoded and decoded before they ran (logq_plan_loopback)
	RowStreamsRoundTripped          atomic.Int64 // row streams sent through Arrow IPC and merged (logq_plan_loopback)
	StatesRoundTripped              atomic.Int64 // aggregates combined from partial states sent as Arrow (logq_plan_loopback)
}

// RecordPlan adds one scan's pruning.
func (s *ScanStats) RecordPlan(snap Snapshot) {
	st := snap.Plan.Stats
	s.Scans.Add(1)
	s.PartitionsTotal.Add(int64(st.PartitionsTotal))
	s.PartitionsKept.Add(int64(st.PartitionsKept))
	s.SegmentsTotal.Add(int64(st.SegmentsTotal))
	s.SegmentsKept.Add(int64(st.SegmentsKept))
	s.BatchesTotal.Add(int64(st.BatchesTotal))
	s.BatchesKept.Add(int64(st.BatchesKept))
}
