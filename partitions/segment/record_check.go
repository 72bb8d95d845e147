package segment

import (
	"errors"
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
)

// checkArray validates one decoded column of rows rows against its
// physical description, so that no later access can panic: type and length
// as the schema and the statistics say, buffers large enough, string
// offsets monotonic, dictionary indices in range. With checkTS (timestamps
// ordered and matching the batch's time range) it is what every read
// applies to the columns it decoded; it costs one pass over offsets,
// indices and deltas.
func checkArray(c *physCol, arr arrow.Array, rows int) error {
	if !arrow.TypeEqual(arr.DataType(), c.phys) || arr.Len() != rows || arr.Data().Offset() != 0 {
		return fmt.Errorf("array of type %s, %d rows, offset %d", arr.DataType(), arr.Len(), arr.Data().Offset())
	}
	if err := array.Validate(arr); err != nil {
		return err
	}
	switch c.kind {
	case kindTSU32, kindTSI64:
		if arr.NullN() != 0 {
			return errors.New("NULL timestamps")
		}
	case kindUTF8:
		return checkOffsets(arr.(*array.String))
	case kindDict:
		d := arr.(*array.Dictionary)
		dict, ok := d.Dictionary().(*array.String)
		if !ok {
			return fmt.Errorf("dictionary of type %s", d.Dictionary().DataType())
		}
		// The dictionary itself was checked once, when Open decoded it
		// (loadDicts): every batch shares it.
		return checkIndices(d, dict.Len())
	}
	return nil
}

// checkOffsets checks that the offsets of a validated utf8 array are
// non-decreasing, so that every value lies inside the data buffer.
func checkOffsets(a *array.String) error {
	if a.Len() == 0 {
		return nil
	}
	offs := a.ValueOffsets()
	if offs[0] < 0 {
		return errors.New("negative string offset")
	}
	for k := 1; k < len(offs); k++ {
		if offs[k] < offs[k-1] {
			return fmt.Errorf("string offsets decrease at %d", k)
		}
	}
	return nil
}

// checkIndices checks that every non-NULL index of d is in [0, n).
func checkIndices(d *array.Dictionary, n int) error {
	bad := -1
	switch idx := d.Indices().(type) {
	case *array.Int8:
		bad = firstOutside(idx.Int8Values(), n, d)
	case *array.Uint8:
		bad = firstOutside(idx.Uint8Values(), n, d)
	case *array.Int16:
		bad = firstOutside(idx.Int16Values(), n, d)
	case *array.Int32:
		bad = firstOutside(idx.Int32Values(), n, d)
	}
	if bad >= 0 {
		return fmt.Errorf("dictionary index at row %d outside [0, %d)", bad, n)
	}
	return nil
}

// firstOutside returns the first non-NULL row whose index is outside [0, n),
// or -1.
func firstOutside[T int8 | uint8 | int16 | int32](v []T, n int, d *array.Dictionary) int {
	for k, c := range v {
		if (c < 0 || int(c) >= n) && d.IsValid(k) {
			return k
		}
	}
	return -1
}

// dictCodes returns the indices of d as int32, sharing memory when they are
// int32 already.
func dictCodes(d *array.Dictionary) []int32 {
	switch idx := d.Indices().(type) {
	case *array.Int32:
		return idx.Int32Values()
	case *array.Int8:
		return widen32(idx.Int8Values())
	case *array.Uint8:
		return widen32(idx.Uint8Values())
	case *array.Int16:
		return widen32(idx.Int16Values())
	}
	panic("BUG: segment: unexpected dictionary index type " + d.Indices().DataType().String())
}

// widen32 copies narrow dictionary indices into int32.
func widen32[T int8 | uint8 | int16](v []T) []int32 {
	out := make([]int32, len(v))
	for i, x := range v {
		out[i] = int32(x)
	}
	return out
}

// checkTS checks that the deltas start at 0, that the absolute timestamps
// never decrease, and that the last one is the batch's MaxTS.
func checkTS(arr arrow.Array, bs *BatchStats) error {
	last, ok := bs.MinTS, true
	switch a := arr.(type) {
	case *array.Uint32:
		d := a.Uint32Values()
		ok = d[0] == 0
		for _, x := range d {
			next := last + int64(x)
			ok = ok && next >= last
			last = next
		}
	case *array.Int64:
		d := a.Int64Values()
		ok = d[0] == 0
		for _, x := range d {
			next := last + x
			ok = ok && next >= last
			last = next
		}
	}
	if !ok || last != bs.MaxTS {
		return fmt.Errorf("timestamps do not run from %d to %d", bs.MinTS, bs.MaxTS)
	}
	return nil
}
