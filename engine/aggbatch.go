package engine

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
func (q *aggSpec) aggregateBatch(b *columns.Batch, sel []int32, loc *time.Location, tr *tupleRows) (*aggTable, error) {
	t := newAggTable(q)
	if err := q.aggregateBatchInto(t, b, sel, loc, tr); err != nil {
		return nil, err
	}
	return t, nil
}

// aggregateBatchInto is aggregateBatch adding to the partial table t.
func (q *aggSpec) aggregateBatchInto(t *aggTable, b *columns.Batch, sel []int32, loc *time.Location, tr *tupleRows) error {
	if len(sel) == 0 {
		return nil
	}
	gp := groupVectors.Get().(*[]int32)
	defer groupVectors.Put(gp)
	groups := q.assignGroups(t, b, sel, loc, (*gp)[:0])
	*gp = groups
	for k, i := range sel {
		if g, ts := groups[k], b.TS[i]; ts < t.minTS[g] {
			t.minTS[g] = ts
		}
	}
	na := len(q.aggs)
	for a := range q.aggs {
		fn := &q.aggs[a]
		if tr == nil {
			if ok, err := fn.foldColumn(b, sel, groups, t.accs[a:], na); ok || err != nil {
				continue
			}
		}
		var update func(*acc, int)
		var err error
		if tr != nil {
			update, err = fn.weighted(tr, q.view.Stored)
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
func (q *aggSpec) assignGroups(t *aggTable, b *columns.Batch, sel []int32, loc *time.Location, groups []int32) []int32 {
	if len(q.keys) == 1 && q.keys[0].kind == keyString && q.keys[0].col.core >= 0 {
		if s := coreStrings(b, q.keys[0].col.core); s.Codes != nil {
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
						null = int32(t.group(groupTuple{}))
					}
					g = null
				} else if c := s.Codes[i]; byCode[c] >= 0 {
					g = byCode[c]
				} else {
					g = int32(t.group(groupTuple{t.dicts[0].code(viewString(s.Dict[c]), false)}))
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
	keyOf := make([]func(i int) int64, len(q.keys))
	for k := range q.keys {
		keyOf[k] = q.keys[k].reader(b, t.dicts[k], loc)
	}
	// Rows of a batch come in ts order: time buckets repeat from row to row,
	// so the last row's group is tried before the map.
	lastTup, lastG := groupTuple{}, int32(-1)
	for _, i := range sel {
		var tup groupTuple
		for k, f := range keyOf {
			tup[k] = f(int(i))
		}
		if tup != lastTup || lastG < 0 {
			lastTup, lastG = tup, int32(t.group(tup))
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
func (q *aggSpec) bucketAndCodeGroups(t *aggTable, b *columns.Batch, sel []int32, loc *time.Location, groups []int32) ([]int32, bool) {
	if len(q.keys) != 2 {
		return nil, false
	}
	ti, si := 0, 1
	if q.keys[0].kind == keyString {
		ti, si = 1, 0
	}
	tk, sk := &q.keys[ti], &q.keys[si]
	if tk.kind == keyString || sk.kind != keyString || sk.col.core < 0 {
		return nil, false
	}
	s := coreStrings(b, sk.col.core)
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
			var tup groupTuple
			tup[ti] = bucket
			if c != null {
				if trans[c] < 0 {
					trans[c] = t.dicts[si].code(viewString(s.Dict[c]), false)
				}
				tup[si] = trans[c]
			}
			byCode[c], stamp[c] = int32(t.group(tup)), gen
		}
		groups = append(groups, byCode[c])
	}
	return groups, true
}

// foldColumn accumulates fn over the rows sel, whose groups are groups,
// into accs[g*na] for group g, when fn is a count of rows or a SUM, AVG,
// MIN, MAX or COUNT of a numeric column (or ts); false for anything else.
func (fn *aggFn) foldColumn(b *columns.Batch, sel, groups []int32, accs []acc, na int) (bool, error) {
	switch {
	case fn.op == opCountDistinct || fn.arg == argString:
		return false, nil
	case fn.op == opCount && (fn.arg == argRows || fn.arg == argTS):
		for _, g := range groups {
			accs[int(g)*na].n++
		}
		return true, nil
	case fn.arg == argTS:
		foldInts(fn.op, b.TS, nil, sel, groups, accs, na)
		return true, nil
	}
	d := b.Column(fn.col.name)
	switch {
	case d == nil:
		return true, nil // NULL in every row
	case fn.arg == argInt && d.Type == columns.TypeInt64:
		foldInts(fn.op, d.Ints, d.Valid, sel, groups, accs, na)
	case fn.arg == argFloat && d.Type == columns.TypeFloat64:
		foldFloats(fn.op, d.Floats, d.Valid, sel, groups, accs, na)
	case fn.arg == argFloat && d.Type == columns.TypeInt64:
		foldFloats(fn.op, widen(d.Ints), d.Valid, sel, groups, accs, na)
	default:
		return false, fmt.Errorf("BUG: %s over a batch holding %s values of %s", fn.text, d.Type, fn.col.name)
	}
	return true, nil
}

// foldInts folds the values of rows sel (non-NULL where valid, nil: all)
// into their groups' accumulators, one loop per function.
func foldInts(op aggOp, vals []int64, valid []bool, sel, groups []int32, accs []acc, na int) {
	switch op {
	case opSum, opAvg:
		for k, i := range sel {
			if valid == nil || valid[i] {
				a := &accs[int(groups[k])*na]
				a.sumI.Add(vals[i])
				a.n++
			}
		}
	case opMin:
		for k, i := range sel {
			if valid == nil || valid[i] {
				a := &accs[int(groups[k])*na]
				if v := vals[i]; a.n == 0 || v < a.i {
					a.i = v
				}
				a.n++
			}
		}
	case opMax:
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
func foldFloats(op aggOp, vals []float64, valid []bool, sel, groups []int32, accs []acc, na int) {
	switch op {
	case opSum, opAvg:
		for k, i := range sel {
			if valid == nil || valid[i] {
				a := &accs[int(groups[k])*na]
				a.sumF += vals[i]
				a.n++
			}
		}
	case opMin:
		for k, i := range sel {
			if valid == nil || valid[i] {
				a := &accs[int(groups[k])*na]
				if v := vals[i]; a.n == 0 || v < a.f {
					a.f = v
				}
				a.n++
			}
		}
	case opMax:
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
func (k *aggKey) reader(b *columns.Batch, dict *strDict, loc *time.Location) func(int) int64 {
	switch k.kind {
	case keyEpochDiv:
		return func(i int) int64 { return epochDiv(b.TS[i], k.n) }
	case keyEpochFloor:
		return func(i int) int64 { return epochFloor(b.TS[i], k.n) }
	case keyLocal:
		clock := newZoneClock(loc)
		return func(i int) int64 {
			local := clock.local(floorDiv(b.TS[i], 1_000_000))
			return floorDiv(local, k.unit) * k.unit
		}
	}
	if k.col.core >= 0 {
		s := coreStrings(b, k.col.core)
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
					trans[c] = dict.code(viewString(s.Dict[c]), false)
				}
				return trans[c]
			}
		}
		return func(i int) int64 {
			if s.IsNull(i) {
				return 0
			}
			return dict.code(viewString(s.Value(i)), false)
		}
	}
	d := b.Column(k.col.name)
	switch {
	case d == nil:
		return func(int) int64 { return 0 }
	case d.Type == columns.TypeString:
		return func(i int) int64 {
			if !d.Valid[i] {
				return 0
			}
			return dict.code(viewString(d.Strs.Value(i)), false)
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
func (fn *aggFn) updater(b *columns.Batch) (func(*acc, int), error) {
	if fn.op == opCount && fn.arg == argRows || fn.op == opCount && fn.arg == argTS {
		return func(a *acc, _ int) { a.n++ }, nil
	}
	switch fn.arg {
	case argTS:
		return fn.numeric(b.TS, nil, nil), nil
	case argString:
		return fn.strings(b), nil
	}
	d := b.Column(fn.col.name)
	if d == nil {
		return func(*acc, int) {}, nil // NULL in every row
	}
	switch {
	case fn.arg == argInt && d.Type == columns.TypeInt64:
		return fn.numeric(d.Ints, nil, d.Valid), nil
	case fn.arg == argFloat && d.Type == columns.TypeFloat64:
		return fn.numeric(nil, d.Floats, d.Valid), nil
	case fn.arg == argFloat && d.Type == columns.TypeInt64:
		return fn.numeric(nil, widen(d.Ints), d.Valid), nil
	}
	return nil, fmt.Errorf("BUG: %s over a batch holding %s values of %s", fn.text, d.Type, fn.col.name)
}

// weighted returns the function adding row i of tr.b, which stands for
// tr.counts[i] rows, to an accumulator: the counts the tuple and minute
// counts answer, and the aggregates of BIGINT columns their sums answer
// (stored gives a column's name in the statistics).
func (fn *aggFn) weighted(tr *tupleRows, stored func(string) string) (func(*acc, int), error) {
	b, w := tr.b, tr.counts
	switch {
	case fn.op == opCount && (fn.arg == argRows || fn.arg == argTS):
		return func(a *acc, i int) { a.n += w[i] }, nil
	case fn.op == opCount && fn.arg == argString && fn.col.core >= 0:
		s := coreStrings(b, fn.col.core)
		return func(a *acc, i int) {
			if !s.IsNull(i) {
				a.n += w[i]
			}
		}, nil
	case fn.op == opCountDistinct && fn.arg == argString:
		return fn.strings(b), nil // how often a value occurs does not matter
	case fn.arg == argInt && fn.op != opCountDistinct:
		ms := tr.measures[stored(fn.col.name)]
		if ms == nil {
			return func(*acc, int) {}, nil // the column is NULL in every row
		}
		return func(a *acc, i int) {
			m := &ms[i]
			if m.Count == 0 {
				return
			}
			switch fn.op {
			case opSum, opAvg:
				a.sumI.Add(m.Sum)
			case opMin:
				if a.n == 0 || m.Min < a.i {
					a.i = m.Min
				}
			case opMax:
				if a.n == 0 || m.Max > a.i {
					a.i = m.Max
				}
			}
			a.n += int64(m.Count)
		}, nil
	}
	return nil, fmt.Errorf("BUG: %s over weighted rows", fn.text)
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
func (fn *aggFn) numeric(ints []int64, floats []float64, valid []bool) func(*acc, int) {
	ok := func(i int) bool { return valid == nil || valid[i] }
	switch {
	case fn.op == opCount:
		return func(a *acc, i int) {
			if ok(i) {
				a.n++
			}
		}
	case fn.op == opCountDistinct:
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
				if fn.op == opSum || fn.op == opAvg {
					a.sumI.Add(ints[i])
				} else {
					var unused int64
					fold(fn.op, a.n, &unused, &a.i, ints[i])
				}
				a.n++
			}
		}
	}
	return func(a *acc, i int) {
		if ok(i) {
			fold(fn.op, a.n, &a.sumF, &a.f, floats[i])
			a.n++
		}
	}
}

// fold adds v, the n+1st value, to a SUM, AVG, MIN or MAX whose sum and
// extreme are *sum and *ext.
func fold[T int64 | float64](op aggOp, n int64, sum, ext *T, v T) {
	switch op {
	case opSum, opAvg:
		*sum += v
	case opMin:
		if n == 0 || v < *ext {
			*ext = v
		}
	case opMax:
		if n == 0 || v > *ext {
			*ext = v
		}
	}
}

// strings counts the values of a string column (COUNT, COUNT DISTINCT).
func (fn *aggFn) strings(b *columns.Batch) func(*acc, int) {
	var text func(i int) (string, bool)
	if fn.col.core >= 0 {
		s := coreStrings(b, fn.col.core)
		text = func(i int) (string, bool) { return viewString(s.Value(i)), !s.IsNull(i) }
	} else if d := b.Column(fn.col.name); d == nil {
		text = func(int) (string, bool) { return "", false }
	} else if d.Type == columns.TypeString {
		text = func(i int) (string, bool) { return viewString(d.Strs.Value(i)), d.Valid[i] }
	} else {
		text = func(i int) (string, bool) { return string(d.AppendText(nil, i)), d.Valid[i] }
	}
	if fn.op == opCount {
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
		if fn.folded { // distinct by collation key
			buf = collate.AppendKey(buf[:0], viewBytes(v))
			v = viewString(buf)
		}
		if _, seen := a.set[v]; !seen {
			a.set[strings.Clone(v)] = struct{}{}
		}
	}
}
