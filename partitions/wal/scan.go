package wal

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
)

// readWindowBytes is how much of a file the scanner reads at a time.
const readWindowBytes = 1 << 20

// windowReader serves byte ranges of a file from a buffered window so that
// a sequential scan costs one read per MiB, not one per record.
type windowReader struct {
	r     io.ReaderAt
	size  int64
	buf   []byte // the file's bytes [start, start+len(buf))
	start int64
}

// bytes returns the n bytes at off, which the caller has checked lie within
// the file. The slice is valid until the next call.
func (w *windowReader) bytes(off int64, n int) ([]byte, error) {
	if off >= w.start && off+int64(n) <= w.start+int64(len(w.buf)) {
		return w.buf[off-w.start : off-w.start+int64(n)], nil
	}
	want := int(min(max(int64(n), readWindowBytes), w.size-off))
	if cap(w.buf) < want {
		w.buf = make([]byte, want)
	}
	w.buf = w.buf[:want]
	w.start = off
	got, err := w.r.ReadAt(w.buf, off)
	if got == want {
		err = nil
	} else if err == nil || errors.Is(err, io.EOF) {
		err = io.ErrUnexpectedEOF
	}
	if err != nil {
		w.buf = w.buf[:0]
		return nil, err
	}
	return w.buf[:n], nil
}

// record is an intact record found by the scanner.
type record struct {
	off     int64 // file offset of the record header
	hdr     recordHeader
	payload []byte // valid until the scanner's next read
}

// end returns the file offset just past the record.
func (r *record) end() int64 { return r.off + recordHeaderBytes + r.hdr.length }

// scanner checks the records of one file.
type scanner struct {
	wr   windowReader
	size int64
	gen  uint64
	seed uint32
}

// recordAt returns the record at off if it is intact, or why it is not.
// minGroup is the commit group offset of the previous intact record: group
// offsets never decrease along a file.
func (s *scanner) recordAt(off, minGroup int64) (record, string, error) {
	if left := s.size - off; left < recordHeaderBytes {
		return record{}, fmt.Sprintf("incomplete record header (%d bytes)", left), nil
	}
	h, err := s.wr.bytes(off, recordHeaderBytes)
	if err != nil {
		return record{}, "", err
	}
	rh, why := parseRecordHeader(h, s.seed, off)
	switch {
	case why != "":
		return record{}, why, nil
	case rh.group < minGroup:
		return record{}, fmt.Sprintf("commit group offset %d below the previous record's %d", rh.group, minGroup), nil
	case rh.length > s.size-off-recordHeaderBytes:
		return record{}, fmt.Sprintf("record of %d bytes runs past the end of the file (%d bytes left)",
			rh.length, s.size-off-recordHeaderBytes), nil
	}
	p, err := s.wr.bytes(off+recordHeaderBytes, int(rh.length))
	if err != nil {
		return record{}, "", err
	}
	if crc32.Checksum(p, castagnoli) != rh.dataCRC {
		return record{}, "bad payload checksum", nil
	}
	return record{off: off, hdr: rh, payload: p}, "", nil
}

// findValid returns the first intact record starting at or after from, found
// by looking for the sync word and checking each candidate; ok is false when
// none is left in the file.
func (s *scanner) findValid(from int64) (rec record, ok bool, err error) {
	for pos := from; pos+recordHeaderBytes <= s.size; {
		n := int(min(readWindowBytes, s.size-pos))
		b, err := s.wr.bytes(pos, n)
		if err != nil {
			return record{}, false, err
		}
		i := bytes.Index(b, syncWord[:])
		if i < 0 {
			pos += int64(n - len(syncWord) + 1) // a word may straddle the window's end
			continue
		}
		rec, why, err := s.recordAt(pos+int64(i), 0)
		if err != nil || why == "" {
			return rec, err == nil, err
		}
		pos += int64(i) + 1
	}
	return record{}, false, nil
}

// lookahead classifies damage at offset d by the intact records after it.
// next is the first of them (ok false if there is none). later reports
// whether some intact record after d belongs to a later commit group than
// the damage: that group was written only after d had been synced, so the
// damage is not a torn write but corruption.
func (s *scanner) lookahead(d int64) (next record, ok, later bool, err error) {
	first := true
	for from := d + 1; ; {
		rec, found, err := s.findValid(from)
		if err != nil || !found {
			return next, !first, false, err
		}
		if first {
			next, first = rec, false
		}
		if rec.hdr.group > d {
			return next, true, true, nil
		}
		from = rec.end()
	}
}

// checkHeader returns why the file header is invalid, or "". A header with
// a valid checksum but another version is an error of its own: Replay must
// not treat a newer file as damage and repair it away.
func (s *scanner) checkHeader() (string, error) {
	if s.size < fileHeaderBytes {
		return fmt.Sprintf("incomplete file header (%d bytes)", s.size), nil
	}
	h, err := s.wr.bytes(0, fileHeaderBytes)
	if err != nil {
		return "", err
	}
	switch {
	case string(h[:8]) != fileMagic:
		if isZero(h) {
			return "zero bytes instead of the file header", nil
		}
		return "bad file magic", nil
	case crc32.Checksum(h[:20], castagnoli) != binary.LittleEndian.Uint32(h[20:]):
		return "bad file header checksum", nil
	}
	if v := binary.LittleEndian.Uint32(h[8:]); v != formatVersion {
		return "", fmt.Errorf("%w: wal format version %d (this build reads %d)", errors.ErrUnsupported, v, formatVersion)
	}
	if g := binary.LittleEndian.Uint64(h[12:]); g != s.gen {
		return fmt.Sprintf("file header names generation %d", g), nil
	}
	return "", nil
}
