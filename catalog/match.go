package catalog

import (
	"slices"

	"github.com/cespare/xxhash/v2"

	"logq/partitions/segment"
)

// This file is the one place where a stored string value meets a predicate
// literal. Today the comparison is exact (byte-wise, case-sensitive).
//
// A later issue makes level, service and host compare case-insensitively, as
// MySQL's default collation (utf8mb4_0900_ai_ci) does. Changing sameValue and
// setContains alone is not enough then:
//   - exact value sets are sorted byte-wise, so a folded lookup must either
//     scan with strings.EqualFold or the writer must store folded values;
//   - bloom filters hash the bytes as written, so the writer must add the
//     folded value (too) and literalHash must fold the literal the same way;
//   - accent folding (the "ai" in the collation) goes beyond ASCII case, and
//     ShardOf already refuses to prune for non-ASCII literals for that reason.
// trace_id is compared exactly either way in practice (hex digits), but the
// same collation applies to it in MySQL.

// sameValue reports whether a stored value equals a literal.
func sameValue(stored, literal string) bool { return stored == literal }

// setContains reports whether the sorted exact set holds a value equal to the
// literal (by sameValue).
func setContains(sorted []string, literal string) bool {
	_, ok := slices.BinarySearch(sorted, literal)
	return ok
}

// literalHash is the bloom-filter hash of a literal: segment.Bloom keys are
// xxhash64 of the value's bytes (see Bloom.Add).
func literalHash(literal string) uint64 { return xxhash.Sum64String(literal) }

// literals is the prepared IN-list of one string column.
type literals struct {
	constrained bool     // false: the column is unconstrained
	values      []string // distinct, sorted
	hashes      []uint64 // literalHash of values[i]
}

// newLiterals prepares vs; nil means unconstrained.
func newLiterals(vs []string) literals {
	if vs == nil {
		return literals{}
	}
	l := literals{constrained: true, values: dedup(vs)}
	l.hashes = make([]uint64, len(l.values))
	for i, v := range l.values {
		l.hashes[i] = literalHash(v)
	}
	return l
}

// empty reports an IN () list, which matches nothing.
func (l *literals) empty() bool { return l.constrained && len(l.values) == 0 }

// mayMatch reports whether some literal may occur in the batch's value set.
// False is definite: the set is exact, or the bloom filter rules every
// literal out. NULLs (vs.Nulls) never match a literal.
func (l *literals) mayMatch(vs *segment.ValueSet) bool {
	if !l.constrained {
		return true
	}
	if vs.Bloom != nil {
		if len(vs.Bloom.Blocks) == 0 {
			return true // an unusable filter rules nothing out
		}
		for _, h := range l.hashes {
			if vs.Bloom.MayContainHash(h) {
				return true
			}
		}
		return false
	}
	for _, v := range l.values {
		if setContains(vs.Values, v) {
			return true
		}
	}
	return false
}
