package segment

import (
	"fmt"
	"slices"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"logq/partitions/columns"
)

// Batch returns record batch i with only the named columns (nil means all,
// in schema order), in logical form: "ts" as Int64 absolute UTC microseconds;
// level, service and host as dictionary arrays (utf8 when stored plain);
// trace_id as utf8; message utf8; dynamic BIGINT as Int64, DOUBLE Float64,
// BOOLEAN Boolean, VARCHAR utf8 or dictionary. Dictionaries are sorted by
// value. The caller must Release the batch. Safe for concurrent use.
func (r *Reader) Batch(i int, cols []string) (arrow.RecordBatch, error) {
	idx, err := r.project(cols)
	if err != nil {
		return nil, err
	}
	sel := make([]bool, len(r.cols))
	for _, j := range idx {
		sel[j] = true
	}
	phys, err := r.readColumns(i, sel, memAlloc{r.mem})
	if err != nil {
		return nil, err
	}
	defer releaseArrays(phys)
	bs := &r.stats.Batches[i]
	fields := make([]arrow.Field, len(idx))
	arrs := make([]arrow.Array, len(idx))
	defer releaseArrays(arrs)
	for k, j := range idx {
		c := &r.cols[j]
		fields[k] = arrow.Field{Name: c.name, Type: c.out, Nullable: j != 0}
		arrs[k] = r.logical(c, phys[j], bs)
	}
	return array.NewRecordBatch(arrow.NewSchema(fields, nil), arrs, int64(bs.Rows)), nil
}

// project maps column names to field indices.
func (r *Reader) project(cols []string) ([]int, error) {
	if cols == nil {
		idx := make([]int, len(r.cols))
		for i := range idx {
			idx[i] = i
		}
		return idx, nil
	}
	idx := make([]int, len(cols))
	for k, name := range cols {
		j, ok := r.byName[name]
		if !ok {
			return nil, fmt.Errorf("segment %s: no column %q", r.path, name)
		}
		idx[k] = j
	}
	return idx, nil
}

// logical returns the logical form of a validated physical array. Arrays
// already in logical form are returned with one more reference instead of
// being copied; Arrow arrays are immutable, so sharing them is safe.
func (r *Reader) logical(c *physCol, arr arrow.Array, bs *BatchStats) arrow.Array {
	switch c.kind {
	case kindTSU32, kindTSI64:
		buf := newBuffer(r.mem, 8*arr.Len())
		decodeTS(arrow.Int64Traits.CastFromBytes(buf.Bytes()), arr, bs.MinTS)
		return makeArray(arrow.PrimitiveTypes.Int64, arr.Len(), []*memory.Buffer{nil, buf}, 0)
	case kindHex8:
		return hexToUTF8(r.mem, arr.(*array.FixedSizeBinary))
	case kindInt:
		if c.width < 8 {
			return widenInts(r.mem, arr)
		}
	}
	arr.Retain()
	return arr
}

// decodeTS writes the absolute timestamps of a delta array into dst.
func decodeTS(dst []int64, arr arrow.Array, base int64) {
	ts := base
	switch a := arr.(type) {
	case *array.Uint32:
		for i, d := range a.Uint32Values() {
			ts += int64(d)
			dst[i] = ts
		}
	case *array.Int64:
		for i, d := range a.Int64Values() {
			ts += d
			dst[i] = ts
		}
	}
}

// validityBuffer returns a new reference to arr's validity bitmap, or nil.
func validityBuffer(arr arrow.Array) *memory.Buffer {
	if arr.NullN() == 0 {
		return nil
	}
	b := arr.Data().Buffers()[0]
	if b != nil {
		b.Retain()
	}
	return b
}

// hexToUTF8 re-encodes binary trace IDs as 16 lower-case hex digits.
func hexToUTF8(mem memory.Allocator, a *array.FixedSizeBinary) arrow.Array {
	n := a.Len()
	offs := newBuffer(mem, 4*(n+1))
	o := arrow.Int32Traits.CastFromBytes(offs.Bytes())
	vals := newBuffer(mem, 16*(n-a.NullN()))
	v, raw := vals.Bytes(), fixedBytes(a)
	pos := 0
	for i := range n {
		o[i] = int32(pos)
		if a.NullN() == 0 || a.IsValid(i) {
			hexEncode8(v[pos:pos+16], raw[8*i:8*i+8])
			pos += 16
		}
	}
	o[n] = int32(pos)
	return makeArray(arrow.BinaryTypes.String, n, []*memory.Buffer{validityBuffer(a), offs, vals}, a.NullN())
}

// fixedBytes returns the values buffer of a validated fixed_size_binary
// array, whose offset is 0.
func fixedBytes(a arrow.Array) []byte { return a.Data().Buffers()[1].Bytes() }

// hexPairs maps a byte to its two lower-case hex digits.
var hexPairs = func() (t [256][2]byte) {
	const digits = "0123456789abcdef"
	for i := range t {
		t[i] = [2]byte{digits[i>>4], digits[i&15]}
	}
	return t
}()

// hexEncode8 writes the 16 hex digits of the 8 bytes of src into dst.
func hexEncode8(dst, src []byte) {
	_, _ = dst[15], src[7]
	for k := range 8 {
		p := hexPairs[src[k]]
		dst[2*k], dst[2*k+1] = p[0], p[1]
	}
}

// widenInts returns a narrow signed integer array as Int64.
func widenInts(mem memory.Allocator, arr arrow.Array) arrow.Array {
	n := arr.Len()
	buf := newBuffer(mem, 8*n)
	intsInto(arrow.Int64Traits.CastFromBytes(buf.Bytes()), arr)
	return makeArray(arrow.PrimitiveTypes.Int64, n, []*memory.Buffer{validityBuffer(arr), buf}, arr.NullN())
}

// intsInto widens the values of a signed integer array into dst.
func intsInto(dst []int64, arr arrow.Array) {
	switch a := arr.(type) {
	case *array.Int8:
		widenInto(dst, a.Int8Values())
	case *array.Int16:
		widenInto(dst, a.Int16Values())
	case *array.Int32:
		widenInto(dst, a.Int32Values())
	case *array.Int64:
		copy(dst, a.Int64Values())
	}
}

// widenInto copies narrow signed integers into dst, sign-extending them.
func widenInto[T int8 | int16 | int32](dst []int64, v []T) {
	for i, x := range v {
		dst[i] = int64(x)
	}
}

// Rows decodes batch i into a columns.Batch, the form compaction works on.
// Concatenating the rows of every batch reproduces the batch given to Encode
// (NULL values read back as zero values). Safe for concurrent use.
func (r *Reader) Rows(i int) (*columns.Batch, error) { return r.RowsOf(i, nil) }

// RowsOf is Rows converting only the columns want accepts (nil: all); ts is
// always converted. A core column left out reads as all NULL and a dynamic
// one is absent, so the batch is only good for reading the columns asked
// for. Only the buffers of those columns are decompressed and decoded,
// into pooled scratch memory that the result does not reference; in a file
// with per-field checksums (stats version 4) only their bytes and the
// message metadata are read and verified, else the batch's whole block.
func (r *Reader) RowsOf(i int, want func(name string) bool) (*columns.Batch, error) {
	return r.RowsOfScratch(i, want, nil, nil)
}

// RowsOfScratch is RowsOf decoding the values of the utf8 columns (core or
// VARCHAR) that scratch accepts into s, where the batch keeps them: those
// columns of the result are good only until s.Reset. The batch is the
// caller's alone, never to be cached or shared.
func (r *Reader) RowsOfScratch(i int, want, scratch func(name string) bool, s *Scratch) (*columns.Batch, error) {
	sel := make([]bool, len(r.cols))
	for j, c := range r.cols {
		sel[j] = want == nil || want(c.name)
	}
	ar := arenaPool.Get().(*arena)
	defer ar.release()
	alloc := scratchAlloc{arena: ar}
	if s != nil && scratch != nil {
		alloc.scratch, alloc.fields = s, make([]bool, len(r.cols))
		for j, c := range r.cols {
			alloc.fields[j] = sel[j] && scratch(c.name)
		}
	}
	arrs, err := r.readColumns(i, sel, alloc)
	if err != nil {
		return nil, err
	}
	defer releaseArrays(arrs) // before the arena goes back to the pool
	return r.rowsFrom(arrs, r.stats.Batches[i].MinTS), nil
}

// rowsFrom converts the validated physical arrays of one batch (nil for a
// field not read; ts is never nil) into a columns.Batch.
func (r *Reader) rowsFrom(arrs []arrow.Array, minTS int64) *columns.Batch {
	n := arrs[0].Len()
	b := &columns.Batch{TS: make([]int64, n)}
	decodeTS(b.TS, arrs[0], minTS)
	core := []*columns.Strings{&b.Level, &b.Service, &b.Host, &b.TraceID, &b.Message}
	for k, s := range core {
		arr := arrs[k+1]
		if arr == nil {
			*s = absentStrings(n)
			continue
		}
		var valid []bool
		*s, valid = stringsOf(arr, r.cols[k+1].kind)
		s.Valid = valid
	}
	for j := len(core) + 1; j < len(r.cols); j++ {
		if arrs[j] == nil {
			continue
		}
		c := &r.cols[j]
		d := b.AddColumn(c.name, c.typ, 0)
		fillDynamic(d, c, arrs[j])
	}
	return b
}

// absentEnds and absentValid back the core columns that RowsOf leaves out:
// every value empty and NULL. Those columns share them rather than costing
// 5 bytes per row each; they are never written, and are handed out capped
// at their length, so that an append copies instead of writing into them.
var (
	absentEnds  = make([]uint32, maxBatchRows)
	absentValid = make([]bool, maxBatchRows)
)

// absentStrings returns an all-NULL column of n rows for a core column
// RowsOf leaves out.
func absentStrings(n int) columns.Strings {
	if n > maxBatchRows { // not in a valid file; Open rejects such batches
		return columns.Strings{Ends: make([]uint32, n), Valid: make([]bool, n)}
	}
	return columns.Strings{Ends: absentEnds[:n:n], Valid: absentValid[:n:n]}
}

// fillDynamic decodes a dynamic column; NULL slots hold zero values.
func fillDynamic(d *columns.Dynamic, c *physCol, arr arrow.Array) {
	n := arr.Len()
	d.Valid = validBools(arr)
	switch c.kind {
	case kindInt:
		d.Ints = make([]int64, n)
		intsInto(d.Ints, arr)
		zeroNulls(d.Ints, d.Valid)
	case kindFloat:
		d.Floats = append([]float64(nil), arr.(*array.Float64).Float64Values()...)
		zeroNulls(d.Floats, d.Valid)
	case kindBool:
		a := arr.(*array.Boolean)
		d.Bools = make([]bool, n)
		for i := range d.Bools {
			d.Bools[i] = d.Valid[i] && a.Value(i)
		}
	default:
		d.Strs, _ = stringsOf(arr, c.kind)
	}
}

// zeroNulls sets the NULL slots of v to zero, the convention of columns.Dynamic.
func zeroNulls[T int64 | float64](v []T, valid []bool) {
	for i, ok := range valid {
		if !ok {
			v[i] = 0
		}
	}
}

// validBools returns the validity of every row of arr.
func validBools(arr arrow.Array) []bool {
	out := make([]bool, arr.Len())
	for i := range out {
		out[i] = arr.IsValid(i)
	}
	return out
}

// stringsOf decodes a utf8, dictionary or binary trace ID array into the
// arena form of columns.Strings, with empty NULLs, and returns the validity
// (nil when no NULLs) separately: core columns keep it in Strings.Valid,
// dynamic ones in Dynamic.Valid. The bytes are copied out of the Arrow
// buffers, so the result does not pin them, except the values of a utf8
// array without NULLs, which arr's allocator gave out to keep (own).
func stringsOf(arr arrow.Array, kind colKind) (columns.Strings, []bool) {
	n := arr.Len()
	var valid []bool
	if arr.NullN() > 0 {
		valid = validBools(arr)
	}
	if a, ok := arr.(*array.String); ok && kind == kindUTF8 && valid == nil {
		return bulkStrings(a), nil
	}
	s := columns.Strings{Ends: make([]uint32, 0, n)}
	switch kind {
	case kindUTF8:
		a := arr.(*array.String)
		for i := range n {
			s.Data = appendValid(s.Data, valid[i], a.Value(i))
			s.Ends = append(s.Ends, uint32(len(s.Data)))
		}
	case kindDict:
		d := arr.(*array.Dictionary)
		dict := d.Dictionary().(*array.String)
		codes := dictCodes(d)
		// Sized once: growing the arena by appends took most of the
		// decoding of a dictionary column (a day's service column at 100M
		// rows is 14M values).
		lens := make([]int, dict.Len())
		for j := range lens {
			lens[j] = len(dict.Value(j))
		}
		size := 0
		for i, c := range codes {
			if valid == nil || valid[i] {
				size += lens[c]
			}
		}
		s.Data = make([]byte, 0, size)
		for i, c := range codes {
			if valid == nil || valid[i] {
				s.Data = append(s.Data, dict.Value(int(c))...)
			}
			s.Ends = append(s.Ends, uint32(len(s.Data)))
		}
		// The codes too (copied: they may alias the record's buffers), and
		// the dictionary's values in an arena of their own.
		s.Codes = slices.Clone(codes)
		var arena []byte
		for j := range dict.Len() {
			arena = append(arena, dict.Value(j)...)
		}
		s.Dict = make([][]byte, dict.Len())
		for j, off := 0, 0; j < dict.Len(); j++ {
			n := len(dict.Value(j))
			s.Dict[j] = arena[off : off+n : off+n]
			off += n
		}
	case kindHex8:
		raw := fixedBytes(arr)
		s.Data = make([]byte, 16*(n-arr.NullN()))
		pos := 0
		for i := range n {
			if valid == nil || valid[i] {
				hexEncode8(s.Data[pos:pos+16], raw[8*i:8*i+8])
				pos += 16
			}
			s.Ends = append(s.Ends, uint32(pos))
		}
	}
	return s, valid
}

// appendValid appends v unless the row is NULL (an empty range).
func appendValid(dst []byte, ok bool, v string) []byte {
	if !ok {
		return dst
	}
	return append(dst, v...)
}

// bulkStrings converts a utf8 array without NULLs in one piece, keeping its
// values buffer as the arena.
func bulkStrings(a *array.String) columns.Strings {
	offs := a.ValueOffsets()
	base := offs[0]
	v := a.ValueBytes()
	s := columns.Strings{Data: v[:len(v):len(v)], Ends: make([]uint32, a.Len())}
	for i := range s.Ends {
		s.Ends[i] = uint32(offs[i+1] - base)
	}
	return s
}
