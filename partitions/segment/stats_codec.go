package segment

import (
	"encoding/binary"
	"fmt"
	"math"

	"logq/partitions/columns"
)

// blockInfo is what the stats block records about the Arrow message of one
// record batch besides BatchStats: the metadata length (the body length is
// BatchStats.CompressedBytes) and the CRC32C of the whole message, and from
// stats version 4 on the CRC32C of the metadata alone and the extent and
// CRC32C of each field's buffers, which let a read that wants some columns
// read and verify only those (project.go).
type blockInfo struct {
	meta    int64
	crc     uint32
	metaCRC uint32     // version 4 and up
	cols    []colRange // version 4 and up, one per Arrow field; nil before
}

// colRange is the byte range of the body of a record batch message that
// holds the buffers of one field, and its CRC32C. The ranges of a message's
// fields follow each other in field order and tile its body; where each
// starts is the sum of the lengths before it.
type colRange struct {
	len int64
	crc uint32
}

// colStatsVersion is the first stats version with per-field checksums.
const colStatsVersion = 4

// measuresVersion is the first stats version with BatchStats.Measures and
// BatchStats.Minutes.
const measuresVersion = 5

// colRangeMinBytes is the least a colRange takes in the stats block: a
// one-byte uvarint and a u32.
const colRangeMinBytes = 5

// Kinds of a ValueSet on disk.
const (
	valueSetExact      = 0
	valueSetBloom      = 1
	valueSetKeyedBloom = 2 // stats version 3 and up
)

// appendStats appends the stats block (FORMAT.md, "Stats block") for st,
// whose batches are stored in the Arrow messages described by blocks.
func appendStats(dst []byte, st *Stats, blocks []blockInfo) []byte {
	if len(blocks) != len(st.Batches) {
		panic("BUG: segment.appendStats: one blockInfo per batch expected")
	}
	version := blocksVersion(blocks)
	dst = append(dst, version)
	dst = binary.AppendUvarint(dst, uint64(st.Rows))
	dst = binary.AppendVarint(dst, st.MinTS)
	dst = binary.AppendUvarint(dst, uint64(st.MaxTS-st.MinTS))
	dst = binary.AppendUvarint(dst, uint64(st.CompressedBytes))
	dst = binary.AppendUvarint(dst, uint64(st.RawBytes))
	dst = binary.AppendUvarint(dst, uint64(len(st.Columns)))
	for _, c := range st.Columns {
		dst = appendString(dst, c.Name)
		dst = append(dst, byte(c.Type))
	}
	dst = binary.AppendUvarint(dst, uint64(len(st.Batches)))
	for i := range st.Batches {
		dst = appendBatchStats(dst, version, st, &st.Batches[i], blocks[i])
	}
	return dst
}

// blocksVersion is the stats version appendStats writes for blocks: the
// current one when they carry per-field checksums, else the last version
// without them (a block decoded from an older file, re-encoded by a test or
// the fuzzer, keeps what it had). Without batches (which checkStats
// refuses) it is the current one.
func blocksVersion(blocks []blockInfo) byte {
	v := byte(statsVersion)
	if len(blocks) > 0 && blocks[0].cols == nil {
		v = colStatsVersion - 1
	}
	for _, b := range blocks {
		if (b.cols == nil) != (v < colStatsVersion) {
			panic("BUG: segment.appendStats: per-field checksums for some batches only")
		}
	}
	return v
}

// appendBatchStats appends one batch entry of the stats block.
func appendBatchStats(dst []byte, version byte, st *Stats, b *BatchStats, blk blockInfo) []byte {
	dst = binary.AppendUvarint(dst, uint64(b.Rows))
	dst = binary.AppendUvarint(dst, uint64(b.MinTS-st.MinTS))
	dst = binary.AppendUvarint(dst, uint64(b.MaxTS-b.MinTS))
	dst = binary.AppendUvarint(dst, uint64(blk.meta))
	dst = binary.AppendUvarint(dst, uint64(b.CompressedBytes))
	dst = binary.LittleEndian.AppendUint32(dst, blk.crc)
	if blk.cols != nil {
		dst = binary.LittleEndian.AppendUint32(dst, blk.metaCRC)
		for _, c := range blk.cols {
			dst = binary.AppendUvarint(dst, uint64(c.len))
			dst = binary.LittleEndian.AppendUint32(dst, c.crc)
		}
	}
	dst = binary.AppendUvarint(dst, uint64(b.RawBytes))
	dst = append(dst, boolByte(b.LevelsOverflow))
	dst = binary.AppendUvarint(dst, uint64(b.LevelNulls))
	dst = binary.AppendUvarint(dst, uint64(len(b.Levels)))
	for _, lc := range b.Levels {
		dst = appendString(dst, lc.Value)
		dst = binary.AppendUvarint(dst, uint64(lc.Count))
	}
	dst = appendValueSet(dst, &b.Services)
	dst = appendValueSet(dst, &b.Hosts)
	dst = appendValueSet(dst, &b.TraceIDs)
	dst = binary.AppendUvarint(dst, uint64(len(b.Tuples)))
	for _, t := range b.Tuples {
		dst = binary.AppendUvarint(dst, tupleIndex(t.Level))
		dst = binary.AppendUvarint(dst, tupleIndex(t.Service))
		dst = binary.AppendUvarint(dst, tupleIndex(t.Host))
		dst = binary.AppendUvarint(dst, uint64(t.Count))
	}
	if version >= measuresVersion {
		dst = appendMeasures(dst, b)
		dst = appendMinutes(dst, b)
	}
	for j, c := range st.Columns {
		dst = appendColumnStats(dst, c.Type, &b.Dynamic[j])
	}
	return dst
}

// appendMeasures appends the batch's per-tuple sums of BIGINT columns.
func appendMeasures(dst []byte, b *BatchStats) []byte {
	dst = binary.AppendUvarint(dst, uint64(len(b.Measures)))
	for _, tm := range b.Measures {
		dst = binary.AppendUvarint(dst, uint64(tm.Column))
		for _, m := range tm.Values {
			dst = binary.AppendUvarint(dst, uint64(m.Count))
			if m.Count > 0 {
				dst = binary.AppendVarint(dst, m.Min)
				dst = binary.AppendUvarint(dst, uint64(m.Max)-uint64(m.Min))
				dst = binary.AppendVarint(dst, m.Sum)
			}
		}
	}
	return dst
}

// appendMinutes appends the batch's counts per minute and level, each
// minute as the step from the entry before.
func appendMinutes(dst []byte, b *BatchStats) []byte {
	dst = binary.AppendUvarint(dst, uint64(len(b.Minutes)))
	prev := uint32(0)
	for _, mc := range b.Minutes {
		dst = binary.AppendUvarint(dst, uint64(mc.Minute-prev))
		dst = binary.AppendUvarint(dst, tupleIndex(mc.Level))
		dst = binary.AppendUvarint(dst, uint64(mc.Count))
		prev = mc.Minute
	}
	return dst
}

// tupleIndex is the stored form of a TupleCount index: 0 for NULL, else
// the index plus one.
func tupleIndex(i uint16) uint64 {
	if i == NullIndex {
		return 0
	}
	return uint64(i) + 1
}

// appendValueSet appends a value set: exact values or the bloom filter bits.
func appendValueSet(dst []byte, s *ValueSet) []byte {
	dst = binary.AppendUvarint(dst, uint64(s.Nulls))
	if s.Bloom != nil {
		kind := byte(valueSetBloom)
		if s.Bloom.Keyed {
			kind = valueSetKeyedBloom
		}
		dst = append(dst, kind)
		dst = binary.AppendUvarint(dst, uint64(len(s.Bloom.Blocks)))
		for _, blk := range s.Bloom.Blocks {
			for _, w := range blk {
				dst = binary.LittleEndian.AppendUint32(dst, w)
			}
		}
		return dst
	}
	dst = append(dst, valueSetExact)
	dst = binary.AppendUvarint(dst, uint64(len(s.Values)))
	for _, v := range s.Values {
		dst = appendString(dst, v)
	}
	return dst
}

// appendColumnStats appends the zone map of a dynamic column of type t.
func appendColumnStats(dst []byte, t columns.Type, c *ColumnStats) []byte {
	dst = binary.AppendUvarint(dst, uint64(c.Nulls))
	dst = append(dst, boolByte(c.HasMinMax))
	if t == columns.TypeString {
		dst = append(dst, boolByte(c.HasValues))
		if c.HasValues {
			dst = binary.AppendUvarint(dst, uint64(len(c.Values)))
			for _, v := range c.Values {
				dst = appendString(dst, v)
			}
		}
	}
	if !c.HasMinMax {
		return dst
	}
	switch t {
	case columns.TypeInt64:
		dst = binary.AppendVarint(dst, c.MinInt)
		dst = binary.AppendUvarint(dst, uint64(c.MaxInt-c.MinInt))
	case columns.TypeFloat64:
		dst = binary.LittleEndian.AppendUint64(dst, math.Float64bits(c.MinFloat))
		dst = binary.LittleEndian.AppendUint64(dst, math.Float64bits(c.MaxFloat))
	default:
		panic("BUG: segment: min/max on a non-numeric column")
	}
	return dst
}

// appendString appends a length-prefixed string.
func appendString(dst []byte, s string) []byte {
	dst = binary.AppendUvarint(dst, uint64(len(s)))
	return append(dst, s...)
}

// boolByte encodes a boolean as 0 or 1.
func boolByte(v bool) byte {
	if v {
		return 1
	}
	return 0
}

// decoder reads the stats block. The first error sticks: later reads return
// zero values, and err says where decoding stopped. Every count it reads is
// bounded by the bytes left (each element takes at least one byte), so a
// damaged count fails instead of allocating without bound; checkStats then
// checks what the values mean.
type decoder struct {
	b       []byte
	off     int
	err     error
	version byte // of the block being decoded
}

// fail records the first error and stops decoding.
func (d *decoder) fail(format string, args ...any) {
	if d.err == nil {
		d.err = fmt.Errorf("stats block byte %d: %s", d.off, fmt.Sprintf(format, args...))
	}
	d.off = len(d.b)
}

// uvarint reads an unsigned varint.
func (d *decoder) uvarint() uint64 {
	if d.err != nil {
		return 0
	}
	v, n := binary.Uvarint(d.b[d.off:])
	if n <= 0 {
		d.fail("bad uvarint")
		return 0
	}
	d.off += n
	return v
}

// varint reads a zig-zag varint.
func (d *decoder) varint() int64 {
	if d.err != nil {
		return 0
	}
	v, n := binary.Varint(d.b[d.off:])
	if n <= 0 {
		d.fail("bad varint")
		return 0
	}
	d.off += n
	return v
}

// int returns a uvarint that must fit in [0, max].
func (d *decoder) int(what string, max int64) int64 {
	v := d.uvarint()
	if v > uint64(max) {
		d.fail("%s %d exceeds %d", what, v, max)
		return 0
	}
	return int64(v)
}

// count returns a uvarint count of elements of at least elemSize bytes each,
// bounded by the bytes left so that no allocation exceeds the input.
func (d *decoder) count(what string, elemSize int) int {
	return int(d.int(what, int64((len(d.b)-d.off)/elemSize)))
}

// byte reads one byte.
func (d *decoder) byte() byte {
	if d.err != nil {
		return 0
	}
	if d.off >= len(d.b) {
		d.fail("truncated")
		return 0
	}
	d.off++
	return d.b[d.off-1]
}

// bool reads a byte that must be 0 or 1.
func (d *decoder) bool() bool {
	switch v := d.byte(); v {
	case 0:
		return false
	case 1:
		return true
	default:
		d.fail("bad boolean %d", v)
		return false
	}
}

// fixed reads n bytes; the slice aliases the input.
func (d *decoder) fixed(n int) []byte {
	if d.err != nil {
		return nil
	}
	if len(d.b)-d.off < n {
		d.fail("truncated")
		return nil
	}
	d.off += n
	return d.b[d.off-n : d.off]
}

// string reads a length-prefixed string into a new string.
func (d *decoder) string() string {
	n := d.count("string length", 1)
	return string(d.fixed(n))
}

// decodeStats parses a stats block. It checks the encoding only; checkStats
// checks that the values are consistent.
func decodeStats(b []byte) (*Stats, []blockInfo, error) {
	d := &decoder{b: b}
	d.version = d.byte()
	if d.err == nil && (d.version < minStatsVersion || d.version > statsVersion) {
		return nil, nil, fmt.Errorf("unsupported stats version %d", d.version)
	}
	st := &Stats{}
	st.Rows = d.int("rows", math.MaxInt64)
	st.MinTS = d.varint()
	st.MaxTS = st.MinTS + int64(d.uvarint())
	st.CompressedBytes = d.int("compressed bytes", math.MaxInt64)
	st.RawBytes = d.int("raw bytes", math.MaxInt64)
	if n := d.count("columns", 2); n > 0 {
		st.Columns = make([]ColumnInfo, n)
	}
	for i := range st.Columns {
		st.Columns[i].Name = d.string()
		st.Columns[i].Type = columns.Type(d.byte())
	}
	st.Batches = make([]BatchStats, d.count("batches", 16))
	blocks := make([]blockInfo, len(st.Batches))
	for i := range st.Batches {
		blocks[i] = d.batch(st, &st.Batches[i])
	}
	if d.err == nil && d.off != len(b) {
		d.fail("%d trailing bytes", len(b)-d.off)
	}
	if d.err != nil {
		return nil, nil, d.err
	}
	return st, blocks, nil
}

// batch reads one batch entry and returns its block information.
func (d *decoder) batch(st *Stats, b *BatchStats) blockInfo {
	b.Rows = int(d.int("batch rows", maxBatchRows))
	b.MinTS = st.MinTS + int64(d.uvarint())
	b.MaxTS = b.MinTS + int64(d.uvarint())
	blk := blockInfo{meta: d.int("block metadata length", math.MaxInt64)}
	b.CompressedBytes = d.int("block body length", math.MaxInt64)
	blk.crc = d.u32()
	if d.version >= colStatsVersion {
		d.colRanges(st, &blk)
	}
	b.RawBytes = d.int("raw bytes", math.MaxInt64)
	b.LevelsOverflow = d.bool()
	b.LevelNulls = int(d.int("level nulls", maxBatchRows))
	if n := d.count("levels", 2); n > 0 {
		b.Levels = make([]ValueCount, n)
		for i := range b.Levels {
			b.Levels[i] = ValueCount{Value: d.string(), Count: int(d.int("level count", maxBatchRows))}
		}
	}
	d.valueSet(&b.Services)
	d.valueSet(&b.Hosts)
	d.valueSet(&b.TraceIDs)
	if d.version >= 2 {
		if n := d.count("tuples", 4); n > 0 {
			b.Tuples = make([]TupleCount, n)
			for i := range b.Tuples {
				t := &b.Tuples[i]
				t.Level, t.Service, t.Host = d.tupleIndex(), d.tupleIndex(), d.tupleIndex()
				t.Count = uint32(d.int("tuple count", maxBatchRows))
			}
		}
	}
	if d.version >= measuresVersion {
		d.measures(st, b)
		d.minutes(b)
	}
	if len(st.Columns) > 0 {
		b.Dynamic = make([]ColumnStats, len(st.Columns))
	}
	for j, c := range st.Columns {
		d.columnStats(c.Type, &b.Dynamic[j])
	}
	return blk
}

// measures reads a batch's per-tuple sums (appendMeasures), once its
// tuples are read.
func (d *decoder) measures(st *Stats, b *BatchStats) {
	n := d.count("measured columns", 1)
	if n > 0 {
		b.Measures = make([]TupleMeasures, n)
	}
	for i := range b.Measures {
		tm := &b.Measures[i]
		tm.Column = int(d.int("measured column", int64(len(st.Columns))))
		if d.err == nil && (len(d.b)-d.off) < len(b.Tuples) {
			d.fail("%d measures in %d bytes", len(b.Tuples), len(d.b)-d.off)
		}
		if d.err != nil {
			return
		}
		tm.Values = make([]Measure, len(b.Tuples))
		for k := range tm.Values {
			m := &tm.Values[k]
			m.Count = uint32(d.int("measure count", maxBatchRows))
			if m.Count > 0 {
				m.Min = d.varint()
				m.Max = int64(uint64(m.Min) + d.uvarint())
				m.Sum = d.varint()
			}
		}
	}
}

// minutes reads a batch's counts per minute and level (appendMinutes).
func (d *decoder) minutes(b *BatchStats) {
	n := d.count("minute counts", 3)
	if n > 0 {
		b.Minutes = make([]MinuteCount, n)
	}
	prev := uint64(0)
	for i := range b.Minutes {
		mc := &b.Minutes[i]
		m := prev + d.uvarint()
		if d.err == nil && (m < prev || m > math.MaxUint32) {
			d.fail("minute %d out of range", m)
		}
		prev = m
		mc.Minute = uint32(m)
		mc.Level = d.tupleIndex()
		mc.Count = uint32(d.int("minute count", maxBatchRows))
	}
}

// colRanges reads the metadata checksum and the per-field ranges of a batch
// entry: one per Arrow field, the core columns and then the dynamic ones.
func (d *decoder) colRanges(st *Stats, blk *blockInfo) {
	blk.metaCRC = d.u32()
	n := len(columns.CoreNames) + len(st.Columns)
	if d.err == nil && (len(d.b)-d.off)/colRangeMinBytes < n {
		d.fail("%d field ranges in %d bytes", n, len(d.b)-d.off)
	}
	if d.err != nil {
		return
	}
	blk.cols = make([]colRange, n)
	for j := range blk.cols {
		blk.cols[j] = colRange{len: d.int("field bytes", math.MaxInt64), crc: d.u32()}
	}
}

// u32 reads a little-endian uint32.
func (d *decoder) u32() uint32 {
	if b := d.fixed(4); b != nil {
		return binary.LittleEndian.Uint32(b)
	}
	return 0
}

// tupleIndex reads a stored TupleCount index (tupleIndex).
func (d *decoder) tupleIndex() uint16 {
	v := d.int("tuple index", NullIndex)
	if v == 0 {
		return NullIndex
	}
	return uint16(v - 1)
}

// valueSet reads a value set.
func (d *decoder) valueSet(s *ValueSet) {
	s.Nulls = int(d.int("nulls", maxBatchRows))
	switch kind := d.byte(); kind {
	case valueSetExact:
		if n := d.count("values", 1); n > 0 {
			s.Values = make([]string, n)
			for i := range s.Values {
				s.Values[i] = d.string()
			}
		}
	case valueSetBloom, valueSetKeyedBloom:
		if kind == valueSetKeyedBloom && d.version < 3 {
			d.fail("keyed bloom filter in stats version %d", d.version)
			return
		}
		n := d.count("bloom blocks", 32)
		if n == 0 {
			d.fail("empty bloom filter")
			return
		}
		s.Bloom = &Bloom{Blocks: make([][8]uint32, n), Keyed: kind == valueSetKeyedBloom}
		raw := d.fixed(32 * n)
		if raw == nil {
			return
		}
		for i := range s.Bloom.Blocks {
			for k := range s.Bloom.Blocks[i] {
				s.Bloom.Blocks[i][k] = binary.LittleEndian.Uint32(raw[32*i+4*k:])
			}
		}
	default:
		d.fail("unknown value set kind %d", kind)
	}
}

// columnStats reads the zone map of a dynamic column of type t.
func (d *decoder) columnStats(t columns.Type, c *ColumnStats) {
	c.Nulls = int(d.int("nulls", maxBatchRows))
	c.HasMinMax = d.bool()
	if t == columns.TypeString && d.version >= 2 {
		if c.HasValues = d.bool(); c.HasValues {
			if n := d.count("values", 1); n > 0 {
				c.Values = make([]string, n)
				for i := range c.Values {
					c.Values[i] = d.string()
				}
			}
		}
	}
	if !c.HasMinMax || d.err != nil {
		return
	}
	switch t {
	case columns.TypeInt64:
		c.MinInt = d.varint()
		c.MaxInt = c.MinInt + int64(d.uvarint())
	case columns.TypeFloat64:
		if raw := d.fixed(16); raw != nil {
			c.MinFloat = math.Float64frombits(binary.LittleEndian.Uint64(raw))
			c.MaxFloat = math.Float64frombits(binary.LittleEndian.Uint64(raw[8:]))
		}
	default:
		d.fail("min/max on a %s column", t)
	}
}
