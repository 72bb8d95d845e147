package segment

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// arrowBlock is one entry of the Arrow file footer: a message at Offset whose
// metadata (prefix, flatbuffer and padding) takes Meta bytes, followed by
// Body bytes of buffers.
type arrowBlock struct {
	Offset int64
	Meta   int64
	Body   int64
}

// End returns the offset just past the block.
func (b arrowBlock) End() int64 { return b.Offset + b.Meta + b.Body }

// arrowMagic starts and ends an Arrow IPC file.
const arrowMagic = "ARROW1"

// arrowEOS is the end-of-stream marker the Arrow writer puts before the footer.
var arrowEOS = [8]byte{0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0}

// Field numbers of the flatbuffer table Footer (Arrow File.fbs).
const (
	footerFieldDictionaries  = 2
	footerFieldRecordBatches = 3
)

// arrowBlockSize is the size of the flatbuffer struct Block:
// offset int64, metaDataLength int32, 4 bytes padding, bodyLength int64.
const arrowBlockSize = 24

// parseArrowTail parses the tail of an Arrow IPC file, from the end-of-stream
// marker to the closing magic: the footer's dictionary and record batch blocks.
// It verifies the whole footer flatbuffer first (see verifyFooter), so it
// never panics on arbitrary bytes.
func parseArrowTail(tail []byte) (dicts, recs []arrowBlock, err error) {
	fb, err := arrowFooter(tail)
	if err != nil {
		return nil, nil, err
	}
	if dicts, err = footerBlocks(fb, footerFieldDictionaries); err != nil {
		return nil, nil, fmt.Errorf("arrow footer dictionaries: %w", err)
	}
	if recs, err = footerBlocks(fb, footerFieldRecordBatches); err != nil {
		return nil, nil, fmt.Errorf("arrow footer record batches: %w", err)
	}
	return dicts, recs, nil
}

// arrowFooter returns the footer flatbuffer of an Arrow file tail, verified.
func arrowFooter(tail []byte) ([]byte, error) {
	const end = 4 + len(arrowMagic) // footer length + magic
	if len(tail) < len(arrowEOS)+end {
		return nil, fmt.Errorf("arrow tail of %d bytes is too short", len(tail))
	}
	if [8]byte(tail[:8]) != arrowEOS {
		return nil, errors.New("arrow tail does not start with the end-of-stream marker")
	}
	if string(tail[len(tail)-len(arrowMagic):]) != arrowMagic {
		return nil, errors.New("arrow tail does not end with the arrow magic")
	}
	size := int64(binary.LittleEndian.Uint32(tail[len(tail)-end:]))
	if size != int64(len(tail)-len(arrowEOS)-end) {
		return nil, fmt.Errorf("arrow footer length %d does not fill the tail of %d bytes", size, len(tail))
	}
	fb := tail[len(arrowEOS) : len(tail)-end]
	if err := verifyFooter(fb); err != nil {
		return nil, fmt.Errorf("arrow footer: %w", err)
	}
	return fb, nil
}

// footerDictIDs returns, for every field of the schema in the verified
// footer fb, the id of its dictionary (DictionaryEncoding.id), or -1 for a
// field without one: which dictionary message belongs to which field.
func footerDictIDs(fb []byte) ([]int64, error) {
	root, err := fbRoot(fb)
	if err != nil {
		return nil, err
	}
	schema, ok, err := root.sub(1)
	if err != nil || !ok {
		return nil, errors.Join(errFB, err)
	}
	var ids []int64
	err = schema.tables(1, func(f fbTable) error {
		dict, ok, err := f.sub(4)
		if err != nil {
			return err
		}
		id := int64(-1)
		if ok {
			if id = dict.int64At(0); id < 0 {
				return fmt.Errorf("%w: negative dictionary id %d", errFB, id)
			}
		}
		ids = append(ids, id)
		return nil
	})
	return ids, err
}

// footerBlocks decodes the vector of Block structs in field f of the root
// table of the flatbuffer fb. An absent field is an empty vector.
func footerBlocks(fb []byte, f int) ([]arrowBlock, error) {
	le := binary.LittleEndian
	table, err := fbOffset(fb, 0, 0)
	if err != nil {
		return nil, err
	}
	if table+4 > int64(len(fb)) {
		return nil, errors.New("root table out of range")
	}
	vtable := table - int64(int32(le.Uint32(fb[table:])))
	if vtable < 0 || vtable+4 > int64(len(fb)) {
		return nil, errors.New("vtable out of range")
	}
	vsize := int64(le.Uint16(fb[vtable:]))
	slot := int64(4 + 2*f)
	if slot+2 > vsize {
		return nil, nil // field absent
	}
	if vtable+slot+2 > int64(len(fb)) {
		return nil, errors.New("vtable slot out of range")
	}
	field := int64(le.Uint16(fb[vtable+slot:]))
	if field == 0 {
		return nil, nil
	}
	vec, err := fbOffset(fb, table+field, 0)
	if err != nil {
		return nil, err
	}
	return fbBlockVector(fb, vec)
}

// fbOffset follows the uoffset stored at pos, plus add.
func fbOffset(fb []byte, pos, add int64) (int64, error) {
	if pos < 0 || pos+4 > int64(len(fb)) {
		return 0, fmt.Errorf("offset at %d out of range", pos)
	}
	to := pos + int64(binary.LittleEndian.Uint32(fb[pos:])) + add
	if to > int64(len(fb)) {
		return 0, fmt.Errorf("offset at %d points past the buffer", pos)
	}
	return to, nil
}

// fbBlockVector decodes a vector of Block structs starting at vec.
func fbBlockVector(fb []byte, vec int64) ([]arrowBlock, error) {
	le := binary.LittleEndian
	if vec+4 > int64(len(fb)) {
		return nil, errors.New("vector length out of range")
	}
	n := int64(le.Uint32(fb[vec:]))
	if n > (int64(len(fb))-vec-4)/arrowBlockSize {
		return nil, fmt.Errorf("vector of %d blocks overruns the footer", n)
	}
	out := make([]arrowBlock, n)
	for i := range out {
		p := fb[vec+4+int64(i)*arrowBlockSize:]
		out[i] = arrowBlock{
			Offset: int64(le.Uint64(p)),
			Meta:   int64(int32(le.Uint32(p[8:]))),
			Body:   int64(le.Uint64(p[16:])),
		}
		if b := out[i]; b.Offset < 0 || b.Meta < 0 || b.Body < 0 || b.Meta > 1<<40 || b.Body > 1<<50 {
			return nil, fmt.Errorf("block %d has bad extent (%d, %d, %d)", i, b.Offset, b.Meta, b.Body)
		}
	}
	return out, nil
}
