package segment

import (
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"sort"
	"sync"
	"sync/atomic"
)

// region is a checksummed byte range of the Arrow section: the meta head,
// one record batch message, or the meta tail.
type region struct {
	off, len int64
	crc      uint32
}

// source holds the verified regions of the Arrow section: the reader
// decodes record batches from the bytes of a pinned region (pinned), and
// the Arrow file reader that Open uses for the schema reads through it as
// an io.ReaderAt (and io.Seeker). It serves bytes only from pinned regions:
// a region is pinned by reading it whole into memory and verifying its
// CRC32C, so every byte that is decoded has been checked, and is the very
// byte that was checked (no second read from the file after verification).
// A read outside pinned regions fails with ErrCorrupt.
//
// Reads of some columns do not pin: readRuns reads the pieces of a message
// they need into a buffer of their own, which the caller verifies piece by
// piece before decoding (project_read.go).
//
// Pins are reference counted so that concurrent reads of one batch share one
// verified buffer; the buffer returns to a pool when the last pin goes.
type source struct {
	f       *os.File
	path    string
	size    int64    // length of the Arrow section
	regions []region // sorted by offset, contiguous from 0 to size

	mu struct {
		sync.Mutex
		pins []*pin // parallel to regions; nil when not pinned
	}
	pool sync.Pool // of *[]byte

	// bytesRead counts the bytes read from the file through the source,
	// for tests that check what a read reads.
	bytesRead atomic.Int64
}

// pin is a verified region held in memory, with the number of callers
// using it.
type pin struct {
	buf  *[]byte
	refs int
}

// newSource returns a source over the Arrow section of f, made of regions.
func newSource(f *os.File, path string, size int64, regions []region) *source {
	s := &source{f: f, path: path, size: size, regions: regions}
	s.mu.pins = make([]*pin, len(regions))
	return s
}

// pinRegion verifies region i, unless it is pinned already, and holds it in
// memory until unpin. Safe for concurrent use.
func (s *source) pinRegion(i int) error {
	s.mu.Lock()
	if p := s.mu.pins[i]; p != nil {
		p.refs++
		s.mu.Unlock()
		return nil
	}
	s.mu.Unlock()
	buf, err := s.load(s.regions[i])
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if p := s.mu.pins[i]; p != nil { // another reader won the race
		p.refs++
		s.pool.Put(buf)
		return nil
	}
	s.mu.pins[i] = &pin{buf: buf, refs: 1}
	return nil
}

// unpin drops a reference taken by pinRegion.
func (s *source) unpin(i int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p := s.mu.pins[i]
	if p == nil || p.refs <= 0 {
		panic("BUG: segment: unpin of a region that is not pinned")
	}
	if p.refs--; p.refs == 0 {
		s.pool.Put(p.buf)
		s.mu.pins[i] = nil
	}
}

// pinned returns the verified bytes of region i, which the caller has
// pinned; they are valid until it unpins the region.
func (s *source) pinned(i int) []byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	return *s.mu.pins[i].buf
}

// load reads region r into a pooled buffer and verifies its checksum.
func (s *source) load(r region) (*[]byte, error) {
	buf := s.buffer(r.len)
	if err := s.readAt(*buf, r.off); err != nil {
		s.pool.Put(buf)
		return nil, err
	}
	if got := crc32.Checksum(*buf, castagnoli); got != r.crc {
		s.pool.Put(buf)
		return nil, corruptf(s.path, r.off, "crc32c %08x of %d bytes, want %08x", got, r.len, r.crc)
	}
	return buf, nil
}

// buffer returns a pooled buffer of n bytes, to go back to s.pool.
func (s *source) buffer(n int64) *[]byte {
	buf, _ := s.pool.Get().(*[]byte)
	if buf == nil {
		buf = new([]byte)
	}
	if int64(cap(*buf)) < n {
		*buf = make([]byte, n)
	}
	*buf = (*buf)[:n]
	return buf
}

// readRuns reads the pieces of the record batch message at base, which
// are in file order and do not overlap, into a pooled buffer that the
// caller puts back in s.pool, and sets each piece's at to where its bytes
// start in it. It does not verify them. Pieces less than
// coalesceGapBytes apart are read with one pread, the bytes between them
// included (and never used); the others with one each.
func (s *source) readRuns(base int64, pieces []piece) (*[]byte, error) {
	type run struct{ from, to int64 }
	runs := make([]run, 0, len(pieces))
	var total int64
	for k, p := range pieces {
		if n := len(runs); k > 0 && p.off-runs[n-1].to <= coalesceGapBytes {
			total += p.off + p.len - runs[n-1].to
			runs[n-1].to = p.off + p.len
		} else {
			total += p.len
			runs = append(runs, run{p.off, p.off + p.len})
		}
		pieces[k].at = int(total - p.len)
	}
	buf := s.buffer(total)
	var pos int64 // in buf
	for _, r := range runs {
		if err := s.readAt((*buf)[pos:pos+r.to-r.from], base+r.from); err != nil {
			s.pool.Put(buf)
			return nil, err
		}
		pos += r.to - r.from
	}
	return buf, nil
}

// readAt reads len(b) bytes at off; a short file is corruption.
func (s *source) readAt(b []byte, off int64) error {
	s.bytesRead.Add(int64(len(b)))
	if _, err := s.f.ReadAt(b, off); err != nil {
		if errors.Is(err, io.EOF) {
			return corruptf(s.path, off, "%d bytes truncated", len(b))
		}
		return fmt.Errorf("segment %s: read %d bytes at %d: %w", s.path, len(b), off, err)
	}
	return nil
}

// ReadAt implements io.ReaderAt over the pinned regions.
func (s *source) ReadAt(p []byte, off int64) (int, error) {
	if off < 0 || off > s.size {
		return 0, corruptf(s.path, off, "arrow read outside the arrow section")
	}
	n := 0
	for n < len(p) && off < s.size {
		i := sort.Search(len(s.regions), func(i int) bool { return s.regions[i].off+s.regions[i].len > off })
		m, err := s.copyPinned(i, p[n:], off)
		if err != nil {
			return n, err
		}
		n += m
		off += int64(m)
	}
	if n < len(p) {
		return n, io.EOF
	}
	return n, nil
}

// copyPinned copies bytes at off from pinned region i into p.
func (s *source) copyPinned(i int, p []byte, off int64) (int, error) {
	s.mu.Lock()
	pn := s.mu.pins[i]
	if pn == nil {
		s.mu.Unlock()
		return 0, corruptf(s.path, off, "arrow read outside the verified regions")
	}
	pn.refs++ // keep the buffer alive during the copy
	s.mu.Unlock()
	n := copy(p, (*pn.buf)[off-s.regions[i].off:])
	s.unpin(i)
	return n, nil
}

// Seek implements io.Seeker for the Arrow reader, which only asks for the
// end of the section.
func (s *source) Seek(offset int64, whence int) (int64, error) {
	if whence == io.SeekEnd && offset == 0 {
		return s.size, nil
	}
	return 0, fmt.Errorf("segment %s: unsupported seek (%d, %d)", s.path, offset, whence)
}

// Read implements io.Reader only to satisfy ipc.ReadAtSeeker; the Arrow file
// reader reads through ReadAt.
func (s *source) Read([]byte) (int, error) {
	return 0, fmt.Errorf("segment %s: sequential read of the arrow section", s.path)
}
