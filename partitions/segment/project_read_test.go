package segment

import (
	"fmt"
	"hash/crc32"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/stretchr/testify/require"

	"logq/partitions/columns"
)

// withoutFieldChecksums returns file with its stats block as version 3
// wrote it: the same statistics and Arrow bytes, without the per-field
// checksums.
func withoutFieldChecksums(t testing.TB, file []byte) []byte {
	t.Helper()
	out, err := stripFieldChecksums(file)
	require.NoError(t, err)
	return out
}

// stripFieldChecksums is withoutFieldChecksums returning an error.
func stripFieldChecksums(file []byte) ([]byte, error) {
	tr, err := decodeTrailer("x", file[len(file)-trailerSize:], int64(len(file)))
	if err != nil {
		return nil, err
	}
	st, blocks, err := decodeStats(file[tr.arrowLen : tr.arrowLen+tr.statsLen])
	if err != nil {
		return nil, err
	}
	for i := range blocks {
		blocks[i].cols, blocks[i].metaCRC = nil, 0
	}
	stats := appendStats(nil, st, blocks)
	if stats[0] != colStatsVersion-1 {
		return nil, fmt.Errorf("stats version %d", stats[0])
	}
	tr.statsLen, tr.statsCRC = uint64(len(stats)), crc32.Checksum(stats, castagnoli)
	out := append(append([]byte(nil), file[:tr.arrowLen]...), stats...)
	return append(out, tr.encode()...), nil
}

// fieldOffset returns the file offset of the range of field j in batch i's
// message, as the stats block gives it: after the metadata and the ranges
// before it.
func fieldOffset(r *Reader, i, j int) int64 {
	off := r.regions[i+1].off + r.blocks[i].meta
	for _, c := range r.blocks[i].cols[:j] {
		off += c.len
	}
	return off
}

// rowsOf is RowsOf with the columns named.
func rowsOf(r *Reader, i int, names ...string) (*columns.Batch, error) {
	return r.RowsOf(i, func(name string) bool {
		for _, n := range names {
			if n == name {
				return true
			}
		}
		return false
	})
}

// requireBatchErr checks that err is corruption of batch i alone.
func requireBatchErr(t *testing.T, err error, i int, what string) {
	t.Helper()
	require.ErrorIs(t, err, ErrCorrupt, what)
	bi, ok := DamagedBatch(err)
	require.True(t, ok, what)
	require.Equal(t, i, bi, what)
}

// TestDamagedColumnNotRead flips a byte of the message column of batch 1
// and recomputes no checksum: reads that leave message out neither read nor
// verify those bytes, so they succeed on every batch; reads of message,
// whole reads, Verify and VerifyBatches (the scrub) find the damage, in
// batch 1 alone.
func TestDamagedColumnNotRead(t *testing.T) {
	b := genWorkload(rand.New(rand.NewPCG(8, 9)), 3000)
	path, file, _ := writeSegment(t, b, WriteOptions{BatchRows: 1000})
	r, err := Open(path)
	require.NoError(t, err)
	msgField := r.byName[columns.Message]
	off := fieldOffset(r, 1, msgField) + r.blocks[1].cols[msgField].len/2
	require.NoError(t, r.Close())
	damaged := append([]byte(nil), file...)
	damaged[off] ^= 0x04
	path = writeFile(t, damaged)

	r, err = Open(path)
	require.NoError(t, err)
	defer r.Close()
	for i := range r.NumBatches() {
		lo, hi := 1000*i, 1000*(i+1)
		got, err := rowsOf(r, i, columns.Level)
		require.NoError(t, err, "batch %d, ts and level", i)
		require.Equal(t, b.TS[lo:hi], got.TS)
		requireStringsEqual(t, rowsRange(b, lo, hi).Level, got.Level, "level")
		rec, err := r.Batch(i, []string{columns.TS, columns.Service, "latency_ms"})
		require.NoError(t, err, "batch %d, ts, service and latency_ms", i)
		requireLogical(t, rec, b, lo, hi)
		rec.Release()

		_, errMsg := rowsOf(r, i, columns.Level, columns.Message)
		_, errBatch := r.Batch(i, []string{columns.Message})
		_, errAll := r.RowsOf(i, nil)
		for k, err := range []error{errMsg, errBatch, errAll} {
			what := fmt.Sprintf("batch %d, read %d", i, k)
			if i != 1 {
				require.NoError(t, err, what)
				continue
			}
			requireBatchErr(t, err, 1, what)
			require.ErrorContains(t, err, path)
		}
		if i == 1 {
			require.ErrorContains(t, errMsg, `column "message"`)
		}
	}
	require.ErrorIs(t, Verify(path), ErrCorrupt)
	bad, err := VerifyBatches(path)
	require.NoError(t, err)
	require.Len(t, bad, 1)
	require.Equal(t, 1, bad[0].Batch)
}

// requireStringsEqual compares two string columns value by value.
func requireStringsEqual(t *testing.T, want, got columns.Strings, name string) {
	t.Helper()
	require.Equal(t, want.Len(), got.Len(), name)
	for i := range want.Len() {
		w, wok := strAt(&want, i)
		g, gok := strAt(&got, i)
		require.Equal(t, wok, gok, "%s row %d", name, i)
		require.Equal(t, w, g, "%s row %d", name, i)
	}
}

// TestDamagedMetadataFailsEveryRead flips a byte in the flatbuffer of batch
// 1's message, and then one in its continuation token: every read of that
// batch depends on its metadata, so every read of it fails, and only it.
func TestDamagedMetadataFailsEveryRead(t *testing.T) {
	b := genRandom(rand.New(rand.NewPCG(5, 5)), randSpec{rows: 900, nullPct: 10, maxGapUS: 1e5, cards: [3]int{5, 20, 40}, traceHex: true, dynamic: true})
	path, file, _ := writeSegment(t, b, WriteOptions{BatchRows: 300})
	r, err := Open(path)
	require.NoError(t, err)
	meta := r.regions[2].off
	metaLen := r.blocks[1].meta
	names := make([]string, len(r.cols))
	for j, c := range r.cols {
		names[j] = c.name
	}
	require.NoError(t, r.Close())
	for _, off := range []int64{meta, meta + 5, meta + metaLen/2, meta + metaLen - 1} {
		damaged := append([]byte(nil), file...)
		damaged[off] ^= 0x40
		r, err := Open(writeFile(t, damaged))
		require.NoError(t, err)
		for i := range r.NumBatches() {
			for _, name := range names {
				what := fmt.Sprintf("flip at %d, batch %d, column %s", off, i, name)
				_, err := rowsOf(r, i, name)
				rec, errBatch := r.Batch(i, []string{name})
				if i != 1 {
					require.NoError(t, err, what)
					require.NoError(t, errBatch, what)
					rec.Release()
					continue
				}
				requireBatchErr(t, err, 1, what)
				requireBatchErr(t, errBatch, 1, what)
				require.ErrorContains(t, err, "message metadata", what)
			}
		}
		require.NoError(t, r.Close())
	}
}

// TestProjectedReadBytes counts the bytes a read takes from the file: on
// WORKLOAD-like data, a read of ts and level reads less than a quarter of
// the batch's block, one of ts, service and latency_ms little more, and a
// read of every column the block once. A file without per-field checksums
// reads the whole block for any read.
func TestProjectedReadBytes(t *testing.T) {
	b := genWorkload(rand.New(rand.NewPCG(11, 12)), 2*maxBatchRows)
	path, file, _ := writeSegment(t, b, WriteOptions{})
	for _, tc := range []struct {
		name string
		cols []string
		v4   bool
		max  float64 // of the block's bytes
	}{
		{"ts,level", []string{columns.Level}, true, 0.25},
		{"ts,service,latency_ms", []string{columns.Service, "latency_ms"}, true, 0.25},
		{"all", nil, true, 1},
		{"ts,level/version 3", []string{columns.Level}, false, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := path
			if !tc.v4 {
				p = writeFile(t, withoutFieldChecksums(t, file))
			}
			r, err := Open(p)
			require.NoError(t, err)
			defer r.Close()
			for i := range r.NumBatches() {
				before := r.src.bytesRead.Load()
				var err error
				if tc.cols == nil {
					_, err = r.RowsOf(i, nil)
				} else {
					_, err = rowsOf(r, i, tc.cols...)
				}
				require.NoError(t, err)
				n, block := r.src.bytesRead.Load()-before, r.regions[i+1].len
				share := float64(n) / float64(block)
				t.Logf("batch %d: %d of %d bytes (%.1f %%)", i, n, block, 100*share)
				require.LessOrEqual(t, share, tc.max)
				if tc.max == 1 {
					require.Equal(t, block, n, "the block once")
				}
			}
		})
	}
}

// TestFieldRangesMatchRecord cross-checks the per-field ranges the writer
// takes from the messages it wrote with the record batches it gave
// arrow-go: each field's range is its buffers as the IPC writer stores them
// (compressedSize, computed from the arrays, not from the file), and its
// checksum is that of those bytes of the file.
func TestFieldRangesMatchRecord(t *testing.T) {
	for k, b := range []*columns.Batch{
		genWorkload(rand.New(rand.NewPCG(1, 2)), 5000),
		genRandom(rand.New(rand.NewPCG(3, 4)), randSpec{rows: 3000, nullPct: 20, maxGapUS: 1e9, bigGapPct: 2, cards: [3]int{3, 300, 1 << 20}, dynamic: true}),
		manyDynamic(rand.New(rand.NewPCG(5, 6)), 1000, 20),
	} {
		const batchRows = 1024
		path, file, _ := writeSegment(t, b, WriteOptions{BatchRows: batchRows})
		r, err := Open(path)
		require.NoError(t, err)
		l := planLayout(b, batchRows, memory.DefaultAllocator)
		e := &encoder{l: l, mem: memory.DefaultAllocator}
		for i := range r.NumBatches() {
			rec, _, err := e.record(i*batchRows, min((i+1)*batchRows, b.Len()))
			require.NoError(t, err)
			blk := r.blocks[i]
			msg := file[r.regions[i+1].off:]
			require.Equal(t, crc32.Checksum(msg[:blk.meta], castagnoli), blk.metaCRC)
			off := blk.meta
			for j, col := range rec.Columns() {
				data := col.Data()
				if d, ok := col.(*array.Dictionary); ok {
					data = d.Indices().Data()
				}
				bufs := data.Buffers()
				if col.NullN() == 0 {
					bufs = bufs[1:] // the IPC writer leaves the bitmap out
				}
				what := fmt.Sprintf("case %d, batch %d, field %s", k, i, rec.Schema().Field(j).Name)
				n := compressedSize(bufs)
				require.Equal(t, n, blk.cols[j].len, what)
				require.Equal(t, crc32.Checksum(msg[off:off+n], castagnoli), blk.cols[j].crc, what)
				off += n
			}
			require.Equal(t, r.regions[i+1].len, off)
			rec.Release()
		}
		l.release()
		require.NoError(t, r.Close())
	}
}

// TestReadsStatsVersion3 opens a segment written before stats version 4
// (testdata/stats-v3.seg, written by commit 244d6f3 from the batch below):
// it has no per-field checksums, so every read reads and verifies whole
// blocks, and its rows and statistics read back; Verify passes.
func TestReadsStatsVersion3(t *testing.T) {
	b := genRandom(rand.New(rand.NewPCG(3, 3)), randSpec{rows: 1000, nullPct: 10, maxGapUS: 1000, cards: [3]int{4, 20, 50}, traceHex: true, dynamic: true})
	const batchRows = 256
	checkOlderSegment(t, "stats-v3.seg", 3, b, batchRows)
	path := filepath.Join("testdata", "stats-v3.seg")
	require.NoError(t, Verify(path))
	r, err := Open(path)
	require.NoError(t, err)
	defer r.Close()
	for i := range r.NumBatches() {
		require.Nil(t, r.blocks[i].cols)
		before := r.src.bytesRead.Load()
		got, err := rowsOf(r, i, columns.Level)
		require.NoError(t, err)
		require.Equal(t, b.TS[i*batchRows:min((i+1)*batchRows, b.Len())], got.TS)
		require.Equal(t, r.regions[i+1].len, r.src.bytesRead.Load()-before, "the whole block")
	}
	// A file written now differs only in its stats block.
	var file []byte
	file, err = os.ReadFile(path)
	require.NoError(t, err)
	_, now, _ := writeSegment(t, b, WriteOptions{BatchRows: batchRows})
	require.Equal(t, file, withoutFieldChecksums(t, now))
}

// TestVerifyChecksFieldChecksums gives one field of batch 1 a wrong
// checksum in a stats block that is otherwise sound (as a writer bug
// would): block_crc holds, yet Verify and VerifyBatches report the batch,
// naming the field, since reads of that field would fail.
func TestVerifyChecksFieldChecksums(t *testing.T) {
	b := genWorkload(rand.New(rand.NewPCG(2, 3)), 3000)
	_, file, _ := writeSegment(t, b, WriteOptions{BatchRows: 1000})
	tr, err := decodeTrailer("x", file[len(file)-trailerSize:], int64(len(file)))
	require.NoError(t, err)
	st, blocks, err := decodeStats(file[tr.arrowLen : tr.arrowLen+tr.statsLen])
	require.NoError(t, err)
	blocks[1].cols[4].crc ^= 1 // trace_id
	path := writeFile(t, replaceStats(t, file, st, blocks))
	require.ErrorIs(t, Verify(path), ErrCorrupt)
	bad, err := VerifyBatches(path)
	require.NoError(t, err)
	require.Len(t, bad, 1)
	require.Equal(t, 1, bad[0].Batch)
	require.ErrorContains(t, bad[0], `column "trace_id"`)
	r, err := Open(path)
	require.NoError(t, err)
	defer r.Close()
	_, err = rowsOf(r, 1, columns.TraceID)
	requireBatchErr(t, err, 1, "read of trace_id")
	_, err = r.RowsOf(1, nil)
	require.NoError(t, err, "a whole read checks block_crc")
}
