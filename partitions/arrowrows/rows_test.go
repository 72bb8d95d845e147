package arrowrows_test

import (
	"bytes"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/ipc"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/stretchr/testify/require"

	"logq/partitions/arrowrows"
	"logq/partitions/columns"
)

// testRow is one row as the test knows it, kept apart from both
// columns.Batch and Arrow: the expected values of every check.
type testRow struct {
	ts   int64
	core [5]*string     // level, service, host, trace_id, message; nil is NULL
	dyn  map[string]any // int64, float64, bool or string; absent is NULL
}

// testBatch is a batch and the rows it was built from.
type testBatch struct {
	b    *columns.Batch
	rows []testRow
}

// dynSpec is a dynamic column of a generated batch: its type and the
// percentage of rows that hold it (0: the column exists, all NULL).
type dynSpec struct {
	col arrowrows.Column
	pct int
}

var coreNames = columns.CoreNames[1:]

// stringPool holds the strings the generator draws from: empty, multi-byte,
// a NUL byte, long.
var stringPool = []string{
	"", "INFO", "ERROR", "checkout", "host-1", "héllo wörld", "日本語のログ", "emoji 🚀✓",
	"nul\x00byte", "0123456789abcdef0123456789abcdef", strings.Repeat("long message ", 20),
}

func randString(rng *rand.Rand) string {
	if rng.IntN(4) == 0 {
		return fmt.Sprintf("v%d-%s", rng.IntN(1000), stringPool[rng.IntN(len(stringPool))])
	}
	return stringPool[rng.IntN(len(stringPool))]
}

var specialInts = []int64{0, 1, -1, math.MaxInt64, math.MinInt64}
var specialFloats = []float64{0, math.Copysign(0, -1), 1.5, math.Inf(1), math.Inf(-1), math.NaN(), math.MaxFloat64, math.SmallestNonzeroFloat64}

// randValue returns a random value of type t.
func randValue(rng *rand.Rand, t columns.Type) any {
	switch t {
	case columns.TypeInt64:
		if rng.IntN(4) == 0 {
			return specialInts[rng.IntN(len(specialInts))]
		}
		return rng.Int64() - math.MaxInt64/2
	case columns.TypeFloat64:
		if rng.IntN(4) == 0 {
			return specialFloats[rng.IntN(len(specialFloats))]
		}
		return rng.NormFloat64() * 1e6
	case columns.TypeBool:
		return rng.IntN(2) == 0
	}
	return randString(rng)
}

// genBatch returns a batch of n random rows with NULLs in nullPct percent
// of the core values and the dynamic columns dyn. A dynamic column is added
// to the batch at the first row that holds it, as the parser adds them.
func genBatch(rng *rand.Rand, n, nullPct int, dyn []dynSpec) testBatch {
	tb := testBatch{b: &columns.Batch{}, rows: make([]testRow, n)}
	b := tb.b
	for _, d := range dyn {
		if d.pct == 0 {
			b.AddColumn(d.col.Name, d.col.Type, 0)
		}
	}
	for i := range n {
		r := &tb.rows[i]
		r.ts = rng.Int64() - math.MaxInt64/2
		b.TS = append(b.TS, r.ts)
		for c, s := range []*columns.Strings{&b.Level, &b.Service, &b.Host, &b.TraceID, &b.Message} {
			if rng.IntN(100) < nullPct {
				s.AppendNull()
				continue
			}
			v := randString(rng)
			r.core[c] = &v
			s.AppendString(v)
		}
		for _, d := range dyn {
			if rng.IntN(100) >= d.pct {
				continue
			}
			v := randValue(rng, d.col.Type)
			if r.dyn == nil {
				r.dyn = map[string]any{}
			}
			r.dyn[d.col.Name] = v
			col := b.AddColumn(d.col.Name, d.col.Type, i)
			switch v := v.(type) {
			case int64:
				col.AppendInt(v)
			case float64:
				col.AppendFloat(v)
			case bool:
				col.AppendBool(v)
			case string:
				col.AppendString([]byte(v))
			}
		}
		b.PadDynamic(i + 1)
	}
	return tb
}

// allDynamic is one dynamic column of every type, held by all, half, few
// and no rows.
var allDynamic = []dynSpec{
	{arrowrows.Column{Name: "status", Type: columns.TypeInt64}, 100},
	{arrowrows.Column{Name: "latency", Type: columns.TypeFloat64}, 50},
	{arrowrows.Column{Name: "cached", Type: columns.TypeBool}, 50},
	{arrowrows.Column{Name: "user", Type: columns.TypeString}, 50},
	{arrowrows.Column{Name: "rare", Type: columns.TypeInt64}, 3},
	{arrowrows.Column{Name: "rare_text", Type: columns.TypeString}, 3},
	{arrowrows.Column{Name: "never", Type: columns.TypeString}, 0},
}

// selections returns the selections a round trip is tested with over a
// batch of n rows.
func selections(rng *rand.Rand, n int) map[string][]int32 {
	all := make([]int32, n)
	for i := range all {
		all[i] = int32(i)
	}
	sels := map[string][]int32{"nil": nil, "empty": {}, "all": all}
	if n == 0 {
		return sels
	}
	var subset []int32
	for i := range n {
		if rng.IntN(3) != 0 || i > n/3 && i < n/2 { // runs and gaps
			subset = append(subset, int32(i))
		}
	}
	sels["subset"] = subset
	sels["reversed"] = slices.Clone(all)
	slices.Reverse(sels["reversed"])
	shuffled := slices.Clone(all)
	rng.Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
	sels["shuffled"] = shuffled
	dups := make([]int32, 2*n)
	for i := range dups {
		dups[i] = int32(rng.IntN(n))
	}
	sels["duplicates"] = dups
	sels["last"] = []int32{int32(n - 1), int32(n - 1)}
	return sels
}

// expected returns the rows of tb at sel (nil: all).
func expected(tb testBatch, sel []int32) []testRow {
	if sel == nil {
		return tb.rows
	}
	out := make([]testRow, len(sel))
	for k, i := range sel {
		out[k] = tb.rows[i]
	}
	return out
}

func newAllocator(t testing.TB) *memory.CheckedAllocator {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	t.Cleanup(func() { mem.AssertSize(t, 0) })
	return mem
}

func TestRoundTrip(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, tc := range []struct {
		name    string
		rows    int
		nullPct int
		dyn     []dynSpec
	}{
		{"zero rows", 0, 0, nil},
		{"zero rows dynamic", 0, 0, allDynamic},
		{"one row", 1, 0, allDynamic},
		{"no NULLs", 200, 0, allDynamic},
		{"some NULLs", 300, 20, allDynamic},
		{"all NULL", 50, 100, allDynamic},
		{"no dynamic", 100, 10, nil},
		{"large", 5000, 5, allDynamic},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tb := genBatch(rng, tc.rows, tc.nullPct, tc.dyn)
			for sname, sel := range selections(rng, tc.rows) {
				t.Run(sname, func(t *testing.T) {
					mem := newAllocator(t)
					want := expected(tb, sel)
					rec, err := arrowrows.Record(tb.b, sel, nil, mem)
					require.NoError(t, err)
					defer rec.Release()
					cols := schemaColumns(tb.b)
					checkRecord(t, rec, cols, want)
					got, err := arrowrows.Batch(rec)
					require.NoError(t, err)
					checkBatch(t, got, cols, want)
				})
			}
		})
	}
}

// schemaColumns returns the columns SchemaOf(b) should give, derived from
// the batch's fields rather than by SchemaOf.
func schemaColumns(b *columns.Batch) []arrowrows.Column {
	var cols []arrowrows.Column
	for _, name := range columns.CoreNames {
		cols = append(cols, arrowrows.Column{Name: name})
	}
	for _, d := range b.Dynamic {
		cols = append(cols, arrowrows.Column{Name: d.Name, Type: d.Type})
	}
	return cols
}

// TestProjection sends some columns only, in an order of the caller's, and
// columns the batch lacks.
func TestProjection(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	tb := genBatch(rng, 400, 15, allDynamic[:4])
	cols := []arrowrows.Column{
		{Name: "latency", Type: columns.TypeFloat64},
		{Name: columns.Message},
		{Name: columns.TS},
		{Name: "absent_int", Type: columns.TypeInt64},
		{Name: "absent_float", Type: columns.TypeFloat64},
		{Name: "absent_bool", Type: columns.TypeBool},
		{Name: "absent_text", Type: columns.TypeString},
		{Name: columns.Host},
	}
	s, err := arrowrows.NewSchema(cols)
	require.NoError(t, err)
	for sname, sel := range selections(rng, 400) {
		t.Run(sname, func(t *testing.T) {
			mem := newAllocator(t)
			want := expected(tb, sel)
			rec, err := arrowrows.Record(tb.b, sel, s, mem)
			require.NoError(t, err)
			defer rec.Release()
			require.True(t, rec.Schema().Equal(s.Arrow()))
			checkRecord(t, rec, cols, want)
			got, err := arrowrows.Batch(rec)
			require.NoError(t, err)
			checkBatch(t, got, cols, want)
		})
	}
}

// TestSchemaStable checks that records of batches with different dynamic
// columns have one schema when built with one Schema, as a merge of
// streams needs.
func TestSchemaStable(t *testing.T) {
	mem := newAllocator(t)
	rng := rand.New(rand.NewPCG(5, 6))
	a := genBatch(rng, 100, 10, allDynamic[:2])  // status, latency
	b := genBatch(rng, 100, 10, allDynamic[2:5]) // cached, user, rare
	s, err := arrowrows.SchemaOf(a.b, b.b)
	require.NoError(t, err)
	var names, want []string
	for _, c := range s.Columns() {
		names = append(names, c.Name)
	}
	want = append(want, columns.CoreNames...)
	for _, d := range append(slices.Clone(a.b.Dynamic), b.b.Dynamic...) {
		want = append(want, d.Name)
	}
	require.Equal(t, want, names)

	ra, err := arrowrows.Record(a.b, nil, s, mem)
	require.NoError(t, err)
	defer ra.Release()
	rb, err := arrowrows.Record(b.b, []int32{5, 3}, s, mem)
	require.NoError(t, err)
	defer rb.Release()
	require.True(t, ra.Schema().Equal(rb.Schema()), "%s\n%s", ra.Schema(), rb.Schema())

	// A schema built again from the same column list is equal too: two
	// executors agree without sharing a *Schema.
	again, err := arrowrows.NewSchema(s.Columns())
	require.NoError(t, err)
	require.True(t, again.Arrow().Equal(ra.Schema()))

	arrowTypes := map[string]arrow.DataType{
		"ts":     &arrow.TimestampType{Unit: arrow.Microsecond, TimeZone: "UTC"},
		"status": arrow.PrimitiveTypes.Int64, "latency": arrow.PrimitiveTypes.Float64,
		"cached": arrow.FixedWidthTypes.Boolean, "user": arrow.BinaryTypes.String, "rare": arrow.PrimitiveTypes.Int64,
	}
	var fields []arrow.Field
	for _, name := range want {
		dt, ok := arrowTypes[name]
		if !ok {
			dt = arrow.BinaryTypes.String // core strings
		}
		fields = append(fields, arrow.Field{Name: name, Type: dt, Nullable: name != "ts"})
	}
	require.True(t, arrow.NewSchema(fields, nil).Equal(ra.Schema()), "%s", ra.Schema())
	checkRecord(t, ra, s.Columns(), a.rows)
	checkRecord(t, rb, s.Columns(), []testRow{b.rows[5], b.rows[3]})
}

// TestWiden sends columns of partitions that disagree on a type: the
// schema's wider type wins, values converted as columns.Widen converts.
func TestWiden(t *testing.T) {
	mem := newAllocator(t)
	b := &columns.Batch{TS: []int64{1, 2, 3}}
	for range 3 {
		b.Level.AppendNull()
		b.Service.AppendNull()
		b.Host.AppendNull()
		b.TraceID.AppendNull()
		b.Message.AppendNull()
	}
	n := b.AddColumn("n", columns.TypeInt64, 0)
	n.AppendInt(-7)
	n.AppendNull()
	n.AppendInt(1 << 60)
	f := b.AddColumn("f", columns.TypeFloat64, 0)
	f.AppendFloat(0.25)
	f.AppendFloat(1e21)
	f.AppendNull()
	ok := b.AddColumn("ok", columns.TypeBool, 0)
	ok.AppendBool(true)
	ok.AppendBool(false)
	ok.AppendNull()

	s, err := arrowrows.NewSchema([]arrowrows.Column{
		{Name: "ts"},
		{Name: "n", Type: columns.TypeFloat64},
		{Name: "f", Type: columns.TypeString},
		{Name: "ok", Type: columns.TypeString},
	})
	require.NoError(t, err)
	rec, err := arrowrows.Record(b, []int32{2, 1, 0}, s, mem)
	require.NoError(t, err)
	defer rec.Release()
	nf := rec.Column(1).(*array.Float64)
	require.Equal(t, float64(1<<60), nf.Value(0))
	require.True(t, nf.IsNull(1))
	require.Equal(t, -7.0, nf.Value(2))
	ft := rec.Column(2).(*array.String)
	require.True(t, ft.IsNull(0))
	require.Equal(t, "1e+21", ft.Value(1))
	require.Equal(t, "0.25", ft.Value(2))
	okt := rec.Column(3).(*array.String)
	require.True(t, okt.IsNull(0))
	require.Equal(t, "false", okt.Value(1))
	require.Equal(t, "true", okt.Value(2))

	// Narrowing is refused.
	narrow, err := arrowrows.NewSchema([]arrowrows.Column{{Name: "ts"}, {Name: "f", Type: columns.TypeInt64}})
	require.NoError(t, err)
	_, err = arrowrows.Record(b, nil, narrow, mem)
	require.ErrorContains(t, err, `column "f"`)
}

func TestNewSchemaRefuses(t *testing.T) {
	for _, tc := range []struct {
		name string
		cols []arrowrows.Column
		want string
	}{
		{"no ts", []arrowrows.Column{{Name: "level"}}, `no "ts"`},
		{"empty", nil, `no "ts"`},
		{"twice", []arrowrows.Column{{Name: "ts"}, {Name: "x", Type: columns.TypeBool}, {Name: "x", Type: columns.TypeBool}}, `"x" twice`},
		{"core with type", []arrowrows.Column{{Name: "ts", Type: columns.TypeInt64}}, `core column "ts"`},
		{"dynamic without type", []arrowrows.Column{{Name: "ts"}, {Name: "x"}}, `dynamic column "x"`},
		{"invalid type", []arrowrows.Column{{Name: "ts"}, {Name: "x", Type: 9}}, `dynamic column "x"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := arrowrows.NewSchema(tc.cols)
			require.ErrorContains(t, err, tc.want)
		})
	}
	// A dynamic column named like a core one cannot be told from it.
	b := &columns.Batch{}
	b.AddColumn("level", columns.TypeInt64, 0)
	_, err := arrowrows.SchemaOf(b)
	require.ErrorContains(t, err, `core column "level"`)
}

func TestRecordRefusesSelection(t *testing.T) {
	mem := newAllocator(t)
	tb := genBatch(rand.New(rand.NewPCG(7, 8)), 10, 0, nil)
	for _, sel := range [][]int32{{10}, {0, -1}, {math.MaxInt32}} {
		_, err := arrowrows.Record(tb.b, sel, nil, mem)
		require.ErrorContains(t, err, "selected row")
	}
}

// TestIPC sends records of two batches with different columns through an
// Arrow IPC stream with LZ4 compression, as executors do.
func TestIPC(t *testing.T) {
	mem := newAllocator(t)
	rng := rand.New(rand.NewPCG(9, 10))
	batches := []testBatch{
		genBatch(rng, 1000, 10, allDynamic[:3]),
		genBatch(rng, 0, 0, nil),
		genBatch(rng, 700, 30, allDynamic[2:]),
	}
	s, err := arrowrows.SchemaOf(batches[0].b, batches[1].b, batches[2].b)
	require.NoError(t, err)
	sels := [][]int32{nil, nil, {699, 0, 5, 5, 6, 7, 100}}

	var wire bytes.Buffer
	w := ipc.NewWriter(&wire, ipc.WithSchema(s.Arrow()), ipc.WithLZ4(), ipc.WithAllocator(mem))
	for k, tb := range batches {
		rec, err := arrowrows.Record(tb.b, sels[k], s, mem)
		require.NoError(t, err)
		require.NoError(t, w.Write(rec))
		rec.Release()
	}
	require.NoError(t, w.Close())

	r, err := ipc.NewReader(bytes.NewReader(wire.Bytes()), ipc.WithAllocator(mem))
	require.NoError(t, err)
	defer r.Release()
	require.True(t, r.Schema().Equal(s.Arrow()), "%s", r.Schema())
	k := 0
	for r.Next() {
		rec := r.RecordBatch()
		want := expected(batches[k], sels[k])
		checkRecord(t, rec, s.Columns(), want)
		got, err := arrowrows.Batch(rec)
		require.NoError(t, err)
		checkBatch(t, got, s.Columns(), want)
		k++
	}
	require.NoError(t, r.Err())
	require.Equal(t, len(batches), k)
}

// TestBatchRefuses hands Batch malformed records built by hand.
func TestBatchRefuses(t *testing.T) {
	mem := newAllocator(t)
	tsUTC := &arrow.TimestampType{Unit: arrow.Microsecond, TimeZone: "UTC"}
	ts := func(vals ...int64) arrow.Array {
		b := array.NewTimestampBuilder(mem, tsUTC)
		defer b.Release()
		for _, v := range vals {
			b.Append(arrow.Timestamp(v))
		}
		return b.NewArray()
	}
	strs := func(vals ...string) arrow.Array {
		b := array.NewStringBuilder(mem)
		defer b.Release()
		b.AppendValues(vals, nil)
		return b.NewArray()
	}
	ints := func(vals ...int64) arrow.Array {
		b := array.NewInt64Builder(mem)
		defer b.Release()
		b.AppendValues(vals, nil)
		return b.NewArray()
	}
	buf := func(b []byte) *memory.Buffer { return memory.NewBufferBytes(b) }
	i32s := func(v ...int32) *memory.Buffer { return buf(arrow.Int32Traits.CastToBytes(v)) }
	i64s := func(v ...int64) *memory.Buffer { return buf(arrow.Int64Traits.CastToBytes(v)) }
	fromData := func(dt arrow.DataType, n, nulls int, bufs ...*memory.Buffer) arrow.Array {
		d := array.NewData(dt, n, bufs, nil, nulls, 0)
		defer d.Release()
		return array.MakeFromData(d)
	}
	for _, tc := range []struct {
		name   string
		fields []arrow.Field
		arrs   func() []arrow.Array
		rows   int64 // -1: the columns' length
		want   string
	}{
		{"no ts", fld("level", arrow.BinaryTypes.String), func() []arrow.Array { return []arrow.Array{strs("a")} }, -1, `no "ts" column`},
		{"no columns", nil, func() []arrow.Array { return nil }, 0, `no "ts" column`},
		{"ts int64", fld("ts", arrow.PrimitiveTypes.Int64), func() []arrow.Array { return []arrow.Array{ints(1)} }, -1, `column "ts": type int64`},
		{"ts ms", fld("ts", &arrow.TimestampType{Unit: arrow.Millisecond, TimeZone: "UTC"}), func() []arrow.Array {
			b := array.NewTimestampBuilder(mem, &arrow.TimestampType{Unit: arrow.Millisecond, TimeZone: "UTC"})
			defer b.Release()
			b.Append(1)
			return []arrow.Array{b.NewArray()}
		}, -1, `column "ts": type timestamp[ms`},
		{"ts without zone", fld("ts", &arrow.TimestampType{Unit: arrow.Microsecond}), func() []arrow.Array {
			b := array.NewTimestampBuilder(mem, &arrow.TimestampType{Unit: arrow.Microsecond})
			defer b.Release()
			b.Append(1)
			return []arrow.Array{b.NewArray()}
		}, -1, `column "ts": type timestamp[us]`},
		{"ts other zone", fld("ts", &arrow.TimestampType{Unit: arrow.Microsecond, TimeZone: "Europe/Paris"}), func() []arrow.Array {
			b := array.NewTimestampBuilder(mem, &arrow.TimestampType{Unit: arrow.Microsecond, TimeZone: "Europe/Paris"})
			defer b.Release()
			b.Append(1)
			return []arrow.Array{b.NewArray()}
		}, -1, `column "ts": type timestamp[us, tz=Europe/Paris]`},
		{"ts NULL", fld("ts", tsUTC), func() []arrow.Array {
			b := array.NewTimestampBuilder(mem, tsUTC)
			defer b.Release()
			b.Append(1)
			b.AppendNull()
			return []arrow.Array{b.NewArray()}
		}, -1, `column "ts": NULL in row 1`},
		{"level int64", fld("ts", tsUTC, "level", arrow.PrimitiveTypes.Int64), func() []arrow.Array { return []arrow.Array{ts(1), ints(2)} }, -1, `column "level": type int64, want utf8`},
		{"message large_string", fld("ts", tsUTC, "message", arrow.BinaryTypes.LargeString), func() []arrow.Array {
			b := array.NewLargeStringBuilder(mem)
			defer b.Release()
			b.Append("x")
			return []arrow.Array{ts(1), b.NewArray()}
		}, -1, `column "message": type large_utf8`},
		{"host dictionary", fld("ts", tsUTC, "host", &arrow.DictionaryType{IndexType: arrow.PrimitiveTypes.Int8, ValueType: arrow.BinaryTypes.String}), func() []arrow.Array {
			b := array.NewDictionaryBuilder(mem, &arrow.DictionaryType{IndexType: arrow.PrimitiveTypes.Int8, ValueType: arrow.BinaryTypes.String})
			defer b.Release()
			require.NoError(t, b.(*array.BinaryDictionaryBuilder).AppendString("h"))
			return []arrow.Array{ts(1), b.NewArray()}
		}, -1, `column "host": type dictionary`},
		{"dynamic int32", fld("ts", tsUTC, "n", arrow.PrimitiveTypes.Int32), func() []arrow.Array {
			b := array.NewInt32Builder(mem)
			defer b.Release()
			b.Append(1)
			return []arrow.Array{ts(1), b.NewArray()}
		}, -1, `column "n": type int32, want int64, float64, bool or utf8`},
		{"dynamic timestamp", fld("ts", tsUTC, "at", tsUTC), func() []arrow.Array { return []arrow.Array{ts(1), ts(2)} }, -1, `column "at": type timestamp`},
		{"dynamic list", fld("ts", tsUTC, "l", arrow.ListOf(arrow.PrimitiveTypes.Int64)), func() []arrow.Array {
			b := array.NewListBuilder(mem, arrow.PrimitiveTypes.Int64)
			defer b.Release()
			b.Append(true)
			b.ValueBuilder().(*array.Int64Builder).Append(4)
			return []arrow.Array{ts(1), b.NewArray()}
		}, -1, `column "l": type list`},
		{"twice", fld("ts", tsUTC, "x", arrow.PrimitiveTypes.Int64, "x", arrow.PrimitiveTypes.Int64), func() []arrow.Array { return []arrow.Array{ts(1), ints(1), ints(2)} }, -1, `column "x" twice`},
		{"ts twice", fld("ts", tsUTC, "ts", tsUTC), func() []arrow.Array { return []arrow.Array{ts(1), ts(2)} }, -1, `column "ts" twice`},
		{"column longer than record", fld("ts", tsUTC, "x", arrow.PrimitiveTypes.Int64), func() []arrow.Array { return []arrow.Array{ts(1), ints(1, 2)} }, 1, `column "x": 2 rows at offset 0 in a record of 1`},
		{"decreasing offsets", fld("ts", tsUTC, "message", arrow.BinaryTypes.String), func() []arrow.Array {
			return []arrow.Array{ts(1, 2, 3), fromData(arrow.BinaryTypes.String, 3, 0, nil, i32s(0, 5, 3, 6), buf([]byte("abcdef")))}
		}, -1, `column "message": offset of row 2 decreases`},
		{"negative offset", fld("ts", tsUTC, "user", arrow.BinaryTypes.String), func() []arrow.Array {
			return []arrow.Array{ts(1), fromData(arrow.BinaryTypes.String, 1, 0, nil, i32s(-1, 2), buf([]byte("abc")))}
		}, -1, `column "user": negative offset -1`},
		{"NULLs without bitmap", fld("ts", tsUTC, "n", arrow.PrimitiveTypes.Int64), func() []arrow.Array {
			return []arrow.Array{ts(1, 2), fromData(arrow.PrimitiveTypes.Int64, 2, 1, nil, i64s(1, 2))}
		}, -1, `column "n": 1 NULLs without a validity bitmap`},
		{"short bitmap", fld("ts", tsUTC, "n", arrow.PrimitiveTypes.Int64), func() []arrow.Array {
			vals := make([]int64, 20)
			return []arrow.Array{ts(vals...), fromData(arrow.PrimitiveTypes.Int64, 20, array.UnknownNullCount, buf([]byte{0xff}), i64s(vals...))}
		}, -1, `column "n": validity bitmap of 1 bytes for 20 rows`},
		{"NULL count disagrees", fld("ts", tsUTC, "level", arrow.BinaryTypes.String), func() []arrow.Array {
			return []arrow.Array{ts(1, 2), fromData(arrow.BinaryTypes.String, 2, 2, buf([]byte{0x01}), i32s(0, 1, 2), buf([]byte("ab")))}
		}, -1, `column "level": 2 NULLs stated, 1 in the validity bitmap`},
		{"short bool values", fld("ts", tsUTC, "b", arrow.FixedWidthTypes.Boolean), func() []arrow.Array {
			vals := make([]int64, 20)
			return []arrow.Array{ts(vals...), fromData(arrow.FixedWidthTypes.Boolean, 20, 0, nil, buf([]byte{0xff}))}
		}, -1, `column "b": values bitmap of 1 bytes for 20 rows`},
		{"no values buffer", fld("ts", tsUTC, "f", arrow.PrimitiveTypes.Float64), func() []arrow.Array {
			return []arrow.Array{ts(1), fromData(arrow.PrimitiveTypes.Float64, 1, 0, nil, nil)}
		}, -1, `column "f": values buffer of 0 bytes for 1 rows`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			arrs := tc.arrs()
			defer func() {
				for _, a := range arrs {
					a.Release()
				}
			}()
			rec := array.NewRecordBatch(arrow.NewSchema(tc.fields, nil), arrs, tc.rows)
			defer rec.Release()
			got, err := arrowrows.Batch(rec)
			require.Nil(t, got)
			require.ErrorIs(t, err, arrowrows.ErrMalformed)
			require.ErrorContains(t, err, tc.want)
		})
	}
}

// fld returns fields from name, type pairs.
func fld(pairs ...any) []arrow.Field {
	var out []arrow.Field
	for i := 0; i < len(pairs); i += 2 {
		out = append(out, arrow.Field{Name: pairs[i].(string), Type: pairs[i+1].(arrow.DataType), Nullable: true})
	}
	return out
}

// TestBatchMinimal decodes a record of ts alone, sliced, as another Arrow
// producer may send it: the core columns read as NULL.
func TestBatchMinimal(t *testing.T) {
	mem := newAllocator(t)
	b := array.NewTimestampBuilder(mem, &arrow.TimestampType{Unit: arrow.Microsecond, TimeZone: "UTC"})
	defer b.Release()
	b.AppendValues([]arrow.Timestamp{10, 20, 30, 40}, nil)
	full := b.NewArray()
	defer full.Release()
	sl := array.NewSlice(full, 1, 3)
	defer sl.Release()
	s := array.NewStringBuilder(mem)
	defer s.Release()
	s.AppendValues([]string{"a", "bb", "ccc", "dddd"}, []bool{true, false, true, true})
	msgs := s.NewArray()
	defer msgs.Release()
	msl := array.NewSlice(msgs, 1, 3)
	defer msl.Release()
	rec := array.NewRecordBatch(arrow.NewSchema(fld("message", arrow.BinaryTypes.String, "ts", full.DataType()), nil), []arrow.Array{msl, sl}, -1)
	defer rec.Release()
	got, err := arrowrows.Batch(rec)
	require.NoError(t, err)
	checkBatch(t, got, []arrowrows.Column{{Name: "message"}, {Name: "ts"}}, []testRow{
		{ts: 20}, {ts: 30, core: [5]*string{4: ptr("ccc")}},
	})
}

func ptr[T any](v T) *T { return &v }

// TestBatchNullBytes decodes NULLs whose offsets span bytes, which Arrow
// allows and columns.Strings does not: their bytes are dropped.
func TestBatchNullBytes(t *testing.T) {
	mem := newAllocator(t)
	tsb := array.NewTimestampBuilder(mem, &arrow.TimestampType{Unit: arrow.Microsecond, TimeZone: "UTC"})
	defer tsb.Release()
	tsb.AppendValues([]arrow.Timestamp{1, 2, 3}, nil)
	ts := tsb.NewArray()
	defer ts.Release()
	offs := memory.NewBufferBytes(arrow.Int32Traits.CastToBytes([]int32{0, 2, 5, 6}))
	d := array.NewData(arrow.BinaryTypes.String, 3, []*memory.Buffer{memory.NewBufferBytes([]byte{0b101}), offs, memory.NewBufferBytes([]byte("abXYZc"))}, nil, 1, 0)
	defer d.Release()
	for _, name := range []string{"message", "user"} {
		level := array.MakeFromData(d)
		defer level.Release()
		rec := array.NewRecordBatch(arrow.NewSchema(fld("ts", ts.DataType(), name, arrow.BinaryTypes.String), nil), []arrow.Array{ts, level}, -1)
		defer rec.Release()
		got, err := arrowrows.Batch(rec)
		require.NoError(t, err)
		want := []testRow{{ts: 1}, {ts: 2}, {ts: 3}}
		if name == "message" {
			want[0].core[4], want[2].core[4] = ptr("ab"), ptr("c")
		} else {
			want[0].dyn, want[2].dyn = map[string]any{"user": "ab"}, map[string]any{"user": "c"}
		}
		checkBatch(t, got, []arrowrows.Column{{Name: "ts"}, {Name: name, Type: map[string]columns.Type{"user": columns.TypeString}[name]}}, want)
	}
}

// TestRecordRefusesInconsistentBatch gives Record batches whose columns
// disagree on the row count: a bug of the caller, reported, not a panic.
func TestRecordRefusesInconsistentBatch(t *testing.T) {
	mem := newAllocator(t)
	for _, tc := range []struct {
		name    string
		corrupt func(b *columns.Batch)
		want    string
	}{
		{"short core", func(b *columns.Batch) { b.Host.Ends = b.Host.Ends[:2] }, `column "host": BUG: 2 values in a batch of 4 rows`},
		{"short validity", func(b *columns.Batch) { b.Level.Valid = []bool{true} }, `column "level": BUG: 1 validity entries`},
		{"short arena", func(b *columns.Batch) { b.Message.Data = b.Message.Data[:1] }, `column "message": BUG: values end at byte`},
		{"short dynamic", func(b *columns.Batch) { b.Column("status").Valid = b.Column("status").Valid[:3] }, `column "status": BUG: 3 rows in a batch of 4`},
		{"short ints", func(b *columns.Batch) { b.Column("status").Ints = nil }, `column "status": BUG: 0 values`},
		{"short floats", func(b *columns.Batch) { b.Column("latency").Floats = nil }, `column "latency": BUG: 0 values`},
		{"short bools", func(b *columns.Batch) { b.Column("cached").Bools = nil }, `column "cached": BUG: 0 values`},
		{"short strings", func(b *columns.Batch) { b.Column("user").Strs.Ends = nil }, `column "user": BUG: 0 values`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tb := genBatch(rand.New(rand.NewPCG(15, 16)), 4, 0, allDynamic[:4])
			for _, d := range allDynamic[:4] {
				require.NotNil(t, tb.b.Column(d.col.Name), "the generator left out %s", d.col.Name)
			}
			tc.corrupt(tb.b)
			_, err := arrowrows.Record(tb.b, nil, nil, mem)
			require.ErrorContains(t, err, tc.want)
		})
	}
}

// TestBatchRandomArrays decodes records of random arrays, of random types,
// names, NULLs and offsets: Batch either succeeds or refuses, never panics.
func TestBatchRandomArrays(t *testing.T) {
	mem := newAllocator(t)
	rng := rand.New(rand.NewPCG(11, 12))
	names := []string{"ts", "level", "message", "trace_id", "a", "b", "c", "d"}
	decoded := 0
	for iter := range 3000 {
		n := rng.IntN(40)
		nf := rng.IntN(5) + 1
		var fields []arrow.Field
		var arrs []arrow.Array
		for f := range nf {
			name := names[rng.IntN(len(names))]
			if f == 0 && rng.IntN(5) > 0 {
				name = "ts"
			}
			a := randomArray(rng, mem, n, name == "ts")
			fields = append(fields, arrow.Field{Name: name, Type: a.DataType(), Nullable: true})
			arrs = append(arrs, a)
		}
		rec := array.NewRecordBatch(arrow.NewSchema(fields, nil), arrs, int64(n))
		for _, a := range arrs {
			a.Release()
		}
		got, err := arrowrows.Batch(rec)
		if err != nil {
			require.ErrorIs(t, err, arrowrows.ErrMalformed, "iteration %d", iter)
		} else {
			decoded++
			require.Equal(t, n, got.Len())
			for _, s := range []*columns.Strings{&got.Level, &got.Service, &got.Host, &got.TraceID, &got.Message} {
				require.Len(t, s.Ends, n)
			}
		}
		rec.Release()
	}
	require.Greater(t, decoded, 100, "too few records of a decodable shape to mean much")
}

// randomArray returns an array of n rows of a random type, valid or not for
// Batch, with random NULLs, perhaps a slice of a longer one, perhaps with
// corrupted offsets.
func randomArray(rng *rand.Rand, mem memory.Allocator, n int, ts bool) arrow.Array {
	types := []arrow.DataType{
		arrow.PrimitiveTypes.Int64, arrow.PrimitiveTypes.Float64, arrow.FixedWidthTypes.Boolean,
		arrow.BinaryTypes.String, arrow.BinaryTypes.String, arrow.BinaryTypes.String,
		&arrow.TimestampType{Unit: arrow.Microsecond, TimeZone: "UTC"},
		&arrow.TimestampType{Unit: arrow.Second, TimeZone: "UTC"},
		arrow.BinaryTypes.LargeString, arrow.BinaryTypes.Binary, arrow.PrimitiveTypes.Int32, arrow.Null,
	}
	dt := types[rng.IntN(len(types))]
	if ts && rng.IntN(5) > 0 {
		dt = &arrow.TimestampType{Unit: arrow.Microsecond, TimeZone: "UTC"}
	}
	pad := 0
	if rng.IntN(3) == 0 {
		pad = rng.IntN(5)
	}
	nullPct := []int{0, 0, 0, 10, 100}[rng.IntN(5)]
	b := array.NewBuilder(mem, dt)
	defer b.Release()
	for range n + 2*pad {
		if rng.IntN(100) < nullPct {
			b.AppendNull()
			continue
		}
		switch b := b.(type) {
		case *array.TimestampBuilder:
			b.Append(arrow.Timestamp(rng.Int64()))
		case *array.Int64Builder:
			b.Append(rng.Int64())
		case *array.Float64Builder:
			b.Append(rng.Float64())
		case *array.BooleanBuilder:
			b.Append(rng.IntN(2) == 0)
		case *array.StringBuilder:
			b.Append(randString(rng))
		case *array.LargeStringBuilder:
			b.Append(randString(rng))
		case *array.BinaryBuilder:
			b.Append([]byte(randString(rng)))
		case *array.Int32Builder:
			b.Append(rng.Int32())
		case *array.NullBuilder:
			b.AppendNull()
		}
	}
	full := b.NewArray()
	defer full.Release()
	out := array.NewSlice(full, int64(pad), int64(pad+n))
	if s, ok := out.(*array.String); ok && rng.IntN(4) == 0 {
		if a := corruptOffsets(rng, s); a != nil {
			out.Release()
			out = a
		}
	}
	return out
}

// corruptOffsets returns a copy of a with one offset in its range changed,
// or nil when arrow-go refuses to make such an array.
func corruptOffsets(rng *rand.Rand, a *array.String) arrow.Array {
	d := a.Data()
	offs := slices.Clone(arrow.Int32Traits.CastFromBytes(d.Buffers()[1].Bytes()))
	offs[d.Offset()+rng.IntN(d.Len()+1)] += int32(rng.IntN(7) - 3)
	bufs := slices.Clone(d.Buffers())
	bufs[1] = memory.NewBufferBytes(arrow.Int32Traits.CastToBytes(offs))
	nd := array.NewData(d.DataType(), d.Len(), bufs, nil, d.NullN(), d.Offset())
	defer nd.Release()
	if last := offs[d.Offset()+d.Len()]; int(last) > d.Buffers()[2].Len() {
		return nil // arrow-go panics on it: no Batch ever sees it
	}
	return array.MakeFromData(nd)
}

// FuzzBatch decodes records whose arrays are made from the fuzzer's bytes:
// types, names, lengths, offsets, NULL counts and buffers, consistent or
// not. Whatever arrow-go lets through to a record, Batch errs or succeeds,
// never panics. (Arrow IPC bytes are not fuzzed here: arrow-go's own
// reader runs out of memory on some, before Batch is called.)
func FuzzBatch(f *testing.F) {
	f.Add([]byte{})
	f.Add([]byte{2, 0, 0, 3, 0, 0xff, 0xff, 24, 1, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 3, 0, 0, 0, 0, 0, 0, 0,
		1, 2, 3, 0, 1, 1, 0b101, 16, 0, 0, 0, 0, 2, 0, 0, 0, 2, 0, 0, 0, 5, 0, 0, 0, 5, 'a', 'b', 'c', 'd', 'e'})
	f.Fuzz(func(t *testing.T, data []byte) {
		rec := fuzzRecord(data)
		if rec == nil {
			return
		}
		defer rec.Release()
		got, err := arrowrows.Batch(rec)
		if err != nil {
			require.ErrorIs(t, err, arrowrows.ErrMalformed)
			return
		}
		require.Equal(t, int(rec.NumRows()), got.Len())
	})
}

// fuzzTypes are the types FuzzBatch makes arrays of.
var fuzzTypes = []arrow.DataType{
	&arrow.TimestampType{Unit: arrow.Microsecond, TimeZone: "UTC"},
	arrow.BinaryTypes.String, arrow.PrimitiveTypes.Int64, arrow.PrimitiveTypes.Float64,
	arrow.FixedWidthTypes.Boolean, arrow.PrimitiveTypes.Int32, arrow.BinaryTypes.LargeString,
}

// fuzzRecord makes a record from data: a field count, then per field a
// type, a name, a length, an offset, a NULL count (0xff: unknown) and its
// buffers, each a length byte (0xff: no buffer) and its bytes. It returns
// nil where arrow-go refuses the arrays (by a panic) or data runs out.
func fuzzRecord(data []byte) (rec arrow.RecordBatch) {
	next := func() (byte, bool) {
		if len(data) == 0 {
			return 0, false
		}
		b := data[0]
		data = data[1:]
		return b, true
	}
	nf, ok := next()
	if !ok {
		return nil
	}
	names := []string{"ts", "level", "message", "a", "b"}
	var fields []arrow.Field
	var arrs []arrow.Array
	defer func() {
		for _, a := range arrs {
			a.Release()
		}
		if recover() != nil {
			rec = nil
		}
	}()
	rows := -1
	for range nf % 4 {
		var h [5]byte
		for k := range h {
			if h[k], ok = next(); !ok {
				return nil
			}
		}
		dt := fuzzTypes[int(h[0])%len(fuzzTypes)]
		n, off, nulls := int(h[2]%64), int(h[3]%4), int(h[4])
		if h[4] == 0xff {
			nulls = array.UnknownNullCount
		}
		nbuf := 2
		if dt.ID() == arrow.STRING || dt.ID() == arrow.LARGE_STRING {
			nbuf = 3
		}
		bufs := make([]*memory.Buffer, nbuf)
		for k := range bufs {
			size, ok := next()
			if !ok {
				return nil
			}
			if size == 0xff {
				continue
			}
			size = min(size, byte(len(data)))
			bufs[k] = memory.NewBufferBytes(slices.Clone(data[:size]))
			data = data[size:]
		}
		d := array.NewData(dt, n, bufs, nil, nulls, off)
		arrs = append(arrs, array.MakeFromData(d)) // may panic: recovered
		d.Release()
		fields = append(fields, arrow.Field{Name: names[int(h[1])%len(names)], Type: dt, Nullable: true})
		if rows < 0 {
			rows = n
		}
	}
	return array.NewRecordBatch(arrow.NewSchema(fields, nil), arrs, int64(rows)) // may panic: recovered
}

// checkRecord compares rec, of the columns cols, with the rows want, value
// by value through arrow-go's accessors.
func checkRecord(t testing.TB, rec arrow.RecordBatch, cols []arrowrows.Column, want []testRow) {
	t.Helper()
	require.Equal(t, int64(len(want)), rec.NumRows())
	require.Equal(t, len(cols), int(rec.NumCols()))
	for j, c := range cols {
		require.Equal(t, c.Name, rec.Schema().Field(j).Name)
		arr := rec.Column(j)
		require.Equal(t, len(want), arr.Len())
		for k, r := range want {
			wv, wok := wantValue(r, c.Name)
			if !wok {
				require.True(t, arr.IsNull(k), "column %q row %d: want NULL", c.Name, k)
				continue
			}
			require.True(t, arr.IsValid(k), "column %q row %d: want %v", c.Name, k, wv)
			var gv any
			switch a := arr.(type) {
			case *array.Timestamp:
				gv = int64(a.Value(k))
			case *array.String:
				gv = a.Value(k)
			case *array.Int64:
				gv = a.Value(k)
			case *array.Float64:
				gv = a.Value(k)
			case *array.Boolean:
				gv = a.Value(k)
			default:
				t.Fatalf("column %q: array of type %s", c.Name, arr.DataType())
			}
			requireSame(t, wv, gv, "column %q row %d", c.Name, k)
		}
	}
}

// wantValue returns the value of column name in r, false for NULL.
func wantValue(r testRow, name string) (any, bool) {
	if name == columns.TS {
		return r.ts, true
	}
	if k := slices.Index(coreNames, name); k >= 0 {
		if r.core[k] == nil {
			return nil, false
		}
		return *r.core[k], true
	}
	v, ok := r.dyn[name]
	return v, ok
}

// requireSame compares two values, floats by their bits (NaN, -0).
func requireSame(t testing.TB, want, got any, msg string, args ...any) {
	t.Helper()
	if w, ok := want.(float64); ok {
		g, ok := got.(float64)
		require.True(t, ok, append([]any{msg}, args...)...)
		require.Equal(t, math.Float64bits(w), math.Float64bits(g), append([]any{msg + ": %v, want %v"}, append(args, g, w)...)...)
		return
	}
	require.Equal(t, want, got, append([]any{msg}, args...)...)
}

// checkBatch compares got, decoded from a record of the columns cols, with
// the rows want, reading its fields directly. Core columns not in cols
// must be NULL and dynamic ones absent. It also checks the conventions of
// columns.Batch: NULL strings empty, NULL dynamic values zero.
func checkBatch(t testing.TB, got *columns.Batch, cols []arrowrows.Column, want []testRow) {
	t.Helper()
	n := len(want)
	require.Equal(t, n, got.Len())
	has := map[string]bool{}
	var dyn []string
	for _, c := range cols {
		has[c.Name] = true
		if !columns.IsCore(c.Name) {
			dyn = append(dyn, c.Name)
		}
	}
	for k, r := range want {
		require.Equal(t, r.ts, got.TS[k], "ts row %d", k)
	}
	for c, s := range []*columns.Strings{&got.Level, &got.Service, &got.Host, &got.TraceID, &got.Message} {
		name := coreNames[c]
		require.Len(t, s.Ends, n, name)
		if s.Valid != nil {
			require.Len(t, s.Valid, n, name)
			require.Contains(t, s.Valid, false, "%s: Valid set without a NULL", name)
		}
		for k, r := range want {
			null := s.Valid != nil && !s.Valid[k]
			v := stringAt(s, k)
			wv, wok := wantValue(r, name)
			if !has[name] || !wok {
				require.True(t, null, "%s row %d: want NULL", name, k)
				require.Empty(t, v, "%s row %d: NULL with bytes", name, k)
				continue
			}
			require.False(t, null, "%s row %d", name, k)
			require.Equal(t, wv, v, "%s row %d", name, k)
		}
	}
	var gotDyn []string
	for _, d := range got.Dynamic {
		gotDyn = append(gotDyn, d.Name)
	}
	require.Equal(t, dyn, gotDyn)
	for _, c := range cols {
		if !columns.IsCore(c.Name) {
			checkDynamic(t, got.Column(c.Name), c, want)
		}
	}
}

// checkDynamic compares a decoded dynamic column with the rows want.
func checkDynamic(t testing.TB, d *columns.Dynamic, c arrowrows.Column, want []testRow) {
	t.Helper()
	n := len(want)
	require.Equal(t, c.Type, d.Type, c.Name)
	require.Len(t, d.Valid, n, c.Name)
	switch d.Type {
	case columns.TypeInt64:
		require.Len(t, d.Ints, n)
	case columns.TypeFloat64:
		require.Len(t, d.Floats, n)
	case columns.TypeBool:
		require.Len(t, d.Bools, n)
	default:
		require.Len(t, d.Strs.Ends, n)
		require.Nil(t, d.Strs.Valid)
	}
	for k, r := range want {
		wv, wok := wantValue(r, c.Name)
		var gv any
		switch d.Type {
		case columns.TypeInt64:
			gv = d.Ints[k]
		case columns.TypeFloat64:
			gv = d.Floats[k]
		case columns.TypeBool:
			gv = d.Bools[k]
		default:
			gv = stringAt(&d.Strs, k)
		}
		if !wok {
			require.False(t, d.Valid[k], "%s row %d: want NULL", c.Name, k)
			requireSame(t, reflectZero(d.Type), gv, "%s row %d: NULL holds a value", c.Name, k)
			continue
		}
		require.True(t, d.Valid[k], "%s row %d", c.Name, k)
		requireSame(t, wv, gv, "%s row %d", c.Name, k)
	}
}

// reflectZero is the value a NULL row of a dynamic column of type t holds.
func reflectZero(t columns.Type) any {
	switch t {
	case columns.TypeInt64:
		return int64(0)
	case columns.TypeFloat64:
		return 0.0
	case columns.TypeBool:
		return false
	}
	return ""
}

// stringAt returns value k of s from its arena, as the test reads it.
func stringAt(s *columns.Strings, k int) string {
	lo := uint32(0)
	if k > 0 {
		lo = s.Ends[k-1]
	}
	return string(s.Data[lo:s.Ends[k]])
}
