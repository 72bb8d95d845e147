package segment

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/ipc"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"logq/partitions/columns"
)

// The write path, in one pass over the input:
//
//  1. checkInput refuses malformed or unsorted batches before anything is
//     written, so that a bad batch never leaves half a file behind.
//  2. planLayout makes the segment-wide encoding choices (delta width,
//     dictionaries, trace_id form, integer widths): the Arrow schema is the
//     same for every batch of a file, so they cannot be made per batch.
//  3. writeArrow streams the record batches through arrow-go's FileWriter
//     into an arrowSink, which counts bytes and checksums the output of each
//     FileWriter call, and keeps a copy of the first call (schema,
//     dictionaries and batch 0) and of Close (the footer). The bytes of
//     every other call, one record batch message, are parsed as the reader
//     parses them, to checksum the metadata and each field's range of the
//     body as written (messageRanges).
//  4. finish reads the block table from the footer arrow-go wrote, checks it
//     against the byte ranges of the calls, splits the first call into the
//     head region and block 0, and writes the stats block and the trailer.
//
// The statistics are computed from the input while each batch is built, not
// read back from the file.

// WriteOptions tunes Encode. The zero value gives the defaults.
type WriteOptions struct {
	// BatchRows is the number of rows per record batch, at most 65,536
	// (the default).
	BatchRows int
	// Allocator allocates the Arrow buffers; memory.DefaultAllocator if nil.
	Allocator memory.Allocator
	// BloomBitsPerKey sizes the bloom filters of the statistics, 1 to 64;
	// 10 (about 1 % false positives) if zero.
	BloomBitsPerKey int
}

// withDefaults fills in zero options and checks the others.
func (o WriteOptions) withDefaults() (WriteOptions, error) {
	if o.BatchRows == 0 {
		o.BatchRows = defaultBatchRows
	}
	if o.Allocator == nil {
		o.Allocator = memory.DefaultAllocator
	}
	if o.BloomBitsPerKey == 0 {
		o.BloomBitsPerKey = defaultBloomBitsPerKey
	}
	switch {
	case o.BatchRows < 1 || o.BatchRows > maxBatchRows:
		return o, fmt.Errorf("segment: BatchRows %d outside [1, %d]", o.BatchRows, maxBatchRows)
	case o.BloomBitsPerKey < 1 || o.BloomBitsPerKey > maxBloomBitsPerKey:
		return o, fmt.Errorf("segment: BloomBitsPerKey %d outside [1, %d]", o.BloomBitsPerKey, maxBloomBitsPerKey)
	}
	return o, nil
}

// Encode writes a complete segment file for b, which must hold at least one
// row (else ErrEmpty) sorted by ts, to w and returns its statistics. The
// caller owns the file: temporary name, fsync and rename are its job. b is
// only read, and may be reused once Encode returns. On error, the bytes
// written so far are garbage.
func Encode(w io.Writer, b *columns.Batch, o WriteOptions) (*Stats, error) {
	o, err := o.withDefaults()
	if err != nil {
		return nil, err
	}
	if err := checkInput(b); err != nil {
		return nil, err
	}
	l := planLayout(b, o.BatchRows, o.Allocator)
	defer l.release()
	bw := bufio.NewWriterSize(w, writeChunkBytes)
	e := &encoder{l: l, mem: o.Allocator, sink: &arrowSink{w: bw}, scratch: newStatsScratch(o.BloomBitsPerKey)}
	if err := e.writeArrow(); err != nil {
		return nil, fmt.Errorf("segment: write arrow: %w", err)
	}
	st, err := e.finish()
	if err != nil {
		return nil, err
	}
	if err := bw.Flush(); err != nil {
		return nil, fmt.Errorf("segment: write: %w", err)
	}
	return st, nil
}

// encoder holds the state of one Encode call. It is used by one goroutine.
type encoder struct {
	l       *layout
	mem     memory.Allocator
	sink    *arrowSink
	scratch *statsScratch
	batches []BatchStats
	calls   []span      // per batch, the bytes written by FileWriter.Write
	ranges  []blockInfo // per batch but the first, from messageRanges
	head    []byte      // bytes of the first FileWriter.Write: head region and block 0
	tail    []byte      // bytes of FileWriter.Close: the tail region
}

// span is a byte range of the Arrow section and the CRC32C of its bytes.
type span struct {
	start, end int64
	crc        uint32
}

// writeArrow writes the Arrow IPC file, one record batch per BatchRows rows.
// The FileWriter writes the file magic, the schema and the dictionaries
// lazily, in its first Write call, and the footer in Close; every other Write
// call produces exactly one record batch message, because the dictionaries
// are the same arrays in every batch and are therefore not written again.
func (e *encoder) writeArrow() error {
	fw, err := ipc.NewFileWriter(e.sink, ipc.WithSchema(e.l.schema), ipc.WithLZ4(), ipc.WithAllocator(e.mem))
	if err != nil {
		return err
	}
	n := e.l.b.Len()
	for lo := 0; lo < n; lo += e.l.batchRows {
		hi := min(lo+e.l.batchRows, n)
		if err := e.writeBatch(fw, lo, hi); err != nil {
			_ = fw.Close()
			return err
		}
	}
	e.sink.begin(true)
	if err := fw.Close(); err != nil {
		return err
	}
	e.tail = e.sink.end().captured
	return e.sink.err
}

// writeBatch writes rows [lo, hi) as one record batch and records its span.
func (e *encoder) writeBatch(fw *ipc.FileWriter, lo, hi int) error {
	rec, raw, err := e.record(lo, hi)
	if err != nil {
		return err
	}
	defer rec.Release()
	first := lo == 0
	e.sink.begin(first)
	if err := fw.Write(rec); err != nil {
		return err
	}
	res := e.sink.end()
	if first {
		e.head = res.captured
	} else {
		blk, err := messageRanges(res.captured, e.l.bufAt)
		if err != nil {
			return fmt.Errorf("BUG: record batch %d as written: %w", len(e.calls), err)
		}
		e.ranges = append(e.ranges, blk)
	}
	e.calls = append(e.calls, res.span)
	bs := e.l.batchStats(e.scratch, lo, hi)
	bs.RawBytes = raw
	e.batches = append(e.batches, bs)
	return e.sink.err
}

// record builds the Arrow record batch of rows [lo, hi) and its raw bytes.
func (e *encoder) record(lo, hi int) (arrow.RecordBatch, int64, error) {
	l, b, mem := e.l, e.l.b, e.mem
	cols := make([]arrow.Array, 0, l.schema.NumFields())
	defer func() {
		for _, c := range cols {
			c.Release()
		}
	}()
	var total int64
	add := func(a arrow.Array, raw int64) {
		cols = append(cols, a)
		total += raw
	}
	add(tsArray(mem, b.TS[lo:hi], l.tsWide))
	for _, c := range []struct {
		d *strDict
		s *columns.Strings
	}{{l.level, &b.Level}, {l.service, &b.Service}, {l.host, &b.Host}} {
		if c.d != nil {
			add(dictArray(mem, c.d, c.s.Valid, lo, hi))
			continue
		}
		a, raw, err := stringArray(mem, c.s, c.s.Valid, lo, hi)
		if err != nil {
			return nil, 0, err
		}
		add(a, raw)
	}
	if err := e.addStrings(add, lo, hi); err != nil {
		return nil, 0, err
	}
	for i := range l.dyn {
		a, raw, err := dynArray(mem, &l.dyn[i], lo, hi)
		if err != nil {
			return nil, 0, err
		}
		add(a, raw)
	}
	return array.NewRecordBatch(l.schema, cols, int64(hi-lo)), total, nil
}

// addStrings adds the trace_id and message arrays of rows [lo, hi).
func (e *encoder) addStrings(add func(arrow.Array, int64), lo, hi int) error {
	b := e.l.b
	if e.l.traceHex {
		add(hexArray(e.mem, &b.TraceID, lo, hi))
	} else {
		a, raw, err := stringArray(e.mem, &b.TraceID, b.TraceID.Valid, lo, hi)
		if err != nil {
			return err
		}
		add(a, raw)
	}
	a, raw, err := stringArray(e.mem, &b.Message, b.Message.Valid, lo, hi)
	if err != nil {
		return err
	}
	add(a, raw)
	return nil
}

// finish locates the Arrow regions from the footer the writer produced,
// checks them against what was written, and writes the stats block and the
// trailer.
func (e *encoder) finish() (*Stats, error) {
	t, blocks, err := e.regions()
	if err != nil {
		return nil, fmt.Errorf("segment: BUG: arrow writer output: %w", err)
	}
	st := e.l.stats(e.batches)
	st.CompressedBytes = int64(t.arrowLen)
	for _, d := range e.l.dicts() {
		st.RawBytes += d.rawBytes()
	}
	for _, bs := range e.batches {
		st.RawBytes += bs.RawBytes
	}
	stats := appendStats(make([]byte, 0, statsSizeHint(st)), st, blocks)
	t.statsLen, t.statsCRC = uint64(len(stats)), crc32.Checksum(stats, castagnoli)
	if _, err := e.sink.w.Write(stats); err != nil {
		return nil, fmt.Errorf("segment: write stats: %w", err)
	}
	if _, err := e.sink.w.Write(t.encode()); err != nil {
		return nil, fmt.Errorf("segment: write trailer: %w", err)
	}
	return st, nil
}

// regions parses the Arrow footer and derives the trailer's view of the
// Arrow section: the head, one block per batch, the tail, and their CRCs.
// Every block must coincide with the bytes of its FileWriter.Write call.
func (e *encoder) regions() (*trailer, []blockInfo, error) {
	_, recs, err := parseArrowTail(e.tail)
	if err != nil {
		return nil, nil, err
	}
	if len(recs) != len(e.calls) {
		return nil, nil, fmt.Errorf("%d record blocks for %d batches", len(recs), len(e.calls))
	}
	blocks := make([]blockInfo, len(recs))
	for i, r := range recs {
		c := e.calls[i]
		if r.End() != c.end || (i > 0 && r.Offset != c.start) || r.Offset < 8 || r.Offset > c.end {
			return nil, nil, fmt.Errorf("record block %d at [%d, %d) does not match the write at [%d, %d)",
				i, r.Offset, r.End(), c.start, c.end)
		}
		e.batches[i].CompressedBytes = r.Body
		blk := blockInfo{crc: c.crc}
		if i > 0 {
			blk = e.ranges[i-1]
		}
		if i > 0 && (blk.meta != r.Meta || blk.crc != c.crc) {
			return nil, nil, fmt.Errorf("record block %d of %d metadata bytes, the message has %d", i, r.Meta, blk.meta)
		}
		blocks[i] = blk
	}
	headLen := recs[0].Offset
	if int64(len(e.head)) != e.calls[0].end {
		return nil, nil, errors.New("first write not captured whole")
	}
	if blocks[0], err = messageRanges(e.head[headLen:], e.l.bufAt); err != nil {
		return nil, nil, fmt.Errorf("record batch 0 as written: %w", err)
	}
	if blocks[0].meta != recs[0].Meta {
		return nil, nil, fmt.Errorf("record block 0 of %d metadata bytes, the message has %d", recs[0].Meta, blocks[0].meta)
	}
	t := &trailer{
		version:  formatVersion,
		batches:  uint32(len(recs)),
		arrowLen: uint64(e.sink.pos),
		headLen:  uint64(headLen),
		tailOff:  uint64(recs[len(recs)-1].End()),
		headCRC:  crc32.Checksum(e.head[:headLen], castagnoli),
		tailCRC:  crc32.Checksum(e.tail, castagnoli),
	}
	if int64(t.tailOff)+int64(len(e.tail)) != e.sink.pos {
		return nil, nil, errors.New("tail not captured whole")
	}
	return t, blocks, nil
}

// messageRanges parses a record batch message as written, msg being its
// bytes, with bufAt giving the first buffer of each field (and the total),
// and returns its metadata length, its CRC32C, that of the metadata, and
// the range of each field in the body with its CRC32C.
func messageRanges(msg []byte, bufAt []int) (blockInfo, error) {
	if len(msg) < 8 {
		return blockInfo{}, fmt.Errorf("message of %d bytes", len(msg))
	}
	meta := 8 + int64(binary.LittleEndian.Uint32(msg[4:]))
	if meta > int64(len(msg)) {
		return blockInfo{}, fmt.Errorf("message metadata of %d bytes in %d", meta, len(msg))
	}
	m, err := parseMessage(msg[:meta], fbHeaderRecordBatch)
	if err != nil {
		return blockInfo{}, err
	}
	l, err := layoutOf(m.batch)
	if err != nil {
		return blockInfo{}, err
	}
	body := msg[meta:]
	starts, err := l.fieldStarts(bufAt, int64(len(body)))
	if err != nil {
		return blockInfo{}, err
	}
	blk := blockInfo{
		meta:    meta,
		crc:     crc32.Checksum(msg, castagnoli),
		metaCRC: crc32.Checksum(msg[:meta], castagnoli),
		cols:    make([]colRange, len(starts)-1),
	}
	for j := range blk.cols {
		b := body[starts[j]:starts[j+1]]
		blk.cols[j] = colRange{len: int64(len(b)), crc: crc32.Checksum(b, castagnoli)}
	}
	return blk, nil
}

// arrowSink is the io.Writer under the Arrow FileWriter. It counts bytes,
// computes the CRC32C of the bytes of each FileWriter call, and keeps a copy
// of them: the first batch and the footer to keep (so that regions can be
// checksummed once the footer tells where they start), the other calls in a
// buffer reused from one call to the next.
type arrowSink struct {
	w       *bufio.Writer
	pos     int64
	cur     span
	keep    bool
	buf     []byte
	scratch []byte // the buffer of the calls not kept
	err     error
}

// sinkResult is what one FileWriter call wrote.
type sinkResult struct {
	span
	captured []byte
}

// begin starts the record of one FileWriter call. With keep, its bytes are
// captured in a buffer of their own; else in one that the next call reuses.
func (s *arrowSink) begin(keep bool) {
	s.cur = span{start: s.pos, end: s.pos}
	s.keep, s.buf = keep, nil
	if !keep {
		s.buf = s.scratch[:0]
	}
}

// end finishes the record of the current FileWriter call.
func (s *arrowSink) end() sinkResult {
	s.cur.end = s.pos
	if !s.keep {
		s.scratch = s.buf
	}
	return sinkResult{span: s.cur, captured: s.buf}
}

// Write implements io.Writer, in pieces of at most writeChunkBytes.
func (s *arrowSink) Write(p []byte) (int, error) {
	if s.err != nil {
		return 0, s.err
	}
	s.cur.crc = crc32.Update(s.cur.crc, castagnoli, p)
	s.buf = append(s.buf, p...)
	for rest := p; len(rest) > 0; {
		n, err := s.w.Write(rest[:min(len(rest), writeChunkBytes)])
		s.pos += int64(n)
		if err != nil {
			s.err = err
			return len(p) - len(rest) + n, err
		}
		rest = rest[n:]
	}
	return len(p), nil
}

// statsSizeHint estimates the size of the stats block, to allocate it once.
func statsSizeHint(st *Stats) int {
	n := 1024
	for i := range st.Batches {
		b := &st.Batches[i]
		n += 256 + 32*len(b.Dynamic)
		for _, vs := range []*ValueSet{&b.Services, &b.Hosts, &b.TraceIDs} {
			if vs.Bloom != nil {
				n += 32 * len(vs.Bloom.Blocks)
			}
			for _, v := range vs.Values {
				n += len(v) + 2
			}
		}
	}
	return n
}
