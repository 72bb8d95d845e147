package segment

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/ipc"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/stretchr/testify/require"

	"logq/partitions/columns"
)

// arrowReference decodes every record batch of a segment file with
// arrow-go's own file reader (RecordBatchAt decompresses every buffer): the
// reader's path before projected reads, as an independent reference. The
// caller must release the batches.
func arrowReference(t testing.TB, mem memory.Allocator, file []byte) []arrow.RecordBatch {
	t.Helper()
	fr, err := ipc.NewFileReader(bytes.NewReader(arrowSection(t, file)), ipc.WithAllocator(mem))
	require.NoError(t, err)
	defer fr.Close()
	recs := make([]arrow.RecordBatch, fr.NumRecords())
	for i := range recs {
		recs[i], err = fr.RecordBatchAt(i)
		require.NoError(t, err)
	}
	return recs
}

// manyDynamic returns a batch with n dynamic columns of every type, some
// dictionary-encoded, some sparse, on top of random core columns.
func manyDynamic(rng *rand.Rand, rows, n int) *columns.Batch {
	b := genRandom(rng, randSpec{rows: rows, nullPct: 5, maxGapUS: 1e6, cards: [3]int{3, 30, 300}})
	for k := range n {
		var d *columns.Dynamic
		switch k % 5 {
		case 0:
			d = b.AddColumn(fmt.Sprintf("n%d", k), columns.TypeInt64, 0)
		case 1:
			d = b.AddColumn(fmt.Sprintf("f%d", k), columns.TypeFloat64, 0)
		case 2:
			d = b.AddColumn(fmt.Sprintf("b%d", k), columns.TypeBool, 0)
		default:
			d = b.AddColumn(fmt.Sprintf("s%d", k), columns.TypeString, 0)
		}
		for i := range rows {
			if rng.IntN(4) == 0 && k%2 == 1 {
				d.AppendNull()
				continue
			}
			switch d.Type {
			case columns.TypeInt64:
				d.AppendInt(rng.Int64N(int64(1) << (8*(k%8+1) - 2)))
			case columns.TypeFloat64:
				d.AppendFloat(randFloat(rng))
			case columns.TypeBool:
				d.AppendBool(rng.IntN(2) == 0)
			default:
				if k%5 == 3 {
					d.AppendString([]byte(pickValue(rng, "v", 7)))
				} else {
					d.AppendString([]byte(randText(rng, i, 0)))
				}
			}
		}
	}
	return b
}

// projectionCases returns the projections to try on a reader: none (all
// columns), ts alone, each column alone, and a few random sets.
func projectionCases(rng *rand.Rand, r *Reader) [][]string {
	out := [][]string{nil, {}}
	for _, c := range r.cols {
		out = append(out, []string{c.name})
	}
	for range 4 {
		var set []string
		for _, c := range r.cols {
			if rng.IntN(3) == 0 {
				set = append(set, c.name)
			}
		}
		out = append(out, set)
	}
	return out
}

// TestProjectionMatchesArrow reads generated segments with every column
// kind through projections and compares each read with the same batch as
// arrow-go decodes it whole: RowsOf and Batch must give the very values of
// the columns asked for, from files with per-field checksums, whose reads
// of some columns read only those, and from files without.
func TestProjectionMatchesArrow(t *testing.T) {
	cases := []struct {
		name string
		b    func(*rand.Rand) *columns.Batch
		rows int
	}{
		{"hex trace, nulls, dynamic", func(rng *rand.Rand) *columns.Batch {
			return genRandom(rng, randSpec{rows: 700, nullPct: 15, maxGapUS: 1e5, cards: [3]int{4, 40, 400}, traceHex: true, dynamic: true})
		}, 256},
		{"text trace, wide ts", func(rng *rand.Rand) *columns.Batch {
			return genRandom(rng, randSpec{rows: 500, nullPct: 30, maxGapUS: 1e9, bigGapPct: 5, cards: [3]int{2, 3, 1}, dynamic: true})
		}, 100},
		{"all NULL", func(rng *rand.Rand) *columns.Batch {
			return genRandom(rng, randSpec{rows: 50, nullPct: 100, maxGapUS: 10, dynamic: true})
		}, 16},
		{"no NULLs, plain strings", func(rng *rand.Rand) *columns.Batch {
			return genRandom(rng, randSpec{rows: 300, maxGapUS: 1e3, cards: [3]int{1 << 20, 1 << 20, 1 << 20}})
		}, 128},
		{"workload", func(rng *rand.Rand) *columns.Batch { return genWorkload(rng, 5000) }, 2000},
		{"many dynamic columns", func(rng *rand.Rand) *columns.Batch { return manyDynamic(rng, 600, 60) }, 200},
	}
	for k, tc := range cases {
		for _, v4 := range []bool{true, false} {
			t.Run(fmt.Sprintf("%s/per-field checksums=%v", tc.name, v4), func(t *testing.T) {
				testProjectionMatchesArrow(t, uint64(k), tc.b, tc.rows, v4)
			})
		}
	}
}

// testProjectionMatchesArrow is one case of TestProjectionMatchesArrow: a
// file as written (stats version 4, reads of some columns read only those),
// or with the stats block as version 3 wrote it (whole blocks read).
func testProjectionMatchesArrow(t *testing.T, seed uint64, gen func(*rand.Rand) *columns.Batch, rows int, v4 bool) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	rng := rand.New(rand.NewPCG(seed, 15))
	path, file, _ := writeSegment(t, gen(rng), WriteOptions{BatchRows: rows})
	if !v4 {
		file = withoutFieldChecksums(t, file)
		path = writeFile(t, file)
	}
	r, err := Open(path, WithAllocator(mem))
	require.NoError(t, err)
	defer r.Close()
	for _, blk := range r.blocks {
		require.Equal(t, v4, blk.cols != nil)
	}
	refs := arrowReference(t, mem, file)
	defer func() {
		for _, rec := range refs {
			rec.Release()
		}
	}()
	require.Len(t, refs, r.NumBatches())
	for i, ref := range refs {
		for _, cols := range projectionCases(rng, r) {
			checkProjection(t, r, i, ref, cols)
		}
	}
}

// checkProjection compares RowsOf and Batch of batch i with projection cols
// (nil: all) against ref, arrow-go's decoding of the batch.
func checkProjection(t *testing.T, r *Reader, i int, ref arrow.RecordBatch, cols []string) {
	t.Helper()
	what := fmt.Sprintf("batch %d, columns %q", i, cols)
	sel := make(map[string]bool)
	for _, c := range cols {
		sel[c] = true
	}
	// The reference: arrow-go's arrays, validated as the reader validates
	// its own, converted by the same code, with the columns not asked for
	// left out as RowsOf leaves them out.
	bs := &r.stats.Batches[i]
	phys := make([]arrow.Array, len(r.cols))
	for j := range r.cols {
		require.NoError(t, checkArray(&r.cols[j], ref.Column(j), bs.Rows), what)
		if j == 0 || cols == nil || sel[r.cols[j].name] {
			phys[j] = ref.Column(j)
		}
	}
	require.NoError(t, checkTS(ref.Column(0), bs), what)
	var want func(string) bool
	if cols != nil {
		want = func(name string) bool { return sel[name] }
	}
	got, err := r.RowsOf(i, want)
	require.NoError(t, err, what)
	requireSameBatch(t, r.rowsFrom(phys, bs.MinTS), got, what)

	rec, err := r.Batch(i, cols)
	require.NoError(t, err, what)
	defer rec.Release()
	for k, f := range rec.Schema().Fields() {
		j := r.byName[f.Name]
		wantArr := r.logical(&r.cols[j], ref.Column(j), bs)
		requireSameArray(t, wantArr, rec.Column(k), what+" "+f.Name)
		wantArr.Release()
	}
}

// requireSameBatch is require.Equal for batches whose float columns may
// hold NaN, which is not equal to itself: it compares the bits of floats.
func requireSameBatch(t testing.TB, want, got *columns.Batch, what string) {
	t.Helper()
	wb, wf := withoutFloats(want)
	gb, gf := withoutFloats(got)
	require.Equal(t, wf, gf, what)
	require.Equal(t, wb, gb, what)
}

// withoutFloats returns a copy of b without the float values of its
// dynamic columns, and their bits by column name. It does not modify b.
func withoutFloats(b *columns.Batch) (*columns.Batch, map[string][]uint64) {
	bits := make(map[string][]uint64)
	c := &columns.Batch{TS: b.TS, Level: b.Level, Service: b.Service, Host: b.Host, TraceID: b.TraceID, Message: b.Message}
	ds := make([]*columns.Dynamic, len(b.Dynamic))
	for k, d := range b.Dynamic {
		dc := *d
		if d.Floats != nil {
			v := make([]uint64, len(d.Floats))
			for i, f := range d.Floats {
				v[i] = math.Float64bits(f)
			}
			bits[d.Name], dc.Floats = v, nil
		}
		ds[k] = &dc
	}
	c.SetDynamic(ds)
	return c, bits
}

// coreStrings returns core column j (1 to 5) of b.
func coreStrings(b *columns.Batch, j int) *columns.Strings {
	return []*columns.Strings{&b.Level, &b.Service, &b.Host, &b.TraceID, &b.Message}[j-1]
}

// requireSameArray compares two logical arrays row by row.
func requireSameArray(t testing.TB, want, got arrow.Array, what string) {
	t.Helper()
	require.True(t, arrow.TypeEqual(want.DataType(), got.DataType()), "%s: type %s, want %s", what, got.DataType(), want.DataType())
	require.Equal(t, want.Len(), got.Len(), what)
	for i := range want.Len() {
		require.Equal(t, want.IsValid(i), got.IsValid(i), "%s row %d", what, i)
		if want.IsValid(i) {
			require.Equal(t, want.ValueStr(i), got.ValueStr(i), "%s row %d", what, i)
		}
	}
}

// bufferAt locates, in a segment file, buffer k of field j of batch i: its
// offset in the file and its stored length, from the batch's message.
func bufferAt(t *testing.T, r *Reader, file []byte, i, j, k int) (int, int) {
	t.Helper()
	g := r.regions[i+1]
	block := file[g.off : g.off+g.len]
	msg, err := parseMessage(block[:r.blocks[i].meta], fbHeaderRecordBatch)
	require.NoError(t, err)
	l, err := layoutOf(msg.batch)
	require.NoError(t, err)
	p := l.buffers[(r.bufAt[j]+k)*fbStructBytes:]
	off, n := binary.LittleEndian.Uint64(p), binary.LittleEndian.Uint64(p[8:])
	return int(g.off + r.blocks[i].meta + int64(off)), int(n)
}

// TestProjectionSkipsOtherColumns damages the message column of one batch
// (with the checksums recomputed, so that the damage reaches the decoder):
// reads that leave message out must not notice, which shows that they do
// not decompress its buffers, and reads that include it must fail for that
// batch alone.
func TestProjectionSkipsOtherColumns(t *testing.T) {
	b := genWorkload(rand.New(rand.NewPCG(8, 8)), 3000)
	path, file, _ := writeSegment(t, b, WriteOptions{BatchRows: 1000})
	r, err := Open(path)
	require.NoError(t, err)
	msgField := r.byName[columns.Message]
	damages := map[string]func(buf []byte){
		"lz4 frame": func(buf []byte) { buf[8] ^= 0xff },                            // the frame's magic
		"huge size": func(buf []byte) { binary.LittleEndian.PutUint64(buf, 1<<40) }, // more than LZ4 can expand to
		"size":      func(buf []byte) { binary.LittleEndian.PutUint64(buf, binary.LittleEndian.Uint64(buf)+1) },
	}
	off, n := bufferAt(t, r, file, 1, msgField, 2) // message's data buffer in batch 1
	require.NoError(t, r.Close())
	for name, damage := range damages {
		t.Run(name, func(t *testing.T) {
			damaged := append([]byte(nil), file...)
			damage(damaged[off : off+n])
			damaged, ok := reseal(damaged)
			require.True(t, ok)
			r, err := Open(writeFile(t, damaged))
			require.NoError(t, err)
			defer r.Close()
			want := func(name string) bool { return name == columns.Service || name == "latency_ms" }
			for i := range r.NumBatches() {
				got, err := r.RowsOf(i, want)
				require.NoError(t, err, "batch %d without message", i)
				require.Equal(t, b.TS[1000*i:1000*(i+1)], got.TS)
				rec, err := r.Batch(i, []string{columns.Service, columns.Host})
				require.NoError(t, err)
				requireLogical(t, rec, b, 1000*i, 1000*(i+1))
				rec.Release()

				_, err = r.RowsOf(i, nil)
				_, errBatch := r.Batch(i, []string{columns.Message})
				if i != 1 {
					require.NoError(t, err)
					require.NoError(t, errBatch)
					continue
				}
				for _, err := range []error{err, errBatch} {
					require.ErrorIs(t, err, ErrCorrupt)
					bi, ok := DamagedBatch(err)
					require.True(t, ok)
					require.Equal(t, 1, bi)
				}
			}
		})
	}
}
