package segment

import (
	"errors"
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/bitutil"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// This file decodes the columns of a record batch that a read asks for, and
// only those: it parses the batch's verified message itself (body.go) and
// decompresses the buffers of the selected fields, where arrow-go's
// RecordBatchAt would decompress all of them. The arrays it builds pass the
// same validation as before (record_check.go), and the dictionaries come
// from the file's head, decoded once by Open.

// bufferCount returns how many buffers a field of kind k has in a record
// batch message: validity and values, plus offsets for utf8. Dictionary
// fields store their indices like a primitive field.
func bufferCount(k colKind) int {
	if k == kindUTF8 {
		return 3
	}
	return 2
}

// readColumns reads, verifies and validates batch i, decoding the fields
// sel selects and ts (field 0) always; the other entries of the result are
// nil. Decoded buffers come from a. The caller must release the arrays
// (releaseArrays). Damage yields a *BatchError.
//
// A read of every field reads the batch's block whole and verifies its
// checksum. A read of some fields, in a file with per-field checksums
// (stats version 4), reads and verifies the message metadata and the
// selected fields' ranges of the body only (readPieces); in an older file
// it reads the block whole too.
func (r *Reader) readColumns(i int, sel []bool, a bufferAlloc) ([]arrow.Array, error) {
	if r.closed.Load() {
		return nil, ErrClosed
	}
	if i < 0 || i >= len(r.stats.Batches) {
		return nil, fmt.Errorf("segment %s: batch %d out of range [0, %d)", r.path, i, len(r.stats.Batches))
	}
	if r.blocks[i].cols != nil && !allFields(sel) {
		return r.readPieces(i, sel, a)
	}
	g := i + 1 // region of batch i
	if err := r.src.pinRegion(g); err != nil {
		return nil, batchErr(i, err)
	}
	block := r.src.pinned(g)
	meta := r.blocks[i].meta
	bodies := make([]bodyBytes, len(r.cols))
	var start int64
	for j := range bodies {
		bodies[j] = bodyBytes{b: block[meta:]}
		if cols := r.blocks[i].cols; cols != nil {
			// Hold the file to its field ranges on this path too, so
			// that a block reads whole exactly when its fields read
			// one by one (checkStats made the ranges tile the body).
			bodies[j] = bodyBytes{b: block[meta+start : meta+start+cols[j].len], base: start}
			start += cols[j].len
		}
	}
	arrs, err := recoverArrow(func() ([]arrow.Array, error) {
		return r.decodeColumns(block[:meta], bodies, i, sel, a)
	})
	r.src.unpin(g)
	if err != nil {
		// The block's checksum held, so its bytes are what the writer
		// wrote; they still concern this batch alone.
		return nil, &BatchError{Batch: i, Err: corruptErr(r.path, r.regions[g].off, fmt.Sprintf("batch %d", i), err)}
	}
	return arrs, nil
}

// allFields reports whether sel selects every field but ts, which every
// read decodes.
func allFields(sel []bool) bool {
	for _, ok := range sel[1:] {
		if !ok {
			return false
		}
	}
	return true
}

// decodeColumns is readColumns on the verified metadata of batch i's
// message and the verified body bytes of each field it decodes (bodies, by
// field). On error it releases what it decoded (unless a panic cuts it
// short).
func (r *Reader) decodeColumns(meta []byte, bodies []bodyBytes, i int, sel []bool, a bufferAlloc) (arrs []arrow.Array, err error) {
	msg, err := parseMessage(meta, fbHeaderRecordBatch)
	if err != nil {
		return nil, err
	}
	l, err := layoutOf(msg.batch)
	if err != nil {
		return nil, err
	}
	bs := &r.stats.Batches[i]
	if l.rows != int64(bs.Rows) || l.numNodes() != len(r.cols) || l.numBuffers() != r.bufAt[len(r.cols)] {
		return nil, fmt.Errorf("record of %d rows, %d fields and %d buffers, want %d, %d and %d",
			l.rows, l.numNodes(), l.numBuffers(), bs.Rows, len(r.cols), r.bufAt[len(r.cols)])
	}
	body := batchBody{batchLayout: l, limit: r.maxBuf, alloc: a}
	arrs = make([]arrow.Array, len(r.cols))
	defer func() {
		if err != nil {
			releaseArrays(arrs)
			arrs = nil
		}
	}()
	for j := range r.cols {
		if j > 0 && !sel[j] {
			continue
		}
		c := &r.cols[j]
		if arrs[j], err = body.array(bodies[j], j, r.bufAt[j], c, r.dicts[j]); err == nil {
			err = checkArray(c, arrs[j], bs.Rows)
		}
		if err != nil {
			return nil, fmt.Errorf("column %q: %w", c.name, err)
		}
	}
	return arrs, checkTS(arrs[0], bs)
}

// batchBody decodes single fields of one message body.
type batchBody struct {
	batchLayout
	limit int // bound on any decoded buffer (Reader.maxBuf)
	alloc bufferAlloc
}

// array decodes field j, whose buffers start at buffer first and lie in
// body, as the physical array of c (a dictionary array over dict for
// kindDict). It checks that every buffer is large enough for the field's
// length; the caller validates the rest (checkArray).
func (b *batchBody) array(body bodyBytes, j, first int, c *physCol, dict arrow.Array) (arrow.Array, error) {
	n, nulls, err := b.node(j)
	if err != nil {
		return nil, err
	}
	dt := c.phys
	if c.kind == kindDict {
		if dict == nil {
			return nil, errors.New("dictionary field without a dictionary")
		}
		dt = c.phys.(*arrow.DictionaryType).IndexType
	}
	bufs := make([]*memory.Buffer, bufferCount(c.kind))
	for k := range bufs {
		if k == 0 && nulls == 0 {
			continue // as in Arrow: a bitmap without NULLs is ignored
		}
		alloc := b.alloc.alloc
		if c.kind == kindUTF8 && k == 2 {
			// The values, which RowsOf keeps.
			alloc = func(size int) *memory.Buffer { return b.alloc.own(j, size) }
		}
		if bufs[k], err = b.decodeBuffer(body, first+k, minBufferBytes(dt, k, n), alloc); err != nil {
			memory.ReleaseBuffers(bufs)
			return nil, fmt.Errorf("buffer %d: %w", k, err)
		}
	}
	arr := makeArray(dt, n, bufs, nulls)
	if c.kind != kindDict {
		return arr, nil
	}
	defer arr.Release()
	return array.NewDictionaryArray(c.phys, arr, dict), nil
}

// decodeBuffer decodes buffer k, which must lie in body and hold at least
// need bytes, into memory from alloc.
func (b *batchBody) decodeBuffer(body bodyBytes, k, need int, alloc func(int) *memory.Buffer) (*memory.Buffer, error) {
	sb, err := b.buffer(body, k, b.limit)
	if err != nil {
		return nil, err
	}
	if sb.size < need {
		return nil, fmt.Errorf("%d bytes, want at least %d", sb.size, need)
	}
	if sb.size == 0 {
		return memory.NewBufferBytes(nil), nil // as Arrow reads an empty buffer
	}
	buf := alloc(sb.size)
	if err := sb.decode(buf.Bytes()); err != nil {
		buf.Release()
		return nil, err
	}
	return buf, nil
}

// minBufferBytes is the least size of buffer k of an array of type dt
// (utf8, or fixed width) and n rows: the validity bitmap, the values or
// the offsets. The utf8 data buffer has no minimum; checkArray compares
// it with the offsets.
func minBufferBytes(dt arrow.DataType, k, n int) int {
	switch {
	case k == 0:
		return int(bitutil.BytesForBits(int64(n)))
	case dt.ID() == arrow.STRING:
		if k == 1 && n > 0 {
			return 4 * (n + 1)
		}
		return 0
	}
	return int(bitutil.BytesForBits(int64(dt.(arrow.FixedWidthDataType).BitWidth()) * int64(n)))
}

// releaseArrays releases the non-nil arrays of arrs.
func releaseArrays(arrs []arrow.Array) {
	for _, a := range arrs {
		if a != nil {
			a.Release()
		}
	}
}

// loadDicts decodes the dictionary messages of the pinned head, blocks as
// listed by the footer, into r.dicts, matching them to the fields by the
// dictionary ids of the footer's schema (ids, per field, -1 for none).
// Every dictionary field must have exactly one, and no delta.
func (r *Reader) loadDicts(blocks []arrowBlock, ids []int64) (err error) {
	if len(ids) != len(r.cols) {
		return corruptf(r.path, 0, "footer schema of %d fields, want %d", len(ids), len(r.cols))
	}
	byID := make(map[int64]int, len(blocks))
	for j, id := range ids {
		if _, dup := byID[id]; (id >= 0) != (r.cols[j].kind == kindDict) || dup {
			return corruptf(r.path, 0, "field %q has dictionary id %d", r.cols[j].name, id)
		}
		if id >= 0 {
			byID[id] = j
		}
	}
	r.dicts = make([]arrow.Array, len(r.cols))
	defer func() {
		if p := recover(); p != nil {
			err = corruptf(r.path, 0, "arrow dictionaries: decoder panic: %v", p)
		}
		if err != nil {
			releaseArrays(r.dicts)
			r.dicts = nil
		}
	}()
	head := r.src.pinned(0)
	for k, b := range blocks {
		arr, id, err := r.decodeDict(head[b.Offset:b.End()], b.Meta)
		if err != nil {
			return corruptErr(r.path, b.Offset, fmt.Sprintf("arrow dictionary %d", k), err)
		}
		j, ok := byID[id]
		if !ok || r.dicts[j] != nil {
			arr.Release()
			return corruptf(r.path, b.Offset, "arrow dictionary %d has id %d, of no field or of one already seen", k, id)
		}
		r.dicts[j] = arr
	}
	for j, c := range r.cols {
		if c.kind == kindDict && r.dicts[j] == nil {
			return corruptf(r.path, 0, "no dictionary for field %q", c.name)
		}
	}
	return nil
}

// dictCol describes the values of a dictionary: utf8.
var dictCol = physCol{name: "dictionary", kind: kindUTF8, phys: arrow.BinaryTypes.String}

// decodeDict decodes a verified dictionary message of meta metadata bytes,
// and returns its values, to release, and its id.
func (r *Reader) decodeDict(block []byte, meta int64) (arrow.Array, int64, error) {
	msg, err := parseMessage(block[:meta], fbHeaderDictionaryBatch)
	if err != nil {
		return nil, 0, err
	}
	if msg.delta {
		return nil, 0, errors.New("delta dictionary")
	}
	l, err := layoutOf(msg.batch)
	if err != nil {
		return nil, 0, err
	}
	if l.numNodes() != 1 || l.numBuffers() != bufferCount(kindUTF8) {
		return nil, 0, fmt.Errorf("dictionary of %d fields and %d buffers", l.numNodes(), l.numBuffers())
	}
	body := batchBody{batchLayout: l, limit: r.maxBuf, alloc: memAlloc{r.mem}}
	arr, err := body.array(bodyBytes{b: block[meta:]}, 0, 0, &dictCol, nil)
	if err != nil {
		return nil, 0, err
	}
	if err = array.Validate(arr); err == nil {
		err = checkOffsets(arr.(*array.String))
	}
	if err != nil {
		arr.Release()
		return nil, 0, err
	}
	return arr, msg.dictID, nil
}
