package segment

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// This file verifies the Arrow flatbuffers of a segment (the footer and the
// dictionary and record batch messages) before arrow-go parses them.
// arrow-go trusts flatbuffer vector lengths and offsets: a bad length can
// make it allocate without bound, which is a fatal error, not a panic that
// recover could catch. Checksums stop accidental damage; this stops files
// whose checksums were recomputed over crafted bytes. It also restricts the
// schema to the types the writer uses.

// fbTable is a verified flatbuffer table.
type fbTable struct {
	b      []byte
	pos    int    // start of the table
	vtable []byte // the vtable, bounds-checked
	size   int    // size of the table's inline data
}

var errFB = errors.New("malformed flatbuffer")

// fbRoot returns the verified root table of b.
func fbRoot(b []byte) (fbTable, error) {
	if len(b) < 4 {
		return fbTable{}, errFB
	}
	return fbTableAt(b, int64(binary.LittleEndian.Uint32(b)))
}

// fbTableAt verifies the table at pos: its vtable and its inline data lie in
// the buffer and the vtable is well formed.
func fbTableAt(b []byte, pos int64) (fbTable, error) {
	le := binary.LittleEndian
	if pos < 0 || pos+4 > int64(len(b)) {
		return fbTable{}, fmt.Errorf("%w: table at %d out of range", errFB, pos)
	}
	vt := pos - int64(int32(le.Uint32(b[pos:])))
	if vt < 0 || vt+4 > int64(len(b)) {
		return fbTable{}, fmt.Errorf("%w: vtable at %d out of range", errFB, vt)
	}
	vsize, tsize := int64(le.Uint16(b[vt:])), int64(le.Uint16(b[vt+2:]))
	if vsize < 4 || vsize%2 != 0 || vt+vsize > int64(len(b)) || tsize < 4 || pos+tsize > int64(len(b)) {
		return fbTable{}, fmt.Errorf("%w: table at %d has bad sizes", errFB, pos)
	}
	return fbTable{b: b, pos: int(pos), vtable: b[vt : vt+vsize], size: int(tsize)}, nil
}

// field returns the position of field f, 0 when absent, checking that size
// bytes of it lie inside the table.
func (t fbTable) field(f, size int) (int, error) {
	slot := 4 + 2*f
	if slot+2 > len(t.vtable) {
		return 0, nil
	}
	off := int(binary.LittleEndian.Uint16(t.vtable[slot:]))
	if off == 0 {
		return 0, nil
	}
	if off+size > t.size {
		return 0, fmt.Errorf("%w: field %d outside its table", errFB, f)
	}
	return t.pos + off, nil
}

// int64At returns the int64 scalar field f, 0 (the default) when absent;
// scalars must have checked it.
func (t fbTable) int64At(f int) int64 {
	p, err := t.field(f, 8)
	if err != nil || p == 0 {
		return 0
	}
	return int64(binary.LittleEndian.Uint64(t.b[p:]))
}

// byteAt returns the one-byte scalar field f, 0 (the default) when absent;
// scalars must have checked it.
func (t fbTable) byteAt(f int) byte {
	p, err := t.field(f, 1)
	if err != nil || p == 0 {
		return 0
	}
	return t.b[p]
}

// scalars checks that the scalar fields with the given sizes lie inside the
// table.
func (t fbTable) scalars(sizes ...int) error {
	for f, size := range sizes {
		if size == 0 {
			continue
		}
		if _, err := t.field(f, size); err != nil {
			return err
		}
	}
	return nil
}

// target follows the uoffset stored in field f; ok is false when absent.
func (t fbTable) target(f int) (pos int64, ok bool, err error) {
	p, err := t.field(f, 4)
	if err != nil || p == 0 {
		return 0, false, err
	}
	to := int64(p) + int64(binary.LittleEndian.Uint32(t.b[p:]))
	if to+4 > int64(len(t.b)) {
		return 0, false, fmt.Errorf("%w: field %d points past the buffer", errFB, f)
	}
	return to, true, nil
}

// sub returns the table in field f.
func (t fbTable) sub(f int) (fbTable, bool, error) {
	pos, ok, err := t.target(f)
	if !ok || err != nil {
		return fbTable{}, false, err
	}
	sub, err := fbTableAt(t.b, pos)
	return sub, err == nil, err
}

// vector checks the vector in field f, of elements of elem bytes (strings
// are byte vectors with a terminating NUL), and returns its position and
// length.
func (t fbTable) vector(f, elem int) (pos int64, n int, err error) {
	pos, ok, err := t.target(f)
	if !ok || err != nil {
		return 0, 0, err
	}
	length := int64(binary.LittleEndian.Uint32(t.b[pos:]))
	if length > (int64(len(t.b))-pos-4)/int64(elem) {
		return 0, 0, fmt.Errorf("%w: vector of %d elements in field %d overruns the buffer", errFB, length, f)
	}
	return pos + 4, int(length), nil
}

// tables checks the vector of tables in field f, verifying each with check.
func (t fbTable) tables(f int, check func(fbTable) error) error {
	pos, n, err := t.vector(f, 4)
	if err != nil {
		return err
	}
	for i := range n {
		at := pos + 4*int64(i)
		sub, err := fbTableAt(t.b, at+int64(binary.LittleEndian.Uint32(t.b[at:])))
		if err != nil {
			return err
		}
		if err := check(sub); err != nil {
			return err
		}
	}
	return nil
}

// keyValues checks a custom_metadata field: a vector of KeyValue tables.
func (t fbTable) keyValues(f int) error {
	return t.tables(f, func(kv fbTable) error {
		if _, _, err := kv.vector(0, 1); err != nil {
			return err
		}
		_, _, err := kv.vector(1, 1)
		return err
	})
}

// Arrow type union tags (Schema.fbs) that segments use.
const (
	fbTypeInt             = 2
	fbTypeFloatingPoint   = 3
	fbTypeUtf8            = 5
	fbTypeBool            = 6
	fbTypeFixedSizeBinary = 15
)

// verifyFooter checks the Arrow footer flatbuffer: Footer{version, schema,
// dictionaries, recordBatches, custom_metadata}.
func verifyFooter(b []byte) error {
	root, err := fbRoot(b)
	if err != nil {
		return err
	}
	if err := root.scalars(2); err != nil {
		return err
	}
	for _, f := range []int{2, 3} {
		if _, _, err := root.vector(f, arrowBlockSize); err != nil {
			return err
		}
	}
	if err := root.keyValues(4); err != nil {
		return err
	}
	schema, ok, err := root.sub(1)
	if err != nil || !ok {
		return errors.Join(errFB, err)
	}
	return verifySchema(schema)
}

// verifySchema checks Schema{endianness, fields, custom_metadata, features}.
func verifySchema(s fbTable) error {
	if err := s.scalars(2); err != nil {
		return err
	}
	if _, _, err := s.vector(3, 8); err != nil {
		return err
	}
	if err := s.keyValues(2); err != nil {
		return err
	}
	return s.tables(1, verifyField)
}

// verifyField checks Field{name, nullable, type_type, type, dictionary,
// children, custom_metadata}: a flat field of a type segments use.
func verifyField(f fbTable) error {
	if _, _, err := f.vector(0, 1); err != nil {
		return err
	}
	if err := f.scalars(0, 1, 1); err != nil {
		return err
	}
	if _, n, err := f.vector(5, 4); err != nil || n != 0 {
		return errors.Join(fmt.Errorf("%w: nested field", errFB), err)
	}
	if err := f.keyValues(6); err != nil {
		return err
	}
	p, err := f.field(2, 1)
	if err != nil || p == 0 {
		return errors.Join(fmt.Errorf("%w: field without a type", errFB), err)
	}
	typ, ok, err := f.sub(3)
	if err != nil {
		return err
	}
	if ok {
		if err := verifyType(f.b[p], typ); err != nil {
			return err
		}
	}
	dict, ok, err := f.sub(4)
	if err != nil || !ok {
		return err
	}
	// DictionaryEncoding{id, indexType: Int, isOrdered, dictionaryKind}
	if err := dict.scalars(8, 0, 1, 2); err != nil {
		return err
	}
	idx, ok, err := dict.sub(1)
	if err != nil || !ok {
		return errors.Join(fmt.Errorf("%w: dictionary without index type", errFB), err)
	}
	return verifyType(fbTypeInt, idx)
}

// verifyType checks the union table of a field's type.
func verifyType(tag byte, t fbTable) error {
	switch tag {
	case fbTypeInt: // Int{bitWidth: int, is_signed: bool}
		return t.scalars(4, 1)
	case fbTypeFloatingPoint: // FloatingPoint{precision: short}
		return t.scalars(2)
	case fbTypeUtf8, fbTypeBool:
		return nil
	case fbTypeFixedSizeBinary: // FixedSizeBinary{byteWidth: int}
		return t.scalars(4)
	}
	return fmt.Errorf("%w: arrow type %d is not used by segments", errFB, tag)
}

// Arrow message header union tags (Message.fbs).
const (
	fbHeaderDictionaryBatch = 2
	fbHeaderRecordBatch     = 3
)

// verifyMessage checks an encapsulated IPC message as the writer produces
// it: continuation token, metadata length, then Message{version, header,
// bodyLength, custom_metadata} whose header is of type want. meta is the
// block's metadata bytes.
func verifyMessage(meta []byte, want byte) error {
	_, err := parseMessage(meta, want)
	return err
}

// ipcMessage is a verified message's header: its RecordBatch table (for a
// dictionary, the DictionaryBatch's data), and a dictionary's id and
// isDelta flag.
type ipcMessage struct {
	batch  fbTable
	dictID int64
	delta  bool
}

// parseMessage is verifyMessage returning what the reader needs of the
// header.
func parseMessage(meta []byte, want byte) (ipcMessage, error) {
	le := binary.LittleEndian
	if len(meta) < 8 || le.Uint32(meta) != 0xffffffff || int(le.Uint32(meta[4:])) != len(meta)-8 {
		return ipcMessage{}, fmt.Errorf("%w: bad message prefix", errFB)
	}
	msg, err := fbRoot(meta[8:])
	if err != nil {
		return ipcMessage{}, err
	}
	if err := msg.scalars(2, 1, 0, 8); err != nil {
		return ipcMessage{}, err
	}
	if err := msg.keyValues(4); err != nil {
		return ipcMessage{}, err
	}
	p, err := msg.field(1, 1)
	if err != nil || p == 0 || msg.b[p] != want {
		return ipcMessage{}, errors.Join(fmt.Errorf("%w: message is not of header type %d", errFB, want), err)
	}
	hdr, ok, err := msg.sub(2)
	if err != nil || !ok {
		return ipcMessage{}, errors.Join(fmt.Errorf("%w: message without header", errFB), err)
	}
	var m ipcMessage
	if want == fbHeaderDictionaryBatch {
		// DictionaryBatch{id, data: RecordBatch, isDelta}
		if err := hdr.scalars(8, 0, 1); err != nil {
			return ipcMessage{}, err
		}
		m.dictID, m.delta = hdr.int64At(0), hdr.byteAt(2) != 0
		if hdr, ok, err = hdr.sub(1); err != nil || !ok {
			return ipcMessage{}, errors.Join(fmt.Errorf("%w: dictionary batch without data", errFB), err)
		}
	}
	m.batch = hdr
	return m, verifyRecordBatch(hdr)
}

// verifyRecordBatch checks RecordBatch{length, nodes, buffers, compression,
// variadicBufferCounts}.
func verifyRecordBatch(rb fbTable) error {
	if err := rb.scalars(8); err != nil {
		return err
	}
	for f, elem := range map[int]int{1: 16, 2: 16, 4: 8} {
		if _, _, err := rb.vector(f, elem); err != nil {
			return err
		}
	}
	comp, ok, err := rb.sub(3)
	if err != nil || !ok {
		return err
	}
	return comp.scalars(1, 1) // BodyCompression{codec, method}
}
