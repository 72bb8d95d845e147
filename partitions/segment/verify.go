package segment

import (
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"os"

	"logq/partitions/columns"
)

// Verify reads the whole segment file at path and checks every checksum in
// it: the trailer, the stats block (whose contents it also checks, as
// ReadStats does), the meta head, every record batch message (and, stats
// version 4, the checksums of its metadata and of each field's range, which
// reads of some columns rely on) and the meta tail. These regions tile the
// file, so every byte is checked. It decodes no
// Arrow data, and it reads the Arrow section in pieces of verifyChunkBytes:
// besides that buffer it holds only the stats block in memory, which
// ReadStats reads whole too.
//
// Damage yields an error wrapping ErrCorrupt that names the file and the
// offset of the damaged region; a file that cannot be read yields the I/O
// error (os.ErrNotExist for a missing file). It never panics on file bytes.
// Safe for concurrent use, also with Readers of the same file.
func Verify(path string) error {
	bad, err := VerifyBatches(path)
	if err == nil && len(bad) > 0 {
		err = bad[0]
	}
	return err
}

// VerifyBatches is Verify telling damage to single record batches apart
// from damage to the file: it checks every region, and returns the batches
// whose block fails its checksum, in order, each a *BatchError, when the
// trailer, the stats block and the meta head and tail are intact (then every
// other batch reads). Damage to any of those, or an I/O error, is err, and
// the list is then nil: no batch of the file can be trusted to read.
func VerifyBatches(path string) ([]*BatchError, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("open segment: %w", err)
	}
	defer f.Close()
	return verifyFile(f, path, make([]byte, verifyChunkBytes))
}

// verifyFile is VerifyBatches on an open file, reading through buf.
func verifyFile(f *os.File, path string, buf []byte) ([]*BatchError, error) {
	if len(buf) == 0 {
		panic("BUG: segment.verifyFile needs a non-empty buffer")
	}
	t, st, blocks, err := readStats(f, path)
	if err != nil {
		return nil, err
	}
	regions, err := arrowRegions(path, t, st, blocks)
	if err != nil {
		return nil, err
	}
	var bad []*BatchError
	for i, g := range regions {
		var parts []part
		if i > 0 && i < len(regions)-1 {
			parts = blockParts(st, blocks[i-1])
		}
		err := verifyRegion(f, path, g, regionName(i, len(regions)), buf, parts)
		switch {
		case err == nil:
		case i > 0 && i < len(regions)-1 && errors.Is(err, ErrCorrupt):
			bad = append(bad, &BatchError{Batch: i - 1, Err: err})
		default:
			return nil, err
		}
	}
	return bad, nil
}

// part is a checksummed piece of a region that tiles it with the others:
// the metadata or a field's range of a record batch message (stats
// version 4).
type part struct {
	name string
	len  int64
	crc  uint32
}

// blockParts returns the parts of a block with per-field checksums, in
// order, or nil.
func blockParts(st *Stats, blk blockInfo) []part {
	if blk.cols == nil {
		return nil
	}
	parts := make([]part, 0, 1+len(blk.cols))
	parts = append(parts, part{name: "message metadata", len: blk.meta, crc: blk.metaCRC})
	for j, c := range blk.cols {
		name := ""
		if j < len(columns.CoreNames) {
			name = columns.CoreNames[j]
		} else {
			name = st.Columns[j-len(columns.CoreNames)].Name
		}
		parts = append(parts, part{name: fmt.Sprintf("column %q", name), len: c.len, crc: c.crc})
	}
	return parts
}

// verifyRegion computes the CRC32C of region g piece by piece through buf
// and compares it with the recorded one, and those of its parts (which tile
// it; nil: none) with theirs.
func verifyRegion(f *os.File, path string, g region, what string, buf []byte, parts []part) error {
	var crc uint32
	pc := partCheck{parts: parts, off: g.off}
	for off, end := g.off, g.off+g.len; off < end; {
		n := min(int64(len(buf)), end-off)
		if _, err := f.ReadAt(buf[:n], off); err != nil {
			if errors.Is(err, io.EOF) { // the file shrank since its size was checked
				return corruptf(path, g.off, "%s of %d bytes truncated", what, g.len)
			}
			return fmt.Errorf("segment %s: read %d bytes at %d: %w", path, n, off, err)
		}
		crc = crc32.Update(crc, castagnoli, buf[:n])
		pc.update(buf[:n])
		off += n
	}
	if crc != g.crc {
		return corruptf(path, g.off, "%s: crc32c %08x of %d bytes, want %08x", what, crc, g.len, g.crc)
	}
	pc.update(nil) // parts of no bytes at the end
	if pc.bad != nil {
		p := pc.bad
		return corruptf(path, pc.badOff, "%s %s: crc32c %08x of %d bytes, want %08x", what, p.name, pc.badCRC, p.len, p.crc)
	}
	return nil
}

// partCheck checksums the parts of a region as its bytes stream by, and
// keeps the first that fails.
type partCheck struct {
	parts  []part
	off    int64  // file offset of the current part
	pos    int64  // bytes of it seen
	crc    uint32 // of those bytes
	bad    *part
	badOff int64
	badCRC uint32
}

// update feeds the next bytes of the region.
func (c *partCheck) update(b []byte) {
	for len(c.parts) > 0 {
		p := &c.parts[0]
		n := min(int64(len(b)), p.len-c.pos)
		c.crc = crc32.Update(c.crc, castagnoli, b[:n])
		c.pos += n
		b = b[n:]
		if c.pos < p.len {
			return // b is consumed
		}
		if c.crc != p.crc && c.bad == nil {
			c.bad, c.badOff, c.badCRC = p, c.off, c.crc
		}
		c.parts, c.off, c.pos, c.crc = c.parts[1:], c.off+p.len, 0, 0
	}
}

// regionName names region i of n (as listed by arrowRegions) for errors.
func regionName(i, n int) string {
	switch i {
	case 0:
		return "arrow meta head"
	case n - 1:
		return "arrow meta tail"
	}
	return fmt.Sprintf("batch %d message", i-1)
}
