package catalog

import (
	"fmt"
	"math"
	"strings"
	"sync/atomic"
	"time"

	"logq/partitions"
)

// Predicate is the part of a query's filter the catalog can prune with. Every
// constraint is a conjunct: a row can match only if it satisfies all of them.
type Predicate struct {
	// MinTS and MaxTS bound ts (inclusive, UTC microseconds); use
	// math.MinInt64 and math.MaxInt64 for an open end.
	MinTS, MaxTS int64

	// Levels, Services, Hosts and TraceIDs hold the literals of `col IN (...)`
	// (or `col = x`). nil leaves the column unconstrained; a non-nil empty
	// slice matches nothing, as `col IN ()` would. A NULL value never matches.
	// Levels, services and hosts match under MySQL's default collation
	// (utf8mb4_0900_ai_ci, see partitions/collate), which also keeps every
	// value a binary comparison would; trace IDs match exactly.
	Levels, Services, Hosts, TraceIDs []string
}

// Plan is the outcome of pruning: the partitions, segments and batches that
// may hold a matching row. It holds a reference on every segment it lists
// until Release, so their files stay readable meanwhile.
type Plan struct {
	// Partitions lists every partition that survived pruning by key (time
	// bucket and shard), in order of bucket start then shard, even when none of
	// its segments survived: the partition may still hold buffered rows, which
	// the catalog does not see.
	Partitions []PartitionPlan
	Stats      PlanStats
	// Damaged lists the record batches that pruning kept but that are set
	// aside as damaged (partitions.Segment.BadBatches): the plan does not
	// read them, and the rows of the query they could hold are lost. Those
	// acknowledged are not read either, but not listed.
	Damaged []partitions.Damage

	released atomic.Bool
}

// PartitionPlan is one kept partition and its kept segments, in ID (write)
// order.
type PartitionPlan struct {
	Key      partitions.Key
	Segments []SegmentPlan
}

// SegmentPlan is one kept segment and its kept batches, in ascending order.
type SegmentPlan struct {
	Segment *partitions.Segment
	Batches []int // indexes into Segment.Stats.Batches
	// Inside[i] reports that every row of batch Batches[i] lies within
	// [MinTS, MaxTS], so that only the other constraints remain to be checked
	// (and a count can come from the statistics).
	Inside []bool
}

// PlanStats sums up the pruning. Each Total counts everything in the
// snapshot the plan was made from (partitions, their segments, those
// segments' batches); each Kept counts what the plan lists. BytesToRead sums
// the compressed bytes of the kept batches.
type PlanStats struct {
	PartitionsTotal, PartitionsKept int
	SegmentsTotal, SegmentsKept     int
	BatchesTotal, BatchesKept       int
	BytesToRead                     int64

	// SegmentsRetired counts segments that pruning kept but that had been
	// retired (compacted away or dropped) before the plan could take a
	// reference: they are not in the plan. Plan already starts over when a
	// newer snapshot exists, so a non-zero value is rare and means the plan
	// may lack rows; the caller should Release it and plan again.
	SegmentsRetired int
}

// Plan prunes with p and returns what may match, holding a reference
// (TryIncRef) on every listed segment until Release. It never blocks: it reads
// the current snapshot, so changes published while it runs are not seen.
//
// A segment that has been retired concurrently fails TryIncRef and is simply
// left out of the plan. Since the store publishes a change before retiring
// segments, Plan then starts over on the newer snapshot (a few times at most);
// if the last attempt still found retired segments, Stats.SegmentsRetired says
// how many and the caller re-plans.
func (c *Catalog) Plan(p Predicate) *Plan {
	q := compile(p)
	for attempt := 1; ; attempt++ {
		snap := c.snap.Load()
		pl := q.plan(snap)
		if c.afterAttempt != nil {
			c.afterAttempt()
		}
		if pl.Stats.SegmentsRetired == 0 || attempt == maxPlanAttempts || c.snap.Load() == snap {
			return pl
		}
		pl.Release()
	}
}

// Release drops the plan's segment references. It is idempotent and safe to
// call from any goroutine, but the plan's segments must not be read after it.
func (p *Plan) Release() {
	if p == nil || !p.released.CompareAndSwap(false, true) {
		return
	}
	for i := range p.Partitions {
		for _, sp := range p.Partitions[i].Segments {
			sp.Segment.DecRef()
		}
	}
}

// plan prunes one snapshot. Kept batch indexes and Inside flags of all
// segments share one backing array each, sliced up once pruning is done.
func (q *query) plan(snap *snapshot) *Plan {
	pl := &Plan{Stats: PlanStats{
		PartitionsTotal: len(snap.parts),
		SegmentsTotal:   snap.segments,
		BatchesTotal:    snap.batches,
	}}
	if q.none {
		return pl
	}
	var b planBuilder
	for _, ps := range snap.partsInRange(q.minTS, q.maxTS) {
		if !q.keepPartition(ps.key) {
			continue
		}
		b.partOff = append(b.partOff, len(b.segs))
		pl.Partitions = append(pl.Partitions, PartitionPlan{Key: ps.key})
		for i, s := range ps.segs {
			b.addSegment(q, s, ps.keys[i], pl)
		}
	}
	b.finish(pl)
	return pl
}

// planBuilder accumulates the kept segments and batches of one plan.
type planBuilder struct {
	partOff []int // per kept partition: its first index in segs
	segs    []SegmentPlan
	segOff  []int // per kept segment: its first index in batches
	batches []int
	inside  []bool
}

// addSegment prunes the batches of s, whose collation keys are keys, and,
// when some are kept and a reference can be taken, appends s to the plan.
// Kept batches set aside as damaged are listed in pl.Damaged instead.
func (b *planBuilder) addSegment(q *query, s *partitions.Segment, keys *segmentKeys, pl *Plan) {
	if !q.keepSegment(s.Stats) {
		return
	}
	st := &pl.Stats
	bad := s.BadBatches()
	start := len(b.batches)
	var bytes int64
	for i := range s.Stats.Batches {
		bs := &s.Stats.Batches[i]
		if !q.keepBatch(bs, &keys.batches[i]) {
			continue
		}
		if d, ok := badBatch(bad, i); ok {
			if !d.Acknowledged {
				pl.Damaged = append(pl.Damaged, batchDamage(s, d))
			}
			continue
		}
		b.batches = append(b.batches, i)
		b.inside = append(b.inside, q.inside(bs.MinTS, bs.MaxTS))
		bytes += bs.CompressedBytes
	}
	if len(b.batches) == start {
		return
	}
	if !s.TryIncRef() {
		b.batches, b.inside = b.batches[:start], b.inside[:start]
		st.SegmentsRetired++
		return
	}
	b.segOff = append(b.segOff, start)
	b.segs = append(b.segs, SegmentPlan{Segment: s})
	st.SegmentsKept++
	st.BatchesKept += len(b.batches) - start
	st.BytesToRead += bytes
}

// finish points every kept segment and partition at its part of the shared
// arrays. Capacities are clipped so that appending to one part cannot
// overwrite the next.
func (b *planBuilder) finish(pl *Plan) {
	b.segOff = append(b.segOff, len(b.batches))
	for i := range b.segs {
		lo, hi := b.segOff[i], b.segOff[i+1]
		b.segs[i].Batches = b.batches[lo:hi:hi]
		b.segs[i].Inside = b.inside[lo:hi:hi]
	}
	b.partOff = append(b.partOff, len(b.segs))
	for i := range pl.Partitions {
		lo, hi := b.partOff[i], b.partOff[i+1]
		if lo < hi {
			pl.Partitions[i].Segments = b.segs[lo:hi:hi]
		}
	}
	pl.Stats.PartitionsKept = len(pl.Partitions)
}

// partsInRange returns the partitions whose bucket may overlap [minTS, maxTS],
// a contiguous run of the time-sorted list found by binary search: buckets
// are at most maxWidth wide, so none starting at or before minTS-maxWidth can
// reach minTS. The caller still checks each bucket exactly.
func (s *snapshot) partsInRange(minTS, maxTS int64) []*partitionState {
	lo := 0
	if minTS-s.maxWidth < minTS { // false on overflow: start at 0
		floor := minTS - s.maxWidth
		lo = searchStart(s.parts, func(start int64) bool { return start > floor })
	}
	hi := searchStart(s.parts, func(start int64) bool { return start > maxTS })
	if hi < lo {
		return nil
	}
	return s.parts[lo:hi]
}

// searchStart returns the first index whose bucket start satisfies after,
// which must be monotone over the sorted list.
func searchStart(parts []*partitionState, after func(start int64) bool) int {
	lo, hi := 0, len(parts)
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if after(parts[m].key.Start) {
			hi = m
		} else {
			lo = m + 1
		}
	}
	return lo
}

// String formats p for EXPLAIN and test failures, telling an unconstrained
// column (omitted) from an empty IN-list (`IN ()`).
func (p Predicate) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "ts in [%s, %s]", tsString(p.MinTS, math.MinInt64), tsString(p.MaxTS, math.MaxInt64))
	for _, c := range []struct {
		name string
		vals []string
	}{{"level", p.Levels}, {"service", p.Services}, {"host", p.Hosts}, {"trace_id", p.TraceIDs}} {
		if c.vals != nil {
			fmt.Fprintf(&b, " and %s in %q", c.name, c.vals)
		}
	}
	return b.String()
}

// tsString formats a bound as RFC 3339 UTC, or "-inf"/"+inf" when open.
func tsString(ts, open int64) string {
	switch {
	case ts == open && open < 0:
		return "-inf"
	case ts == open:
		return "+inf"
	}
	return time.UnixMicro(ts).UTC().Format(time.RFC3339Nano)
}
