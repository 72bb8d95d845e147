package columns

import "slices"

// Column-wise copies for Take and Concat. Copying row by row through the
// append methods grew every column's slices by doubling: at 100M rows the
// flush's Concat and sort (Take) of 64 MiB of buffered rows spent a third of
// the server's CPU in growslice and memmove. These size each column once and
// copy it in one pass, and give the same batches (NULL slots empty, Valid nil
// when no value is NULL, Codes and Dict dropped).

// rowRef is row i of batch b of a gather's sources.
type rowRef struct{ b, i int32 }

// refsOf returns the refs of rows idx of one source.
func refsOf(idx []int32) []rowRef {
	refs := make([]rowRef, len(idx))
	for k, i := range idx {
		refs[k] = rowRef{i: i}
	}
	return refs
}

// takeStrings returns the values idx of s, in that order.
func takeStrings(s *Strings, idx []int32) Strings {
	return gatherStrings([]*Strings{s}, refsOf(idx))
}

// gatherStrings returns the values refs of the columns srcs, in that order.
func gatherStrings(srcs []*Strings, refs []rowRef) Strings {
	null := func(k int) bool { r := refs[k]; return srcs[r.b].IsNull(int(r.i)) }
	return gatherStringsNull(srcs, refs, null)
}

// gatherStringsNull is gatherStrings with the NULLs given by null(k) for
// output row k, whose source is then not read.
func gatherStringsNull(srcs []*Strings, refs []rowRef, null func(k int) bool) Strings {
	var out Strings
	size, nulls := 0, false
	for k, r := range refs {
		if null(k) {
			nulls = true
			continue
		}
		s := srcs[r.b]
		size += int(s.Ends[r.i] - s.start(int(r.i)))
	}
	out.Data = make([]byte, 0, size)
	out.Ends = make([]uint32, len(refs))
	if nulls {
		out.Valid = make([]bool, len(refs))
	}
	for k, r := range refs {
		if !null(k) {
			s := srcs[r.b]
			out.Data = append(out.Data, s.Data[s.start(int(r.i)):s.Ends[r.i]]...)
			if nulls {
				out.Valid[k] = true
			}
		}
		out.Ends[k] = uint32(len(out.Data))
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

// takeDynamic returns the values idx of d, in that order, NULL slots zero.
func takeDynamic(d *Dynamic, idx []int32) *Dynamic {
	return gatherDynamic(d.Name, d.Type, []*Dynamic{d}, refsOf(idx))
}

// gatherDynamic returns the values refs of the columns srcs, all of type t,
// in that order, NULL slots zero; a nil source reads as NULL.
func gatherDynamic(name string, t Type, srcs []*Dynamic, refs []rowRef) *Dynamic {
	out := &Dynamic{Name: name, Type: t, Valid: make([]bool, len(refs))}
	for k, r := range refs {
		if d := srcs[r.b]; d != nil {
			out.Valid[k] = d.Valid[r.i]
		}
	}
	switch t {
	case TypeInt64:
		out.Ints = gatherValues(srcs, refs, out.Valid, func(d *Dynamic) []int64 { return d.Ints })
	case TypeFloat64:
		out.Floats = gatherValues(srcs, refs, out.Valid, func(d *Dynamic) []float64 { return d.Floats })
	case TypeBool:
		out.Bools = gatherValues(srcs, refs, out.Valid, func(d *Dynamic) []bool { return d.Bools })
	default:
		strs := make([]*Strings, len(srcs))
		for k, d := range srcs {
			if d != nil {
				strs[k] = &d.Strs
			}
		}
		// Dynamic.Valid holds the NULLs; a missing column's rows are NULL.
		out.Strs = gatherStringsNull(strs, refs, func(k int) bool { return !out.Valid[k] })
		out.Strs.Valid = nil
	}
	return out
}

// gatherValues returns the values refs of the columns srcs, with the zero
// value where valid (the output's) is false.
func gatherValues[T int64 | float64 | bool](srcs []*Dynamic, refs []rowRef, valid []bool, of func(*Dynamic) []T) []T {
	vals := make([][]T, len(srcs))
	for k, d := range srcs {
		if d != nil {
			vals[k] = of(d)
		}
	}
	out := make([]T, len(refs))
	for k, r := range refs {
		if valid[k] {
			out[k] = vals[r.b][r.i]
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
// a flush writes its buffered batches. A single batch already in row order
// is returned as it is.
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
	n := 0
	for _, b := range batches {
		n += b.Len()
	}
	refs := make([]rowRef, 0, n)
	for k, b := range batches {
		for i := range b.TS {
			refs = append(refs, rowRef{b: int32(k), i: int32(i)})
		}
	}
	slices.SortFunc(refs, func(x, y rowRef) int {
		a, b := batches[x.b], batches[y.b]
		switch s, t := a.TS[x.i], b.TS[y.i]; {
		case s < t:
			return -1
		case s > t:
			return 1
		}
		return CompareRows(a, int(x.i), b, int(y.i))
	})
	out := &Batch{TS: make([]int64, len(refs))}
	for k, r := range refs {
		out.TS[k] = batches[r.b].TS[r.i]
	}
	srcs := make([]*Strings, len(batches))
	for c, dst := range []*Strings{&out.Level, &out.Service, &out.Host, &out.TraceID, &out.Message} {
		for k, b := range batches {
			srcs[k] = b.coreStrings()[c]
		}
		*dst = gatherStrings(srcs, refs)
	}
	dyn := make([]*Dynamic, len(batches))
	for _, name := range names {
		for k, b := range batches {
			dyn[k] = b.Column(name)
		}
		out.addDynamic(gatherDynamic(name, types[name], dyn, refs))
	}
	return out
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
