package segment

import (
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"os"
)

// Verify reads the whole segment file at path and checks every checksum in
// it: the trailer, the stats block (whose contents it also checks, as
// ReadStats does), the meta head, every record batch message and the meta
// tail. These regions tile the file, so every byte is checked. It decodes no
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
		err := verifyRegion(f, path, g, regionName(i, len(regions)), buf)
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

// verifyRegion computes the CRC32C of region g piece by piece through buf
// and compares it with the recorded one.
func verifyRegion(f *os.File, path string, g region, what string, buf []byte) error {
	var crc uint32
	for off, end := g.off, g.off+g.len; off < end; {
		n := min(int64(len(buf)), end-off)
		if _, err := f.ReadAt(buf[:n], off); err != nil {
			if errors.Is(err, io.EOF) { // the file shrank since its size was checked
				return corruptf(path, g.off, "%s of %d bytes truncated", what, g.len)
			}
			return fmt.Errorf("segment %s: read %d bytes at %d: %w", path, n, off, err)
		}
		crc = crc32.Update(crc, castagnoli, buf[:n])
		off += n
	}
	if crc != g.crc {
		return corruptf(path, g.off, "%s: crc32c %08x of %d bytes, want %08x", what, crc, g.len, g.crc)
	}
	return nil
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
