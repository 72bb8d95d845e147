package arrowrows

import (
	"fmt"
	"slices"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/bitutil"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"logq/partitions/columns"
)

// Record builds the Arrow buffers itself rather than through array
// builders: a selection's rows come in runs (all of a batch, or the long
// runs of a time range), and each run's string bytes are one copy, its
// offsets one shifted copy of the batch's ends, into buffers sized once.
// Builders append value by value and grow their buffers as they go.
// BenchmarkRecord, 8192 WORKLOAD-like rows: every row 113-140 ns/row and 64
// allocations against 370-435 and 207 with builders; a shuffled selection
// (runs of one row, a copy per value either way) 250-320 against 480-660.

// Record returns one record batch holding the rows sel of b, in sel's order
// (a row may appear more than once; nil: every row in order), with the
// columns of s (nil: SchemaOf(b)). A dynamic column of s that b lacks is all
// NULL, and one of a narrower type in b is widened to the type of s as
// columns.Widen converts values; one that cannot widen to it is an error.
// The buffers come from mem (memory.DefaultAllocator when nil) and hold
// copies of b's values: b may be modified once Record returns. Record only
// reads b, so concurrent calls may share it. The caller must Release the
// record.
func Record(b *columns.Batch, sel []int32, s *Schema, mem memory.Allocator) (arrow.RecordBatch, error) {
	if s == nil {
		var err error
		if s, err = SchemaOf(b); err != nil {
			return nil, err
		}
	}
	if mem == nil {
		mem = memory.DefaultAllocator
	}
	rows, err := runsOf(sel, b.Len())
	if err != nil {
		return nil, err
	}
	arrs := make([]arrow.Array, 0, len(s.cols))
	defer func() {
		for _, a := range arrs {
			a.Release()
		}
	}()
	for _, c := range s.cols {
		a, err := column(b, c, rows, mem)
		if err != nil {
			return nil, fmt.Errorf("arrowrows: column %q: %w", c.Name, err)
		}
		arrs = append(arrs, a)
	}
	return array.NewRecordBatch(s.arrow, arrs, int64(rows.n)), nil
}

// rowRun is rows [lo, lo+n) of the batch, taken in order.
type rowRun struct{ lo, n int }

// rowRuns is a selection of rows as runs, n rows in all.
type rowRuns struct {
	runs []rowRun
	n    int
}

// runsOf returns the runs of the selection sel of a batch of n rows (nil:
// every row), checking that each index is one of its rows.
func runsOf(sel []int32, n int) (*rowRuns, error) {
	if sel == nil {
		if n == 0 {
			return &rowRuns{}, nil
		}
		return &rowRuns{runs: []rowRun{{0, n}}, n: n}, nil
	}
	r := &rowRuns{n: len(sel)}
	for _, i := range sel {
		if i < 0 || int(i) >= n {
			return nil, fmt.Errorf("arrowrows: selected row %d of a batch of %d rows", i, n)
		}
		if k := len(r.runs) - 1; k >= 0 && r.runs[k].lo+r.runs[k].n == int(i) {
			r.runs[k].n++
			continue
		}
		r.runs = append(r.runs, rowRun{int(i), 1})
	}
	return r, nil
}

// column returns the array of column c of the rows of b.
func column(b *columns.Batch, c Column, rows *rowRuns, mem memory.Allocator) (arrow.Array, error) {
	n := b.Len()
	if c.Name == columns.TS {
		buf := newBuffer(mem, 8*rows.n)
		gather(arrow.Int64Traits.CastFromBytes(buf.Bytes()), b.TS, rows)
		return makeArray(tsType, rows.n, []*memory.Buffer{nil, buf}, 0), nil
	}
	if s := coreStrings(b, c.Name); s != nil {
		if err := checkStrings(s, s.Valid, n); err != nil {
			return nil, err
		}
		return utf8Array(s, s.Valid, rows, mem)
	}
	d := b.Column(c.Name)
	switch {
	case d == nil:
		return nullArray(c.Type, rows.n, mem), nil
	case d.Len() != n:
		return nil, fmt.Errorf("BUG: %d rows in a batch of %d", d.Len(), n)
	}
	if err := checkValues(d); err != nil {
		return nil, err
	}
	if d.Type != c.Type {
		return widenedArray(d, c.Type, rows, mem)
	}
	return dynamicArray(d, rows, mem)
}

// checkValues checks that d has a value for each of its rows. A column
// that fails it was built wrong: the error says BUG.
func checkValues(d *columns.Dynamic) error {
	n, m := d.Len(), 0
	switch d.Type {
	case columns.TypeInt64:
		m = len(d.Ints)
	case columns.TypeFloat64:
		m = len(d.Floats)
	case columns.TypeBool:
		m = len(d.Bools)
	case columns.TypeString:
		return checkStrings(&d.Strs, nil, n)
	default:
		return fmt.Errorf("BUG: invalid type %s", d.Type)
	}
	if m != n {
		return fmt.Errorf("BUG: %d values in a column of %d rows", m, n)
	}
	return nil
}

// coreStrings returns the core string column of b called name, or nil.
func coreStrings(b *columns.Batch, name string) *columns.Strings {
	if i := slices.Index(columns.CoreNames, name); i > 0 {
		return b.CoreString(i - 1)
	}
	return nil
}

// checkStrings checks that s, with validity valid (nil: no NULLs), has n
// values within its arena, so that gathering them cannot go out of range.
// A batch that fails it was built wrong: the error says BUG.
func checkStrings(s *columns.Strings, valid []bool, n int) error {
	switch {
	case len(s.Ends) != n:
		return fmt.Errorf("BUG: %d values in a batch of %d rows", len(s.Ends), n)
	case valid != nil && len(valid) != n:
		return fmt.Errorf("BUG: %d validity entries in a batch of %d rows", len(valid), n)
	case n > 0 && int(s.Ends[n-1]) > len(s.Data):
		return fmt.Errorf("BUG: values end at byte %d of an arena of %d", s.Ends[n-1], len(s.Data))
	}
	return nil
}

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

// gather copies the values of rows of src into dst, one copy per run.
func gather[T any](dst, src []T, rows *rowRuns) {
	k := 0
	for _, r := range rows.runs {
		k += copy(dst[k:], src[r.lo:r.lo+r.n])
	}
}

// validity returns the validity bitmap of rows of a column whose validity
// is valid (nil: no NULLs), and the number of NULLs; a nil bitmap when
// there are none.
func validity(mem memory.Allocator, valid []bool, rows *rowRuns) (*memory.Buffer, int) {
	if valid == nil {
		return nil, 0
	}
	nulls := 0
	for _, r := range rows.runs {
		for _, ok := range valid[r.lo : r.lo+r.n] {
			if !ok {
				nulls++
			}
		}
	}
	if nulls == 0 {
		return nil, 0
	}
	buf := newBuffer(mem, int(bitutil.BytesForBits(int64(rows.n))))
	packBools(buf.Bytes(), valid, rows)
	return buf, nulls
}

// packBools writes the values of rows of v into the LSB-first bitmap dst.
func packBools(dst []byte, v []bool, rows *rowRuns) {
	clear(dst)
	k := 0
	for _, r := range rows.runs {
		for _, ok := range v[r.lo : r.lo+r.n] {
			if ok {
				dst[k>>3] |= 1 << (k & 7)
			}
			k++
		}
	}
}

// utf8Array returns rows of s as utf8, with validity valid (nil: no NULLs).
// Each run's bytes are copied at once, NULLs' bytes included: a NULL's
// range is empty in a columns.Strings, and Arrow ignores it anyway.
func utf8Array(s *columns.Strings, valid []bool, rows *rowRuns, mem memory.Allocator) (arrow.Array, error) {
	size := 0
	for _, r := range rows.runs {
		size += int(s.Ends[r.lo+r.n-1] - start(s, r.lo))
	}
	if size > maxUTF8Bytes {
		return nil, fmt.Errorf("%d bytes of strings exceed the %d of one utf8 array", size, maxUTF8Bytes)
	}
	offs := newBuffer(mem, 4*(rows.n+1))
	o := arrow.Int32Traits.CastFromBytes(offs.Bytes())
	vals := newBuffer(mem, size)
	v := vals.Bytes()
	o[0] = 0
	k, pos := 1, 0
	for _, r := range rows.runs {
		a := start(s, r.lo)
		ends := s.Ends[r.lo : r.lo+r.n]
		// Modular: a may exceed pos, the results fit in int32.
		shift := uint32(pos) - a
		for _, e := range ends {
			o[k] = int32(e + shift)
			k++
		}
		pos += copy(v[pos:], s.Data[a:ends[len(ends)-1]])
	}
	bitmap, nulls := validity(mem, valid, rows)
	return makeArray(arrow.BinaryTypes.String, rows.n, []*memory.Buffer{bitmap, offs, vals}, nulls), nil
}

// start is where value i of s begins in its arena.
func start(s *columns.Strings, i int) uint32 {
	if i == 0 {
		return 0
	}
	return s.Ends[i-1]
}

// dynamicArray returns rows of d in the Arrow type of its own type; d
// passed checkValues.
func dynamicArray(d *columns.Dynamic, rows *rowRuns, mem memory.Allocator) (arrow.Array, error) {
	var buf *memory.Buffer
	switch d.Type {
	case columns.TypeInt64:
		buf = newBuffer(mem, 8*rows.n)
		gather(arrow.Int64Traits.CastFromBytes(buf.Bytes()), d.Ints, rows)
	case columns.TypeFloat64:
		buf = newBuffer(mem, 8*rows.n)
		gather(arrow.Float64Traits.CastFromBytes(buf.Bytes()), d.Floats, rows)
	case columns.TypeBool:
		buf = newBuffer(mem, int(bitutil.BytesForBits(int64(rows.n))))
		packBools(buf.Bytes(), d.Bools, rows)
	default:
		return utf8Array(&d.Strs, d.Valid, rows, mem)
	}
	bitmap, nulls := validity(mem, d.Valid, rows)
	return makeArray(dynamicType(d.Type), rows.n, []*memory.Buffer{bitmap, buf}, nulls), nil
}

// widenedArray returns rows of d, which passed checkValues, converted to
// type t as Dynamic.WidenTo converts them: BIGINT to DOUBLE, anything to
// its text for VARCHAR. Only a merge of partitions whose columns differ in
// type takes this path.
func widenedArray(d *columns.Dynamic, t columns.Type, rows *rowRuns, mem memory.Allocator) (arrow.Array, error) {
	if columns.Widen(d.Type, t) != t {
		return nil, fmt.Errorf("type %s in the batch does not widen to %s", d.Type, t)
	}
	if t == columns.TypeFloat64 { // from BIGINT
		buf := newBuffer(mem, 8*rows.n)
		f := arrow.Float64Traits.CastFromBytes(buf.Bytes())
		k := 0
		for _, r := range rows.runs {
			for _, v := range d.Ints[r.lo : r.lo+r.n] {
				f[k] = float64(v)
				k++
			}
		}
		bitmap, nulls := validity(mem, d.Valid, rows)
		return makeArray(arrow.PrimitiveTypes.Float64, rows.n, []*memory.Buffer{bitmap, buf}, nulls), nil
	}
	text := columns.Strings{Ends: make([]uint32, 0, rows.n)}
	valid := make([]bool, 0, rows.n)
	for _, r := range rows.runs {
		for i := r.lo; i < r.lo+r.n; i++ {
			if d.Valid[i] {
				text.Data = d.AppendText(text.Data, i)
			}
			if len(text.Data) > maxUTF8Bytes {
				return nil, fmt.Errorf("%d bytes of strings exceed the %d of one utf8 array", len(text.Data), maxUTF8Bytes)
			}
			text.Ends = append(text.Ends, uint32(len(text.Data)))
			valid = append(valid, d.Valid[i])
		}
	}
	all, _ := runsOf(nil, rows.n)
	return utf8Array(&text, valid, all, mem)
}

// nullArray returns n NULLs of a dynamic column of type t.
func nullArray(t columns.Type, n int, mem memory.Allocator) arrow.Array {
	var bitmap *memory.Buffer
	if n > 0 {
		bitmap = zeroBuffer(mem, int(bitutil.BytesForBits(int64(n))))
	}
	switch t {
	case columns.TypeInt64, columns.TypeFloat64:
		return makeArray(dynamicType(t), n, []*memory.Buffer{bitmap, zeroBuffer(mem, 8*n)}, n)
	case columns.TypeBool:
		return makeArray(dynamicType(t), n, []*memory.Buffer{bitmap, zeroBuffer(mem, int(bitutil.BytesForBits(int64(n))))}, n)
	}
	return makeArray(arrow.BinaryTypes.String, n, []*memory.Buffer{bitmap, zeroBuffer(mem, 4*(n+1)), newBuffer(mem, 0)}, n)
}

// zeroBuffer returns an allocator-backed buffer of n zero bytes.
func zeroBuffer(mem memory.Allocator, n int) *memory.Buffer {
	buf := newBuffer(mem, n)
	clear(buf.Bytes())
	return buf
}

// Batch returns the rows of rec, in order, as a new columns.Batch: ts, the
// five core columns (all NULL where rec lacks them) and rec's dynamic
// columns in field order, each of the type its Arrow type stands for
// (int64 BIGINT, float64 DOUBLE, bool BOOLEAN, utf8 VARCHAR). The batch
// holds copies of rec's values: the caller may Release rec once Batch
// returns. A record not of the shape Record makes (no ts, NULLs in ts, a
// column of another type, two columns of one name, buffers inconsistent
// with the array's length) is refused with an error wrapping ErrMalformed
// that names the column; no record makes Batch panic. String bytes are not
// checked to be UTF-8: columns.Strings holds bytes.
func Batch(rec arrow.RecordBatch) (*columns.Batch, error) {
	sch := rec.Schema()
	rows := rec.NumRows()
	if rows < 0 || int64(int(rows)) != rows || sch.NumFields() != int(rec.NumCols()) {
		return nil, fmt.Errorf("%w: %d rows, %d fields and %d columns", ErrMalformed, rows, sch.NumFields(), rec.NumCols())
	}
	n := int(rows)
	out := &columns.Batch{}
	seen := make(map[string]bool, sch.NumFields())
	var dyn []*columns.Dynamic
	for i, f := range sch.Fields() {
		if seen[f.Name] {
			return nil, fmt.Errorf("%w: column %q twice", ErrMalformed, f.Name)
		}
		seen[f.Name] = true
		d, err := decodeColumn(out, f, rec.Column(i), n)
		if err != nil {
			return nil, fmt.Errorf("%w: column %q: %w", ErrMalformed, f.Name, err)
		}
		if d != nil {
			dyn = append(dyn, d)
		}
	}
	if !seen[columns.TS] {
		return nil, fmt.Errorf("%w: no %q column", ErrMalformed, columns.TS)
	}
	for _, name := range columns.CoreNames[1:] {
		if !seen[name] {
			*coreStrings(out, name) = absentStrings(n)
		}
	}
	out.SetDynamic(dyn)
	return out, nil
}

// absentStrings returns n NULLs for a core column the record lacks.
func absentStrings(n int) columns.Strings {
	if n == 0 {
		return columns.Strings{Ends: []uint32{}} // Valid nil: no NULLs
	}
	return columns.Strings{Ends: make([]uint32, n), Valid: make([]bool, n)}
}

// decodeColumn decodes the array of field f, of n rows, into out when it is
// a core column, or else returns it as a dynamic column.
func decodeColumn(out *columns.Batch, f arrow.Field, arr arrow.Array, n int) (*columns.Dynamic, error) {
	if arr == nil {
		return nil, fmt.Errorf("no array")
	}
	data := arr.Data()
	dt := data.DataType()
	switch {
	case !arrow.TypeEqual(dt, f.Type):
		return nil, fmt.Errorf("array of type %s in a field of type %s", dt, f.Type)
	case data.Len() != n || data.Offset() < 0:
		return nil, fmt.Errorf("%d rows at offset %d in a record of %d", data.Len(), data.Offset(), n)
	case f.Name == columns.TS:
		ts, err := tsOf(data)
		out.TS = ts
		return nil, err
	case columns.IsCore(f.Name):
		if dt.ID() != arrow.STRING {
			return nil, fmt.Errorf("type %s, want utf8", dt)
		}
		valid, err := validOf(data)
		if err != nil {
			return nil, err
		}
		s := coreStrings(out, f.Name)
		*s, err = stringsOf(data, valid)
		s.Valid = valid
		return nil, err
	}
	return dynamicOf(f.Name, data)
}

// tsOf returns the timestamps of a ts array.
func tsOf(data arrow.ArrayData) ([]int64, error) {
	if t, ok := data.DataType().(*arrow.TimestampType); !ok || t.Unit != arrow.Microsecond || t.TimeZone != tsTimeZone {
		return nil, fmt.Errorf("type %s, want %s", data.DataType(), tsType)
	}
	valid, err := validOf(data)
	if err != nil {
		return nil, err
	}
	if valid != nil {
		return nil, fmt.Errorf("NULL in row %d", slices.Index(valid, false))
	}
	b, err := fixedValues(data, 8)
	if err != nil {
		return nil, err
	}
	ts := make([]int64, data.Len())
	copy(ts, arrow.Int64Traits.CastFromBytes(b))
	return ts, nil
}

// validOf returns the validity of each row of data, or nil when no row is
// NULL. It checks the bitmap against the array's length and, where the
// array states its NULL count, against that count.
func validOf(data arrow.ArrayData) ([]bool, error) {
	off, n := data.Offset(), data.Len()
	var bits []byte
	if bufs := data.Buffers(); len(bufs) > 0 && bufs[0] != nil {
		bits = bufs[0].Bytes()
	}
	declared := data.NullN() // array.UnknownNullCount (negative) when not stated
	if len(bits) == 0 {
		if declared > 0 {
			return nil, fmt.Errorf("%d NULLs without a validity bitmap", declared)
		}
		return nil, nil
	}
	if int64(len(bits)) < bitutil.BytesForBits(int64(off+n)) {
		return nil, fmt.Errorf("validity bitmap of %d bytes for %d rows at offset %d", len(bits), n, off)
	}
	nulls := n - bitutil.CountSetBits(bits, off, n)
	if declared >= 0 && declared != nulls {
		return nil, fmt.Errorf("%d NULLs stated, %d in the validity bitmap", declared, nulls)
	}
	if nulls == 0 {
		return nil, nil
	}
	valid := make([]bool, n)
	for i := range valid {
		valid[i] = bitutil.BitIsSet(bits, off+i)
	}
	return valid, nil
}

// fixedValues returns the bytes of the values of data, width bytes each.
func fixedValues(data arrow.ArrayData, width int) ([]byte, error) {
	off, n := data.Offset(), data.Len()
	b, err := buffer(data, 1)
	if err != nil {
		return nil, err
	}
	if len(b) < width*(off+n) {
		return nil, fmt.Errorf("values buffer of %d bytes for %d rows at offset %d", len(b), n, off)
	}
	return b[width*off : width*(off+n)], nil
}

// buffer returns the bytes of buffer i of data (nil when absent), or an
// error when data has fewer buffers than its type has.
func buffer(data arrow.ArrayData, i int) ([]byte, error) {
	bufs := data.Buffers()
	if len(bufs) <= i {
		return nil, fmt.Errorf("%d buffers, want %d", len(bufs), i+1)
	}
	if bufs[i] == nil {
		return nil, nil
	}
	return bufs[i].Bytes(), nil
}

// utf8Buffers returns the n+1 offsets and the value bytes of a utf8 array,
// checking that the offsets never decrease and stay within the bytes.
func utf8Buffers(data arrow.ArrayData) ([]int32, []byte, error) {
	off, n := data.Offset(), data.Len()
	ob, err := buffer(data, 1)
	if err != nil {
		return nil, nil, err
	}
	vals, err := buffer(data, 2)
	if err != nil {
		return nil, nil, err
	}
	if n == 0 { // an empty array may come without offsets
		return []int32{0}, nil, nil
	}
	if len(ob) < 4*(off+n+1) {
		return nil, nil, fmt.Errorf("offsets buffer of %d bytes for %d rows at offset %d", len(ob), n, off)
	}
	offs := arrow.Int32Traits.CastFromBytes(ob)[off : off+n+1]
	if offs[0] < 0 {
		return nil, nil, fmt.Errorf("negative offset %d", offs[0])
	}
	for i := 1; i <= n; i++ {
		if offs[i] < offs[i-1] {
			return nil, nil, fmt.Errorf("offset of row %d decreases", i)
		}
	}
	if int(offs[n]) > len(vals) {
		return nil, nil, fmt.Errorf("offsets end at byte %d of %d", offs[n], len(vals))
	}
	return offs, vals, nil
}

// stringsOf returns the values of a utf8 array with validity valid (nil:
// no NULLs), leaving Valid to the caller: core columns keep it in
// Strings.Valid, dynamic ones in Dynamic.Valid. A NULL's range is empty, as
// columns.Strings requires, whatever bytes the array gives it.
func stringsOf(data arrow.ArrayData, valid []bool) (columns.Strings, error) {
	offs, vals, err := utf8Buffers(data)
	if err != nil {
		return columns.Strings{}, err
	}
	n := data.Len()
	s := columns.Strings{Ends: make([]uint32, n)}
	if !nullBytes(offs, valid) { // the common case: one copy
		base := offs[0]
		s.Data = make([]byte, offs[n]-base)
		copy(s.Data, vals[base:offs[n]])
		for i, e := range offs[1:] {
			s.Ends[i] = uint32(e - base)
		}
		return s, nil
	}
	size := 0
	for i, ok := range valid {
		if ok {
			size += int(offs[i+1] - offs[i])
		}
	}
	s.Data = make([]byte, 0, size)
	for i, ok := range valid {
		if ok {
			s.Data = append(s.Data, vals[offs[i]:offs[i+1]]...)
		}
		s.Ends[i] = uint32(len(s.Data))
	}
	return s, nil
}

// nullBytes reports whether a NULL row of valid has a non-empty range.
func nullBytes(offs []int32, valid []bool) bool {
	for i, ok := range valid {
		if !ok && offs[i+1] != offs[i] {
			return true
		}
	}
	return false
}

// dynamicOf decodes the array of a dynamic column; NULL rows hold zero
// values, as in every columns.Dynamic.
func dynamicOf(name string, data arrow.ArrayData) (*columns.Dynamic, error) {
	var t columns.Type
	switch data.DataType().ID() {
	case arrow.INT64:
		t = columns.TypeInt64
	case arrow.FLOAT64:
		t = columns.TypeFloat64
	case arrow.BOOL:
		t = columns.TypeBool
	case arrow.STRING:
		t = columns.TypeString
	default:
		return nil, fmt.Errorf("type %s, want int64, float64, bool or utf8", data.DataType())
	}
	valid, err := validOf(data)
	if err != nil {
		return nil, err
	}
	n := data.Len()
	d := &columns.Dynamic{Name: name, Type: t, Valid: valid}
	if valid == nil {
		d.Valid = make([]bool, n)
		for i := range d.Valid {
			d.Valid[i] = true
		}
	}
	switch t {
	case columns.TypeInt64:
		d.Ints, err = numbersOf(data, d.Valid, arrow.Int64Traits.CastFromBytes)
	case columns.TypeFloat64:
		d.Floats, err = numbersOf(data, d.Valid, arrow.Float64Traits.CastFromBytes)
	case columns.TypeBool:
		d.Bools, err = boolsOf(data, d.Valid)
	default:
		d.Strs, err = stringsOf(data, valid)
	}
	if err != nil {
		return nil, err
	}
	return d, nil
}

// numbersOf returns the values of an int64 or float64 array, zero where
// valid is false.
func numbersOf[T int64 | float64](data arrow.ArrayData, valid []bool, cast func([]byte) []T) ([]T, error) {
	b, err := fixedValues(data, 8)
	if err != nil {
		return nil, err
	}
	v := make([]T, data.Len())
	copy(v, cast(b))
	for i, ok := range valid {
		if !ok {
			v[i] = 0
		}
	}
	return v, nil
}

// boolsOf returns the values of a bool array, false where valid is false.
func boolsOf(data arrow.ArrayData, valid []bool) ([]bool, error) {
	off, n := data.Offset(), data.Len()
	b, err := buffer(data, 1)
	if err != nil {
		return nil, err
	}
	if int64(len(b)) < bitutil.BytesForBits(int64(off+n)) {
		return nil, fmt.Errorf("values bitmap of %d bytes for %d rows at offset %d", len(b), n, off)
	}
	v := make([]bool, n)
	for i := range v {
		v[i] = valid[i] && bitutil.BitIsSet(b, off+i)
	}
	return v, nil
}
