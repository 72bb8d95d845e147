package segment

import (
	"maps"
	"math"
	"slices"
	"strings"

	"github.com/cespare/xxhash/v2"

	"logq/partitions/collate"
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
	key        []byte // a collation key being built

	// For the (level, service, host) counts: per dictionary code, its
	// index in the batch's list; the counter of each index triple.
	local  map[*strDict][]uint16
	dense  []uint32
	sparse map[uint32]uint32

	// For the measures: each row's index into the batch's Tuples.
	rowTuple []int32
	wraps    []int32 // per tuple, the times its sum wrapped up minus down
	// For the minute counts: the rows of each level index in one minute.
	minute []uint32
}

// newStatsScratch returns scratch state for filters of bitsPerKey bits.
func newStatsScratch(bitsPerKey int) *statsScratch {
	return &statsScratch{
		bitsPerKey: bitsPerKey,
		stamp:      make(map[*strDict][]uint32),
		set:        make(map[string]struct{}),
		local:      make(map[*strDict][]uint16),
		sparse:     make(map[uint32]uint32),
	}
}

// batchStats computes the statistics of rows [lo, hi), except the byte sizes.
func (l *layout) batchStats(sc *statsScratch, lo, hi int) BatchStats {
	sc.batch++
	b := l.b
	bs := BatchStats{Rows: hi - lo, MinTS: b.TS[lo], MaxTS: b.TS[hi-1]}
	l.levelStats(sc, &bs, lo, hi)
	bs.Services = sc.valueSet(l.service, &b.Service, lo, hi, maxExactValues, true)
	bs.Hosts = sc.valueSet(l.host, &b.Host, lo, hi, maxExactValues, true)
	bs.TraceIDs = sc.valueSet(nil, &b.TraceID, lo, hi, maxExactTraceIDs, false)
	bs.Tuples = l.tupleStats(sc, &bs, lo, hi)
	bs.Measures = l.measureStats(sc, &bs, lo, hi)
	bs.Minutes = l.minuteStats(sc, &bs, lo, hi)
	if len(l.dyn) > 0 {
		bs.Dynamic = make([]ColumnStats, len(l.dyn))
	}
	for j := range l.dyn {
		bs.Dynamic[j] = columnStats(l.dyn[j].col, lo, hi)
		if d := l.dyn[j].col; d.Type == columns.TypeString {
			bs.Dynamic[j].Values, bs.Dynamic[j].HasValues = sc.exactValues(l.dyn[j].dict, &d.Strs, d.Valid, lo, hi, maxExactDynValues)
		}
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

// tupleStats counts the rows of rows [lo, hi) per (level, service, host)
// combination, once bs holds the batch's exact lists; nil when they are not
// exact, a column has no dictionary, or there are more than maxTuples.
func (l *layout) tupleStats(sc *statsScratch, bs *BatchStats, lo, hi int) []TupleCount {
	b := l.b
	if l.level == nil || l.service == nil || l.host == nil ||
		bs.LevelsOverflow || !bs.Services.Exact() || !bs.Hosts.Exact() {
		return nil
	}
	lv := sc.localIndex(l.level, b.Level.Valid, lo, hi)
	sv := sc.localIndex(l.service, b.Service.Valid, lo, hi)
	hv := sc.localIndex(l.host, b.Host.Valid, lo, hi)
	// NULL takes index n of a column with n values: triples sort as the
	// TupleCounts must, NULL last.
	nl, ns, nh := uint32(len(bs.Levels)), uint32(len(bs.Services.Values)), uint32(len(bs.Hosts.Values))
	at := func(d *strDict, valid []bool, local []uint16, null uint32, i int) uint32 {
		if valid != nil && !valid[i] {
			return null
		}
		return uint32(local[d.codes[i]])
	}
	key := func(i int) uint32 {
		return (at(l.level, b.Level.Valid, lv, nl, i)*(ns+1)+at(l.service, b.Service.Valid, sv, ns, i))*(nh+1) +
			at(l.host, b.Host.Valid, hv, nh, i)
	}
	unpack := func(k, n uint32) TupleCount {
		t := TupleCount{Host: uint16(k % (nh + 1)), Service: uint16(k / (nh + 1) % (ns + 1)), Level: uint16(k / (nh + 1) / (ns + 1)), Count: n}
		if uint32(t.Level) == nl {
			t.Level = NullIndex
		}
		if uint32(t.Service) == ns {
			t.Service = NullIndex
		}
		if uint32(t.Host) == nh {
			t.Host = NullIndex
		}
		return t
	}
	var out []TupleCount
	measured := l.hasIntColumns()
	sc.rowTuple = sc.rowTuple[:0]
	// Few combinations are possible in practice (a host belongs to one
	// service): count them in an array indexed by the triple. Otherwise
	// in a map that gives up past maxTuples.
	if space := int((nl + 1) * (ns + 1) * (nh + 1)); space <= max(1<<16, 4*(hi-lo)) {
		sc.dense = slices.Grow(sc.dense[:0], space)[:space]
		clear(sc.dense)
		for i := lo; i < hi; i++ {
			sc.dense[key(i)]++
		}
		for k, n := range sc.dense {
			if n > 0 {
				if len(out) == maxTuples {
					return nil
				}
				out = append(out, unpack(uint32(k), n))
				sc.dense[k] = uint32(len(out) - 1) // now the triple's index in out
			}
		}
		if measured {
			for i := lo; i < hi; i++ {
				sc.rowTuple = append(sc.rowTuple, int32(sc.dense[key(i)]))
			}
		}
		return out
	}
	clear(sc.sparse)
	for i := lo; i < hi; i++ {
		k := key(i)
		if _, ok := sc.sparse[k]; !ok && len(sc.sparse) == maxTuples {
			return nil
		}
		sc.sparse[k]++
	}
	keys := slices.Sorted(maps.Keys(sc.sparse))
	out = make([]TupleCount, 0, len(keys))
	for _, k := range keys {
		out = append(out, unpack(k, sc.sparse[k]))
		sc.sparse[k] = uint32(len(out) - 1) // now the triple's index in out
	}
	if measured {
		for i := lo; i < hi; i++ {
			sc.rowTuple = append(sc.rowTuple, int32(sc.sparse[key(i)]))
		}
	}
	return out
}

// hasIntColumns reports whether the rows have a BIGINT dynamic column.
func (l *layout) hasIntColumns() bool {
	for _, d := range l.dyn {
		if d.col.Type == columns.TypeInt64 {
			return true
		}
	}
	return false
}

// measureStats sums up each BIGINT dynamic column of rows [lo, hi) per
// tuple (BatchStats.Measures), once bs.Tuples is set and tupleStats has
// recorded each row's tuple. A column whose sum over a tuple is outside
// the int64 range is left out.
func (l *layout) measureStats(sc *statsScratch, bs *BatchStats, lo, hi int) []TupleMeasures {
	if bs.Tuples == nil || len(sc.rowTuple) != hi-lo {
		return nil
	}
	var out []TupleMeasures
	for j, d := range l.dyn {
		if d.col.Type != columns.TypeInt64 {
			continue
		}
		vals, valid := d.col.Ints, d.col.Valid
		ms := make([]Measure, len(bs.Tuples))
		// Sums wrap around; the wrapped sum is the true one when the
		// wraps up and down cancel out.
		sc.wraps = slices.Grow(sc.wraps[:0], len(ms))[:len(ms)]
		clear(sc.wraps)
		for i := lo; i < hi; i++ {
			if valid != nil && !valid[i] {
				continue
			}
			k, v := sc.rowTuple[i-lo], vals[i]
			m := &ms[k]
			if m.Count == 0 {
				m.Min, m.Max = v, v
			} else {
				m.Min, m.Max = min(m.Min, v), max(m.Max, v)
			}
			m.Count++
			sum := m.Sum + v
			if (sum^m.Sum)&(sum^v) < 0 {
				if v > 0 {
					sc.wraps[k]++
				} else {
					sc.wraps[k]--
				}
			}
			m.Sum = sum
		}
		if !slices.ContainsFunc(sc.wraps, func(w int32) bool { return w != 0 }) {
			out = append(out, TupleMeasures{Column: j, Values: ms})
		}
	}
	return out
}

// minuteStats counts rows [lo, hi), sorted by ts, per (minute, level)
// (BatchStats.Minutes), once bs holds the level counts; nil when those
// overflowed, the level column has no dictionary, or past maxMinuteCounts.
func (l *layout) minuteStats(sc *statsScratch, bs *BatchStats, lo, hi int) []MinuteCount {
	b := l.b
	if l.level == nil || bs.LevelsOverflow {
		return nil
	}
	lv := sc.localIndex(l.level, b.Level.Valid, lo, hi)
	nl := len(bs.Levels) // the index of NULL in sc.minute
	sc.minute = slices.Grow(sc.minute[:0], nl+1)[:nl+1]
	clear(sc.minute)
	first := FirstMinute(b.TS[lo])
	var out []MinuteCount
	cur := int64(0)
	flush := func() bool {
		for k, n := range sc.minute {
			if n == 0 {
				continue
			}
			if len(out) == maxMinuteCounts {
				return false
			}
			level := uint16(k)
			if k == nl {
				level = NullIndex
			}
			out = append(out, MinuteCount{Minute: uint32(cur), Level: level, Count: n})
			sc.minute[k] = 0
		}
		return true
	}
	for i := lo; i < hi; i++ {
		if m := FirstMinute(b.TS[i]) - first; m != cur {
			if !flush() || m > math.MaxUint32 {
				return nil
			}
			cur = m
		}
		k := nl
		if b.Level.Valid == nil || b.Level.Valid[i] {
			k = int(lv[l.level.codes[i]])
		}
		sc.minute[k]++
	}
	if !flush() {
		return nil
	}
	return out
}

// localIndex maps each dictionary code of d present in rows [lo, hi) to its
// position among them in value order, which is its index in the batch's
// exact list (dictionary order is value order).
func (sc *statsScratch) localIndex(d *strDict, valid []bool, lo, hi int) []uint16 {
	sc.batch++ // a new stamp: the value sets have already marked these codes
	codes, _ := sc.distinctCodes(d, valid, lo, hi)
	slices.Sort(codes)
	local := sc.local[d]
	if local == nil {
		local = make([]uint16, len(d.values))
		sc.local[d] = local
	}
	for i, c := range codes {
		local[c] = uint16(i)
	}
	return local
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
// are at most limit distinct values, else as a bloom filter, keyed (holding
// the values' collation keys too) when keyed is set. d is the column's
// dictionary, or nil when it is stored plain. A keyed filter is sized for
// one more key per value that is not its own key.
func (sc *statsScratch) valueSet(d *strDict, s *columns.Strings, lo, hi, limit int, keyed bool) ValueSet {
	if d == nil {
		return sc.plainValueSet(s, lo, hi, limit, keyed)
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
	n := len(codes)
	if keyed {
		for _, c := range codes {
			if !collate.IsKeyString(d.values[c]) {
				n++
			}
		}
	}
	vs.Bloom = NewBloom(n, sc.bitsPerKey)
	vs.Bloom.Keyed = keyed
	for _, c := range codes {
		vs.Bloom.AddHash(d.hashes[c])
		if keyed && !collate.IsKeyString(d.values[c]) {
			sc.key = collate.AppendKeyString(sc.key[:0], d.values[c])
			vs.Bloom.AddBytes(sc.key)
		}
	}
	return vs
}

// exactValues returns the sorted distinct values of the rows [lo, hi) of s
// where valid is true, and false when there are more than limit. d is the
// column's dictionary, or nil. Without one, a hash set stops at limit+1
// values, so a column of unique values costs little.
func (sc *statsScratch) exactValues(d *strDict, s *columns.Strings, valid []bool, lo, hi, limit int) ([]string, bool) {
	var out []string
	if d != nil {
		codes, _ := sc.distinctCodes(d, valid, lo, hi)
		if len(codes) > limit {
			return nil, false
		}
		slices.Sort(codes) // dictionary order is value order
		for _, c := range codes {
			out = append(out, d.values[c])
		}
		return out, true
	}
	clear(sc.set)
	for i := lo; i < hi; i++ {
		if valid != nil && !valid[i] {
			continue
		}
		if v := s.Value(i); !hasKey(sc.set, v) {
			if len(sc.set) == limit {
				return nil, false
			}
			sc.set[string(v)] = struct{}{}
		}
	}
	for v := range sc.set {
		out = append(out, v)
	}
	slices.Sort(out)
	return out, true
}

// hasKey reports whether set holds v, without allocating a string.
func hasKey(set map[string]struct{}, v []byte) bool {
	_, ok := set[string(v)]
	return ok
}

// plainValueSet is valueSet for a column without a dictionary. Counting the
// distinct values exactly would cost a hash set insertion per row, so the
// filter is sized for the number of non-NULL values, an upper bound.
func (sc *statsScratch) plainValueSet(s *columns.Strings, lo, hi, limit int, keyed bool) ValueSet {
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
	n := hi - lo - vs.Nulls
	if keyed {
		for i := lo; i < hi; i++ {
			if !s.IsNull(i) && !collate.IsKey(s.Value(i)) {
				n++
			}
		}
	}
	vs.Bloom = NewBloom(n, sc.bitsPerKey)
	vs.Bloom.Keyed = keyed
	start := uint32(0)
	if lo > 0 {
		start = s.Ends[lo-1]
	}
	for i, end := range s.Ends[lo:hi] {
		if s.Valid == nil || s.Valid[lo+i] {
			vs.Bloom.AddHash(xxhash.Sum64(s.Data[start:end]))
			if v := s.Data[start:end]; keyed && !collate.IsKey(v) {
				sc.key = collate.AppendKey(sc.key[:0], v)
				vs.Bloom.AddBytes(sc.key)
			}
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
