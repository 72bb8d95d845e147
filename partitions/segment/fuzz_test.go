package segment

import (
	"bytes"
	"encoding/binary"
	"hash/crc32"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"logq/partitions/columns"
)

// seedSegments returns a few small valid segment files.
func seedSegments(t testing.TB) [][]byte {
	var out [][]byte
	specs := []randSpec{
		{rows: 5, nullPct: 20, maxGapUS: 10, cards: [3]int{2, 2, 2}, traceHex: true, dynamic: true},
		{rows: 40, nullPct: 0, maxGapUS: 1e10, bigGapPct: 10, cards: [3]int{3, 50, 3}},
		{rows: 1, nullPct: 100},
	}
	for i, s := range specs {
		b := genRandom(rand.New(rand.NewPCG(uint64(i), 9)), s)
		var buf bytes.Buffer
		_, err := Encode(&buf, b, WriteOptions{BatchRows: 16})
		require.NoError(t, err)
		out = append(out, buf.Bytes())
	}
	// A file without per-field checksums (stats version 3), whose reads
	// of some columns take the path of whole blocks.
	return append(out, withoutFieldChecksums(t, out[0]))
}

// readAll opens data as a segment file and reads everything in it, in every
// way. Errors are fine; panics are not (the fuzzer reports them).
func readAll(t *testing.T, data []byte) {
	path := filepath.Join(t.TempDir(), "fuzz.seg")
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	// Verify checks everything ReadStats checks, and more.
	if _, err := ReadStats(path); err != nil && Verify(path) == nil {
		t.Fatalf("ReadStats fails (%v) but Verify passes", err)
	}
	r, err := Open(path)
	if err != nil {
		return
	}
	defer r.Close()
	for i := range r.NumBatches() {
		if rec, err := r.Batch(i, nil); err == nil {
			rec.Release()
		}
		full, err := r.Rows(i)
		readProjections(t, r, i, full, err)
	}
}

// readProjections reads batch i one column at a time, with RowsOf and
// Batch. A projection decodes a subset of what the full read decodes, so
// when the full read succeeded (full, err) every projection must succeed
// too and give the same values; when it failed, a projection may still
// succeed.
func readProjections(t *testing.T, r *Reader, i int, full *columns.Batch, err error) {
	for j, c := range r.cols {
		if rec, err := r.Batch(i, []string{c.name}); err == nil {
			rec.Release()
		}
		got, perr := r.RowsOf(i, func(name string) bool { return name == c.name })
		if err != nil {
			continue
		}
		if perr != nil {
			t.Fatalf("batch %d reads whole but not column %q alone: %v", i, c.name, perr)
		}
		require.Equal(t, full.TS, got.TS)
		if j > 0 && j < len(columns.CoreNames) {
			require.Equal(t, *coreStrings(full, j), *coreStrings(got, j), c.name)
			continue
		}
		if j > 0 {
			want := &columns.Batch{TS: full.TS, Dynamic: []*columns.Dynamic{full.Column(c.name)}}
			requireSameBatch(t, want, &columns.Batch{TS: got.TS, Dynamic: got.Dynamic}, c.name)
		}
	}
}

// FuzzSegmentRead feeds arbitrary bytes to the reader, as they are and
// "resealed": with every checksum recomputed, so that the damage reaches the
// stats decoder and the Arrow reader instead of stopping at a CRC.
func FuzzSegmentRead(f *testing.F) {
	for _, seg := range seedSegments(f) {
		f.Add(seg)
		f.Add(seg[:len(seg)/2])
		flipped := append([]byte(nil), seg...)
		flipped[len(seg)/3] ^= 0x10
		f.Add(flipped)
		if resealed, ok := reseal(flipped); ok {
			f.Add(resealed)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		readAll(t, data)
		if resealed, ok := reseal(data); ok {
			readAll(t, resealed)
		}
	})
}

// reseal recomputes every checksum of a file that is laid out like a
// segment (a trailer with plausible offsets and a decodable stats block).
func reseal(data []byte) ([]byte, bool) {
	if len(data) < trailerSize {
		return nil, false
	}
	le := binary.LittleEndian
	tr := data[len(data)-trailerSize:]
	arrowLen, headLen, tailOff, statsLen := le.Uint64(tr[8:]), le.Uint64(tr[16:]), le.Uint64(tr[24:]), le.Uint64(tr[32:])
	if arrowLen > uint64(len(data)) || statsLen > uint64(len(data))-arrowLen || headLen > tailOff || tailOff > arrowLen {
		return nil, false
	}
	st, blocks, err := decodeStats(data[arrowLen : arrowLen+statsLen])
	if err != nil {
		return nil, false
	}
	off := headLen
	for i := range blocks {
		n := uint64(blocks[i].meta + st.Batches[i].CompressedBytes)
		if n > tailOff-off {
			return nil, false
		}
		blocks[i].crc = crc32.Checksum(data[off:off+n], castagnoli)
		if blocks[i].cols != nil {
			resealRanges(data[off:off+n], &blocks[i])
		}
		off += n
	}
	stats := appendStats(nil, st, blocks)
	t := &trailer{
		version: le.Uint16(tr), flags: le.Uint16(tr[2:]), batches: le.Uint32(tr[4:]),
		arrowLen: arrowLen, headLen: headLen, tailOff: tailOff, statsLen: uint64(len(stats)),
		statsCRC: crc32.Checksum(stats, castagnoli),
		headCRC:  crc32.Checksum(data[:headLen], castagnoli),
		tailCRC:  crc32.Checksum(data[tailOff:arrowLen], castagnoli),
	}
	out := append(append([]byte(nil), data[:arrowLen]...), stats...)
	return append(out, t.encode()...), true
}

// resealRanges recomputes the per-field checksums of the block of message
// msg, as far as the ranges the stats block gives lie in it.
func resealRanges(msg []byte, blk *blockInfo) {
	if blk.meta > int64(len(msg)) {
		return
	}
	blk.metaCRC = crc32.Checksum(msg[:blk.meta], castagnoli)
	off := blk.meta
	for j, c := range blk.cols {
		if c.len > int64(len(msg))-off {
			return
		}
		blk.cols[j].crc = crc32.Checksum(msg[off:off+c.len], castagnoli)
		off += c.len
	}
}

// FuzzStatsDecode checks that the stats decoder never panics and that what
// it accepts encodes back to bytes that decode to the same statistics.
func FuzzStatsDecode(f *testing.F) {
	for _, seg := range seedSegments(f) {
		tr := seg[len(seg)-trailerSize:]
		arrowLen, statsLen := binary.LittleEndian.Uint64(tr[8:]), binary.LittleEndian.Uint64(tr[32:])
		f.Add(seg[arrowLen : arrowLen+statsLen])
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		st, blocks, err := decodeStats(data)
		if err != nil {
			return
		}
		_ = checkStats(st, blocks)
		// Compare encodings, not values: a decoded NaN is not equal to itself.
		enc := appendStats(nil, st, blocks)
		st2, blocks2, err := decodeStats(enc)
		require.NoError(t, err)
		require.Equal(t, enc, appendStats(nil, st2, blocks2))
	})
}

// FuzzArrowTail checks that the footer parser never panics.
func FuzzArrowTail(f *testing.F) {
	for _, seg := range seedSegments(f) {
		tr := seg[len(seg)-trailerSize:]
		tailOff, arrowLen := binary.LittleEndian.Uint64(tr[24:]), binary.LittleEndian.Uint64(tr[8:])
		f.Add(seg[tailOff:arrowLen])
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		_, _, _ = parseArrowTail(data)
	})
}

func TestResealedSeedsStillRead(t *testing.T) {
	// reseal must be the identity on valid files, or the fuzz target would
	// test nothing past the checksums.
	for _, seg := range seedSegments(t) {
		resealed, ok := reseal(seg)
		require.True(t, ok)
		require.Equal(t, seg, resealed)
	}
}
