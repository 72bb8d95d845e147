package arrowrows_test

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/ipc"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/stretchr/testify/require"

	"logq/partitions/arrowrows"
	"logq/partitions/columns"
)

// benchRows is the row count of an executor's batch.
const benchRows = 8192

// workloadBatch returns n rows like WORKLOAD.md's: five levels, 50 services
// (Zipf), four hosts each, 32-hex-digit trace IDs, 60-120 byte messages,
// status and latency_ms on every row and user_id on a third.
func workloadBatch(n int) *columns.Batch {
	rng := rand.New(rand.NewPCG(42, 42))
	zipf := rand.NewZipf(rng, 1.3, 2, 49)
	levels := []string{"DEBUG", "INFO", "INFO", "WARN", "ERROR"}
	b := &columns.Batch{}
	status := b.AddColumn("status", columns.TypeInt64, 0)
	latency := b.AddColumn("latency_ms", columns.TypeFloat64, 0)
	user := b.AddColumn("user_id", columns.TypeString, 0)
	ts := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC).UnixMicro()
	msg := make([]byte, 0, 128)
	for i := range n {
		ts += rng.Int64N(120_000)
		svc := zipf.Uint64()
		b.TS = append(b.TS, ts)
		b.Level.AppendString(levels[rng.IntN(len(levels))])
		b.Service.AppendString(fmt.Sprintf("svc-%d", svc))
		b.Host.AppendString(fmt.Sprintf("host-%d", 4*svc+rng.Uint64N(4)))
		b.TraceID.AppendString(fmt.Sprintf("%016x%016x", rng.Uint64(), rng.Uint64()))
		msg = fmt.Appendf(msg[:0], "GET /api/v1/orders/%d completed status=%d duration=%dms", rng.IntN(1e6), 200, rng.IntN(500))
		for len(msg) < 60+rng.IntN(61) {
			msg = append(msg, " k=v"...)
		}
		b.Message.Append(msg)
		status.AppendInt(int64([]int{200, 200, 200, 404, 500}[rng.IntN(5)]))
		latency.AppendFloat(rng.ExpFloat64() * 40)
		if rng.IntN(3) == 0 {
			user.AppendString(fmt.Appendf(nil, "user-%d", rng.IntN(1e5)))
		}
		b.PadDynamic(i + 1)
	}
	return b
}

// rawBytes is the size of the values of b: what a conversion moves.
func rawBytes(b *columns.Batch) int64 {
	n := int64(8 * b.Len())
	for _, s := range []*columns.Strings{&b.Level, &b.Service, &b.Host, &b.TraceID, &b.Message} {
		n += int64(len(s.Data) + 4*len(s.Ends))
	}
	for _, d := range b.Dynamic {
		n += int64(8*len(d.Ints) + 8*len(d.Floats) + len(d.Bools) + len(d.Strs.Data) + 4*len(d.Strs.Ends))
	}
	return n
}

// benchSelections are the selection shapes of the benchmarks: every row,
// a time range (one run), every other row (a filter keeping half), and a
// shuffle (runs of one row, as a top-k emits them).
func benchSelections(n int) []struct {
	name string
	sel  []int32
} {
	all := make([]int32, n)
	for i := range all {
		all[i] = int32(i)
	}
	var half []int32
	for i := 0; i < n; i += 2 {
		half = append(half, int32(i))
	}
	shuffled := slices.Clone(all)
	rand.New(rand.NewPCG(1, 1)).Shuffle(n, func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
	return []struct {
		name string
		sel  []int32
	}{{"all", nil}, {"range", all[n/4 : 3*n/4]}, {"alternate", half}, {"shuffled", shuffled}}
}

func BenchmarkRecord(b *testing.B) {
	batch := workloadBatch(benchRows)
	s, err := arrowrows.SchemaOf(batch)
	require.NoError(b, err)
	for _, sc := range benchSelections(benchRows) {
		rows := benchRows
		if sc.sel != nil {
			rows = len(sc.sel)
		}
		for _, impl := range []struct {
			name string
			fn   func(*columns.Batch, []int32, *arrowrows.Schema, memory.Allocator) (arrow.RecordBatch, error)
		}{{"buffers", arrowrows.Record}, {"builders", builderRecord}} {
			b.Run(sc.name+"/"+impl.name, func(b *testing.B) {
				b.ReportAllocs()
				b.SetBytes(rawBytes(batch) * int64(rows) / benchRows)
				for b.Loop() {
					rec, err := impl.fn(batch, sc.sel, s, memory.DefaultAllocator)
					if err != nil {
						b.Fatal(err)
					}
					rec.Release()
				}
				b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*rows), "ns/row")
			})
		}
	}
}

func BenchmarkBatch(b *testing.B) {
	batch := workloadBatch(benchRows)
	rec, err := arrowrows.Record(batch, nil, nil, memory.DefaultAllocator)
	require.NoError(b, err)
	defer rec.Release()
	b.ReportAllocs()
	b.SetBytes(rawBytes(batch))
	for b.Loop() {
		if _, err := arrowrows.Batch(rec); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*benchRows), "ns/row")
}

// BenchmarkRoundTrip is Record then Batch, and the same through an IPC
// stream with LZ4, as executors on different machines exchange rows.
func BenchmarkRoundTrip(b *testing.B) {
	batch := workloadBatch(benchRows)
	s, err := arrowrows.SchemaOf(batch)
	require.NoError(b, err)
	for _, ipcOpt := range []string{"memory", "ipc-lz4"} {
		for _, sc := range benchSelections(benchRows) {
			rows := benchRows
			if sc.sel != nil {
				rows = len(sc.sel)
			}
			b.Run(ipcOpt+"/"+sc.name, func(b *testing.B) {
				b.ReportAllocs()
				b.SetBytes(rawBytes(batch) * int64(rows) / benchRows)
				var wire bytes.Buffer
				for b.Loop() {
					rec, err := arrowrows.Record(batch, sc.sel, s, memory.DefaultAllocator)
					if err != nil {
						b.Fatal(err)
					}
					if ipcOpt == "ipc-lz4" {
						wire.Reset()
						rec = sendIPC(b, &wire, s, rec)
					}
					if _, err := arrowrows.Batch(rec); err != nil {
						b.Fatal(err)
					}
					rec.Release()
				}
				b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*rows), "ns/row")
				if ipcOpt == "ipc-lz4" {
					b.ReportMetric(float64(wire.Len())/float64(rows), "wire-B/row")
				}
			})
		}
	}
}

// sendIPC writes rec to wire as a one-record LZ4 IPC stream, releases it
// and returns the record read back; the caller releases that.
func sendIPC(b *testing.B, wire *bytes.Buffer, s *arrowrows.Schema, rec arrow.RecordBatch) arrow.RecordBatch {
	w := ipc.NewWriter(wire, ipc.WithSchema(s.Arrow()), ipc.WithLZ4())
	if err := w.Write(rec); err != nil {
		b.Fatal(err)
	}
	rec.Release()
	if err := w.Close(); err != nil {
		b.Fatal(err)
	}
	r, err := ipc.NewReader(bytes.NewReader(wire.Bytes()))
	if err != nil {
		b.Fatal(err)
	}
	defer r.Release()
	if !r.Next() {
		b.Fatal(r.Err())
	}
	out := r.RecordBatch()
	out.Retain()
	return out
}

// builderRecord is Record written with arrow-go's builders, value by value:
// the baseline BenchmarkRecord measures the buffer copies against.
func builderRecord(batch *columns.Batch, sel []int32, s *arrowrows.Schema, mem memory.Allocator) (arrow.RecordBatch, error) {
	if sel == nil {
		sel = make([]int32, batch.Len())
		for i := range sel {
			sel[i] = int32(i)
		}
	}
	rb := array.NewRecordBuilder(mem, s.Arrow())
	defer rb.Release()
	for j, c := range s.Columns() {
		switch fb := rb.Field(j).(type) {
		case *array.TimestampBuilder:
			fb.Reserve(len(sel))
			for _, i := range sel {
				fb.UnsafeAppend(arrow.Timestamp(batch.TS[i]))
			}
		case *array.StringBuilder:
			appendStrings(fb, batch, c.Name, sel)
		case *array.Int64Builder:
			d := batch.Column(c.Name)
			fb.Reserve(len(sel))
			for _, i := range sel {
				if d.Valid[i] {
					fb.UnsafeAppend(d.Ints[i])
				} else {
					fb.AppendNull()
				}
			}
		case *array.Float64Builder:
			d := batch.Column(c.Name)
			fb.Reserve(len(sel))
			for _, i := range sel {
				if d.Valid[i] {
					fb.UnsafeAppend(d.Floats[i])
				} else {
					fb.AppendNull()
				}
			}
		}
	}
	return rb.NewRecordBatch(), nil
}

// appendStrings appends the values sel of a string column to fb.
func appendStrings(fb *array.StringBuilder, batch *columns.Batch, name string, sel []int32) {
	var s *columns.Strings
	valid := func(i int32) bool { return s.Valid == nil || s.Valid[i] }
	switch name {
	case columns.Level:
		s = &batch.Level
	case columns.Service:
		s = &batch.Service
	case columns.Host:
		s = &batch.Host
	case columns.TraceID:
		s = &batch.TraceID
	case columns.Message:
		s = &batch.Message
	default:
		d := batch.Column(name)
		s = &d.Strs
		valid = func(i int32) bool { return d.Valid[i] }
	}
	fb.Reserve(len(sel))
	for _, i := range sel {
		if !valid(i) {
			fb.AppendNull()
			continue
		}
		fb.BinaryBuilder.Append(s.Value(int(i)))
	}
}
