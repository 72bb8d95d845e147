package catalog

import (
	"math"

	"logq/partitions"
)

// Summary sums up the segments of one partition: what a cluster's
// coordinators need to know to leave a node out of a query without asking
// it.
type Summary struct {
	Key          partitions.Key
	Rows         int64
	MinTS, MaxTS int64 // of the rows in segments; MinTS > MaxTS when there are none
	Bytes        int64 // compressed bytes on disk (in memory, for sealed rows)
	// Levels counts the rows of each level value; nil when some batch
	// has too many distinct levels to count (segment.BatchStats).
	Levels map[string]int64
}

// Summaries returns the summary of every partition the catalog knows, in
// key order.
func (c *Catalog) Summaries() []Summary {
	snap := c.snap.Load()
	out := make([]Summary, 0, len(snap.parts))
	for _, p := range snap.parts {
		s := Summary{Key: p.key, MinTS: math.MaxInt64, MaxTS: math.MinInt64, Levels: map[string]int64{}}
		for _, seg := range p.segs {
			st := seg.Stats
			s.Rows += st.Rows
			s.Bytes += st.CompressedBytes
			if st.Rows > 0 {
				s.MinTS, s.MaxTS = min(s.MinTS, st.MinTS), max(s.MaxTS, st.MaxTS)
			}
			for _, b := range st.Batches {
				if b.LevelsOverflow {
					s.Levels = nil
				}
				if s.Levels == nil {
					continue
				}
				for _, v := range b.Levels {
					s.Levels[v.Value] += int64(v.Count)
				}
			}
		}
		out = append(out, s)
	}
	return out
}

// WithOpenRows returns s widened by n rows that are in no segment yet (a
// node's open buffer): they may lie anywhere in the bucket and hold any
// level.
func (s Summary) WithOpenRows(n int64) Summary {
	if n <= 0 {
		return s
	}
	s.Rows += n
	s.MinTS, s.MaxTS = min(s.MinTS, s.Key.MinTS()), max(s.MaxTS, s.Key.MaxTS())
	s.Levels = nil
	return s
}

// SummaryFilter tells from summaries which partitions may hold a row of a
// predicate, by the catalog's rules for partitions: time bucket and shard.
// It does not prune by a summary's row count, time range or levels: those
// change as rows arrive, and a summary another node published a moment ago
// must never hide rows acknowledged since. A partition's key does not
// change.
type SummaryFilter struct{ q *query }

// NewSummaryFilter prepares p for MayHold.
func NewSummaryFilter(p Predicate) *SummaryFilter { return &SummaryFilter{q: compile(p)} }

// MayHold reports whether the partition s sums up may hold a matching row.
func (f *SummaryFilter) MayHold(s Summary) bool {
	return !f.q.none && f.q.keepPartition(s.Key)
}
