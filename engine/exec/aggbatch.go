package exec

import (
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"logq/partitions/collate"
	"logq/partitions/columns"
)

// aggregateBatch accumulates the rows sel of b into a new partial table,
// a column at a time: first every row's group, then each aggregate in a
// loop over its column, with the function and the column's type decided
// once per batch rather than per row. tr, when not nil, is what b stands
// for: a batch's tuple counts or minute counts (b is tr.b), each row
// weighing its count.
func (q *AggSpec) aggregateBatch(b *columns.Batch, sel []int32, loc *time.Location, tr *tupleRows) (*AggTable, error) {
	t := NewAggTable(q)
	if err := q.aggregateBatchInto(t, b, sel, loc, tr); err != nil {
		return nil, err
	}
	return t, nil
}

// aggregateBatchInto is aggregateBatch adding to the partial table t.
func (q *AggSpec) aggregateBatchInto(t *AggTable, b *columns.Batch, sel []int32, loc *time.Location, tr *tupleRows) error {
	if len(sel) == 0 {
		return nil
	}
	gp := groupVectors.Get().(*[]int32)
	defer groupVectors.Put(gp)
	groups := q.assignGroups(t, b, sel, loc, (*gp)[:0])
	*gp = groups
	for k, i := range sel {
		if g, ts := groups[k], b.TS[i]; ts < t.MinTS[g] {
			t.MinTS[g] = ts
		}
	}
	na := len(q.Aggs)
	for a := range q.Aggs {
		fn := &q.Aggs[a]
		if tr == nil {
			if ok, err := fn.foldColumn(b, sel, groups, t.accs[a:], na); ok || err != nil {
				continue
			}
		}
		var update func(*acc, int)
		var err error
		if tr != nil {
			update, err = fn.weighted(tr, q.View.Stored)
		} else {
			update, err = fn.updater(b)
		}
		if err != nil {
			return err
		}
		for k, i := range sel {
			update(&t.accs[int(groups[k])*na+a], int(i))
		}
	}
	return nil
}

// groupVectors recycles the per-row group vectors of aggregateBatch.
var groupVectors = sync.Pool{New: func() any { return new([]int32) }}

// assignGroups appends to groups the group of each row of sel, adding the
// groups to t.
func (q *AggSpec) assignGroups(t *AggTable, b *columns.Batch, sel []int32, loc *time.Location, groups []int32) []int32 {
	if len(q.Keys) == 1 && q.Keys[0].Kind == KeyString && q.Keys[0].Col.Core >= 0 {
		if s := CoreStrings(b, q.Keys[0].Col.Core); s.Codes != nil {
			// One dictionary-coded key: a row's group is its code's.
			byCode := make([]int32, len(s.Dict))
			for c := range byCode {
				byCode[c] = -1
			}
			null := int32(-1)
			for _, i := range sel {
				var g int32
				if s.IsNull(int(i)) {
					if null < 0 {
						null = int32(t.Group(GroupTuple{}))
					}
					g = null
				} else if c := s.Codes[i]; byCode[c] >= 0 {
					g = byCode[c]
				} else {
					g = int32(t.Group(GroupTuple{t.Dicts[0].code(ViewString(s.Dict[c]), false)}))
					byCode[c] = g
				}
				groups = append(groups, g)
			}
			return groups
		}
	}
	if g, ok := q.bucketAndCodeGroups(t, b, sel, loc, groups); ok {
		return g
	}
	keyOf := make([]func(i int) int64, len(q.Keys))
	for k := range q.Keys {
		keyOf[k] = q.Keys[k].reader(b, t.Dicts[k], loc)
	}
	// Rows of a batch come in ts order: time buckets repeat from row to row,
	// so the last row's group is tried before the map.
	lastTup, lastG := GroupTuple{}, int32(-1)
	for _, i := range sel {
		var tup GroupTuple
		for k, f := range keyOf {
			tup[k] = f(int(i))
		}
		if tup != lastTup || lastG < 0 {
			lastTup, lastG = tup, int32(t.Group(tup))
		}
		groups = append(groups, lastG)
	}
	return groups
}

// bucketAndCodeGroups is assignGroups for a time bucket and one
// dictionary-coded column (Grafana's series per level or service: `$__timeGroup
// AS "time", level AS metric`), with false for other keys. Within one
// bucket a row's group is its code's, from a small array; a new bucket
// starts a new generation of it instead of a map lookup per row.
func (q *AggSpec) bucketAndCodeGroups(t *AggTable, b *columns.Batch, sel []int32, loc *time.Location, groups []int32) ([]int32, bool) {
	if len(q.Keys) != 2 {
		return nil, false
	}
	ti, si := 0, 1
	if q.Keys[0].Kind == KeyString {
		ti, si = 1, 0
	}
	tk, sk := &q.Keys[ti], &q.Keys[si]
	if tk.Kind == KeyString || sk.Kind != KeyString || sk.Col.Core < 0 {
		return nil, false
	}
	s := CoreStrings(b, sk.Col.Core)
	if s.Codes == nil {
		return nil, false
	}
	bucketOf := tk.reader(b, nil, loc)
	null := len(s.Dict) // the slot of NULL
	trans := make([]int64, len(s.Dict))
	for c := range trans {
		trans[c] = -1
	}
	byCode := make([]int32, len(s.Dict)+1)
	stamp := make([]uint32, len(s.Dict)+1) // byCode[c] holds for generation gen only
	gen, bucket := uint32(0), int64(0)
	for _, i := range sel {
		if bk := bucketOf(int(i)); gen == 0 || bk != bucket {
			gen, bucket = gen+1, bk
		}
		c := null
		if !s.IsNull(int(i)) {
			c = int(s.Codes[i])
		}
		if stamp[c] != gen {
			var tup GroupTuple
			tup[ti] = bucket
			if c != null {
				if trans[c] < 0 {
					trans[c] = t.Dicts[si].code(ViewString(s.Dict[c]), false)
				}
				tup[si] = trans[c]
			}
			byCode[c], stamp[c] = int32(t.Group(tup)), gen
		}
		groups = append(groups, byCode[c])
	}
	return groups, true
}

// foldColumn accumulates fn over the rows sel, whose groups are groups,
// into accs[g*na] for group g, when fn is a count of rows or a SUM, AVG,
// MIN, MAX or COUNT of a numeric column (or ts); false for anything else.
func (fn *AggFn) foldColumn(b *columns.Batch, sel, groups []int32, accs []acc, na int) (bool, error) {
	switch {
	case fn.Op == OpCountDistinct || fn.Arg == ArgString:
		return false, nil
	case fn.Op == OpCount && (fn.Arg == ArgRows || fn.Arg == ArgTS):
		for _, g := range groups {
			accs[int(g)*na].n++
		}
		return true, nil
	case fn.Arg == ArgTS:
		foldInts(fn.Op, b.TS, nil, sel, groups, accs, na)
		return true, nil
	}
	d := b.Column(fn.Col.Name)
	switch {
	case d == nil:
		return true, nil // NULL in every row
	case fn.Arg == ArgInt && d.Type == columns.TypeInt64:
		foldInts(fn.Op, d.Ints, d.Valid, sel, groups, accs, na)
	case fn.Arg == ArgFloat && d.Type == columns.TypeFloat64:
		foldFloats(fn.Op, d.Floats, d.Valid, sel, groups, accs, na)
	case fn.Arg == ArgFloat && d.Type == columns.TypeInt64:
		foldFloats(fn.Op, widen(d.Ints), d.Valid, sel, groups, accs, na)
	default:
		return false, fmt.Errorf("BUG: %s over a batch holding %s values of %s", fn.Text, d.Type, fn.Col.Name)
	}
	return true, nil
}

// foldInts folds the values of rows sel (non-NULL where valid, nil: all)
// into their groups' accumulators, one loop per function.
func foldInts(op AggOp, vals []int64, valid []bool, sel, groups []int32, accs []acc, na int) {
	switch op {
	case OpSum, OpAvg:
		for k, i := range sel {
			if valid == nil || valid[i] {
				a := &accs[int(groups[k])*na]
				a.sumI.Add(vals[i])
				a.n++
			}
		}
	case OpMin:
		for k, i := range sel {
			if valid == nil || valid[i] {
				a := &accs[int(groups[k])*na]
				if v := vals[i]; a.n == 0 || v < a.i {
					a.i = v
				}
				a.n++
			}
		}
	case OpMax:
		for k, i := range sel {
			if valid == nil || valid[i] {
				a := &accs[int(groups[k])*na]
				if v := vals[i]; a.n == 0 || v > a.i {
					a.i = v
				}
				a.n++
			}
		}
	default: // COUNT
		for k, i := range sel {
			if valid == nil || valid[i] {
				accs[int(groups[k])*na].n++
			}
		}
	}
}

// foldFloats is foldInts for DOUBLE values.
func foldFloats(op AggOp, vals []float64, valid []bool, sel, groups []int32, accs []acc, na int) {
	switch op {
	case OpSum, OpAvg:
		for k, i := range sel {
			if valid == nil || valid[i] {
				a := &accs[int(groups[k])*na]
				a.sumF += vals[i]
				a.n++
			}
		}
	case OpMin:
		for k, i := range sel {
			if valid == nil || valid[i] {
				a := &accs[int(groups[k])*na]
				if v := vals[i]; a.n == 0 || v < a.f {
					a.f = v
				}
				a.n++
			}
		}
	case OpMax:
		for k, i := range sel {
			if valid == nil || valid[i] {
				a := &accs[int(groups[k])*na]
				if v := vals[i]; a.n == 0 || v > a.f {
					a.f = v
				}
				a.n++
			}
		}
	default: // COUNT
		for k, i := range sel {
			if valid == nil || valid[i] {
				accs[int(groups[k])*na].n++
			}
		}
	}
}

// reader returns the function computing the key of row i of b.
func (k *AggKey) reader(b *columns.Batch, dict *strDict, loc *time.Location) func(int) int64 {
	switch k.Kind {
	case KeyEpochDiv:
		return func(i int) int64 { return epochDiv(b.TS[i], k.N) }
	case KeyEpochFloor:
		return func(i int) int64 { return epochFloor(b.TS[i], k.N) }
	case KeyLocal:
		clock := newZoneClock(loc)
		return func(i int) int64 {
			local := clock.local(floorDiv(b.TS[i], 1_000_000))
			return floorDiv(local, k.Unit) * k.Unit
		}
	}
	if k.Col.Core >= 0 {
		s := CoreStrings(b, k.Col.Core)
		if s.Codes != nil {
			// Dictionary codes: look each entry up in dict once.
			trans := make([]int64, len(s.Dict))
			for c := range trans {
				trans[c] = -1
			}
			return func(i int) int64 {
				if s.IsNull(i) {
					return 0
				}
				c := s.Codes[i]
				if trans[c] < 0 {
					trans[c] = dict.code(ViewString(s.Dict[c]), false)
				}
				return trans[c]
			}
		}
		return func(i int) int64 {
			if s.IsNull(i) {
				return 0
			}
			return dict.code(ViewString(s.Value(i)), false)
		}
	}
	d := b.Column(k.Col.Name)
	switch {
	case d == nil:
		return func(int) int64 { return 0 }
	case d.Type == columns.TypeString:
		return func(i int) int64 {
			if !d.Valid[i] {
				return 0
			}
			return dict.code(ViewString(d.Strs.Value(i)), false)
		}
	}
	// A batch from before the column widened to VARCHAR: its values' text.
	return func(i int) int64 {
		if !d.Valid[i] {
			return 0
		}
		return dict.code(string(d.AppendText(nil, i)), false)
	}
}

// updater returns the function adding row i of b to an accumulator.
func (fn *AggFn) updater(b *columns.Batch) (func(*acc, int), error) {
	if fn.Op == OpCount && fn.Arg == ArgRows || fn.Op == OpCount && fn.Arg == ArgTS {
		return func(a *acc, _ int) { a.n++ }, nil
	}
	switch fn.Arg {
	case ArgTS:
		return fn.numeric(b.TS, nil, nil), nil
	case ArgString:
		return fn.strings(b), nil
	}
	d := b.Column(fn.Col.Name)
	if d == nil {
		return func(*acc, int) {}, nil // NULL in every row
	}
	switch {
	case fn.Arg == ArgInt && d.Type == columns.TypeInt64:
		return fn.numeric(d.Ints, nil, d.Valid), nil
	case fn.Arg == ArgFloat && d.Type == columns.TypeFloat64:
		return fn.numeric(nil, d.Floats, d.Valid), nil
	case fn.Arg == ArgFloat && d.Type == columns.TypeInt64:
		return fn.numeric(nil, widen(d.Ints), d.Valid), nil
	}
	return nil, fmt.Errorf("BUG: %s over a batch holding %s values of %s", fn.Text, d.Type, fn.Col.Name)
}

// weighted returns the function adding row i of tr.b, which stands for
// tr.counts[i] rows, to an accumulator: the counts the tuple and minute
// counts answer, and the aggregates of BIGINT columns their sums answer
// (stored gives a column's name in the statistics).
func (fn *AggFn) weighted(tr *tupleRows, stored func(string) string) (func(*acc, int), error) {
	b, w := tr.b, tr.counts
	switch {
	case fn.Op == OpCount && (fn.Arg == ArgRows || fn.Arg == ArgTS):
		return func(a *acc, i int) { a.n += w[i] }, nil
	case fn.Op == OpCount && fn.Arg == ArgString && fn.Col.Core >= 0:
		s := CoreStrings(b, fn.Col.Core)
		return func(a *acc, i int) {
			if !s.IsNull(i) {
				a.n += w[i]
			}
		}, nil
	case fn.Op == OpCountDistinct && fn.Arg == ArgString:
		return fn.strings(b), nil // how often a value occurs does not matter
	case fn.Arg == ArgInt && fn.Op != OpCountDistinct:
		ms := tr.measures[stored(fn.Col.Name)]
		if ms == nil {
			return func(*acc, int) {}, nil // the column is NULL in every row
		}
		return func(a *acc, i int) {
			m := &ms[i]
			if m.Count == 0 {
				return
			}
			switch fn.Op {
			case OpSum, OpAvg:
				a.sumI.Add(m.Sum)
			case OpMin:
				if a.n == 0 || m.Min < a.i {
					a.i = m.Min
				}
			case OpMax:
				if a.n == 0 || m.Max > a.i {
					a.i = m.Max
				}
			}
			a.n += int64(m.Count)
		}, nil
	}
	return nil, fmt.Errorf("BUG: %s over weighted rows", fn.Text)
}

func widen(ints []int64) []float64 {
	out := make([]float64, len(ints))
	for i, v := range ints {
		out[i] = float64(v)
	}
	return out
}

// numeric adds the values of ints or floats (one is nil); valid marks the
// non-NULL rows (nil: all).
func (fn *AggFn) numeric(ints []int64, floats []float64, valid []bool) func(*acc, int) {
	ok := func(i int) bool { return valid == nil || valid[i] }
	switch {
	case fn.Op == OpCount:
		return func(a *acc, i int) {
			if ok(i) {
				a.n++
			}
		}
	case fn.Op == OpCountDistinct:
		return func(a *acc, i int) {
			if !ok(i) {
				return
			}
			if a.set == nil {
				a.set = map[string]struct{}{}
			}
			if ints != nil {
				a.set[strconv.FormatInt(ints[i], 10)] = struct{}{}
			} else {
				a.set[distinctText(floats[i])] = struct{}{}
			}
		}
	case ints != nil:
		return func(a *acc, i int) {
			if ok(i) {
				if fn.Op == OpSum || fn.Op == OpAvg {
					a.sumI.Add(ints[i])
				} else {
					var unused int64
					fold(fn.Op, a.n, &unused, &a.i, ints[i])
				}
				a.n++
			}
		}
	}
	return func(a *acc, i int) {
		if ok(i) {
			fold(fn.Op, a.n, &a.sumF, &a.f, floats[i])
			a.n++
		}
	}
}

// fold adds v, the n+1st value, to a SUM, AVG, MIN or MAX whose sum and
// extreme are *sum and *ext.
func fold[T int64 | float64](op AggOp, n int64, sum, ext *T, v T) {
	switch op {
	case OpSum, OpAvg:
		*sum += v
	case OpMin:
		if n == 0 || v < *ext {
			*ext = v
		}
	case OpMax:
		if n == 0 || v > *ext {
			*ext = v
		}
	}
}

// strings counts the values of a string column (COUNT, COUNT DISTINCT).
func (fn *AggFn) strings(b *columns.Batch) func(*acc, int) {
	var text func(i int) (string, bool)
	if fn.Col.Core >= 0 {
		s := CoreStrings(b, fn.Col.Core)
		text = func(i int) (string, bool) { return ViewString(s.Value(i)), !s.IsNull(i) }
	} else if d := b.Column(fn.Col.Name); d == nil {
		text = func(int) (string, bool) { return "", false }
	} else if d.Type == columns.TypeString {
		text = func(i int) (string, bool) { return ViewString(d.Strs.Value(i)), d.Valid[i] }
	} else {
		text = func(i int) (string, bool) { return string(d.AppendText(nil, i)), d.Valid[i] }
	}
	if fn.Op == OpCount {
		return func(a *acc, i int) {
			if _, ok := text(i); ok {
				a.n++
			}
		}
	}
	var buf []byte
	return func(a *acc, i int) {
		v, ok := text(i)
		if !ok {
			return
		}
		if a.set == nil {
			a.set = map[string]struct{}{}
		}
		if fn.Folded { // distinct by collation key
			buf = collate.AppendKey(buf[:0], ViewBytes(v))
			v = ViewString(buf)
		}
		if _, seen := a.set[v]; !seen {
			a.set[strings.Clone(v)] = struct{}{}
		}
	}
}
