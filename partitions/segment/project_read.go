package segment

import (
	"errors"
	"fmt"
	"hash/crc32"

	"github.com/apache/arrow-go/v18/arrow"
)

// This file reads the pieces of a record batch message that a read of some
// columns needs, in a file whose stats block has a checksum per field
// (version 4): the message metadata and the byte range of each selected
// field, each verified against its own CRC32C before anything parses it.
// The bytes of the other fields are never read, so damage there does not
// fail the read; the scrub and whole reads find it with block_crc.

// piece is a checksummed byte range of one record batch message: its
// metadata (field -1) or the range of a field, off relative to the start
// of the message.
type piece struct {
	field    int
	off, len int64
	crc      uint32
	at       int // where its bytes start in the buffer read (readRuns)
}

// readPieces is readColumns for a read of some fields of batch i, whose
// block has per-field checksums.
func (r *Reader) readPieces(i int, sel []bool, a bufferAlloc) ([]arrow.Array, error) {
	blk := &r.blocks[i]
	g := r.regions[i+1]
	pieces := make([]piece, 1, 8)
	pieces[0] = piece{field: -1, len: blk.meta, crc: blk.metaCRC}
	off := blk.meta
	for j, c := range blk.cols {
		if j == 0 || sel[j] {
			pieces = append(pieces, piece{field: j, off: off, len: c.len, crc: c.crc})
		}
		off += c.len
	}
	buf, err := r.src.readRuns(g.off, pieces)
	if err != nil {
		return nil, batchErr(i, err)
	}
	defer r.src.pool.Put(buf)
	bodies := make([]bodyBytes, len(r.cols))
	for _, p := range pieces {
		b := (*buf)[p.at : p.at+int(p.len)]
		if got := crc32.Checksum(b, castagnoli); got != p.crc {
			return nil, &BatchError{Batch: i, Err: corruptf(r.path, g.off+p.off, "batch %d %s: crc32c %08x of %d bytes, want %08x",
				i, r.pieceName(p), got, p.len, p.crc)}
		}
		if p.field >= 0 {
			bodies[p.field] = bodyBytes{b: b, base: p.off - blk.meta}
		}
	}
	meta := (*buf)[pieces[0].at : pieces[0].at+int(blk.meta)]
	arrs, err := recoverArrow(func() ([]arrow.Array, error) {
		return r.decodeColumns(meta, bodies, i, sel, a)
	})
	if err != nil {
		// The pieces' checksums held, so their bytes are what the writer
		// wrote; they still concern this batch alone.
		return nil, &BatchError{Batch: i, Err: corruptErr(r.path, g.off, fmt.Sprintf("batch %d", i), err)}
	}
	return arrs, nil
}

// pieceName names a piece for errors.
func (r *Reader) pieceName(p piece) string {
	if p.field < 0 {
		return "message metadata"
	}
	return fmt.Sprintf("column %q", r.cols[p.field].name)
}

// batchErr makes a corruption error of batch i a *BatchError, and leaves
// other errors (I/O) as they are.
func batchErr(i int, err error) error {
	if errors.Is(err, ErrCorrupt) {
		return &BatchError{Batch: i, Err: err}
	}
	return err
}
