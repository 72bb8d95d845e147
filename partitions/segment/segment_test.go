package segment

import (
	"bytes"
	"encoding/binary"
	"errors"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/stretchr/testify/require"

	"logq/partitions/columns"
)

// writeSegment encodes b into a file in a temporary directory and returns
// its path, its bytes and the stats Encode returned.
func writeSegment(t testing.TB, b *columns.Batch, o WriteOptions) (string, []byte, *Stats) {
	t.Helper()
	var buf bytes.Buffer
	st, err := Encode(&buf, b, o)
	require.NoError(t, err)
	path := filepath.Join(t.TempDir(), "seg")
	require.NoError(t, os.WriteFile(path, buf.Bytes(), 0o600))
	return path, buf.Bytes(), st
}

// roundTripCase is one input of TestRoundTrip and TestSummarize.
type roundTripCase struct {
	name string
	opts WriteOptions
	gen  func(rng *rand.Rand) *columns.Batch
}

func TestRoundTrip(t *testing.T) {
	for i, tc := range roundTripCases() {
		t.Run(tc.name, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(uint64(i), 42))
			b := tc.gen(rng)
			checkRoundTrip(t, b, tc.opts)
		})
	}
}

// roundTripCases covers the encoding choices: dictionaries or not, value
// lists or blooms, tuple counts or not, NULLs, dynamic columns, batch sizes.
func roundTripCases() []roundTripCase {
	return []roundTripCase{
		{"workload", WriteOptions{BatchRows: 4096}, func(rng *rand.Rand) *columns.Batch { return genWorkload(rng, 20000) }},
		{"single row", WriteOptions{}, func(rng *rand.Rand) *columns.Batch {
			return genRandom(rng, randSpec{rows: 1, nullPct: 0, cards: [3]int{1, 1, 1}, traceHex: true, dynamic: true})
		}},
		{"single row all null", WriteOptions{}, func(rng *rand.Rand) *columns.Batch {
			return genRandom(rng, randSpec{rows: 1, nullPct: 100, dynamic: true})
		}},
		{"random nulls and dynamic columns", WriteOptions{BatchRows: 1000}, func(rng *rand.Rand) *columns.Batch {
			return genRandom(rng, randSpec{rows: 5000, nullPct: 20, maxGapUS: 1e6, cards: [3]int{7, 300, 2000}, traceHex: true, dynamic: true})
		}},
		{"equal timestamps", WriteOptions{BatchRows: 100}, func(rng *rand.Rand) *columns.Batch {
			return genRandom(rng, randSpec{rows: 1000, nullPct: 5, maxGapUS: 0, cards: [3]int{3, 3, 3}, traceHex: true})
		}},
		{"gaps past uint32 force int64 deltas", WriteOptions{BatchRows: 64}, func(rng *rand.Rand) *columns.Batch {
			return genRandom(rng, randSpec{rows: 500, nullPct: 10, maxGapUS: 1e9, bigGapPct: 3, cards: [3]int{2, 2, 2}, dynamic: true})
		}},
		{"extreme timestamps", WriteOptions{BatchRows: 3}, extremeTimestamps},
		{"non-hex trace ids and huge strings", WriteOptions{BatchRows: 50}, func(rng *rand.Rand) *columns.Batch {
			return genRandom(rng, randSpec{rows: 200, nullPct: 10, maxGapUS: 1000, cards: [3]int{5, 5, 5}, hugeEvery: 60})
		}},
		{"more than 65536 rows", WriteOptions{}, func(rng *rand.Rand) *columns.Batch {
			return genRandom(rng, randSpec{rows: 150000, nullPct: 3, maxGapUS: 50000, cards: [3]int{300, 1500, 40000}, traceHex: true, dynamic: true})
		}},
		{"plain service past 65536 distinct", WriteOptions{BatchRows: 10000}, func(rng *rand.Rand) *columns.Batch {
			return genRandom(rng, randSpec{rows: 70000, nullPct: 1, maxGapUS: 100, cards: [3]int{1000, 1 << 30, 10}, traceHex: true})
		}},
		{"too many tuples to count, sparse", WriteOptions{BatchRows: 8000}, func(rng *rand.Rand) *columns.Batch {
			return genRandom(rng, randSpec{rows: 16000, nullPct: 2, maxGapUS: 100, cards: [3]int{10, 300, 1000}, traceHex: true})
		}},
		{"too many tuples to count, dense", WriteOptions{BatchRows: 30000}, func(rng *rand.Rand) *columns.Batch {
			return genRandom(rng, randSpec{rows: 30000, nullPct: 2, maxGapUS: 100, cards: [3]int{8, 30, 200}, traceHex: true})
		}},
		{"tiny batches and bloom bits", WriteOptions{BatchRows: 7, BloomBitsPerKey: 3}, func(rng *rand.Rand) *columns.Batch {
			return genRandom(rng, randSpec{rows: 300, nullPct: 30, maxGapUS: 10, cards: [3]int{4, 100, 100}, traceHex: true, dynamic: true})
		}},
	}
}

// extremeTimestamps spans the whole int64 range, so that row-to-row deltas
// overflow int64 and must wrap back on decoding.
func extremeTimestamps(*rand.Rand) *columns.Batch {
	b := &columns.Batch{}
	for _, ts := range []int64{math.MinInt64, math.MinInt64, -1, 0, 0, math.MaxInt64 - 1, math.MaxInt64} {
		b.TS = append(b.TS, ts)
		b.Level.AppendString("INFO")
		b.Service.AppendNull()
		b.Host.AppendString("")
		b.TraceID.AppendString("ffffffffffffffff")
		b.Message.AppendString("")
	}
	return b
}

// checkRoundTrip writes b, reads it back in every way, and compares values
// and statistics with the brute-force expectations.
func checkRoundTrip(t *testing.T, b *columns.Batch, o WriteOptions) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	o.Allocator = mem
	path, file, st := writeSegment(t, b, o)
	full, _ := o.withDefaults()

	fields := expectFields(b, full.BatchRows)
	schema, bodies := arrowSizes(t, arrowSection(t, file))
	require.Equal(t, len(fields), schema.NumFields())
	for k, f := range fields {
		require.Equal(t, f.name, schema.Field(k).Name)
		require.True(t, arrow.TypeEqual(f.typ, schema.Field(k).Type), "%s: got %s, want %s", f.name, schema.Field(k).Type, f.typ)
	}
	want := expectStats(b, fields, full.BatchRows, full.BloomBitsPerKey)
	want.CompressedBytes = int64(len(arrowSection(t, file)))
	require.Len(t, bodies, len(want.Batches))
	for k := range want.Batches {
		want.Batches[k].CompressedBytes = bodies[k]
	}
	require.Equal(t, want, st, "stats returned by Encode")

	got, err := ReadStats(path)
	require.NoError(t, err)
	require.Equal(t, want, got, "ReadStats")

	r, err := Open(path, WithAllocator(mem))
	require.NoError(t, err)
	defer func() { require.NoError(t, r.Close()) }()
	require.Equal(t, want, r.Stats())
	require.Equal(t, len(want.Batches), r.NumBatches())
	checkReads(t, r, b, full.BatchRows)
}

// checkCodes checks the dictionary codes decoding gives a core column:
// every non-NULL row's code names its value, and the dictionary's entries
// are distinct. A dictionary-encoded core column must have them.
func checkCodes(t *testing.T, b *columns.Batch) {
	withCodes := 0
	for _, s := range []*columns.Strings{&b.Level, &b.Service, &b.Host, &b.TraceID, &b.Message} {
		if s.Codes == nil {
			require.Nil(t, s.Dict)
			continue
		}
		withCodes++
		require.Len(t, s.Codes, s.Len())
		seen := map[string]bool{}
		for _, v := range s.Dict {
			require.False(t, seen[string(v)], "dictionary entry %q twice", v)
			seen[string(v)] = true
		}
		for i := range s.Len() {
			if !s.IsNull(i) {
				require.Equal(t, string(s.Value(i)), string(s.Dict[s.Codes[i]]), "row %d", i)
			}
		}
	}
	require.Positive(t, withCodes, "level is always dictionary-encoded")
}

// checkReads reads every batch with Rows and Batch (all columns and a
// projection) and compares them with b.
func checkReads(t *testing.T, r *Reader, b *columns.Batch, batchRows int) {
	var parts []*columns.Batch
	for i := range r.NumBatches() {
		lo, hi := i*batchRows, min((i+1)*batchRows, b.Len())
		rows, err := r.Rows(i)
		require.NoError(t, err)
		parts = append(parts, rows)
		checkCodes(t, rows)

		rec, err := r.Batch(i, nil)
		require.NoError(t, err)
		requireLogical(t, rec, b, lo, hi)
		rec.Release()

		proj := []string{"message", "ts"}
		if len(b.Dynamic) > 0 {
			proj = append(proj, b.Dynamic[len(b.Dynamic)-1].Name)
		}
		rec, err = r.Batch(i, proj)
		require.NoError(t, err)
		require.EqualValues(t, len(proj), rec.NumCols())
		for k, name := range proj {
			require.Equal(t, name, rec.Schema().Field(k).Name)
		}
		requireLogical(t, rec, b, lo, hi)
		rec.Release()
	}
	requireSameRows(t, b, columns.Concat(parts...))
}

func TestConcurrentReads(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	rng := rand.New(rand.NewPCG(7, 7))
	b := genWorkload(rng, 5000)
	path, _, _ := writeSegment(t, b, WriteOptions{BatchRows: 500, Allocator: mem})
	r, err := Open(path, WithAllocator(mem))
	require.NoError(t, err)
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for k := range 40 {
				i := (g + k) % r.NumBatches()
				cols := []string{"ts", "service", "trace_id", "level"}
				if k%3 == 0 {
					cols = nil // whole blocks, pinned and shared, beside reads of pieces
				}
				rec, err := r.Batch(i, cols)
				if !assertNoError(t, err) {
					return
				}
				requireLogicalNoFail(t, rec, b, i*500, (i+1)*500)
				rec.Release()
			}
		}()
	}
	wg.Wait()
	require.NoError(t, r.Close())
	require.NoError(t, r.Close(), "Close is idempotent")
	_, err = r.Batch(0, nil)
	require.ErrorIs(t, err, ErrClosed)
}

// assertNoError reports err from a goroutine other than the test's.
func assertNoError(t *testing.T, err error) bool {
	if err != nil {
		t.Errorf("unexpected error: %v", err)
		return false
	}
	return true
}

// requireLogicalNoFail is requireLogical for goroutines: it reports the
// first mismatch with t.Errorf instead of stopping the test.
func requireLogicalNoFail(t *testing.T, rec arrow.RecordBatch, b *columns.Batch, lo, hi int) {
	rt := &recordingT{}
	func() {
		defer func() { _ = recover() }()
		requireLogical(rt, rec, b, lo, hi)
	}()
	if rt.failed {
		t.Errorf("batch [%d, %d): %s", lo, hi, rt.msg)
	}
}

// recordingT collects a require failure without calling runtime.Goexit on
// another goroutine's test.
type recordingT struct {
	testing.TB
	failed bool
	msg    string
}

func (r *recordingT) Helper() {}
func (r *recordingT) Errorf(format string, args ...any) {
	r.failed = true
	r.msg = strings.TrimSpace(strings.ReplaceAll(format, "\n", " "))
	_ = args
}
func (r *recordingT) FailNow() { panic("failed") }

func TestEncodeErrors(t *testing.T) {
	valid := func() *columns.Batch {
		return genRandom(rand.New(rand.NewPCG(1, 1)), randSpec{rows: 10, maxGapUS: 10, cards: [3]int{2, 2, 2}, traceHex: true, dynamic: true})
	}
	cases := []struct {
		name   string
		mutate func(b *columns.Batch)
		opts   WriteOptions
		is     error
	}{
		{"empty batch", func(b *columns.Batch) { *b = columns.Batch{} }, WriteOptions{}, ErrEmpty},
		{"unsorted", func(b *columns.Batch) { b.TS[3], b.TS[4] = b.TS[4]+1, b.TS[3] }, WriteOptions{}, nil},
		{"short core column", func(b *columns.Batch) { b.Host.Ends = b.Host.Ends[:9] }, WriteOptions{}, nil},
		{"short validity", func(b *columns.Batch) { b.Message.Valid = make([]bool, 3) }, WriteOptions{}, nil},
		{"bad ends", func(b *columns.Batch) { b.Message.Ends[9] = 1 << 30 }, WriteOptions{}, nil},
		{"short dynamic", func(b *columns.Batch) { b.Dynamic[0].Valid = b.Dynamic[0].Valid[:2] }, WriteOptions{}, nil},
		{"dynamic named ts", func(b *columns.Batch) { b.Dynamic[0].Name = "ts" }, WriteOptions{}, nil},
		{"duplicate dynamic", func(b *columns.Batch) { b.Dynamic[1].Name = b.Dynamic[0].Name }, WriteOptions{}, nil},
		{"invalid type", func(b *columns.Batch) { b.Dynamic[0].Type = 9 }, WriteOptions{}, nil},
		{"batch rows too large", func(*columns.Batch) {}, WriteOptions{BatchRows: 65537}, nil},
		{"negative batch rows", func(*columns.Batch) {}, WriteOptions{BatchRows: -1}, nil},
		{"bloom bits too large", func(*columns.Batch) {}, WriteOptions{BloomBitsPerKey: 65}, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			b := valid()
			tc.mutate(b)
			var buf bytes.Buffer
			_, err := Encode(&buf, b, tc.opts)
			require.Error(t, err)
			if tc.is != nil {
				require.ErrorIs(t, err, tc.is)
			}
			require.False(t, errors.Is(err, ErrCorrupt))
		})
	}
}

func TestBatchErrors(t *testing.T) {
	b := genWorkload(rand.New(rand.NewPCG(2, 2)), 100)
	path, _, _ := writeSegment(t, b, WriteOptions{})
	r, err := Open(path)
	require.NoError(t, err)
	defer r.Close()
	_, err = r.Batch(1, nil)
	require.Error(t, err)
	_, err = r.Batch(-1, nil)
	require.Error(t, err)
	_, err = r.Batch(0, []string{"ts", "no such column"})
	require.ErrorContains(t, err, "no such column")
	_, err = r.Rows(5)
	require.Error(t, err)
}

func TestEncodingThresholds(t *testing.T) {
	cases := []struct {
		name string
		opts WriteOptions
		spec cycleSpec
	}{
		{"int8 uint8 int16 indices, 256 and 257 levels", WriteOptions{BatchRows: 300}, cycleSpec{
			rows: 600,
			level: func(i int) int {
				if i < 300 {
					return i % 256
				}
				return i % 257
			},
			svc: mod(128), host: mod(129),
			dynCards: []int{256, 257, 75, 76}, // 600/8 = 75: 75 values are a dictionary, 76 are not
			dynInts:  [][]int64{{-128, 127}, {-129, 0}, {128}, {-32768, 32767}, {32768}, {math.MinInt32, math.MaxInt32}, {math.MaxInt32 + 1}, {math.MinInt64}},
		}},
		{"int16 and int32 indices, 1024 and 1025 values", WriteOptions{BatchRows: 1025}, cycleSpec{
			rows:  32769,
			level: mod(5), svc: mod(32768), host: mod(32769),
			dynCards: []int{4096, 4097},
			nullRow:  true,
		}},
		{"exact value sets at the limit", WriteOptions{BatchRows: 2048}, cycleSpec{
			rows:  4096,
			level: mod(3), svc: mod(1024), host: mod(1025),
			traceUpper: true,
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			checkRoundTrip(t, genCycle(tc.spec), tc.opts)
		})
	}
}

// TestOpenReadsNoBatch checks that Open verifies only the meta regions and
// that damage in one batch affects that batch alone.
func TestOpenReadsNoBatch(t *testing.T) {
	b := genWorkload(rand.New(rand.NewPCG(5, 5)), 3000)
	_, file, _ := writeSegment(t, b, WriteOptions{BatchRows: 1000})
	tr := file[len(file)-trailerSize:]
	headLen := int(binary.LittleEndian.Uint64(tr[16:]))
	r0, err := ReadStats(writeFile(t, file))
	require.NoError(t, err)
	block1 := headLen + int(r0.Batches[0].CompressedBytes) + 4000 // past block 0 (its metadata is smaller), inside block 1
	file[block1] ^= 0x01
	path := writeFile(t, file)
	_, err = ReadStats(path)
	require.NoError(t, err)
	r, err := Open(path)
	require.NoError(t, err)
	defer r.Close()
	for i, wantErr := range []bool{false, true, false} {
		rec, err := r.Batch(i, nil)
		if wantErr {
			require.ErrorIs(t, err, ErrCorrupt)
			require.ErrorContains(t, err, path)
			continue
		}
		require.NoError(t, err)
		requireLogical(t, rec, b, 1000*i, 1000*(i+1))
		rec.Release()
	}
}

func writeFile(t *testing.T, data []byte) string {
	path := filepath.Join(t.TempDir(), "seg")
	require.NoError(t, os.WriteFile(path, data, 0o600))
	return path
}

// TestBatchOutlivesReader checks that a batch stays valid after its reader
// is closed (it holds references to the buffers and dictionaries it uses).
func TestBatchOutlivesReader(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	b := genWorkload(rand.New(rand.NewPCG(6, 6)), 300)
	path, _, _ := writeSegment(t, b, WriteOptions{Allocator: mem})
	r, err := Open(path, WithAllocator(mem))
	require.NoError(t, err)
	rec, err := r.Batch(0, nil)
	require.NoError(t, err)
	require.NoError(t, r.Close())
	requireLogical(t, rec, b, 0, 300)
	rec.Release()
}
