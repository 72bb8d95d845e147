package catalog

import (
	"slices"

	"logq/partitions"
	"logq/partitions/segment"
)

// query is a Predicate prepared for pruning: literals deduplicated and
// hashed once, shard pruning decided once. Every rule is conservative: it
// drops a partition, segment or batch only when the statistics prove that no
// row of it can match.
type query struct {
	none         bool // the predicate matches no row at all
	minTS, maxTS int64

	levels                    []string // collation keys; nil when unconstrained
	services, hosts, traceIDs literals
	shardPrune                bool
	shardMemo                 []shardMemo
}

// shardMemo caches, for one shard count, which shards the service literals
// hash to. Partitions nearly always share one shard count.
type shardMemo struct {
	shards int
	hit    []bool // hit[i]: some literal's service lives in shard i
}

// compile prepares p. It copies every slice it keeps.
func compile(p Predicate) *query {
	q := &query{
		minTS:    p.MinTS,
		maxTS:    p.MaxTS,
		services: newFoldedLiterals(p.Services),
		hosts:    newFoldedLiterals(p.Hosts),
		traceIDs: newLiterals(p.TraceIDs),
	}
	if p.Levels != nil {
		q.levels = keysOf(p.Levels)
	}
	q.none = p.MinTS > p.MaxTS ||
		(p.Levels != nil && len(p.Levels) == 0) ||
		q.services.empty() || q.hosts.empty() || q.traceIDs.empty()
	// Rows with a NULL service live in the shard of the empty name, but they
	// never equal a literal, so only the literals' shards can hold matches:
	// ShardOf hashes the collation key, which equal names share.
	q.shardPrune = q.services.constrained
	return q
}

// dedup returns the distinct values of vs, sorted, in a new slice.
func dedup(vs []string) []string {
	out := slices.Clone(vs)
	slices.Sort(out)
	return slices.Compact(out)
}

// overlaps reports whether [minTS, maxTS] meets the query's range.
func (q *query) overlaps(minTS, maxTS int64) bool {
	return minTS <= q.maxTS && maxTS >= q.minTS && minTS <= maxTS
}

// inside reports whether [minTS, maxTS] lies within the query's range.
func (q *query) inside(minTS, maxTS int64) bool {
	return minTS >= q.minTS && maxTS <= q.maxTS
}

// keepPartition applies the partition rules: bucket range, then shard.
func (q *query) keepPartition(k partitions.Key) bool {
	if !q.overlaps(k.MinTS(), k.MaxTS()) {
		return false
	}
	return !q.shardPrune || q.shardHit(k)
}

// shardHit reports whether some service literal hashes to k's shard.
func (q *query) shardHit(k partitions.Key) bool {
	for _, m := range q.shardMemo {
		if m.shards == k.Shards {
			return m.hit[k.Shard]
		}
	}
	m := shardMemo{shards: k.Shards, hit: make([]bool, k.Shards)}
	for _, s := range q.services.values { // keys: a key is its own key
		m.hit[partitions.ShardOf([]byte(s), k.Shards)] = true
	}
	q.shardMemo = append(q.shardMemo, m)
	return m.hit[k.Shard]
}

// keepSegment applies the segment rule: its ts range. A segment without
// batches has nothing to read.
func (q *query) keepSegment(st *segment.Stats) bool {
	return len(st.Batches) > 0 && q.overlaps(st.MinTS, st.MaxTS)
}

// keepBatch applies the batch rules, cheapest first: ts range, level counts,
// then the service, host and trace_id value sets.
func (q *query) keepBatch(b *segment.BatchStats, k *batchKeys) bool {
	return b.Rows > 0 &&
		q.overlaps(b.MinTS, b.MaxTS) &&
		q.levelMayMatch(b, k) &&
		q.services.mayMatch(&b.Services, k.services) &&
		q.hosts.mayMatch(&b.Hosts, k.hosts) &&
		q.traceIDs.mayMatch(&b.TraceIDs, nil)
}

// levelMayMatch reports whether some requested level may occur in b, whose
// collation keys are k: the batch is dropped only when its counts are exact
// (no overflow) and every requested level counts zero rows.
func (q *query) levelMayMatch(b *segment.BatchStats, k *batchKeys) bool {
	if q.levels == nil || b.LevelsOverflow {
		return true
	}
	for i, lc := range b.Levels {
		if lc.Count == 0 {
			continue
		}
		for _, v := range q.levels {
			if k.levels[i] == v {
				return true
			}
		}
	}
	return false
}
