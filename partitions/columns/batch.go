package columns

import (
	"slices"
)

// Batch is a set of rows in columnar form. TS holds UTC microseconds; the
// core string columns are nullable; Dynamic holds the other fields in order of
// first sight. All columns have Len() rows.
type Batch struct {
	TS      []int64
	Level   Strings
	Service Strings
	Host    Strings
	TraceID Strings
	Message Strings
	Dynamic []*Dynamic

	byName map[string]*Dynamic
}

// Len returns the number of rows.
func (b *Batch) Len() int { return len(b.TS) }

// Column returns the dynamic column called name, or nil. It does not modify
// b, so that readers may share a batch (queries read buffered batches
// concurrently).
func (b *Batch) Column(name string) *Dynamic {
	if b.byName == nil {
		for _, d := range b.Dynamic {
			if d.Name == name {
				return d
			}
		}
		return nil
	}
	return b.byName[name]
}

// AddColumn returns the dynamic column called name, creating it with type t
// and n NULL rows when it does not exist yet. n is the number of rows already
// in the batch that lack the field; the caller passes it because rows under
// construction may not be counted by Len yet.
func (b *Batch) AddColumn(name string, t Type, n int) *Dynamic {
	if d := b.Column(name); d != nil {
		return d
	}
	d := NewDynamic(name, t)
	d.AppendNulls(n)
	b.addDynamic(d) // indexes the columns SetDynamic set too
	return d
}

// SetDynamic replaces the dynamic columns of b with ds, which must have
// distinct names and Len() rows each.
func (b *Batch) SetDynamic(ds []*Dynamic) {
	b.Dynamic = ds
	b.byName = nil
}

// PadDynamic appends NULLs to every dynamic column shorter than n rows; the
// parser calls it after each row so that absent fields read as NULL.
func (b *Batch) PadDynamic(n int) {
	for _, d := range b.Dynamic {
		if d.Len() < n {
			d.AppendNulls(n - d.Len())
		}
	}
}

// Reset empties the batch, keeping the capacity of the core columns.
func (b *Batch) Reset() {
	b.TS = b.TS[:0]
	b.Level.Reset()
	b.Service.Reset()
	b.Host.Reset()
	b.TraceID.Reset()
	b.Message.Reset()
	b.Dynamic = nil
	b.byName = nil
}

// SortedByTS reports whether TS is in non-decreasing order, the order a
// segment file requires.
func (b *Batch) SortedByTS() bool {
	return slices.IsSorted(b.TS)
}

// Sorted reports whether the rows are in row order (see CompareRows), the
// order the store writes segments in.
func (b *Batch) Sorted() bool {
	for i := 1; i < len(b.TS); i++ {
		if b.TS[i-1] > b.TS[i] || b.TS[i-1] == b.TS[i] && CompareRows(b, i-1, b, i) > 0 {
			return false
		}
	}
	return true
}

// SortIndex returns the permutation that puts the rows in row order (see
// CompareRows); nil when already sorted. Rows that compare equal are equal
// in every column, so their relative order cannot be observed.
func (b *Batch) SortIndex() []int32 {
	if b.Sorted() {
		return nil
	}
	idx := make([]int32, b.Len())
	for i := range idx {
		idx[i] = int32(i)
	}
	ts := b.TS
	slices.SortFunc(idx, func(x, y int32) int {
		switch a, c := ts[x], ts[y]; {
		case a < c:
			return -1
		case a > c:
			return 1
		}
		return CompareRows(b, int(x), b, int(y))
	})
	return idx
}

// Take returns a new batch holding the rows idx of b, in that order.
func (b *Batch) Take(idx []int32) *Batch {
	runs := runsOf(idx)
	out := &Batch{TS: gatherTS([]*Batch{b}, runs, len(idx))}
	srcs := b.CoreStrings()
	for c, dst := range out.CoreStrings() {
		*dst = gatherStrings(srcs[c:c+1], runs, len(idx))
	}
	for _, d := range b.Dynamic {
		out.addDynamic(gatherDynamic(d.Name, d.Type, []*Dynamic{d}, runs, len(idx)))
	}
	return out
}

// Slice returns rows [lo, hi) of b as Take would, but sharing b's memory
// instead of copying it: only the ends of its string values are new, and a
// validity slice is left out where the rows hold no NULL, as Take leaves it
// out. Neither b nor the result may be modified after. A seal cuts its
// sorted rows into batches this way: copying them again cost 5% of the
// server's CPU in a 100M-row ingest.
func (b *Batch) Slice(lo, hi int) *Batch {
	out := &Batch{TS: b.TS[lo:hi:hi]}
	out.Level = b.Level.slice(lo, hi)
	out.Service = b.Service.slice(lo, hi)
	out.Host = b.Host.slice(lo, hi)
	out.TraceID = b.TraceID.slice(lo, hi)
	out.Message = b.Message.slice(lo, hi)
	for _, d := range b.Dynamic {
		out.addDynamic(d.slice(lo, hi))
	}
	return out
}

// addDynamic adds d, a column of a name b does not have yet.
func (b *Batch) addDynamic(d *Dynamic) {
	if b.byName == nil {
		b.byName = make(map[string]*Dynamic, len(b.Dynamic)+1)
		for _, x := range b.Dynamic {
			b.byName[x.Name] = x
		}
	}
	b.Dynamic = append(b.Dynamic, d)
	b.byName[d.Name] = d
}

// Concat returns one batch holding the rows of all batches in order. Dynamic
// columns are unioned by name, widening types where the batches disagree.
func Concat(batches ...*Batch) *Batch {
	names, types, ok := dynamicUnion(batches)
	if !ok {
		return concatRows(batches) // widening: value by value
	}
	n := 0
	for _, b := range batches {
		n += b.Len()
	}
	out := &Batch{TS: make([]int64, 0, n)}
	core := make([][]*Strings, 5)
	for _, b := range batches {
		out.TS = append(out.TS, b.TS...)
		for k, s := range []*Strings{&b.Level, &b.Service, &b.Host, &b.TraceID, &b.Message} {
			core[k] = append(core[k], s)
		}
	}
	for k, s := range []*Strings{&out.Level, &out.Service, &out.Host, &out.TraceID, &out.Message} {
		*s = concatStrings(core[k])
	}
	for _, name := range names {
		out.addDynamic(concatDynamic(name, types[name], batches))
	}
	return out
}

// concatRows is Concat row by row, widening a column's type as the batches
// require (a column that is BIGINT in one batch and DOUBLE in the next).
func concatRows(batches []*Batch) *Batch {
	n := 0
	for _, b := range batches {
		n += b.Len()
	}
	out := &Batch{TS: make([]int64, 0, n)}
	for _, b := range batches {
		base := out.Len()
		for _, d := range b.Dynamic {
			out.AddColumn(d.Name, d.Type, base).WidenTo(d.Type)
		}
		for i := 0; i < b.Len(); i++ {
			out.appendRow(b, i)
		}
		out.PadDynamic(out.Len())
	}
	return out
}

// appendRow appends row i of src; out's dynamic columns must include src's.
func (b *Batch) appendRow(src *Batch, i int) {
	b.TS = append(b.TS, src.TS[i])
	b.Level.appendFrom(&src.Level, i)
	b.Service.appendFrom(&src.Service, i)
	b.Host.appendFrom(&src.Host, i)
	b.TraceID.appendFrom(&src.TraceID, i)
	b.Message.appendFrom(&src.Message, i)
	for _, d := range src.Dynamic {
		b.Column(d.Name).appendFrom(d, i)
	}
	b.PadDynamic(b.Len())
}
