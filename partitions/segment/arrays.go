package segment

import (
	"encoding/binary"
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/bitutil"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"logq/partitions/columns"
)

// This file builds the Arrow arrays of one record batch, rows [lo, hi) of
// the segment, in the physical form chosen by the layout. Each builder also
// returns the batch's raw bytes for the column: the sizes of the Arrow
// buffers before compression, padding excluded (FORMAT.md, "Raw bytes").

// Buffers come from the encoder's allocator, except where the input's memory
// already has the exact Arrow layout (string bytes, int64 and float64
// values): those are wrapped without copying, which is safe because the
// input outlives the Encode call and Arrow only reads them to compress.

// newBuffer returns an allocator-backed buffer of n bytes. Its contents are
// not zeroed: callers write every byte.
func newBuffer(mem memory.Allocator, n int) *memory.Buffer {
	buf := memory.NewResizableBuffer(mem)
	buf.Resize(n)
	return buf
}

// makeArray wraps buffers into an array, taking over the caller's references.
func makeArray(dt arrow.DataType, n int, bufs []*memory.Buffer, nulls int) arrow.Array {
	data := array.NewData(dt, n, bufs, nil, nulls, 0)
	for _, b := range bufs {
		if b != nil {
			b.Release()
		}
	}
	defer data.Release()
	return array.MakeFromData(data)
}

// validity returns the validity bitmap of rows [lo, hi) and the number of
// NULLs, or a nil bitmap when there are none. valid == nil means no NULLs.
func validity(mem memory.Allocator, valid []bool, lo, hi int) (*memory.Buffer, int) {
	if valid == nil {
		return nil, 0
	}
	nulls := 0
	for _, ok := range valid[lo:hi] {
		if !ok {
			nulls++
		}
	}
	if nulls == 0 {
		return nil, 0
	}
	buf := newBuffer(mem, int(bitutil.BytesForBits(int64(hi-lo))))
	boolsToBitmap(buf.Bytes(), valid[lo:hi])
	return buf, nulls
}

// boolsToBitmap packs v into the LSB-first bitmap dst.
func boolsToBitmap(dst []byte, v []bool) {
	clear(dst)
	for i, ok := range v {
		if ok {
			dst[i>>3] |= 1 << (i & 7)
		}
	}
}

// bitmapBytes is the raw size of a validity bitmap of n rows with nulls NULLs.
func bitmapBytes(n, nulls int) int64 {
	if nulls == 0 {
		return 0
	}
	return bitutil.BytesForBits(int64(n))
}

// tsArray returns the row-to-row deltas of ts, the first one 0.
func tsArray(mem memory.Allocator, ts []int64, wide bool) (arrow.Array, int64) {
	n := len(ts)
	if wide {
		buf := newBuffer(mem, 8*n)
		d := arrow.Int64Traits.CastFromBytes(buf.Bytes())
		d[0] = 0
		for i := 1; i < n; i++ {
			d[i] = ts[i] - ts[i-1] // wraps for gaps past MaxInt64; decoding wraps back
		}
		return makeArray(arrow.PrimitiveTypes.Int64, n, []*memory.Buffer{nil, buf}, 0), int64(8 * n)
	}
	buf := newBuffer(mem, 4*n)
	d := arrow.Uint32Traits.CastFromBytes(buf.Bytes())
	d[0] = 0
	for i := 1; i < n; i++ {
		d[i] = uint32(ts[i] - ts[i-1])
	}
	return makeArray(arrow.PrimitiveTypes.Uint32, n, []*memory.Buffer{nil, buf}, 0), int64(4 * n)
}

// stringArray returns rows [lo, hi) of s as utf8. The value bytes are not
// copied: the array points into s, which must outlive it.
func stringArray(mem memory.Allocator, s *columns.Strings, valid []bool, lo, hi int) (arrow.Array, int64, error) {
	n := hi - lo
	base := uint32(0)
	if lo > 0 {
		base = s.Ends[lo-1]
	}
	end := s.Ends[hi-1]
	if int64(end-base) > maxStringBatchBytes {
		return nil, 0, fmt.Errorf("segment: %d string bytes in one batch exceed the utf8 limit", end-base)
	}
	offs := newBuffer(mem, 4*(n+1))
	o := arrow.Int32Traits.CastFromBytes(offs.Bytes())
	o[0] = 0
	for i, e := range s.Ends[lo:hi] {
		o[i+1] = int32(e - base)
	}
	bitmap, nulls := validity(mem, valid, lo, hi)
	vals := memory.NewBufferBytes(s.Data[base:end])
	raw := bitmapBytes(n, nulls) + int64(4*(n+1)) + int64(end-base)
	return makeArray(arrow.BinaryTypes.String, n, []*memory.Buffer{bitmap, offs, vals}, nulls), raw, nil
}

// dictArray returns rows [lo, hi) of a dictionary-encoded column.
func dictArray(mem memory.Allocator, d *strDict, valid []bool, lo, hi int) (arrow.Array, int64) {
	n := hi - lo
	codes := d.codes[lo:hi]
	width := d.index.(arrow.FixedWidthDataType).BitWidth() / 8
	buf := newBuffer(mem, width*n)
	b := buf.Bytes()
	switch width {
	case 1:
		for i, c := range codes {
			b[i] = byte(c)
		}
	case 2:
		for i, c := range codes {
			binary.LittleEndian.PutUint16(b[2*i:], uint16(c))
		}
	default:
		copy(arrow.Int32Traits.CastFromBytes(b), codes)
	}
	bitmap, nulls := validity(mem, valid, lo, hi)
	indices := makeArray(d.index, n, []*memory.Buffer{bitmap, buf}, nulls)
	defer indices.Release()
	return array.NewDictionaryArray(d.dictType(), indices, d.arr), bitmapBytes(n, nulls) + int64(width*n)
}

// hexArray returns rows [lo, hi) of a trace_id column whose values are all
// 16 lower-case hex digits as fixed_size_binary(8); NULLs are zero bytes.
func hexArray(mem memory.Allocator, s *columns.Strings, lo, hi int) (arrow.Array, int64) {
	n := hi - lo
	buf := newBuffer(mem, 8*n)
	b := buf.Bytes()
	clear(b)
	start := uint32(0)
	if lo > 0 {
		start = s.Ends[lo-1]
	}
	for i, end := range s.Ends[lo:hi] {
		v := s.Data[start:end]
		start = end
		if len(v) == 16 { // NULLs are empty
			for k := range 8 {
				b[8*i+k] = byte(hexValue[v[2*k]])<<4 | byte(hexValue[v[2*k+1]])
			}
		}
	}
	bitmap, nulls := validity(mem, s.Valid, lo, hi)
	return makeArray(hexType, n, []*memory.Buffer{bitmap, buf}, nulls), bitmapBytes(n, nulls) + int64(8*n)
}

// dynArray returns rows [lo, hi) of a dynamic column.
func dynArray(mem memory.Allocator, dl *dynLayout, lo, hi int) (arrow.Array, int64, error) {
	d, n := dl.col, hi-lo
	bitmap, nulls := validity(mem, d.Valid, lo, hi)
	raw := bitmapBytes(n, nulls)
	switch d.Type {
	case columns.TypeInt64:
		buf := narrowInts(mem, d.Ints[lo:hi], dl.width)
		return makeArray(intTypes[dl.width], n, []*memory.Buffer{bitmap, buf}, nulls), raw + int64(dl.width*n), nil
	case columns.TypeFloat64:
		buf := memory.NewBufferBytes(arrow.Float64Traits.CastToBytes(d.Floats[lo:hi]))
		return makeArray(arrow.PrimitiveTypes.Float64, n, []*memory.Buffer{bitmap, buf}, nulls), raw + int64(8*n), nil
	case columns.TypeBool:
		buf := newBuffer(mem, int(bitutil.BytesForBits(int64(n))))
		boolsToBitmap(buf.Bytes(), d.Bools[lo:hi])
		return makeArray(arrow.FixedWidthTypes.Boolean, n, []*memory.Buffer{bitmap, buf}, nulls), raw + int64(buf.Len()), nil
	}
	if bitmap != nil {
		bitmap.Release()
	}
	if dl.dict != nil {
		arr, raw := dictArray(mem, dl.dict, d.Valid, lo, hi)
		return arr, raw, nil
	}
	return stringArray(mem, &d.Strs, d.Valid, lo, hi)
}

// narrowInts stores v in width-byte signed integers; the layout checked that
// every valid value fits (NULL slots hold whatever truncation gives).
func narrowInts(mem memory.Allocator, v []int64, width int) *memory.Buffer {
	if width == 8 {
		return memory.NewBufferBytes(arrow.Int64Traits.CastToBytes(v))
	}
	buf := newBuffer(mem, width*len(v))
	b := buf.Bytes()
	switch width {
	case 1:
		for i, x := range v {
			b[i] = byte(int8(x))
		}
	case 2:
		out := arrow.Int16Traits.CastFromBytes(b)
		for i, x := range v {
			out[i] = int16(x)
		}
	case 4:
		out := arrow.Int32Traits.CastFromBytes(b)
		for i, x := range v {
			out[i] = int32(x)
		}
	}
	return buf
}
