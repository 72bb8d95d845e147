package columns

import "slices"

// Column-wise copies for Take and Concat. Copying row by row through the
// append methods grew every column's slices by doubling: at 100M rows the
// flush's Concat and sort (Take) of 64 MiB of buffered rows spent a third of
// the server's CPU in growslice and memmove. These size each column once and
// copy it in one pass, and give the same batches (NULL slots empty, Valid nil
// when no value is NULL, Codes and Dict dropped).

// rowRun is rows [lo, lo+n) of batch b of a gather's sources. The gathers
// take their rows as runs and copy a run at once, one memmove for its
// string bytes instead of one per value: the rows of a merge of sorted
// segments come in runs of thousands. The runs are found once, for every
// column.
type rowRun struct{ b, lo, n int32 }

// appendRow appends row i of batch b, extending the last run when i
// follows it.
func appendRow(runs []rowRun, b, i int32) []rowRun {
	if k := len(runs) - 1; k >= 0 && runs[k].b == b && runs[k].lo+runs[k].n == i {
		runs[k].n++
		return runs
	}
	return append(runs, rowRun{b: b, lo: i, n: 1})
}

// runsOf returns the runs of rows idx of one source.
func runsOf(idx []int32) []rowRun {
	var runs []rowRun
	for _, i := range idx {
		runs = appendRow(runs, 0, i)
	}
	return runs
}

// gatherTS returns the timestamps of the n rows runs of batches.
func gatherTS(batches []*Batch, runs []rowRun, n int) []int64 {
	out := make([]int64, 0, n)
	for _, r := range runs {
		out = append(out, batches[r.b].TS[r.lo:r.lo+r.n]...)
	}
	return out
}

// gatherStrings returns the values of the n rows runs of the columns srcs,
// in that order; a nil source reads as NULL. Only its NULLs' Valid is read.
func gatherStrings(srcs []*Strings, runs []rowRun, n int) Strings {
	size, nulls := 0, false
	for _, r := range runs {
		lo, hi := int(r.lo), int(r.lo+r.n)
		if s := srcs[r.b]; s == nil {
			nulls = true
		} else {
			size += int(s.start(hi) - s.start(lo))
			nulls = nulls || s.Valid != nil && slices.Contains(s.Valid[lo:hi], false)
		}
	}
	out := Strings{Data: make([]byte, 0, size), Ends: make([]uint32, n)}
	if nulls {
		out.Valid = make([]bool, n)
	}
	k := 0
	for _, r := range runs {
		lo, hi, j := int(r.lo), int(r.lo+r.n), k+int(r.n)
		s := srcs[r.b]
		switch {
		case s == nil:
			end := uint32(len(out.Data))
			for x := k; x < j; x++ {
				out.Ends[x] = end
			}
		case s.Valid == nil || !slices.Contains(s.Valid[lo:hi], false):
			a := s.start(lo)
			shift := uint32(len(out.Data)) - a // modular: a may exceed it
			out.Data = append(out.Data, s.Data[a:s.start(hi)]...)
			for x, e := range s.Ends[lo:hi] {
				out.Ends[k+x] = e + shift
			}
			if nulls {
				for x := k; x < j; x++ {
					out.Valid[x] = true
				}
			}
		default: // NULL slots stay empty
			for x, i := k, lo; x < j; x, i = x+1, i+1 {
				if s.Valid[i] {
					out.Data = append(out.Data, s.Data[s.start(i):s.Ends[i]]...)
					out.Valid[x] = true
				}
				out.Ends[x] = uint32(len(out.Data))
			}
		}
		k = j
	}
	return out
}

// slice returns values [lo, hi) of s over its Data (Batch.Slice), without
// dictionary codes.
func (s *Strings) slice(lo, hi int) Strings {
	base, end := s.start(lo), s.start(hi)
	out := Strings{Data: s.Data[base:end:end], Ends: make([]uint32, hi-lo), Valid: validSlice(s.Valid, lo, hi)}
	for k, e := range s.Ends[lo:hi] {
		out.Ends[k] = e - base
	}
	return out
}

// validSlice returns valid[lo:hi], or nil when it holds no NULL.
func validSlice(valid []bool, lo, hi int) []bool {
	if valid == nil || !slices.Contains(valid[lo:hi], false) {
		return nil
	}
	return valid[lo:hi:hi]
}

// start is where value i begins in Data.
func (s *Strings) start(i int) uint32 {
	if i == 0 {
		return 0
	}
	return s.Ends[i-1]
}

// concatStrings returns the values of every column in cols, in order.
func concatStrings(cols []*Strings) Strings {
	var out Strings
	rows, size, nulls := 0, 0, false
	for _, s := range cols {
		rows += len(s.Ends)
		size += len(s.Data)
		nulls = nulls || s.NullCount() > 0
	}
	out.Data = make([]byte, 0, size)
	out.Ends = make([]uint32, 0, rows)
	if nulls {
		out.Valid = make([]bool, 0, rows)
	}
	for _, s := range cols {
		if s.NullCount() == 0 {
			base := uint32(len(out.Data))
			out.Data = append(out.Data, s.Data[:s.start(len(s.Ends))]...)
			for _, e := range s.Ends {
				out.Ends = append(out.Ends, base+e)
			}
			if nulls {
				for range s.Ends {
					out.Valid = append(out.Valid, true)
				}
			}
			continue
		}
		for i := range s.Ends {
			null := s.IsNull(i)
			if !null {
				out.Data = append(out.Data, s.Data[s.start(i):s.Ends[i]]...)
			}
			out.Ends = append(out.Ends, uint32(len(out.Data)))
			out.Valid = append(out.Valid, !null)
		}
	}
	return out
}

// gatherDynamic returns the values of the n rows runs of the columns
// srcs, all of type t, in that order, NULL slots zero; a nil source reads
// as NULL.
func gatherDynamic(name string, t Type, srcs []*Dynamic, runs []rowRun, n int) *Dynamic {
	out := &Dynamic{Name: name, Type: t, Valid: make([]bool, n)}
	k := 0
	for _, r := range runs {
		if d := srcs[r.b]; d != nil {
			copy(out.Valid[k:], d.Valid[r.lo:r.lo+r.n])
		}
		k += int(r.n)
	}
	switch t {
	case TypeInt64:
		out.Ints = gatherValues(srcs, runs, out.Valid, func(d *Dynamic) []int64 { return d.Ints })
	case TypeFloat64:
		out.Floats = gatherValues(srcs, runs, out.Valid, func(d *Dynamic) []float64 { return d.Floats })
	case TypeBool:
		out.Bools = gatherValues(srcs, runs, out.Valid, func(d *Dynamic) []bool { return d.Bools })
	default:
		// Dynamic.Valid holds the NULLs: gather views that carry it.
		strs := make([]*Strings, len(srcs))
		for k, d := range srcs {
			if d != nil {
				strs[k] = &Strings{Data: d.Strs.Data, Ends: d.Strs.Ends, Valid: d.Valid}
			}
		}
		out.Strs = gatherStrings(strs, runs, n)
		out.Strs.Valid = nil
	}
	return out
}

// gatherValues returns the values of runs of the columns srcs, with the
// zero value where valid (the output's, one per row) is false.
func gatherValues[T int64 | float64 | bool](srcs []*Dynamic, runs []rowRun, valid []bool, of func(*Dynamic) []T) []T {
	out := make([]T, len(valid))
	k := 0
	for _, r := range runs {
		if d := srcs[r.b]; d != nil {
			copy(out[k:], of(d)[r.lo:r.lo+r.n])
		}
		k += int(r.n)
	}
	var zero T
	for k, ok := range valid {
		if !ok {
			out[k] = zero
		}
	}
	return out
}

// concatDynamic returns the column name of every batch in order, of type t,
// which all the batches holding it share; batches without it give NULLs.
func concatDynamic(name string, t Type, batches []*Batch) *Dynamic {
	out := &Dynamic{Name: name, Type: t}
	var strs []*Strings
	for _, b := range batches {
		d := b.Column(name)
		if d == nil {
			d = &Dynamic{Name: name, Type: t}
			d.AppendNulls(b.Len())
		}
		out.Valid = append(out.Valid, d.Valid...)
		switch t {
		case TypeInt64:
			out.Ints = appendValues(out.Ints, d.Ints, d.Valid)
		case TypeFloat64:
			out.Floats = appendValues(out.Floats, d.Floats, d.Valid)
		case TypeBool:
			out.Bools = appendValues(out.Bools, d.Bools, d.Valid)
		default:
			strs = append(strs, &Strings{Data: d.Strs.Data, Ends: d.Strs.Ends, Valid: d.Valid})
		}
	}
	if t == TypeString {
		out.Strs = concatStrings(strs)
		out.Strs.Valid = nil
	}
	return out
}

// appendValues appends v to dst, with the zero value where valid is false.
func appendValues[T int64 | float64 | bool](dst, v []T, valid []bool) []T {
	var zero T
	for i, x := range v {
		if !valid[i] {
			x = zero
		}
		dst = append(dst, x)
	}
	return dst
}

// SortedConcat returns the rows of all batches in row order (see
// CompareRows): Concat and sort in one copy of the rows instead of two, as
// flushes, seals and merges do. A single batch already in row order is
// returned as it is.
//
// The rows are merged, not sorted: each batch is put in row order on its
// own (most already are: the batches of sealed rows and of segments), and
// the batches are merged k ways, taking rows from one batch for as long as
// they come before the other batches' next rows. Segments of one partition
// cover nearly disjoint spans of time, so a merge of them takes long runs,
// which the gathers copy at once; sorting references to all rows cost a
// quarter of the server's CPU in a 100M-row ingest, its gather mostly
// cache misses.
func SortedConcat(batches ...*Batch) *Batch {
	if len(batches) == 1 {
		if idx := batches[0].SortIndex(); idx != nil {
			return batches[0].Take(idx)
		}
		return batches[0]
	}
	names, types, ok := dynamicUnion(batches)
	if !ok { // a column widens: Concat converts its values first
		b := Concat(batches...)
		if idx := b.SortIndex(); idx != nil {
			return b.Take(idx)
		}
		return b
	}
	runs, n := mergeOrder(batches)
	out := &Batch{TS: gatherTS(batches, runs, n)}
	srcs := make([]*Strings, len(batches))
	for c, dst := range out.CoreStrings() {
		for k, b := range batches {
			srcs[k] = b.CoreStrings()[c]
		}
		*dst = gatherStrings(srcs, runs, n)
	}
	dyn := make([]*Dynamic, len(batches))
	for _, name := range names {
		for k, b := range batches {
			dyn[k] = b.Column(name)
		}
		out.addDynamic(gatherDynamic(name, types[name], dyn, runs, n))
	}
	return out
}

// mergeCursor is the next row of one batch of a merge: row idx[pos] (pos
// when idx is nil, the batch being in row order) of batch b.
type mergeCursor struct {
	batch *Batch
	b     int32
	pos   int32
	idx   []int32
}

func (c *mergeCursor) row() int32 {
	if c.idx == nil {
		return c.pos
	}
	return c.idx[c.pos]
}

// before reports whether c's next row comes before d's.
func (c *mergeCursor) before(d *mergeCursor) bool {
	i, j := c.row(), d.row()
	if s, t := c.batch.TS[i], d.batch.TS[j]; s != t {
		return s < t
	}
	return CompareRows(c.batch, int(i), d.batch, int(j)) < 0
}

// mergeOrder returns the n rows of batches in row order, as runs, merging
// the batches (each put in order first) through a binary heap of cursors.
func mergeOrder(batches []*Batch) (runs []rowRun, n int) {
	heap := make([]mergeCursor, 0, len(batches))
	for k, b := range batches {
		if b.Len() == 0 {
			continue
		}
		n += b.Len()
		heap = append(heap, mergeCursor{batch: b, b: int32(k), idx: b.SortIndex()})
	}
	down := func(i int) {
		for {
			m := i
			if l := 2*i + 1; l < len(heap) && heap[l].before(&heap[m]) {
				m = l
			}
			if r := 2*i + 2; r < len(heap) && heap[r].before(&heap[m]) {
				m = r
			}
			if m == i {
				return
			}
			heap[i], heap[m] = heap[m], heap[i]
			i = m
		}
	}
	for i := len(heap)/2 - 1; i >= 0; i-- {
		down(i)
	}
	for len(heap) > 0 {
		top := &heap[0]
		var next *mergeCursor // the runner-up: the smaller child of the top
		if len(heap) > 1 {
			next = &heap[1]
			if len(heap) > 2 && heap[2].before(next) {
				next = &heap[2]
			}
		}
		// Take the top's rows until the runner-up's comes first.
		end := int32(top.batch.Len())
		for {
			runs = appendRow(runs, top.b, top.row())
			top.pos++
			if top.pos == end || next != nil && next.before(top) {
				break
			}
		}
		if top.pos == end {
			heap[0] = heap[len(heap)-1]
			heap = heap[:len(heap)-1]
		}
		down(0)
	}
	return runs, n
}

// dynamicUnion returns the names of the dynamic columns of batches in order
// of first sight and their types; ok is false when a column has different
// types in different batches.
func dynamicUnion(batches []*Batch) (names []string, types map[string]Type, ok bool) {
	types = map[string]Type{}
	for _, b := range batches {
		for _, d := range b.Dynamic {
			t, seen := types[d.Name]
			switch {
			case !seen:
				names = append(names, d.Name)
				types[d.Name] = d.Type
			case t != d.Type:
				return nil, nil, false
			}
		}
	}
	return names, types, true
}

// A Gatherer collects rows of several batches, in the order they are
// added, into one batch: how the rows a merge yields one at a time become
// the batches of a stream. Consecutive rows of one batch are copied as one
// run. The zero value is ready to use.
type Gatherer struct {
	batches []*Batch
	runs    []rowRun
	n       int
}

// Add appends row i of b.
func (g *Gatherer) Add(b *Batch, i int) {
	k := len(g.batches) - 1
	if k < 0 || g.batches[k] != b {
		// A batch seen before but not last gets a second slot: the runs
		// only need each slot to name its batch.
		g.batches = append(g.batches, b)
		k++
	}
	g.runs = appendRow(g.runs, int32(k), int32(i))
	g.n++
}

// Len returns the number of rows added since the last Batch.
func (g *Gatherer) Len() int { return g.n }

// Batch returns the rows added, in order, and starts again. Dynamic
// columns are those of any source batch, in order of first sight; a row
// from a batch without one is NULL there.
func (g *Gatherer) Batch() *Batch {
	defer func() {
		clear(g.batches)
		g.batches, g.runs, g.n = g.batches[:0], g.runs[:0], 0
	}()
	names, types, ok := dynamicUnion(g.batches)
	if !ok { // a column widens: Concat converts its values first
		parts := make([]*Batch, len(g.runs))
		for k, r := range g.runs {
			parts[k] = g.batches[r.b].Slice(int(r.lo), int(r.lo+r.n))
		}
		return Concat(parts...)
	}
	out := &Batch{TS: gatherTS(g.batches, g.runs, g.n)}
	srcs := make([]*Strings, len(g.batches))
	for c, dst := range out.CoreStrings() {
		for k, b := range g.batches {
			srcs[k] = b.CoreStrings()[c]
		}
		*dst = gatherStrings(srcs, g.runs, g.n)
	}
	dyn := make([]*Dynamic, len(g.batches))
	for _, name := range names {
		for k, b := range g.batches {
			dyn[k] = b.Column(name)
		}
		out.addDynamic(gatherDynamic(name, types[name], dyn, g.runs, g.n))
	}
	return out
}
