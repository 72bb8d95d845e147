package catalog

import (
	"slices"

	"github.com/cespare/xxhash/v2"

	"logq/partitions/collate"
	"logq/partitions/segment"
)

// This file is the one place where a stored string value meets a predicate
// literal.
//
// level, service and host compare under MySQL's default collation,
// utf8mb4_0900_ai_ci ('error' = 'ERROR', 'svc-é' = 'svc-e'): a value
// matches a literal when their collation keys (collate.Key) are equal. The
// statistics store values as written, so each segment's level, service and
// host lists get their keys once, when the segment enters the catalog
// (segmentKeys). Bloom filters of service and host written since stats
// version 3 also hold the values' keys (Bloom.Keyed) and are probed with the
// literals' keys; older ones hash the values as written, cannot rule out
// another spelling, and prune nothing for these columns. trace_id compares
// exactly (its column is binary in the schema).

// literals is the prepared IN-list of one string column.
type literals struct {
	constrained bool     // false: the column is unconstrained
	folded      bool     // values are collation keys, compared with keySets
	values      []string // distinct, sorted
	hashes      []uint64 // bloom-filter hashes of values
}

// newLiterals prepares vs, compared exactly; nil means unconstrained.
func newLiterals(vs []string) literals {
	if vs == nil {
		return literals{}
	}
	return withHashes(literals{constrained: true, values: dedup(vs)})
}

// withHashes fills in the bloom-filter hashes of l's values: segment.Bloom
// keys are xxhash64 of the bytes (Bloom.Add).
func withHashes(l literals) literals {
	l.hashes = make([]uint64, len(l.values))
	for i, v := range l.values {
		l.hashes[i] = xxhash.Sum64String(v)
	}
	return l
}

// newFoldedLiterals prepares vs, compared under the collation.
func newFoldedLiterals(vs []string) literals {
	if vs == nil {
		return literals{}
	}
	return withHashes(literals{constrained: true, folded: true, values: keysOf(vs)})
}

// keysOf returns the distinct collation keys of vs, sorted.
func keysOf(vs []string) []string {
	keys := make([]string, len(vs))
	for i, v := range vs {
		keys[i] = collate.Key(v)
	}
	return dedup(keys)
}

// empty reports an IN () list, which matches nothing.
func (l *literals) empty() bool { return l.constrained && len(l.values) == 0 }

// mayMatch reports whether some literal may occur in the batch's value set,
// whose collation keys are keys (folded literals only). False is definite:
// the set is exact, or the bloom filter rules every literal out. NULLs
// (vs.Nulls) never match a literal.
func (l *literals) mayMatch(vs *segment.ValueSet, keys keySet) bool {
	if !l.constrained {
		return true
	}
	if vs.Bloom != nil {
		if len(vs.Bloom.Blocks) == 0 || l.folded && !vs.Bloom.Keyed {
			return true // an unusable filter rules nothing out
		}
		for _, h := range l.hashes {
			if vs.Bloom.MayContainHash(h) {
				return true
			}
		}
		return false
	}
	sorted := vs.Values
	if l.folded {
		sorted = keys.sorted(vs)
	}
	for _, v := range l.values {
		if _, ok := slices.BinarySearch(sorted, v); ok {
			return true
		}
	}
	return false
}

// segmentKeys holds the collation keys of one segment's level, service and
// host statistics, batch by batch.
type segmentKeys struct {
	batches []batchKeys
}

// memoryBytes estimates the heap the keys hold (interned strings counted
// once per reference: an upper bound).
func (sk *segmentKeys) memoryBytes() int64 {
	const header = 16 // a string header
	n := int64(24 + len(sk.batches)*(3*24))
	for _, b := range sk.batches {
		for _, v := range [][]string{b.levels, b.services, b.hosts} {
			n += int64(len(v)) * header
			for _, k := range v {
				n += int64(len(k))
			}
		}
	}
	return n
}

// batchKeys are the keys of one batch: levels[i] is the key of
// Levels[i].Value; services and hosts key the exact value sets.
type batchKeys struct {
	levels          []string
	services, hosts keySet
}

// keySet is the sorted distinct keys of an exact value set; nil when every
// value is its own key, so that the set itself serves.
type keySet []string

func (k keySet) sorted(vs *segment.ValueSet) []string {
	if k == nil {
		return vs.Values
	}
	return k
}

// newSegmentKeys computes the keys of s's statistics. Keys repeat from batch
// to batch ("ERROR" → "error"), so each is built once per segment.
func newSegmentKeys(st *segment.Stats) *segmentKeys {
	interned := map[string]string{}
	key := func(v string) string {
		if k, ok := interned[v]; ok {
			return k
		}
		k := collate.Key(v)
		interned[v] = k
		return k
	}
	set := func(vs *segment.ValueSet) keySet {
		if vs.Bloom != nil || !slices.ContainsFunc(vs.Values, func(v string) bool { return key(v) != v }) {
			return nil
		}
		keys := make([]string, len(vs.Values))
		for i, v := range vs.Values {
			keys[i] = key(v)
		}
		slices.Sort(keys)
		return slices.Compact(keys)
	}
	sk := &segmentKeys{batches: make([]batchKeys, len(st.Batches))}
	for i := range st.Batches {
		b := &st.Batches[i]
		bk := &sk.batches[i]
		bk.levels = make([]string, len(b.Levels))
		for j, lc := range b.Levels {
			bk.levels[j] = key(lc.Value)
		}
		bk.services, bk.hosts = set(&b.Services), set(&b.Hosts)
	}
	return sk
}
