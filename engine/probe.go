package engine

import (
	"logq/partitions"
)

// A trace lookup keeps every batch whose bloom filter of trace IDs says
// maybe: at 100M rows, some 20 of 1,700 batches at the filter's 1 % false
// positives, each decoded whole for nothing (Q6: 27 ms, of which a
// single batch held the trace). The probe reads a kept batch's trace_id
// column alone first, when its statistics have only a bloom filter, and
// skips the batch unless a row meets the condition on trace_id.

// traceProbe returns the conjunct of cond that compares trace_id with
// literals (trace_id = 'x' or IN (...)), or nil.
func traceProbe(cond pred) pred {
	switch p := cond.(type) {
	case andPred:
		if l := traceProbe(p.l); l != nil {
			return l
		}
		return traceProbe(p.r)
	case inPred:
		if p.col.core == colTraceID {
			return p
		}
	}
	return nil
}

// probeCols is the column set a probe reads.
var probeCols = newColSet([]string{"trace_id"})

// mayMatch reports whether some row of batch bi of seg may meet probe (a
// traceProbe; nil: any batch may), reading only its trace_id column when
// its statistics cannot tell. The column stays in the cache: a lookup run
// again probes from memory.
func (c *batchCache) mayMatch(seg *partitions.Segment, bi int, probe pred) (bool, error) {
	if probe == nil || seg.InMemory() || seg.Stats.Batches[bi].TraceIDs.Exact() {
		return true, nil
	}
	b, err := c.read(seg, bi, probeCols, true)
	if err != nil {
		return false, err
	}
	sel := make([]int32, b.Len())
	for i := range sel {
		sel[i] = int32(i)
	}
	if len(filterSel(probe, b, sel)) > 0 {
		return true, nil
	}
	c.stats.BatchesProbedOut.Add(1)
	return false, nil
}
