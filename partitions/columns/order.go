package columns

import (
	"bytes"
	"cmp"
	"slices"
	"strings"
)

// CompareRows orders row i of a against row j of b in logq's row order: by
// ts, then by the content of the row (level, service, host, trace_id,
// message, then the dynamic columns by name), NULL before any value. Row
// order depends only on the rows, not on how they were partitioned, batched
// or flushed: equal timestamps come back in the same order from any layout
// and on every run. Rows comparing equal are identical in every column.
//
// Dynamic values compare by their text form (AppendText), so that a column
// compares the same before and after it widens to VARCHAR. The order of
// values of equal ts carries no meaning beyond being deterministic.
func CompareRows(a *Batch, i int, b *Batch, j int) int {
	switch {
	case a.TS[i] < b.TS[j]:
		return -1
	case a.TS[i] > b.TS[j]:
		return 1
	}
	for _, c := range [...]struct{ x, y *Strings }{
		{&a.Level, &b.Level}, {&a.Service, &b.Service}, {&a.Host, &b.Host},
		{&a.TraceID, &b.TraceID}, {&a.Message, &b.Message},
	} {
		if r := compareNullable(c.x.IsNull(i), c.y.IsNull(j), c.x.Value(i), c.y.Value(j)); r != 0 {
			return r
		}
	}
	if len(a.Dynamic) == 0 && len(b.Dynamic) == 0 {
		return 0
	}
	return compareDynamic(a, i, b, j)
}

// compareDynamic compares the dynamic columns of two rows by name: a column
// a batch lacks reads as NULL. Columns are taken in the order of their
// names without generation (see BaseName), so that a column re-created
// after a drop, stored as "name@G1", sorts where SQL sees it, as "name".
func compareDynamic(a *Batch, i int, b *Batch, j int) int {
	names := make([]string, 0, len(a.Dynamic)+len(b.Dynamic))
	for _, d := range a.Dynamic {
		names = append(names, d.Name)
	}
	for _, d := range b.Dynamic {
		names = append(names, d.Name)
	}
	slices.SortFunc(names, func(x, y string) int {
		return cmp.Or(strings.Compare(BaseName(x), BaseName(y)), strings.Compare(x, y))
	})
	names = slices.Compact(names)
	var bufX, bufY [64]byte
	for _, name := range names {
		x, y := a.Column(name), b.Column(name)
		xNull, yNull := x == nil || x.IsNull(i), y == nil || y.IsNull(j)
		var xv, yv []byte
		if !xNull {
			xv = x.AppendText(bufX[:0], i)
		}
		if !yNull {
			yv = y.AppendText(bufY[:0], j)
		}
		if r := compareNullable(xNull, yNull, xv, yv); r != 0 {
			return r
		}
	}
	return 0
}

func compareNullable(xNull, yNull bool, x, y []byte) int {
	switch {
	case xNull && yNull:
		return 0
	case xNull:
		return -1
	case yNull:
		return 1
	}
	return bytes.Compare(x, y)
}
