package columns

import (
	"encoding/binary"
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// rowModel is one row as the test expects to read it back: nil means NULL.
type rowModel struct {
	ts   int64
	core [5]*string
	dyn  []any // nil, int64, float64, bool or string, per dynamic column
}

// batchModel describes a batch independently of the columns package.
type batchModel struct {
	dynNames []string
	dynTypes []Type
	// validAlways makes the core string columns carry a validity slice even
	// when no value is NULL, which the encoding must preserve.
	validAlways bool
	rows        []rowModel
}

// build constructs the batch through the package's public API.
func (m *batchModel) build() *Batch {
	b := &Batch{}
	core := b.CoreStrings()
	if m.validAlways {
		for _, s := range core {
			s.Valid = []bool{}
		}
	}
	for i, name := range m.dynNames {
		b.AddColumn(name, m.dynTypes[i], 0)
	}
	for _, r := range m.rows {
		b.TS = append(b.TS, r.ts)
		for i, v := range r.core {
			if v == nil {
				core[i].AppendNull()
			} else {
				core[i].AppendString(*v)
			}
		}
		for i, v := range r.dyn {
			appendAny(b.Dynamic[i], v)
		}
	}
	return b
}

func appendAny(d *Dynamic, v any) {
	switch v := v.(type) {
	case nil:
		d.AppendNull()
	case int64:
		d.AppendInt(v)
	case float64:
		d.AppendFloat(v)
	case bool:
		d.AppendBool(v)
	case string:
		d.AppendString([]byte(v))
	default:
		panic(fmt.Sprintf("test bug: value %T", v))
	}
}

// requireMatches checks every value of b against the model.
func (m *batchModel) requireMatches(t testing.TB, b *Batch) {
	t.Helper()
	require.Equal(t, len(m.rows), b.Len())
	require.Len(t, b.Dynamic, len(m.dynNames))
	for j, d := range b.Dynamic {
		require.Equal(t, m.dynNames[j], d.Name)
		require.Equal(t, m.dynTypes[j], d.Type)
		require.Equal(t, len(m.rows), d.Len())
	}
	core := b.CoreStrings()
	for i, r := range m.rows {
		require.Equal(t, r.ts, b.TS[i], "ts of row %d", i)
		for c, want := range r.core {
			require.Equal(t, want == nil, core[c].IsNull(i), "%s null of row %d", CoreNames[c+1], i)
			if want != nil {
				require.Equal(t, *want, string(core[c].Value(i)), "%s of row %d", CoreNames[c+1], i)
			} else {
				require.Empty(t, core[c].Value(i))
			}
		}
		for j, want := range r.dyn {
			requireDynamicValue(t, b.Dynamic[j], i, want)
		}
	}
}

func requireDynamicValue(t testing.TB, d *Dynamic, i int, want any) {
	t.Helper()
	require.Equal(t, want == nil, d.IsNull(i), "column %s row %d null", d.Name, i)
	var got any
	switch {
	case want == nil:
		return
	case d.Type == TypeInt64:
		got = d.Ints[i]
	case d.Type == TypeFloat64:
		// Compare bits so that NaN payloads count as equal values.
		got, want = math.Float64bits(d.Floats[i]), math.Float64bits(want.(float64))
	case d.Type == TypeBool:
		got = d.Bools[i]
	default:
		got = string(d.Strs.Value(i))
	}
	require.Equal(t, want, got, "column %s row %d", d.Name, i)
}

// genModel generates n random rows with the given dynamic column types; null
// is the probability of a NULL in any nullable column.
func genModel(rng *rand.Rand, n int, types []Type, null float64) *batchModel {
	m := &batchModel{dynTypes: types}
	for i := range types {
		m.dynNames = append(m.dynNames, fmt.Sprintf("f%d.x", i))
	}
	for range n {
		r := rowModel{ts: rng.Int64() - math.MaxInt64/2}
		for c := range r.core {
			if rng.Float64() >= null {
				s := randString(rng, 40)
				r.core[c] = &s
			}
		}
		for _, t := range types {
			r.dyn = append(r.dyn, randValue(rng, t, null))
		}
		m.rows = append(m.rows, r)
	}
	return m
}

func randString(rng *rand.Rand, maxLen int) string {
	b := make([]byte, rng.IntN(maxLen+1))
	for i := range b {
		b[i] = byte(rng.UintN(256))
	}
	return string(b)
}

func randValue(rng *rand.Rand, t Type, null float64) any {
	if rng.Float64() < null {
		return nil
	}
	switch t {
	case TypeInt64:
		return int64(rng.Uint64())
	case TypeFloat64:
		return math.Float64frombits(rng.Uint64())
	case TypeBool:
		return rng.IntN(2) == 1
	}
	return randString(rng, 20)
}

func strp(s string) *string { return &s }

func TestBatchBinaryRoundTrip(t *testing.T) {
	all := []Type{TypeInt64, TypeFloat64, TypeBool, TypeString}
	many := make([]Type, 40) // more than the duplicate check's linear limit
	for i := range many {
		many[i] = all[i%len(all)]
	}
	cases := []struct {
		name  string
		model func(rng *rand.Rand) *batchModel
	}{
		{"empty", func(*rand.Rand) *batchModel { return &batchModel{} }},
		{"empty with dynamic columns", func(rng *rand.Rand) *batchModel { return genModel(rng, 0, all, 0) }},
		{"one row", func(rng *rand.Rand) *batchModel { return genModel(rng, 1, all, 0.3) }},
		{"seven rows", func(rng *rand.Rand) *batchModel { return genModel(rng, 7, all, 0.3) }},
		{"eight rows", func(rng *rand.Rand) *batchModel { return genModel(rng, 8, all, 0.3) }},
		{"nine rows", func(rng *rand.Rand) *batchModel { return genModel(rng, 9, all, 0.3) }},
		{"no nulls", func(rng *rand.Rand) *batchModel { return genModel(rng, 100, all, 0) }},
		{"all nulls", func(rng *rand.Rand) *batchModel { return genModel(rng, 100, all, 1) }},
		{"validity without nulls", func(rng *rand.Rand) *batchModel {
			m := genModel(rng, 50, all, 0)
			m.validAlways = true
			return m
		}},
		{"many dynamic columns", func(rng *rand.Rand) *batchModel { return genModel(rng, 33, many, 0.5) }},
		{"large", func(rng *rand.Rand) *batchModel { return genModel(rng, 5000, all, 0.1) }},
		{"odd names and values", func(*rand.Rand) *batchModel {
			return &batchModel{
				dynNames: []string{"", "ü.ñ", strings.Repeat("n", math.MaxUint16)},
				dynTypes: []Type{TypeString, TypeFloat64, TypeInt64},
				rows: []rowModel{
					{ts: math.MinInt64, core: [5]*string{strp(""), nil, strp("\x00"), nil, strp("\xff\xfe")},
						dyn: []any{"", math.Inf(-1), int64(math.MinInt64)}},
					{ts: math.MaxInt64, core: [5]*string{nil, strp(""), nil, strp(""), nil},
						dyn: []any{nil, math.NaN(), int64(math.MaxInt64)}},
				},
			}
		}},
	}
	for _, portable := range []bool{false, true} {
		for i, tc := range cases {
			t.Run(fmt.Sprintf("%s/portable=%v", tc.name, portable), func(t *testing.T) {
				defer setLittleEndian(!portable && littleEndian)()
				m := tc.model(rand.New(rand.NewPCG(uint64(i), 7)))
				b := m.build()
				enc := AppendBinary([]byte("prefix"), b)
				require.Equal(t, "prefix", string(enc[:6]), "AppendBinary must keep dst")
				require.Len(t, enc, 6+expectedSize(m), "encoded size")
				got, err := DecodeBatch(enc[6:])
				require.NoError(t, err)
				m.requireMatches(t, got)
				requireSameValidity(t, b, got)
				// The encoding is canonical: re-encoding gives the same bytes.
				require.Equal(t, enc[6:], AppendBinary(nil, got))
			})
		}
	}
}

// setLittleEndian sets the byte-order switch and returns a function that
// restores it. Tests using it must not run in parallel.
func setLittleEndian(v bool) func() {
	old := littleEndian
	littleEndian = v
	return func() { littleEndian = old }
}

// expectedSize computes the encoded size from the FORMAT.md layout.
func expectedSize(m *batchModel) int {
	n := len(m.rows)
	bitmap := (n + 7) / 8
	size := 14 + 8*n
	for c := range 5 {
		size += 5 + 4*n
		nulls := false
		for _, r := range m.rows {
			if r.core[c] != nil {
				size += len(*r.core[c])
			} else {
				nulls = true
			}
		}
		if nulls || m.validAlways {
			size += bitmap
		}
	}
	for j, t := range m.dynTypes {
		size += 2 + len(m.dynNames[j]) + 1 + bitmap
		switch t {
		case TypeInt64, TypeFloat64:
			size += 8 * n
		case TypeBool:
			size += bitmap
		case TypeString:
			size += 5 + 4*n
			for _, r := range m.rows {
				if s, ok := r.dyn[j].(string); ok {
					size += len(s)
				}
			}
		}
	}
	return size
}

// requireSameValidity checks that validity slices are present exactly where
// the original had them.
func requireSameValidity(t testing.TB, want, got *Batch) {
	t.Helper()
	for i, s := range want.CoreStrings() {
		require.Equal(t, s.Valid == nil, got.CoreStrings()[i].Valid == nil, CoreNames[i+1])
	}
	for j, d := range want.Dynamic {
		require.Equal(t, d.Strs.Valid == nil, got.Dynamic[j].Strs.Valid == nil, d.Name)
	}
}

func TestBatchBinaryConcatWidened(t *testing.T) {
	a := &Batch{TS: []int64{1, 2}}
	a.Level.AppendString("INFO")
	a.Level.AppendNull()
	for _, s := range []*Strings{&a.Service, &a.Host, &a.TraceID, &a.Message} {
		s.AppendString("x")
		s.AppendString("y")
	}
	a.AddColumn("n", TypeInt64, 0).AppendInt(5)
	a.Column("n").AppendNull()
	c := &Batch{TS: []int64{3}}
	for _, s := range c.CoreStrings() {
		s.AppendString("z")
	}
	c.AddColumn("n", TypeString, 0).AppendString([]byte("five"))
	c.AddColumn("m", TypeBool, 0).AppendBool(true)
	b := Concat(a, c)

	got, err := DecodeBatch(AppendBinary(nil, b))
	require.NoError(t, err)
	require.Equal(t, []int64{1, 2, 3}, got.TS)
	require.Equal(t, TypeString, got.Column("n").Type)
	require.Equal(t, "5", string(got.Column("n").Strs.Value(0)))
	require.True(t, got.Column("n").IsNull(1))
	require.Equal(t, "five", string(got.Column("n").Strs.Value(2)))
	require.Equal(t, []bool{false, false, true}, got.Column("m").Valid)
	require.True(t, got.Column("m").Bools[2])
	require.True(t, got.Level.IsNull(1))
	require.Equal(t, "z", string(got.Level.Value(2)))
}

// goldenBatch returns a small batch and its encoding written out by hand
// from the FORMAT.md layout.
func goldenBatch() (*Batch, []byte) {
	b := &Batch{TS: []int64{0x0102030405060708, -1}}
	b.Level.AppendString("I")
	b.Level.AppendNull()
	b.Service.AppendString("ab")
	b.Service.AppendString("c")
	b.Host.AppendString("")
	b.Host.AppendString("")
	b.TraceID.AppendNull()
	b.TraceID.AppendNull()
	b.Message.AppendString("x")
	b.Message.AppendString("yz")
	b.AddColumn("no", TypeInt64, 0).AppendInt(7)
	b.Column("no").AppendNull()
	b.AddColumn("ok", TypeBool, 0).AppendNull()
	b.Column("ok").AppendBool(true)

	var w []byte
	u32 := func(v uint32) { w = binary.LittleEndian.AppendUint32(w, v) }
	u64 := func(v uint64) { w = binary.LittleEndian.AppendUint64(w, v) }
	w = append(w, 'L', 'Q', 'C', 'B', 1, 0)
	u32(2) // rows
	u32(2) // dynamic columns
	u64(0x0102030405060708)
	u64(math.MaxUint64)
	w = append(w, 1) // level: validity present
	u32(1)
	u32(1)
	u32(1)
	w = append(w, 0b01, 'I')
	w = append(w, 0) // service
	u32(3)
	u32(2)
	u32(3)
	w = append(w, "abc"...)
	w = append(w, 0) // host
	u32(0)
	u32(0)
	u32(0)
	w = append(w, 1) // trace_id: all NULL
	u32(0)
	u32(0)
	u32(0)
	w = append(w, 0b00)
	w = append(w, 0) // message
	u32(3)
	u32(1)
	u32(3)
	w = append(w, "xyz"...)
	w = append(w, 2, 0, 'n', 'o', byte(TypeInt64), 0b01)
	u64(7)
	u64(0)
	w = append(w, 2, 0, 'o', 'k', byte(TypeBool), 0b10, 0b10)
	return b, w
}

func TestBatchBinaryGolden(t *testing.T) {
	b, want := goldenBatch()
	require.Equal(t, want, AppendBinary(nil, b))
	got, err := DecodeBatch(want)
	require.NoError(t, err)
	require.Equal(t, want, AppendBinary(nil, got))
}

func TestDecodeBatchCorrupt(t *testing.T) {
	_, golden := goldenBatch()
	// Offsets in the golden encoding, from the layout written out above.
	const (
		levelBlock   = 14 + 16
		levelEnds    = levelBlock + 5
		serviceBlock = levelBlock + 5 + 8 + 1 + 1
		serviceEnds  = serviceBlock + 5
		msgBlock     = serviceBlock + 5 + 8 + 3 + (5 + 8) + (5 + 8 + 1)
		dynN         = msgBlock + 5 + 8 + 3
		dynOK        = dynN + 2 + 2 + 1 + 1 + 16
	)
	patch := func(off int, b ...byte) []byte {
		out := append([]byte(nil), golden...)
		copy(out[off:], b)
		return out
	}
	le32 := func(v uint32) []byte { return binary.LittleEndian.AppendUint32(nil, v) }
	cases := []struct {
		name string
		data []byte
		want string
	}{
		{"nil", nil, "header: need 14 bytes"},
		{"bad magic", patch(0, 'X'), "bad magic"},
		{"newer version", patch(4, 2), "unsupported version 2"},
		{"unknown flags", patch(5, 1), "unknown flags"},
		{"rows beyond data", patch(6, 0xff, 0xff, 0xff, 0xff), "cannot fit"},
		{"dynamic count beyond data", patch(10, 0xff, 0xff, 0xff, 0x7f), "cannot fit"},
		{"more dynamic columns than encoded", patch(10, 3), "need"},
		{"unknown strings flag", patch(levelBlock, 3), "column level: unknown flags"},
		{"arena length mismatch", patch(levelBlock+1, 2), "arena of 2 bytes but values end at 1"},
		{"ends decrease", patch(serviceEnds, le32(4)...), "end 3 of row 1 is below the previous end 4"},
		{"end past arena", patch(serviceEnds+4, le32(9)...), "arena of 3 bytes but values end at 9"},
		{"end past data", append(patch(serviceBlock+1, le32(1<<30)...)[:serviceEnds+4], le32(1<<30)...), "arena of 1073741824 bytes, 0 left"},
		{"validity padding bits", patch(levelEnds+8, 0b101), "padding bits"},
		{"bool padding bits", patch(dynOK+6, 0b110), "padding bits"},
		{"invalid type", patch(dynN+4, 9), "invalid type 9"},
		{"zero type", patch(dynN+4, 0), "invalid type 0"},
		{"duplicate names", patch(dynOK+2, 'n', 'o'), `dynamic column "no" appears twice`},
		{"trailing byte", append(append([]byte(nil), golden...), 0), "1 trailing bytes"},
		{"name past end", patch(dynOK, 0xff, 0xff), "dynamic column name"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			b, err := DecodeBatch(tc.data)
			require.Nil(t, b)
			require.ErrorIs(t, err, ErrCorrupt)
			require.ErrorContains(t, err, tc.want)
		})
	}
	t.Run("every truncation", func(t *testing.T) {
		for n := range len(golden) {
			_, err := DecodeBatch(golden[:n])
			require.ErrorIs(t, err, ErrCorrupt, "cut at %d", n)
		}
	})
}

func TestAppendBinaryRejectsInconsistentBatch(t *testing.T) {
	cases := []struct {
		name  string
		batch func() *Batch
	}{
		{"short core column", func() *Batch { return &Batch{TS: []int64{1}} }},
		{"short validity", func() *Batch {
			b := &Batch{TS: []int64{1}}
			for _, s := range b.CoreStrings() {
				s.AppendString("a")
			}
			b.Level.Valid = []bool{}
			return b
		}},
		{"end past data", func() *Batch {
			return withRow(&Batch{}, func(b *Batch) { b.Host.Data = b.Host.Data[:0] })
		}},
		{"short dynamic column", func() *Batch {
			return withRow(&Batch{}, func(b *Batch) { b.AddColumn("x", TypeInt64, 0) })
		}},
		{"invalid type", func() *Batch {
			return withRow(&Batch{}, func(b *Batch) { b.Dynamic = append(b.Dynamic, &Dynamic{Name: "x", Valid: []bool{false}}) })
		}},
		{"duplicate names", func() *Batch {
			return withRow(&Batch{}, func(b *Batch) {
				for range 2 {
					b.Dynamic = append(b.Dynamic, &Dynamic{Name: "x", Type: TypeBool, Bools: []bool{true}, Valid: []bool{true}})
				}
			})
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			b := tc.batch()
			defer func() {
				v := recover()
				msg, ok := v.(string)
				require.True(t, ok && strings.HasPrefix(msg, "BUG: "), "panic value %v", v)
			}()
			AppendBinary(nil, b)
		})
	}
}

// withRow gives b one row with "ab" in every core column, then calls edit.
func withRow(b *Batch, edit func(*Batch)) *Batch {
	b.TS = append(b.TS, 1)
	for _, s := range b.CoreStrings() {
		s.AppendString("ab")
	}
	edit(b)
	return b
}

func FuzzDecodeBatch(f *testing.F) {
	_, golden := goldenBatch()
	f.Add(golden)
	f.Add(AppendBinary(nil, &Batch{}))
	rng := rand.New(rand.NewPCG(1, 2))
	for _, n := range []int{1, 9, 40} {
		m := genModel(rng, n, []Type{TypeString, TypeBool, TypeInt64, TypeFloat64}, 0.4)
		f.Add(AppendBinary(nil, m.build()))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		b, err := DecodeBatch(data)
		if err != nil {
			require.ErrorIs(t, err, ErrCorrupt)
			require.Nil(t, b)
			return
		}
		// Whatever decodes is a consistent batch whose encoding is the input.
		require.Equal(t, data, AppendBinary(nil, b))
		for i := range b.Len() {
			for _, s := range b.CoreStrings() {
				_ = s.Value(i)
			}
		}
	})
}

// workloadBatch returns n rows shaped like WORKLOAD.md: core columns without
// NULLs, ~60-byte messages and two integer fields.
func workloadBatch(n int) *Batch {
	rng := rand.New(rand.NewPCG(3, 4))
	b := &Batch{}
	status := b.AddColumn("status", TypeInt64, 0)
	latency := b.AddColumn("latency_ms", TypeInt64, 0)
	for i := range n {
		b.TS = append(b.TS, 1_793_491_200_000_000+int64(i)*60_000)
		b.Level.AppendString([]string{"DEBUG", "INFO", "WARN", "ERROR"}[rng.IntN(4)])
		b.Service.AppendString(fmt.Sprintf("svc-%d", rng.IntN(50)))
		b.Host.AppendString(fmt.Sprintf("host-%d", rng.IntN(200)))
		b.TraceID.AppendString(fmt.Sprintf("%016x", rng.Uint64()))
		b.Message.AppendString(fmt.Sprintf("GET /api/v1/orders/%d completed status=200 duration=%dms", rng.IntN(99999), rng.IntN(500)))
		status.AppendInt(200)
		latency.AppendInt(int64(rng.IntN(500)))
	}
	return b
}

func BenchmarkBatchBinary(b *testing.B) {
	for _, rows := range []int{1024, 65536} {
		batch := workloadBatch(rows)
		enc := AppendBinary(nil, batch)
		b.Run(fmt.Sprintf("encode/rows=%d", rows), func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(enc)))
			buf := make([]byte, 0, len(enc))
			for b.Loop() {
				buf = AppendBinary(buf[:0], batch)
			}
		})
		b.Run(fmt.Sprintf("decode/rows=%d", rows), func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(enc)))
			for b.Loop() {
				if _, err := DecodeBatch(enc); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
