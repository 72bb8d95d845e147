package segment

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"math"
	"math/big"
	"sort"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/ipc"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/stretchr/testify/require"

	"logq/partitions/collate"
	"logq/partitions/columns"
)

// This file computes, by brute force and from the input batch alone, what
// the tests expect a segment to contain: the physical type of every field,
// and every statistic. It shares no code with the writer except the Bloom
// type, whose bits the tests rebuild from the values.

// strAt returns value i of s and whether it is non-NULL.
func strAt(s *columns.Strings, i int) (string, bool) {
	if s.IsNull(i) {
		return "", false
	}
	return string(s.Value(i)), true
}

// dynStrAt is strAt for a VARCHAR dynamic column.
func dynStrAt(d *columns.Dynamic, i int) (string, bool) {
	if !d.Valid[i] {
		return "", false
	}
	return string(d.Strs.Value(i)), true
}

// distinct returns the distinct non-NULL values of rows [lo, hi).
func distinct(at func(int) (string, bool), lo, hi int) map[string]int {
	m := make(map[string]int)
	for i := lo; i < hi; i++ {
		if v, ok := at(i); ok {
			m[v]++
		}
	}
	return m
}

func sortedKeys(m map[string]int) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// expectIndexType is the narrowest allowed index type for n values.
func expectIndexType(n int) arrow.DataType {
	for _, c := range []struct {
		max int
		t   arrow.DataType
	}{{128, arrow.PrimitiveTypes.Int8}, {256, arrow.PrimitiveTypes.Uint8}, {32768, arrow.PrimitiveTypes.Int16}} {
		if n <= c.max {
			return c.t
		}
	}
	return arrow.PrimitiveTypes.Int32
}

// expField is the expected physical encoding of one field.
type expField struct {
	name string
	typ  arrow.DataType
	dict []string // the dictionary values, when dictionary-encoded
	at   func(int) (string, bool)
}

// expectFields computes the physical Arrow type of every field of b.
func expectFields(b *columns.Batch, batchRows int) []expField {
	n := b.Len()
	ts := arrow.DataType(arrow.PrimitiveTypes.Uint32)
	for i := 1; i < n; i++ {
		if i%batchRows != 0 && uint64(b.TS[i]-b.TS[i-1]) > math.MaxUint32 { // sorted: the true gap
			ts = arrow.PrimitiveTypes.Int64
		}
	}
	out := []expField{{name: "ts", typ: ts}}
	core := []*columns.Strings{&b.Level, &b.Service, &b.Host}
	for k, s := range core {
		at := func(i int) (string, bool) { return strAt(s, i) }
		out = append(out, expectString(columns.CoreNames[k+1], at, n, maxCoreDictValues+1))
	}
	trace := expField{name: "trace_id", typ: &arrow.FixedSizeBinaryType{ByteWidth: 8}}
	for i := range n {
		if v, ok := strAt(&b.TraceID, i); ok && !isLowerHex16(v) {
			trace.typ = arrow.BinaryTypes.String
		}
	}
	out = append(out, trace, expField{name: "message", typ: arrow.BinaryTypes.String})
	for _, d := range b.Dynamic {
		out = append(out, expectDynamic(d, n))
	}
	return out
}

func isLowerHex16(v string) bool {
	if len(v) != 16 {
		return false
	}
	for _, c := range v {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}

// expectString is the encoding of a string column: a dictionary unless it
// has tooMany distinct values or more.
func expectString(name string, at func(int) (string, bool), n, tooMany int) expField {
	vals := distinct(at, 0, n)
	if len(vals) >= tooMany {
		return expField{name: name, typ: arrow.BinaryTypes.String}
	}
	dt := &arrow.DictionaryType{IndexType: expectIndexType(len(vals)), ValueType: arrow.BinaryTypes.String}
	return expField{name: name, typ: dt, dict: sortedKeys(vals), at: at}
}

func expectDynamic(d *columns.Dynamic, n int) expField {
	switch d.Type {
	case columns.TypeInt64:
		lo, hi := int64(0), int64(0)
		for i, v := range d.Ints {
			if d.Valid[i] {
				lo, hi = min(lo, v), max(hi, v)
			}
		}
		t := arrow.DataType(arrow.PrimitiveTypes.Int64)
		switch {
		case lo >= -128 && hi <= 127:
			t = arrow.PrimitiveTypes.Int8
		case lo >= -32768 && hi <= 32767:
			t = arrow.PrimitiveTypes.Int16
		case lo >= math.MinInt32 && hi <= math.MaxInt32:
			t = arrow.PrimitiveTypes.Int32
		}
		return expField{name: d.Name, typ: t}
	case columns.TypeFloat64:
		return expField{name: d.Name, typ: arrow.PrimitiveTypes.Float64}
	case columns.TypeBool:
		return expField{name: d.Name, typ: arrow.FixedWidthTypes.Boolean}
	}
	at := func(i int) (string, bool) { return dynStrAt(d, i) }
	vals := distinct(at, 0, n)
	if len(vals) > 4096 || len(vals)*8 > n {
		return expField{name: d.Name, typ: arrow.BinaryTypes.String}
	}
	return expectString(d.Name, at, n, math.MaxInt)
}

// expectStats computes the statistics of b written with batchRows rows per
// batch, except the compressed sizes, which come from the file (see
// arrowSizes).
func expectStats(b *columns.Batch, fields []expField, batchRows, bpk int) *Stats {
	return expectStatsVersion(b, fields, batchRows, bpk, statsVersion)
}

// expectStatsVersion is expectStats as stats version v writes them: before
// version 3 the bloom filters of service and host hold the values only;
// before version 2 there are no tuple counts and no value lists of dynamic
// columns.
func expectStatsVersion(b *columns.Batch, fields []expField, batchRows, bpk, v int) *Stats {
	n := b.Len()
	st := &Stats{Rows: int64(n), MinTS: b.TS[0], MaxTS: b.TS[n-1]}
	for _, d := range b.Dynamic {
		st.Columns = append(st.Columns, ColumnInfo{Name: d.Name, Type: d.Type})
	}
	for _, f := range fields {
		if f.dict != nil || isDict(f.typ) {
			st.RawBytes += int64(4 * (len(f.dict) + 1))
			for _, v := range f.dict {
				st.RawBytes += int64(len(v))
			}
		}
	}
	for lo := 0; lo < n; lo += batchRows {
		hi := min(lo+batchRows, n)
		bs := expectBatch(b, fields, lo, hi, bpk, v >= 3)
		if v < measuresVersion {
			bs.Measures, bs.Minutes = nil, nil
		}
		if v < 2 {
			bs.Tuples = nil
			for j := range bs.Dynamic {
				bs.Dynamic[j].HasValues, bs.Dynamic[j].Values = false, nil
			}
		}
		st.RawBytes += bs.RawBytes
		st.Batches = append(st.Batches, bs)
	}
	return st
}

func isDict(t arrow.DataType) bool { return t.ID() == arrow.DICTIONARY }

func expectBatch(b *columns.Batch, fields []expField, lo, hi, bpk int, keyed bool) BatchStats {
	bs := BatchStats{Rows: hi - lo, MinTS: b.TS[lo], MaxTS: b.TS[hi-1], RawBytes: expectRaw(b, fields, lo, hi)}
	at := func(s *columns.Strings) func(int) (string, bool) {
		return func(i int) (string, bool) { return strAt(s, i) }
	}
	levels := distinct(at(&b.Level), lo, hi)
	bs.LevelNulls = hi - lo - sum(levels)
	if len(levels) > 256 {
		bs.LevelsOverflow = true
	} else {
		for _, v := range sortedKeys(levels) {
			bs.Levels = append(bs.Levels, ValueCount{Value: v, Count: levels[v]})
		}
	}
	bs.Services = expectValueSet(at(&b.Service), isDict(fields[2].typ), lo, hi, 1024, bpk, keyed)
	bs.Hosts = expectValueSet(at(&b.Host), isDict(fields[3].typ), lo, hi, 1024, bpk, keyed)
	bs.TraceIDs = expectValueSet(at(&b.TraceID), false, lo, hi, 64, bpk, false)
	if isDict(fields[1].typ) && isDict(fields[2].typ) && isDict(fields[3].typ) &&
		!bs.LevelsOverflow && bs.Services.Exact() && bs.Hosts.Exact() {
		bs.Tuples = expectTuples(b, &bs, lo, hi)
	}
	if bs.Tuples != nil {
		bs.Measures = expectMeasures(b, &bs, lo, hi)
	}
	if isDict(fields[1].typ) && !bs.LevelsOverflow {
		bs.Minutes = expectMinutes(b, &bs, lo, hi)
	}
	for _, d := range b.Dynamic {
		bs.Dynamic = append(bs.Dynamic, expectColumnStats(d, lo, hi))
	}
	return bs
}

// expectTuples counts the (level, service, host) combinations of rows
// [lo, hi) by their values, then names each by its place in bs's lists.
func expectTuples(b *columns.Batch, bs *BatchStats, lo, hi int) []TupleCount {
	type triple struct{ l, s, h string }
	const null = "\x00NULL" // not a value of the generated data
	val := func(s *columns.Strings, i int) string {
		if v, ok := strAt(s, i); ok {
			return v
		}
		return null
	}
	counts := map[triple]uint32{}
	for i := lo; i < hi; i++ {
		counts[triple{val(&b.Level, i), val(&b.Service, i), val(&b.Host, i)}]++
	}
	if len(counts) > 4096 {
		return nil
	}
	var levels []string
	for _, lc := range bs.Levels {
		levels = append(levels, lc.Value)
	}
	index := func(list []string, v string) uint16 {
		if v == null {
			return NullIndex
		}
		i := sort.SearchStrings(list, v)
		if i == len(list) || list[i] != v {
			panic("expectTuples: value not in its list: " + v)
		}
		return uint16(i)
	}
	var out []TupleCount
	for t, n := range counts {
		out = append(out, TupleCount{
			Level:   index(levels, t.l),
			Service: index(bs.Services.Values, t.s),
			Host:    index(bs.Hosts.Values, t.h),
			Count:   n,
		})
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.Level != b.Level {
			return a.Level < b.Level
		}
		if a.Service != b.Service {
			return a.Service < b.Service
		}
		return a.Host < b.Host
	})
	return out
}

// expectMeasures sums up each BIGINT dynamic column of rows [lo, hi) per
// tuple of bs, finding each row's tuple by its values; a column whose sum
// over a tuple leaves the int64 range (by big.Int) is left out.
func expectMeasures(b *columns.Batch, bs *BatchStats, lo, hi int) []TupleMeasures {
	var levels []string
	for _, lc := range bs.Levels {
		levels = append(levels, lc.Value)
	}
	name := func(list []string, i uint16) string {
		if i == NullIndex {
			return "\x00NULL"
		}
		return list[i]
	}
	val := func(s *columns.Strings, i int) string {
		if v, ok := strAt(s, i); ok {
			return v
		}
		return "\x00NULL"
	}
	tupleOf := map[[3]string]int{}
	for k, t := range bs.Tuples {
		tupleOf[[3]string{name(levels, t.Level), name(bs.Services.Values, t.Service), name(bs.Hosts.Values, t.Host)}] = k
	}
	var out []TupleMeasures
	for j, d := range b.Dynamic {
		if d.Type != columns.TypeInt64 {
			continue
		}
		ms := make([]Measure, len(bs.Tuples))
		sums := make([]*big.Int, len(bs.Tuples))
		for i := lo; i < hi; i++ {
			if !d.Valid[i] {
				continue
			}
			k := tupleOf[[3]string{val(&b.Level, i), val(&b.Service, i), val(&b.Host, i)}]
			v := d.Ints[i]
			m := &ms[k]
			if m.Count == 0 || v < m.Min {
				m.Min = v
			}
			if m.Count == 0 || v > m.Max {
				m.Max = v
			}
			m.Count++
			if sums[k] == nil {
				sums[k] = new(big.Int)
			}
			sums[k].Add(sums[k], big.NewInt(v))
		}
		fits := true
		for k, s := range sums {
			if s != nil {
				fits = fits && s.IsInt64()
				ms[k].Sum = s.Int64()
			}
		}
		if fits {
			out = append(out, TupleMeasures{Column: j, Values: ms})
		}
	}
	return out
}

// expectMinutes counts rows [lo, hi) per (UTC minute, level), the minute
// by floor division of ts, the level by its place in bs's counts.
func expectMinutes(b *columns.Batch, bs *BatchStats, lo, hi int) []MinuteCount {
	// big.Int's Div is Euclidean: floor division by a positive divisor.
	minute := func(ts int64) int64 { return new(big.Int).Div(big.NewInt(ts), big.NewInt(60_000_000)).Int64() }
	first := minute(b.TS[lo])
	counts := map[[2]int64]uint32{}
	for i := lo; i < hi; i++ {
		m := minute(b.TS[i]) - first
		if m > math.MaxUint32 {
			return nil // a batch spanning more minutes than a uint32 counts
		}
		l := int64(NullIndex)
		if v, ok := strAt(&b.Level, i); ok {
			l = int64(sort.Search(len(bs.Levels), func(k int) bool { return bs.Levels[k].Value >= v }))
		}
		counts[[2]int64{m, l}]++
	}
	if len(counts) > 4096 {
		return nil
	}
	var out []MinuteCount
	for k, n := range counts {
		out = append(out, MinuteCount{Minute: uint32(k[0]), Level: uint16(k[1]), Count: n})
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Minute != out[j].Minute {
			return out[i].Minute < out[j].Minute
		}
		return out[i].Level < out[j].Level
	})
	return out
}

func sum(m map[string]int) int {
	n := 0
	for _, c := range m {
		n += c
	}
	return n
}

// expectValueSet: exact up to limit distinct values, else a bloom filter
// sized for the distinct values (dictionary columns) or the non-NULL values;
// a keyed one also holds the collation key of each value that is not its
// own key, and is sized for one more key per such value (or row).
func expectValueSet(at func(int) (string, bool), dict bool, lo, hi, limit, bpk int, keyed bool) ValueSet {
	vals := distinct(at, lo, hi)
	nonNull := sum(vals)
	vs := ValueSet{Nulls: hi - lo - nonNull}
	if len(vals) <= limit {
		vs.Values = sortedKeys(vals)
		return vs
	}
	keys := nonNull
	if dict {
		keys = len(vals)
	}
	for v, rows := range vals {
		if keyed && collate.Key(v) != v {
			if dict {
				keys++
			} else {
				keys += rows
			}
		}
	}
	blocks := max(1, (keys*bpk+255)/256)
	vs.Bloom = &Bloom{Blocks: make([][8]uint32, blocks), Keyed: keyed}
	for v := range vals {
		vs.Bloom.Add(v)
		if keyed {
			vs.Bloom.Add(collate.Key(v))
		}
	}
	return vs
}

func expectColumnStats(d *columns.Dynamic, lo, hi int) ColumnStats {
	var cs ColumnStats
	for i := lo; i < hi; i++ {
		if !d.Valid[i] {
			cs.Nulls++
			continue
		}
		switch d.Type {
		case columns.TypeInt64:
			v := d.Ints[i]
			if !cs.HasMinMax || v < cs.MinInt {
				cs.MinInt = v
			}
			if !cs.HasMinMax || v > cs.MaxInt {
				cs.MaxInt = v
			}
			cs.HasMinMax = true
		case columns.TypeFloat64:
			v := d.Floats[i]
			if math.IsNaN(v) {
				continue
			}
			if !cs.HasMinMax || v < cs.MinFloat {
				cs.MinFloat = v
			}
			if !cs.HasMinMax || v > cs.MaxFloat {
				cs.MaxFloat = v
			}
			cs.HasMinMax = true
		}
	}
	if d.Type == columns.TypeString {
		vals := distinct(func(i int) (string, bool) { return dynStrAt(d, i) }, lo, hi)
		if len(vals) <= 64 {
			cs.HasValues, cs.Values = true, sortedKeys(vals)
		}
	}
	return cs
}

// expectRaw is the size of the batch's Arrow buffers before compression.
func expectRaw(b *columns.Batch, fields []expField, lo, hi int) int64 {
	n := int64(hi - lo)
	bitmap := func(nulls int) int64 {
		if nulls == 0 {
			return 0
		}
		return (n + 7) / 8
	}
	var raw int64
	if fields[0].typ.ID() == arrow.UINT32 {
		raw += 4 * n
	} else {
		raw += 8 * n
	}
	core := []*columns.Strings{&b.Level, &b.Service, &b.Host, &b.TraceID, &b.Message}
	for k, s := range core {
		nulls, bytes := 0, 0
		for i := lo; i < hi; i++ {
			v, ok := strAt(s, i)
			nulls += boolInt(!ok)
			bytes += len(v)
		}
		raw += bitmap(nulls) + stringRaw(fields[k+1].typ, n, bytes)
	}
	for k, d := range b.Dynamic {
		nulls, bytes := 0, 0
		for i := lo; i < hi; i++ {
			nulls += boolInt(!d.Valid[i])
			if d.Type == columns.TypeString {
				bytes += len(d.Strs.Value(i))
			}
		}
		raw += bitmap(nulls) + stringRaw(fields[k+6].typ, n, bytes)
	}
	return raw
}

// stringRaw is the size of the values of a column of type t (offsets and
// bytes for utf8, indices for dictionaries, values for fixed-width types).
func stringRaw(t arrow.DataType, n int64, bytes int) int64 {
	switch t := t.(type) {
	case *arrow.StringType:
		return 4*(n+1) + int64(bytes)
	case *arrow.DictionaryType:
		return n * int64(t.IndexType.(arrow.FixedWidthDataType).BitWidth()/8)
	case *arrow.BooleanType:
		return (n + 7) / 8
	case arrow.FixedWidthDataType:
		return n * int64(t.BitWidth()/8)
	}
	panic("unexpected type " + t.String())
}

func boolInt(v bool) int {
	if v {
		return 1
	}
	return 0
}

// arrowSection returns the Arrow IPC bytes of a segment file, located with
// the trailer as FORMAT.md describes it.
func arrowSection(t testing.TB, file []byte) []byte {
	t.Helper()
	require.GreaterOrEqual(t, len(file), 64)
	tr := file[len(file)-64:]
	require.Equal(t, "LOGQSEG\n", string(tr[56:]))
	arrowLen := binary.LittleEndian.Uint64(tr[8:])
	require.LessOrEqual(t, arrowLen, uint64(len(file)-64))
	return file[:arrowLen]
}

// arrowSizes reads an Arrow section with arrow-go's own readers and returns
// its schema and the body length of every record batch message.
func arrowSizes(t testing.TB, section []byte) (*arrow.Schema, []int64) {
	t.Helper()
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	fr, err := ipc.NewFileReader(bytes.NewReader(section), ipc.WithAllocator(mem))
	require.NoError(t, err)
	schema := fr.Schema()
	require.NoError(t, fr.Close())
	mr := ipc.NewMessageReader(bytes.NewReader(section[8:]), ipc.WithAllocator(mem))
	defer mr.Release()
	var bodies []int64
	for {
		msg, err := mr.Message()
		if errors.Is(err, io.EOF) {
			break
		}
		require.NoError(t, err)
		if msg.Type() == ipc.MessageRecordBatch {
			bodies = append(bodies, msg.BodyLen())
		}
	}
	return schema, bodies
}

// requireSameRows checks that got holds exactly the rows of want.
func requireSameRows(t testing.TB, want, got *columns.Batch) {
	t.Helper()
	require.Equal(t, want.TS, got.TS)
	n := want.Len()
	for k, pair := range [][2]*columns.Strings{
		{&want.Level, &got.Level}, {&want.Service, &got.Service}, {&want.Host, &got.Host},
		{&want.TraceID, &got.TraceID}, {&want.Message, &got.Message},
	} {
		require.Equal(t, n, pair[1].Len(), columns.CoreNames[k+1])
		for i := range n {
			w, wok := strAt(pair[0], i)
			g, gok := strAt(pair[1], i)
			if w != g || wok != gok {
				require.Failf(t, "value differs", "column %s row %d: got %q (%v), want %q (%v)",
					columns.CoreNames[k+1], i, g, gok, w, wok)
			}
		}
	}
	require.Len(t, got.Dynamic, len(want.Dynamic))
	for j, wd := range want.Dynamic {
		gd := got.Dynamic[j]
		require.Equal(t, wd.Name, gd.Name)
		require.Equal(t, wd.Type, gd.Type, wd.Name)
		require.Equal(t, wd.Valid, gd.Valid, wd.Name)
		for i := range n {
			if wd.Valid[i] {
				require.Equal(t, dynValue(wd, i), dynValue(gd, i), "column %q row %d", wd.Name, i)
			}
		}
	}
}

// dynValue returns value i of a dynamic column in a comparable form.
func dynValue(d *columns.Dynamic, i int) any {
	switch d.Type {
	case columns.TypeInt64:
		return d.Ints[i]
	case columns.TypeFloat64:
		return math.Float64bits(d.Floats[i])
	case columns.TypeBool:
		return d.Bools[i]
	}
	return string(d.Strs.Value(i))
}

// requireLogical checks a batch returned by Reader.Batch against rows
// [lo, hi) of the input.
func requireLogical(t testing.TB, rec arrow.RecordBatch, b *columns.Batch, lo, hi int) {
	t.Helper()
	require.EqualValues(t, hi-lo, rec.NumRows())
	for j, f := range rec.Schema().Fields() {
		arr := rec.Column(j)
		switch f.Name {
		case "ts":
			require.Equal(t, arrow.PrimitiveTypes.Int64, f.Type)
			require.Equal(t, b.TS[lo:hi], arr.(*array.Int64).Int64Values())
			continue
		case "level", "service", "host", "trace_id", "message":
			s := map[string]*columns.Strings{"level": &b.Level, "service": &b.Service, "host": &b.Host,
				"trace_id": &b.TraceID, "message": &b.Message}[f.Name]
			requireStrings(t, arr, func(i int) (string, bool) { return strAt(s, lo+i) }, f.Name)
			continue
		}
		d := b.Column(f.Name)
		require.NotNil(t, d, f.Name)
		requireDynamic(t, arr, d, lo, hi)
	}
}

func requireStrings(t testing.TB, arr arrow.Array, at func(int) (string, bool), name string) {
	t.Helper()
	for i := range arr.Len() {
		want, ok := at(i)
		require.Equal(t, ok, arr.IsValid(i), "%s row %d", name, i)
		if !ok {
			continue
		}
		var got string
		switch a := arr.(type) {
		case *array.String:
			got = a.Value(i)
		case *array.Dictionary:
			got = a.Dictionary().(*array.String).Value(a.GetValueIndex(i))
		default:
			require.Failf(t, "unexpected array", "%s: %T", name, arr)
		}
		require.Equal(t, want, got, "%s row %d", name, i)
	}
}

func requireDynamic(t testing.TB, arr arrow.Array, d *columns.Dynamic, lo, hi int) {
	t.Helper()
	if d.Type == columns.TypeString {
		requireStrings(t, arr, func(i int) (string, bool) { return dynStrAt(d, lo+i) }, d.Name)
		return
	}
	for i := range hi - lo {
		require.Equal(t, d.Valid[lo+i], arr.IsValid(i), "%s row %d", d.Name, i)
		if !d.Valid[lo+i] {
			continue
		}
		var got any
		switch a := arr.(type) {
		case *array.Int64:
			got = a.Value(i)
		case *array.Float64:
			got = math.Float64bits(a.Value(i))
		case *array.Boolean:
			got = a.Value(i)
		default:
			require.Failf(t, "unexpected array", "%s: %T", d.Name, arr)
		}
		require.Equal(t, dynValue(d, lo+i), got, "%s row %d", d.Name, i)
	}
}
