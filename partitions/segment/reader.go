package segment

import (
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"sync/atomic"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/ipc"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// Option configures Open.
type Option func(*openConfig)

// openConfig is the configuration Open builds from its options.
type openConfig struct {
	mem memory.Allocator
}

// WithAllocator sets the allocator of the Arrow buffers the reader returns;
// memory.DefaultAllocator by default.
func WithAllocator(mem memory.Allocator) Option {
	return func(c *openConfig) { c.mem = mem }
}

// Reader reads one segment file. It keeps the file open, the statistics and
// the Arrow schema and dictionaries in memory, and nothing else: every call
// that reads a batch reads what it needs from the file (the page cache is
// the cache) and verifies it again, so no call ever decodes bytes that were
// not checked just before. A read decompresses only the buffers of the
// columns it asks for (project.go), not the whole record batch as arrow-go's
// RecordBatchAt does; in a file with per-field checksums it reads and
// verifies only those fields' bytes and the message metadata
// (project_read.go), else the batch's whole block.
//
// Its methods are safe for concurrent use by several goroutines, except
// Close, which must not race with the others: the caller (partitions.Segment
// reference counting) closes a reader only once nobody uses it.
type Reader struct {
	path    string
	f       *os.File
	stats   *Stats
	blocks  []blockInfo // per batch, from the stats block
	regions []region    // head, one per batch, tail
	src     *source
	cols    []physCol      // per Arrow field, how to decode it
	bufAt   []int          // per Arrow field, its first buffer in a message; then the total
	dicts   []arrow.Array  // per Arrow field, its dictionary (kindDict) or nil
	byName  map[string]int // column name -> field index
	mem     memory.Allocator
	maxBuf  int // largest Arrow buffer a batch of this file may need
	closed  atomic.Bool
}

// Open opens the segment file at path. It reads and verifies the trailer,
// the stats block and the Arrow meta regions (schema, dictionaries, footer),
// and no record batch. Damage yields an error wrapping ErrCorrupt; a file
// that cannot be read yields the I/O error.
func Open(path string, opts ...Option) (r *Reader, err error) {
	cfg := openConfig{mem: memory.DefaultAllocator}
	for _, o := range opts {
		o(&cfg)
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("open segment: %w", err)
	}
	defer func() {
		if err != nil {
			_ = f.Close()
		}
	}()
	t, st, blocks, err := readStats(f, path)
	if err != nil {
		return nil, err
	}
	r = &Reader{path: path, f: f, stats: st, mem: cfg.mem, blocks: blocks}
	if r.regions, err = arrowRegions(path, t, st, blocks); err != nil {
		return nil, err
	}
	r.src = newSource(f, path, int64(t.arrowLen), r.regions)
	if err := r.openArrow(); err != nil {
		return nil, err
	}
	return r, nil
}

// ReadStats reads and verifies only the trailer and the stats block of the
// segment file at path: what the catalog loads for every segment at start-up.
func ReadStats(path string) (*Stats, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("open segment: %w", err)
	}
	defer f.Close()
	_, st, _, err := readStats(f, path)
	return st, err
}

// readStats reads the trailer and the stats block of f and checks them.
func readStats(f *os.File, path string) (*trailer, *Stats, []blockInfo, error) {
	fi, err := f.Stat()
	if err != nil {
		return nil, nil, nil, fmt.Errorf("segment %s: %w", path, err)
	}
	size := fi.Size()
	if size < trailerSize {
		return nil, nil, nil, corruptf(path, 0, "file of %d bytes is shorter than a trailer", size)
	}
	tb, err := readFull(f, path, size-trailerSize, trailerSize)
	if err != nil {
		return nil, nil, nil, err
	}
	t, err := decodeTrailer(path, tb, size)
	if err != nil {
		return nil, nil, nil, err
	}
	sb, err := readFull(f, path, int64(t.arrowLen), int64(t.statsLen))
	if err != nil {
		return nil, nil, nil, err
	}
	if got := crc32.Checksum(sb, castagnoli); got != t.statsCRC {
		return nil, nil, nil, corruptf(path, int64(t.arrowLen), "stats block crc32c %08x, want %08x", got, t.statsCRC)
	}
	st, blocks, err := decodeStats(sb)
	if err == nil {
		err = checkStats(st, blocks)
	}
	if err == nil && (len(st.Batches) != int(t.batches) || st.CompressedBytes != int64(t.arrowLen)) {
		err = fmt.Errorf("stats (%d batches, %d arrow bytes) disagree with the trailer", len(st.Batches), st.CompressedBytes)
	}
	if err != nil {
		return nil, nil, nil, corruptErr(path, int64(t.arrowLen), "stats block", err)
	}
	return t, st, blocks, nil
}

// readFull reads n bytes at off; a short file is corruption.
func readFull(f *os.File, path string, off, n int64) ([]byte, error) {
	b := make([]byte, n)
	if _, err := f.ReadAt(b, off); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, corruptf(path, off, "file truncated")
		}
		return nil, fmt.Errorf("segment %s: read %d bytes at %d: %w", path, n, off, err)
	}
	return b, nil
}

// arrowRegions returns the checksummed regions of the Arrow section: head,
// the record batch messages in order, tail. They must tile the section.
func arrowRegions(path string, t *trailer, st *Stats, blocks []blockInfo) ([]region, error) {
	regions := make([]region, 0, len(blocks)+2)
	regions = append(regions, region{off: 0, len: int64(t.headLen), crc: t.headCRC})
	off := int64(t.headLen)
	for i, b := range blocks {
		n := b.meta + st.Batches[i].CompressedBytes
		if n <= 0 || n > int64(t.tailOff)-off {
			return nil, corruptf(path, off, "batch %d block of %d bytes overruns the arrow tail at %d", i, n, t.tailOff)
		}
		regions = append(regions, region{off: off, len: n, crc: b.crc})
		off += n
	}
	if off != int64(t.tailOff) {
		return nil, corruptf(path, off, "batch blocks end at %d, arrow tail starts at %d", off, t.tailOff)
	}
	return append(regions, region{off: off, len: int64(t.arrowLen - t.tailOff), crc: t.tailCRC}), nil
}

// openArrow verifies the meta regions, reads the schema with arrow-go and
// checks it against the statistics, and decodes the dictionaries, which
// every batch then shares.
func (r *Reader) openArrow() error {
	r.maxBuf = maxBufferBytes(r.stats, r.regions)
	head, tail := 0, len(r.regions)-1
	if err := r.src.pinRegion(head); err != nil {
		return err
	}
	defer r.src.unpin(head)
	if err := r.src.pinRegion(tail); err != nil {
		return err
	}
	defer r.src.unpin(tail)
	dicts, ids, err := r.checkFooter()
	if err != nil {
		return err
	}
	alloc := &cappedAllocator{mem: r.mem, max: r.maxBuf}
	fr, err := recoverArrow(func() (*ipc.FileReader, error) {
		return ipc.NewFileReader(r.src, ipc.WithAllocator(alloc), ipc.WithFooterOffset(r.src.size))
	})
	if err != nil {
		return corruptErr(r.path, 0, "arrow file", err)
	}
	defer fr.Close()
	if err := r.checkSchema(fr); err != nil {
		return err
	}
	return r.loadDicts(dicts, ids)
}

// checkFooter verifies the Arrow footer and the dictionary messages, and
// compares the footer's blocks with the stats block's: batch i must be read
// exactly from region i+1, and dictionaries from the head. It returns the
// dictionary blocks and, per schema field, the id of its dictionary (-1:
// none). The head and tail regions must be pinned.
func (r *Reader) checkFooter() ([]arrowBlock, []int64, error) {
	tail := r.regions[len(r.regions)-1]
	dicts, recs, err := parseArrowTail(r.src.pinned(len(r.regions) - 1))
	var ids []int64
	if err == nil {
		var fb []byte
		if fb, err = arrowFooter(r.src.pinned(len(r.regions) - 1)); err == nil {
			ids, err = footerDictIDs(fb)
		}
	}
	if err != nil {
		return nil, nil, corruptErr(r.path, tail.off, "arrow footer", err)
	}
	if len(recs) != len(r.regions)-2 {
		return nil, nil, corruptf(r.path, tail.off, "arrow footer lists %d record batches, stats %d", len(recs), len(r.regions)-2)
	}
	for i, b := range recs {
		g := r.regions[i+1]
		if b.Offset != g.off || b.Meta+b.Body != g.len || b.Body != r.stats.Batches[i].CompressedBytes {
			return nil, nil, corruptf(r.path, tail.off, "arrow footer block %d (%d, %d, %d) disagrees with the stats block", i, b.Offset, b.Meta, b.Body)
		}
	}
	head := r.src.pinned(0)
	for i, b := range dicts {
		if b.Offset < 8 || b.End() > r.regions[0].len {
			return nil, nil, corruptf(r.path, tail.off, "arrow dictionary %d at [%d, %d) outside the head", i, b.Offset, b.End())
		}
		if err := verifyMessage(head[b.Offset:b.Offset+b.Meta], fbHeaderDictionaryBatch); err != nil {
			return nil, nil, corruptErr(r.path, b.Offset, fmt.Sprintf("arrow dictionary %d", i), err)
		}
	}
	return dicts, ids, nil
}

// checkSchema validates the Arrow schema against the statistics.
func (r *Reader) checkSchema(fr *ipc.FileReader) error {
	if n := fr.NumRecords(); n != len(r.stats.Batches) {
		return corruptf(r.path, 0, "arrow file has %d record batches, stats %d", n, len(r.stats.Batches))
	}
	cols, err := physColumns(fr.Schema(), r.stats)
	if err != nil {
		return corruptErr(r.path, 0, "arrow schema", err)
	}
	r.cols = cols
	r.byName = make(map[string]int, len(cols))
	r.bufAt = make([]int, len(cols)+1)
	for i, c := range cols {
		r.byName[c.name] = i
		r.bufAt[i+1] = r.bufAt[i] + bufferCount(c.kind)
	}
	return nil
}

// Stats returns the segment's statistics. The caller must not modify them.
func (r *Reader) Stats() *Stats { return r.stats }

// NumBatches returns the number of record batches.
func (r *Reader) NumBatches() int { return len(r.stats.Batches) }

// Path returns the file the reader reads.
func (r *Reader) Path() string { return r.path }

// Close releases the file and the dictionaries (batches already returned
// keep their own references). It is idempotent; calls after the first
// return nil.
func (r *Reader) Close() error {
	if r.closed.Swap(true) {
		return nil
	}
	releaseArrays(r.dicts)
	return r.f.Close()
}

// recoverArrow calls fn, turning a panic inside arrow-go (which it may raise
// on malformed flatbuffers or buffers) into an error.
func recoverArrow[T any](fn func() (T, error)) (v T, err error) {
	defer func() {
		if p := recover(); p != nil {
			var zero T
			v, err = zero, fmt.Errorf("arrow reader panic: %v", p)
		}
	}()
	return fn()
}

// cappedAllocator refuses (by panicking, which recoverArrow turns into an
// error) any single allocation larger than a file can legitimately need, so
// that a damaged length cannot make the Arrow reader allocate gigabytes.
type cappedAllocator struct {
	mem memory.Allocator
	max int
}

var errAllocCap = errors.New("allocation beyond the segment's raw size")

// Allocate implements memory.Allocator.
func (a *cappedAllocator) Allocate(n int) []byte {
	if n < 0 || n > a.max {
		panic(errAllocCap)
	}
	return a.mem.Allocate(n)
}

// Reallocate implements memory.Allocator.
func (a *cappedAllocator) Reallocate(n int, b []byte) []byte {
	if n < 0 || n > a.max {
		panic(errAllocCap)
	}
	return a.mem.Reallocate(n, b)
}

// Free implements memory.Allocator.
func (a *cappedAllocator) Free(b []byte) { a.mem.Free(b) }

// maxBufferBytes bounds the size of any single Arrow buffer of the file.
// A decoded buffer is at most the segment's raw bytes, and at most 256 times
// the message it is decompressed from (LZ4 cannot compress more than 255:1);
// a message read is at most its region.
func maxBufferBytes(st *Stats, regions []region) int {
	var largest int64
	for _, g := range regions {
		largest = max(largest, g.len)
	}
	const slack = 1 << 10 // alignment and padding
	return int(max(largest, min(st.RawBytes, 256*largest)) + slack)
}
