package segment

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"sync"

	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/pierrec/lz4/v4"
)

// This file reads single buffers out of the body of a verified record batch
// (or dictionary batch) message, which is what lets the reader decompress
// only the columns a query needs: arrow-go's RecordBatchAt decompresses
// every buffer of every column. The message metadata lists one FieldNode
// (length, null_count) per field and a fixed number of Buffers (offset,
// length within the body) per field, in schema order (see bufferCount).
// With LZ4_FRAME compression each buffer is an 8-byte little-endian
// decompressed length, -1 meaning "stored uncompressed", then one LZ4 frame.

// Arrow BodyCompression codecs (Message.fbs); segments use LZ4_FRAME.
const (
	fbCodecLZ4Frame = 0
	fbStructBytes   = 16 // a FieldNode or a Buffer: two int64s
)

// batchLayout is the parsed RecordBatch table of a verified message.
type batchLayout struct {
	rows    int64
	nodes   []byte // FieldNode structs
	buffers []byte // Buffer structs
	lz4     bool   // buffers carry the LZ4 frame prefix
}

// layoutOf reads the RecordBatch table rb, which parseMessage verified.
func layoutOf(rb fbTable) (batchLayout, error) {
	l := batchLayout{rows: rb.int64At(0)}
	for _, v := range []struct {
		field int
		dst   *[]byte
	}{{1, &l.nodes}, {2, &l.buffers}} {
		pos, n, err := rb.vector(v.field, fbStructBytes)
		if err != nil {
			return batchLayout{}, err
		}
		*v.dst = rb.b[pos : pos+int64(n)*fbStructBytes]
	}
	comp, ok, err := rb.sub(3)
	if err != nil {
		return batchLayout{}, err
	}
	if ok {
		// BodyCompression{codec, method}: method 0 is BUFFER, the only one.
		if codec, method := comp.byteAt(0), comp.byteAt(1); codec != fbCodecLZ4Frame || method != 0 {
			return batchLayout{}, fmt.Errorf("body compression (codec %d, method %d) is not LZ4_FRAME per buffer", codec, method)
		}
		l.lz4 = true
	}
	if l.rows < 0 {
		return batchLayout{}, fmt.Errorf("record batch of %d rows", l.rows)
	}
	return l, nil
}

// numNodes returns the number of FieldNodes.
func (l *batchLayout) numNodes() int { return len(l.nodes) / fbStructBytes }

// numBuffers returns the number of Buffers.
func (l *batchLayout) numBuffers() int { return len(l.buffers) / fbStructBytes }

// node returns FieldNode k: its length and null count, both checked to lie
// in [0, rows] (Arrow allows no other for the flat fields segments have).
func (l *batchLayout) node(k int) (length, nulls int, err error) {
	p := l.nodes[k*fbStructBytes:]
	n, z := int64(binary.LittleEndian.Uint64(p)), int64(binary.LittleEndian.Uint64(p[8:]))
	if n != l.rows || z < 0 || z > n {
		return 0, 0, fmt.Errorf("field node %d of %d values and %d NULLs in a batch of %d rows", k, n, z, l.rows)
	}
	return int(n), int(z), nil
}

// fieldStarts returns where the buffers of each field start in a body of
// bodyLen bytes, bufAt giving each field's first buffer (and the total):
// one offset per field, then bodyLen. Arrow writes the buffers in order,
// each padded to 8 bytes, so the buffers of field j lie in [starts[j],
// starts[j+1]); it checks that they do, so that the ranges tile the body.
func (l *batchLayout) fieldStarts(bufAt []int, bodyLen int64) ([]int64, error) {
	nf := len(bufAt) - 1
	if l.numNodes() != nf || l.numBuffers() != bufAt[nf] {
		return nil, fmt.Errorf("message of %d fields and %d buffers, want %d and %d", l.numNodes(), l.numBuffers(), nf, bufAt[nf])
	}
	starts := make([]int64, nf+1)
	starts[nf] = bodyLen
	for j := nf - 1; j >= 0; j-- {
		starts[j], _ = l.bufferSpan(bufAt[j])
		if j == 0 && starts[0] != 0 {
			return nil, fmt.Errorf("first buffer at %d, not 0", starts[0])
		}
		for k := bufAt[j]; k < bufAt[j+1]; k++ {
			off, n := l.bufferSpan(k)
			if off < starts[j] || n < 0 || off > starts[j+1] || n > starts[j+1]-off {
				return nil, fmt.Errorf("buffer %d at [%d, +%d) outside field %d's bytes [%d, %d)", k, off, n, j, starts[j], starts[j+1])
			}
		}
	}
	return starts, nil
}

// storedBuffer is one buffer of a message body as stored: its bytes (after
// the length prefix) and its decoded size.
type storedBuffer struct {
	data       []byte
	size       int
	compressed bool
}

// maxLZ4Ratio bounds what an LZ4 frame can decompress to: LZ4 cannot expand
// more than 255:1, so a buffer that claims more is damaged, and this bounds
// any allocation by the bytes actually read from the file.
const maxLZ4Ratio = 256

// bodyBytes is a verified piece of a message body: the body bytes
// [base, base+len(b)). A read of some columns holds the piece of each field
// it decodes (the field's range, verified by its own checksum); a read of a
// whole block holds the whole body, base 0.
type bodyBytes struct {
	b    []byte
	base int64
}

// bufferSpan returns where Buffer k lies in the body: offset and stored
// length, not yet checked.
func (l *batchLayout) bufferSpan(k int) (off, n int64) {
	p := l.buffers[k*fbStructBytes:]
	return int64(binary.LittleEndian.Uint64(p)), int64(binary.LittleEndian.Uint64(p[8:]))
}

// buffer returns Buffer k as stored, which must lie inside the piece of
// body the caller holds. Its decoded size is at most limit and what its
// stored bytes can decompress to.
func (l *batchLayout) buffer(body bodyBytes, k, limit int) (storedBuffer, error) {
	off, n := l.bufferSpan(k)
	end := body.base + int64(len(body.b))
	if off < body.base || n < 0 || off > end || n > end-off {
		return storedBuffer{}, fmt.Errorf("buffer %d at [%d, +%d) outside the verified body bytes [%d, %d)", k, off, n, body.base, end)
	}
	b := body.b[off-body.base : off-body.base+n]
	if !l.lz4 || n == 0 {
		return storedBuffer{data: b, size: len(b)}, nil
	}
	if n < 8 {
		return storedBuffer{}, fmt.Errorf("compressed buffer %d of %d bytes has no length prefix", k, n)
	}
	size := int64(binary.LittleEndian.Uint64(b))
	if size == -1 {
		return storedBuffer{data: b[8:], size: len(b) - 8}, nil
	}
	if size < 0 || size > int64(limit) || size > maxLZ4Ratio*(n-8)+1024 {
		return storedBuffer{}, fmt.Errorf("buffer %d of %d bytes claims to decompress to %d", k, n, size)
	}
	return storedBuffer{data: b[8:], size: int(size), compressed: true}, nil
}

// decode writes the decoded bytes of sb into dst, which has sb.size bytes.
func (sb storedBuffer) decode(dst []byte) error {
	if !sb.compressed {
		copy(dst, sb.data)
		return nil
	}
	return lz4Decode(dst, sb.data)
}

// lz4State is a pooled LZ4 frame reader with the bytes.Reader it reads;
// lz4.NewReader costs allocations, Reset does not.
type lz4State struct {
	src bytes.Reader
	zr  *lz4.Reader
}

var lz4Pool = sync.Pool{New: func() any {
	s := &lz4State{}
	s.zr = lz4.NewReader(&s.src)
	return s
}}

var errLZ4Size = errors.New("lz4 frame decompresses to more than its declared length")

// lz4Decode decompresses the LZ4 frame src into dst, which it must fill
// exactly.
func lz4Decode(dst, src []byte) (err error) {
	s := lz4Pool.Get().(*lz4State)
	defer func() {
		if p := recover(); p != nil { // not expected of lz4; never trust it on file bytes
			err = fmt.Errorf("lz4 panic: %v", p)
			return // the reader's state is unknown: drop it
		}
		s.src.Reset(nil)
		s.zr.Reset(&s.src)
		lz4Pool.Put(s)
	}()
	s.src.Reset(src)
	s.zr.Reset(&s.src)
	if _, err := io.ReadFull(s.zr, dst); err != nil {
		return fmt.Errorf("lz4: %w", err)
	}
	var one [1]byte
	if n, err := s.zr.Read(one[:]); n != 0 || !errors.Is(err, io.EOF) {
		return errors.Join(errLZ4Size, err)
	}
	return nil
}

// bufferAlloc provides the memory that buffers are decoded into.
type bufferAlloc interface {
	// alloc returns a buffer of n bytes, contents unspecified; the caller
	// fills it and owns one reference.
	alloc(n int) *memory.Buffer
	// own is alloc for the values of utf8 field j, whose bytes the caller
	// may keep past the allocator's life: RowsOf hands them out as they
	// are instead of copying them.
	own(j, n int) *memory.Buffer
}

// memAlloc allocates from an Arrow allocator: for arrays that outlive the
// call (Reader.Batch, the dictionaries).
type memAlloc struct{ mem memory.Allocator }

func (a memAlloc) alloc(n int) *memory.Buffer { return newBuffer(a.mem, n) }

func (a memAlloc) own(_, n int) *memory.Buffer { return newBuffer(a.mem, n) }

// arena hands out pieces of one pooled byte slice: for arrays that only
// live while a call converts them (Reader.RowsOf), so that a batch costs no
// allocation for its decoded Arrow buffers once the pool is warm.
type arena struct {
	b   []byte
	off int
}

var arenaPool = sync.Pool{New: func() any { return new(arena) }}

// arenaAlign keeps every piece 64-byte aligned, as Arrow allocators do.
const arenaAlign = 64

func (a *arena) alloc(n int) *memory.Buffer {
	need := (n + arenaAlign - 1) &^ (arenaAlign - 1)
	if a.off+need > len(a.b) {
		// Pieces handed out keep the old slice alive; the new one is what
		// goes back to the pool.
		a.b, a.off = make([]byte, max(2*len(a.b), need, 1<<16)), 0
	}
	buf := memory.NewBufferBytes(a.b[a.off : a.off+n : a.off+n])
	a.off += need
	return buf
}

// own allocates outside the arena, from the Go heap: the bytes outlive the
// arena's release. Copying a batch's messages out of the arena into a new
// slice cost as much as decompressing them (Q5 at 100M rows: 16% of the
// query in memmove).
func (a *arena) own(_, n int) *memory.Buffer { return memory.NewBufferBytes(make([]byte, n)) }

// scratchAlloc is RowsOfScratch's allocator: the arena for what the read
// converts and drops, the caller's Scratch for the values of the fields
// it marks, fresh memory for the values of the others.
type scratchAlloc struct {
	*arena
	scratch *Scratch
	fields  []bool // by field: values into scratch
}

func (a scratchAlloc) own(j, n int) *memory.Buffer {
	if a.scratch != nil && a.fields[j] {
		return a.scratch.a.alloc(n)
	}
	return a.arena.own(j, n)
}

// Scratch is memory that RowsOfScratch decodes columns into and its caller
// reuses, batch after batch: the batch it returns aliases it for the
// columns marked scratch, which are good only until Reset. A scan reads
// that way the columns only its condition needs when it is too large for
// the batch cache: a day of messages at 100M rows is 840 MB, and new
// memory for every batch cost the query more in page faults and zeroing
// than the decompression did. The zero value is ready to use; a Scratch
// is not safe for concurrent use.
type Scratch struct{ a arena }

// Reset makes the memory of every batch read into s reusable: their
// scratch columns must no longer be read.
func (s *Scratch) Reset() { s.a.off = 0 }

// release returns the arena to the pool; nothing may use its pieces after.
func (a *arena) release() {
	a.off = 0
	arenaPool.Put(a)
}
