package engine

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"logq/partitions/columns"
)

// aggregateBatch accumulates the rows sel of b into a new partial table.
// Keys and arguments are resolved to the batch's columns once; the loop
// over rows then only reads arrays. weights, when not nil, says how many
// rows each row of b stands for (b is a batch's tuple counts).
func (q *aggQuery) aggregateBatch(b *columns.Batch, sel []int32, loc *time.Location, weights []int64) (*aggTable, error) {
	t := newAggTable(q)
	keyOf := make([]func(i int) int64, len(q.keys))
	for k := range q.keys {
		keyOf[k] = q.keys[k].reader(b, t.dicts[k], loc)
	}
	update := make([]func(a *acc, i int), len(q.aggs))
	for a := range q.aggs {
		updater := q.aggs[a].updater
		if weights != nil {
			updater = func(b *columns.Batch) (func(*acc, int), error) { return q.aggs[a].weighted(b, weights) }
		}
		fn, err := updater(b)
		if err != nil {
			return nil, err
		}
		update[a] = fn
	}
	na := len(q.aggs)
	// Rows of a batch come in ts order: time buckets repeat from row to row,
	// so the last row's group is tried before the map. A single string key
	// is a dense code: its groups sit in a slice.
	lastTup, lastG := groupTuple{}, -1
	var byCode []int32
	single := len(q.keys) == 1 && q.keys[0].kind == keyString
	for _, i32 := range sel {
		i := int(i32)
		var tup groupTuple
		for k, f := range keyOf {
			tup[k] = f(i)
		}
		var g int
		switch {
		case tup == lastTup && lastG >= 0:
			g = lastG
		case single:
			c := tup[0]
			for int64(len(byCode)) <= c {
				byCode = append(byCode, -1)
			}
			if byCode[c] < 0 {
				byCode[c] = int32(t.group(tup))
			}
			g = int(byCode[c])
		default:
			g = t.group(tup)
		}
		lastTup, lastG = tup, g
		if ts := b.TS[i]; ts < t.minTS[g] {
			t.minTS[g] = ts
		}
		accs := t.accs[g*na : (g+1)*na]
		for a, f := range update {
			f(&accs[a], i)
		}
	}
	return t, nil
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

// weighted returns the function adding row i of b, which stands for w[i]
// rows, to an accumulator: the counts the tuple counts answer.
func (fn *aggFn) weighted(b *columns.Batch, w []int64) (func(*acc, int), error) {
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
				fold(fn.op, a.n, &a.sumI, &a.i, ints[i])
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
	return func(a *acc, i int) {
		v, ok := text(i)
		if !ok {
			return
		}
		if a.set == nil {
			a.set = map[string]struct{}{}
		}
		if _, seen := a.set[v]; !seen {
			a.set[strings.Clone(v)] = struct{}{}
		}
	}
}
