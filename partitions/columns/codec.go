package columns

import (
	"encoding/binary"
	"fmt"
	"math"
	"slices"
	"unsafe"
)

// This file holds the binary encoding of a Batch (version 1), the payload of
// a WAL record. The byte layout is specified in partitions/FORMAT.md, section
// "Batch encoding"; in short, all integers are little-endian and every column
// array is stored as the raw array, so that encoding and decoding are mostly
// memory copies:
//
//	header   "LQCB" | version u8 | flags u8 | rows u32 | dynamic columns u32
//	ts       rows × int64
//	strings  level, service, host, trace_id, message, each a strings block
//	dynamic  per column: name length u16 | name | type u8 | validity bitmap | values
//
// A strings block is flags u8 | arena length u32 | rows × end u32 |
// [validity bitmap when flags bit 0 is set] | arena bytes. Bitmaps are
// LSB-first (bit i of byte i/8 is row i, as in Arrow) and their padding bits
// are zero.

const (
	batchMagic       = "LQCB"
	batchVersion     = 1
	batchHeaderBytes = 14 // magic 4, version 1, flags 1, rows 4, dynamic columns 4
	// stringsHasValid is the strings-block flag saying a validity bitmap follows.
	stringsHasValid = 1 << 0
	// minDynamicBytes is the smallest encoded dynamic column (an empty name and
	// zero rows); it bounds the column count a header may claim.
	minDynamicBytes = 2 + 1
)

// littleEndian reports whether this machine stores integers little-endian. If
// so, column arrays are copied as bytes; otherwise element by element. Tests
// clear it to exercise the portable path.
var littleEndian = binary.NativeEndian.Uint16([]byte{1, 0}) == 1

// AppendBinary appends the binary encoding of b to dst and returns the
// extended slice. It panics if b is inconsistent (columns of unequal length,
// an invalid type, duplicate dynamic column names), which is a programmer
// bug: every Batch built through this package's methods is encodable.
func AppendBinary(dst []byte, b *Batch) []byte {
	checkEncodable(b)
	n := b.Len()
	dst = slices.Grow(dst, binarySize(b))
	dst = append(dst, batchMagic...)
	dst = append(dst, batchVersion, 0)
	dst = binary.LittleEndian.AppendUint32(dst, uint32(n))
	dst = binary.LittleEndian.AppendUint32(dst, uint32(len(b.Dynamic)))
	dst = appendInt64s(dst, b.TS)
	for _, s := range b.CoreStrings() {
		dst = appendStrings(dst, s)
	}
	for _, d := range b.Dynamic {
		dst = binary.LittleEndian.AppendUint16(dst, uint16(len(d.Name)))
		dst = append(dst, d.Name...)
		dst = append(dst, byte(d.Type))
		dst = appendBitmap(dst, d.Valid)
		switch d.Type {
		case TypeInt64:
			dst = appendInt64s(dst, d.Ints)
		case TypeFloat64:
			dst = appendFloat64s(dst, d.Floats)
		case TypeBool:
			dst = appendBitmap(dst, d.Bools)
		default:
			dst = appendStrings(dst, &d.Strs)
		}
	}
	return dst
}

// CoreStrings returns the core string columns in schema order (CoreNames[1:]).
func (b *Batch) CoreStrings() [5]*Strings {
	return [5]*Strings{&b.Level, &b.Service, &b.Host, &b.TraceID, &b.Message}
}

// CoreString returns core string column k of CoreStrings (level is 0,
// message 4) without building the array: row-by-row readers call it per
// value.
func (b *Batch) CoreString(k int) *Strings {
	switch k {
	case 0:
		return &b.Level
	case 1:
		return &b.Service
	case 2:
		return &b.Host
	case 3:
		return &b.TraceID
	}
	return &b.Message
}

// binarySize returns the exact length of b's encoding.
func binarySize(b *Batch) int {
	n := b.Len()
	size := batchHeaderBytes + 8*n
	for _, s := range b.CoreStrings() {
		size += stringsSize(s, n)
	}
	for _, d := range b.Dynamic {
		size += 2 + len(d.Name) + 1 + bitmapBytes(n)
		switch d.Type {
		case TypeInt64, TypeFloat64:
			size += 8 * n
		case TypeBool:
			size += bitmapBytes(n)
		default:
			size += stringsSize(&d.Strs, n)
		}
	}
	return size
}

// stringsSize returns the length of the strings block of s, which has n values.
func stringsSize(s *Strings, n int) int {
	size := 1 + 4 + 4*n + arenaLen(s)
	if s.Valid != nil {
		size += bitmapBytes(n)
	}
	return size
}

// arenaLen returns the number of arena bytes the values of s use.
func arenaLen(s *Strings) int {
	if len(s.Ends) == 0 {
		return 0
	}
	return int(s.Ends[len(s.Ends)-1])
}

func bitmapBytes(n int) int { return (n + 7) / 8 }

// checkEncodable panics unless b has the shape AppendBinary can represent.
func checkEncodable(b *Batch) {
	n := b.Len()
	if uint64(n) > math.MaxUint32 || uint64(len(b.Dynamic)) > math.MaxUint32 {
		panic(fmt.Sprintf("BUG: columns.AppendBinary: batch of %d rows and %d dynamic columns is too large", n, len(b.Dynamic)))
	}
	for i, s := range b.CoreStrings() {
		checkStrings(s, n, CoreNames[i+1])
	}
	for _, d := range b.Dynamic {
		checkDynamic(d, n)
	}
	if name, ok := duplicateName(b.Dynamic); ok {
		panic(fmt.Sprintf("BUG: columns.AppendBinary: dynamic column %q appears twice", name))
	}
}

// checkStrings panics unless s holds n values within its arena.
func checkStrings(s *Strings, n int, col string) {
	if len(s.Ends) != n || (s.Valid != nil && len(s.Valid) != n) || arenaLen(s) > len(s.Data) {
		panic(fmt.Sprintf("BUG: columns.AppendBinary: column %q has %d ends, %d validity flags and %d arena bytes for %d rows",
			col, len(s.Ends), len(s.Valid), len(s.Data), n))
	}
}

// checkDynamic panics unless d is a valid column of n rows.
func checkDynamic(d *Dynamic, n int) {
	if d == nil || !d.Type.Valid() || len(d.Name) > math.MaxUint16 || len(d.Valid) != n {
		panic(fmt.Sprintf("BUG: columns.AppendBinary: invalid dynamic column %+v for %d rows", d, n))
	}
	var values int
	switch d.Type {
	case TypeInt64:
		values = len(d.Ints)
	case TypeFloat64:
		values = len(d.Floats)
	case TypeBool:
		values = len(d.Bools)
	default:
		checkStrings(&d.Strs, n, d.Name)
		values = n
	}
	if values != n {
		panic(fmt.Sprintf("BUG: columns.AppendBinary: dynamic column %q of type %s has %d values for %d rows", d.Name, d.Type, values, n))
	}
}

// duplicateName returns a name that two columns of cols share, if any.
func duplicateName(cols []*Dynamic) (string, bool) {
	if len(cols) <= 16 {
		for i, c := range cols {
			for _, o := range cols[:i] {
				if o.Name == c.Name {
					return c.Name, true
				}
			}
		}
		return "", false
	}
	seen := make(map[string]struct{}, len(cols))
	for _, c := range cols {
		if _, ok := seen[c.Name]; ok {
			return c.Name, true
		}
		seen[c.Name] = struct{}{}
	}
	return "", false
}

// appendStrings appends the strings block of s.
func appendStrings(dst []byte, s *Strings) []byte {
	arena := s.Data[:arenaLen(s)]
	flags := byte(0)
	if s.Valid != nil {
		flags = stringsHasValid
	}
	dst = append(dst, flags)
	dst = binary.LittleEndian.AppendUint32(dst, uint32(len(arena)))
	dst = appendUint32s(dst, s.Ends)
	if s.Valid != nil {
		dst = appendBitmap(dst, s.Valid)
	}
	return append(dst, arena...)
}

// appendBitmap appends v as an LSB-first bitmap with zero padding bits.
func appendBitmap(dst []byte, v []bool) []byte {
	for i := 0; i < len(v); i += 8 {
		var x byte
		for j, ok := range v[i:min(i+8, len(v))] {
			if ok {
				x |= 1 << j
			}
		}
		dst = append(dst, x)
	}
	return dst
}

// asBytes returns the memory of v as bytes, without copying.
func asBytes[T int64 | uint32 | float64](v []T) []byte {
	var zero T
	return unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(v))), len(v)*int(unsafe.Sizeof(zero)))
}

func appendInt64s(dst []byte, v []int64) []byte {
	if littleEndian {
		return append(dst, asBytes(v)...)
	}
	for _, x := range v {
		dst = binary.LittleEndian.AppendUint64(dst, uint64(x))
	}
	return dst
}

func appendFloat64s(dst []byte, v []float64) []byte {
	if littleEndian {
		return append(dst, asBytes(v)...)
	}
	for _, x := range v {
		dst = binary.LittleEndian.AppendUint64(dst, math.Float64bits(x))
	}
	return dst
}

func appendUint32s(dst []byte, v []uint32) []byte {
	if littleEndian {
		return append(dst, asBytes(v)...)
	}
	for _, x := range v {
		dst = binary.LittleEndian.AppendUint32(dst, x)
	}
	return dst
}

// DecodeBatch decodes an encoding made by AppendBinary. The batch copies
// everything it needs, so data may be reused afterwards. Any input that
// AppendBinary cannot have produced (truncation, trailing bytes, an unknown
// version, flag or type, ends that decrease or overrun the arena, set
// bitmap padding bits, duplicate dynamic column names) yields an error
// wrapping ErrCorrupt that gives the byte offset; DecodeBatch never panics
// and allocates at most a small multiple of len(data).
func DecodeBatch(data []byte) (*Batch, error) {
	d := batchDecoder{data: data}
	n, ndyn, err := d.header()
	if err != nil {
		return nil, err
	}
	b := &Batch{}
	p, err := d.takeN(n, 8, "ts")
	if err != nil {
		return nil, err
	}
	b.TS = decodeInt64s(p, n)
	for i, s := range b.CoreStrings() {
		if err := d.strings(s, n, CoreNames[i+1]); err != nil {
			return nil, err
		}
	}
	if b.Dynamic, err = d.dynamics(ndyn, n); err != nil {
		return nil, err
	}
	if d.off != len(data) {
		return nil, d.corruptAt(d.off, "%d trailing bytes", len(data)-d.off)
	}
	return b, nil
}

// batchDecoder reads an encoding front to back; off is the next byte.
type batchDecoder struct {
	data []byte
	off  int
}

// corruptAt returns an ErrCorrupt error for the damage at byte off.
func (d *batchDecoder) corruptAt(off int, format string, args ...any) error {
	return fmt.Errorf("%w: at byte %d: %s", ErrCorrupt, off, fmt.Sprintf(format, args...))
}

// take consumes n bytes, failing when fewer remain.
func (d *batchDecoder) take(n int, what string) ([]byte, error) {
	if n < 0 || n > len(d.data)-d.off {
		return nil, d.corruptAt(d.off, "%s: need %d bytes, %d left", what, n, len(d.data)-d.off)
	}
	p := d.data[d.off : d.off+n : d.off+n]
	d.off += n
	return p, nil
}

// takeN consumes count elements of size bytes, checking the bound before
// multiplying so that a huge count cannot overflow.
func (d *batchDecoder) takeN(count, size int, what string) ([]byte, error) {
	if count < 0 || count > (len(d.data)-d.off)/size {
		return nil, d.corruptAt(d.off, "%s: need %d × %d bytes, %d left", what, count, size, len(d.data)-d.off)
	}
	return d.take(count*size, what)
}

// header reads the batch header and returns the row and dynamic column counts.
func (d *batchDecoder) header() (rows, dynamic int, err error) {
	h, err := d.take(batchHeaderBytes, "header")
	if err != nil {
		return 0, 0, err
	}
	switch {
	case string(h[:4]) != batchMagic:
		return 0, 0, d.corruptAt(0, "bad magic %q", h[:4])
	case h[4] != batchVersion:
		return 0, 0, d.corruptAt(4, "unsupported version %d", h[4])
	case h[5] != 0:
		return 0, 0, d.corruptAt(5, "unknown flags %#x", h[5])
	}
	rows64 := uint64(binary.LittleEndian.Uint32(h[6:]))
	dyn64 := uint64(binary.LittleEndian.Uint32(h[10:]))
	// Every row takes 8 bytes of ts and every dynamic column at least
	// minDynamicBytes, which bounds both counts (and keeps them within int).
	rest := uint64(len(d.data) - d.off)
	if rows64 > rest/8 || dyn64 > rest/minDynamicBytes {
		return 0, 0, d.corruptAt(6, "%d rows and %d dynamic columns cannot fit in %d bytes", rows64, dyn64, rest)
	}
	return int(rows64), int(dyn64), nil
}

// strings reads a strings block of n values into s.
func (d *batchDecoder) strings(s *Strings, n int, col string) error {
	start := d.off
	h, err := d.take(5, "column "+col)
	if err != nil {
		return err
	}
	flags, arena := h[0], binary.LittleEndian.Uint32(h[1:])
	if flags&^stringsHasValid != 0 {
		return d.corruptAt(start, "column %s: unknown flags %#x", col, flags)
	}
	endsOff := d.off
	p, err := d.takeN(n, 4, "column "+col+" ends")
	if err != nil {
		return err
	}
	ends := decodeUint32s(p, n)
	prev := uint32(0)
	for i, e := range ends {
		if e < prev {
			return d.corruptAt(endsOff+4*i, "column %s: end %d of row %d is below the previous end %d", col, e, i, prev)
		}
		prev = e
	}
	if prev != arena {
		return d.corruptAt(start+1, "column %s: arena of %d bytes but values end at %d", col, arena, prev)
	}
	var valid []bool
	if flags&stringsHasValid != 0 {
		if valid, err = d.bitmap(n, "column "+col+" validity"); err != nil {
			return err
		}
	}
	if uint64(arena) > uint64(len(d.data)-d.off) {
		return d.corruptAt(d.off, "column %s: arena of %d bytes, %d left", col, arena, len(d.data)-d.off)
	}
	data, _ := d.take(int(arena), "column "+col+" arena")
	*s = Strings{Data: append([]byte(nil), data...), Ends: ends, Valid: valid}
	return nil
}

// bitmap reads an LSB-first bitmap of n bits, rejecting set padding bits.
func (d *batchDecoder) bitmap(n int, what string) ([]bool, error) {
	p, err := d.take(bitmapBytes(n), what)
	if err != nil {
		return nil, err
	}
	if n%8 != 0 && p[len(p)-1]>>(n%8) != 0 {
		return nil, d.corruptAt(d.off-1, "%s: padding bits set in %#x", what, p[len(p)-1])
	}
	out := make([]bool, n)
	for i := range out {
		out[i] = p[i>>3]>>(i&7)&1 != 0
	}
	return out, nil
}

// dynamics reads count dynamic columns of n rows.
func (d *batchDecoder) dynamics(count, n int) ([]*Dynamic, error) {
	if count == 0 {
		return nil, nil
	}
	start := d.off
	cols := make([]*Dynamic, 0, count)
	for range count {
		c, err := d.dynamic(n)
		if err != nil {
			return nil, err
		}
		cols = append(cols, c)
	}
	if name, ok := duplicateName(cols); ok {
		return nil, d.corruptAt(start, "dynamic column %q appears twice", name)
	}
	return cols, nil
}

// dynamic reads one dynamic column of n rows.
func (d *batchDecoder) dynamic(n int) (*Dynamic, error) {
	h, err := d.take(2, "dynamic column name length")
	if err != nil {
		return nil, err
	}
	name, err := d.take(int(binary.LittleEndian.Uint16(h)), "dynamic column name")
	if err != nil {
		return nil, err
	}
	t, err := d.take(1, "dynamic column type")
	if err != nil {
		return nil, err
	}
	c := &Dynamic{Name: string(name), Type: Type(t[0])}
	if !c.Type.Valid() {
		return nil, d.corruptAt(d.off-1, "dynamic column %q: invalid type %d", c.Name, t[0])
	}
	if c.Valid, err = d.bitmap(n, "dynamic column "+c.Name+" validity"); err != nil {
		return nil, err
	}
	switch c.Type {
	case TypeInt64, TypeFloat64:
		p, err := d.takeN(n, 8, "dynamic column "+c.Name+" values")
		if err != nil {
			return nil, err
		}
		if c.Type == TypeInt64 {
			c.Ints = decodeInt64s(p, n)
		} else {
			c.Floats = decodeFloat64s(p, n)
		}
	case TypeBool:
		c.Bools, err = d.bitmap(n, "dynamic column "+c.Name+" values")
	default:
		err = d.strings(&c.Strs, n, c.Name)
	}
	if err != nil {
		return nil, err
	}
	return c, nil
}

func decodeInt64s(p []byte, n int) []int64 {
	out := make([]int64, n)
	if littleEndian {
		copy(asBytes(out), p)
		return out
	}
	for i := range out {
		out[i] = int64(binary.LittleEndian.Uint64(p[8*i:]))
	}
	return out
}

func decodeFloat64s(p []byte, n int) []float64 {
	out := make([]float64, n)
	if littleEndian {
		copy(asBytes(out), p)
		return out
	}
	for i := range out {
		out[i] = math.Float64frombits(binary.LittleEndian.Uint64(p[8*i:]))
	}
	return out
}

func decodeUint32s(p []byte, n int) []uint32 {
	out := make([]uint32, n)
	if littleEndian {
		copy(asBytes(out), p)
		return out
	}
	for i := range out {
		out[i] = binary.LittleEndian.Uint32(p[4*i:])
	}
	return out
}
