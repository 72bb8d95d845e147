package segment

import (
	"math"
	"slices"
	"strings"

	"github.com/cespare/xxhash/v2"

	"logq/partitions/columns"
)

// statsScratch is reusable state for computing the statistics of a batch.
// For dictionary-encoded columns, distinct values are found through their
// codes with a per-code stamp array (no hashing, no clearing between
// batches); plain columns fall back to a hash set that stops at the exact-set
// limit.
type statsScratch struct {
	bitsPerKey int
	stamp      map[*strDict][]uint32 // per dictionary code, the last batch that saw it
	batch      uint32                // current stamp value
	touched    []int32
	counts     []int
	set        map[string]struct{}
}

// newStatsScratch returns scratch state for filters of bitsPerKey bits.
func newStatsScratch(bitsPerKey int) *statsScratch {
	return &statsScratch{bitsPerKey: bitsPerKey, stamp: make(map[*strDict][]uint32), set: make(map[string]struct{})}
}

// batchStats computes the statistics of rows [lo, hi), except the byte sizes.
func (l *layout) batchStats(sc *statsScratch, lo, hi int) BatchStats {
	sc.batch++
	b := l.b
	bs := BatchStats{Rows: hi - lo, MinTS: b.TS[lo], MaxTS: b.TS[hi-1]}
	l.levelStats(sc, &bs, lo, hi)
	bs.Services = sc.valueSet(l.service, &b.Service, lo, hi, maxExactValues)
	bs.Hosts = sc.valueSet(l.host, &b.Host, lo, hi, maxExactValues)
	bs.TraceIDs = sc.valueSet(nil, &b.TraceID, lo, hi, maxExactTraceIDs)
	if len(l.dyn) > 0 {
		bs.Dynamic = make([]ColumnStats, len(l.dyn))
	}
	for j := range l.dyn {
		bs.Dynamic[j] = columnStats(l.dyn[j].col, lo, hi)
	}
	return bs
}

// distinctCodes returns the distinct dictionary codes of the non-NULL rows in
// [lo, hi) in first-seen order, and the number of NULLs.
func (sc *statsScratch) distinctCodes(d *strDict, valid []bool, lo, hi int) ([]int32, int) {
	seen := sc.stamp[d]
	if seen == nil {
		seen = make([]uint32, len(d.values))
		sc.stamp[d] = seen
	}
	sc.touched = sc.touched[:0]
	nulls := 0
	for i := lo; i < hi; i++ {
		if valid != nil && !valid[i] {
			nulls++
			continue
		}
		if c := d.codes[i]; seen[c] != sc.batch {
			seen[c] = sc.batch
			sc.touched = append(sc.touched, c)
		}
	}
	return sc.touched, nulls
}

// levelStats fills the level counts of rows [lo, hi).
func (l *layout) levelStats(sc *statsScratch, bs *BatchStats, lo, hi int) {
	s := &l.b.Level
	if l.level == nil {
		bs.Levels, bs.LevelNulls, bs.LevelsOverflow = plainLevelCounts(s, lo, hi)
		return
	}
	codes, nulls := sc.distinctCodes(l.level, s.Valid, lo, hi)
	bs.LevelNulls = nulls
	if len(codes) > maxLevelCounts {
		bs.LevelsOverflow = true
		return
	}
	slices.Sort(codes) // dictionary order is value order
	sc.counts = slices.Grow(sc.counts[:0], len(l.level.values))[:len(l.level.values)]
	for _, c := range codes {
		sc.counts[c] = 0
	}
	for i := lo; i < hi; i++ {
		if s.Valid == nil || s.Valid[i] {
			sc.counts[l.level.codes[i]]++
		}
	}
	for _, c := range codes {
		bs.Levels = append(bs.Levels, ValueCount{Value: l.level.values[c], Count: sc.counts[c]})
	}
}

// plainLevelCounts counts levels of a column stored without a dictionary.
func plainLevelCounts(s *columns.Strings, lo, hi int) ([]ValueCount, int, bool) {
	counts := make(map[string]int)
	nulls := 0
	for i := lo; i < hi; i++ {
		if s.IsNull(i) {
			nulls++
			continue
		}
		v := s.Value(i)
		if _, ok := counts[string(v)]; !ok && len(counts) == maxLevelCounts {
			return nil, nulls + countNulls(s.Valid, i+1, hi), true
		}
		counts[string(v)]++
	}
	var out []ValueCount
	for v, n := range counts {
		out = append(out, ValueCount{Value: v, Count: n})
	}
	slices.SortFunc(out, func(a, b ValueCount) int { return strings.Compare(a.Value, b.Value) })
	return out, nulls, false
}

// countNulls counts the NULLs of rows [lo, hi); nil valid means none.
func countNulls(valid []bool, lo, hi int) int {
	if valid == nil {
		return 0
	}
	n := 0
	for _, ok := range valid[lo:hi] {
		if !ok {
			n++
		}
	}
	return n
}

// valueSet summarises the values of rows [lo, hi) of s: exactly when there
// are at most limit distinct values, else as a bloom filter. d is the
// column's dictionary, or nil when it is stored plain.
func (sc *statsScratch) valueSet(d *strDict, s *columns.Strings, lo, hi, limit int) ValueSet {
	if d == nil {
		return sc.plainValueSet(s, lo, hi, limit)
	}
	codes, nulls := sc.distinctCodes(d, s.Valid, lo, hi)
	vs := ValueSet{Nulls: nulls}
	if len(codes) <= limit {
		slices.Sort(codes)
		for _, c := range codes {
			vs.Values = append(vs.Values, d.values[c])
		}
		return vs
	}
	vs.Bloom = NewBloom(len(codes), sc.bitsPerKey)
	for _, c := range codes {
		vs.Bloom.AddHash(d.hashes[c])
	}
	return vs
}

// plainValueSet is valueSet for a column without a dictionary. Counting the
// distinct values exactly would cost a hash set insertion per row, so the
// filter is sized for the number of non-NULL values, an upper bound.
func (sc *statsScratch) plainValueSet(s *columns.Strings, lo, hi, limit int) ValueSet {
	clear(sc.set)
	vs := ValueSet{Nulls: countNulls(s.Valid, lo, hi)}
	exact := true
	for i := lo; i < hi && exact; i++ {
		if s.IsNull(i) {
			continue
		}
		v := s.Value(i)
		if _, ok := sc.set[string(v)]; !ok {
			if len(sc.set) == limit {
				exact = false
				break
			}
			sc.set[string(v)] = struct{}{}
		}
	}
	if exact {
		for v := range sc.set {
			vs.Values = append(vs.Values, v)
		}
		slices.Sort(vs.Values)
		return vs
	}
	vs.Bloom = NewBloom(hi-lo-vs.Nulls, sc.bitsPerKey)
	start := uint32(0)
	if lo > 0 {
		start = s.Ends[lo-1]
	}
	for i, end := range s.Ends[lo:hi] {
		if s.Valid == nil || s.Valid[lo+i] {
			vs.Bloom.AddHash(xxhash.Sum64(s.Data[start:end]))
		}
		start = end
	}
	return vs
}

// columnStats computes the zone map of rows [lo, hi) of a dynamic column.
func columnStats(d *columns.Dynamic, lo, hi int) ColumnStats {
	cs := ColumnStats{Nulls: countNulls(d.Valid, lo, hi)}
	switch d.Type {
	case columns.TypeInt64:
		cs.MinInt, cs.MaxInt = math.MaxInt64, math.MinInt64
		for i, v := range d.Ints[lo:hi] {
			if d.Valid[lo+i] {
				cs.MinInt, cs.MaxInt, cs.HasMinMax = min(cs.MinInt, v), max(cs.MaxInt, v), true
			}
		}
		if !cs.HasMinMax {
			cs.MinInt, cs.MaxInt = 0, 0
		}
	case columns.TypeFloat64:
		cs.MinFloat, cs.MaxFloat = math.Inf(1), math.Inf(-1)
		for i, v := range d.Floats[lo:hi] {
			if d.Valid[lo+i] && !math.IsNaN(v) {
				cs.MinFloat, cs.MaxFloat, cs.HasMinMax = min(cs.MinFloat, v), max(cs.MaxFloat, v), true
			}
		}
		if !cs.HasMinMax {
			cs.MinFloat, cs.MaxFloat = 0, 0
		}
	}
	return cs
}
