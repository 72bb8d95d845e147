package exec

import (
	"bytes"
	"fmt"
	"math/big"
	"strconv"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/ipc"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// Partial aggregate states as Arrow record batches: how a node will send a
// coordinator the groups it computed over its partitions. One row per
// group; the coordinator decodes each stream's batches and merges them
// (aggTable.mergeFrom), and the states combine exactly: counts and exact
// integer sums as integers of any size, float sums as the float the node
// summed (WORKLOAD-style data sums exactly; in general a DOUBLE SUM depends
// on order, in MySQL too), MIN and MAX as values, COUNT(DISTINCT) as the
// set of distinct texts (collation keys when folded).
//
// Columns, for keys k and aggregates a of the query, in this order:
//
//	k<k>       utf8 (string key; NULL a group) or int64 (bucket)
//	min_ts     int64: the group's first ts (µs)
//	a<a>_n     int64: rows or values counted
//	a<a>_sum   utf8: exact integer sum as decimal digits ("" when none)
//	a<a>_sumf  float64: float sum
//	a<a>_i     int64: MIN, MAX of integers and ts
//	a<a>_f     float64: MIN, MAX of floats
//	a<a>_set   list<utf8>: COUNT(DISTINCT)'s values, NULL for other aggregates

// aggStateSchema is the schema of q's partial states.
func aggStateSchema(q *AggSpec) *arrow.Schema {
	var fields []arrow.Field
	for k, key := range q.Keys {
		t := arrow.DataType(arrow.PrimitiveTypes.Int64)
		if key.Kind == KeyString {
			t = arrow.BinaryTypes.String
		}
		fields = append(fields, arrow.Field{Name: "k" + strconv.Itoa(k), Type: t, Nullable: true})
	}
	fields = append(fields, arrow.Field{Name: "min_ts", Type: arrow.PrimitiveTypes.Int64})
	for a := range q.Aggs {
		p := "a" + strconv.Itoa(a) + "_"
		fields = append(fields,
			arrow.Field{Name: p + "n", Type: arrow.PrimitiveTypes.Int64},
			arrow.Field{Name: p + "sum", Type: arrow.BinaryTypes.String},
			arrow.Field{Name: p + "sumf", Type: arrow.PrimitiveTypes.Float64},
			arrow.Field{Name: p + "i", Type: arrow.PrimitiveTypes.Int64},
			arrow.Field{Name: p + "f", Type: arrow.PrimitiveTypes.Float64},
			arrow.Field{Name: p + "set", Type: arrow.ListOf(arrow.BinaryTypes.String), Nullable: true})
	}
	return arrow.NewSchema(fields, nil)
}

// encodeAggState returns the groups of t as one record batch.
func encodeAggState(mem memory.Allocator, t *AggTable) arrow.RecordBatch {
	q := t.q
	b := array.NewRecordBuilder(mem, aggStateSchema(q))
	defer b.Release()
	for g, tup := range t.Tuples {
		f := 0
		for k, key := range q.Keys {
			if key.Kind == KeyString {
				sb := b.Field(f).(*array.StringBuilder)
				if v := t.Dicts[k].Vals[tup[k]]; v != nil {
					sb.Append(*v)
				} else {
					sb.AppendNull()
				}
			} else {
				b.Field(f).(*array.Int64Builder).Append(tup[k])
			}
			f++
		}
		b.Field(f).(*array.Int64Builder).Append(t.MinTS[g])
		f++
		for _, a := range t.AccsOf(g) {
			b.Field(f).(*array.Int64Builder).Append(a.n)
			sum := ""
			if !a.sumI.Empty() {
				sum = a.sumI.Total().String()
			}
			b.Field(f + 1).(*array.StringBuilder).Append(sum)
			b.Field(f + 2).(*array.Float64Builder).Append(a.sumF)
			b.Field(f + 3).(*array.Int64Builder).Append(a.i)
			b.Field(f + 4).(*array.Float64Builder).Append(a.f)
			lb := b.Field(f + 5).(*array.ListBuilder)
			if a.set == nil {
				lb.AppendNull()
			} else {
				lb.Append(true)
				vb := lb.ValueBuilder().(*array.StringBuilder)
				for v := range a.set {
					vb.Append(v)
				}
			}
			f += 6
		}
	}
	return b.NewRecordBatch()
}

// decodeAggState returns the groups of rec, a record batch of q's partial
// states, as a partial table of q. A batch of another shape is an error.
func decodeAggState(q *AggSpec, rec arrow.RecordBatch) (*AggTable, error) {
	if want := aggStateSchema(q); !rec.Schema().Equal(want) {
		return nil, fmt.Errorf("partial aggregate state: schema %s, want %s", rec.Schema(), want)
	}
	t := NewAggTable(q)
	col := func(i int) arrow.Array { return rec.Column(i) }
	nk := len(q.Keys)
	for row := 0; row < int(rec.NumRows()); row++ {
		var tup GroupTuple
		for k, key := range q.Keys {
			switch c := col(k).(type) {
			case *array.String:
				if c.IsValid(row) {
					tup[k] = t.Dicts[k].code(c.Value(row), true)
				}
			case *array.Int64:
				if key.Kind == KeyString {
					return nil, fmt.Errorf("BUG: string key %d as integers", k)
				}
				tup[k] = c.Value(row)
			}
		}
		g := t.Group(tup)
		t.MinTS[g] = min(t.MinTS[g], col(nk).(*array.Int64).Value(row))
		accs := t.AccsOf(g)
		for a := range accs {
			f := nk + 1 + 6*a
			var o acc
			o.n = col(f).(*array.Int64).Value(row)
			if s := col(f + 1).(*array.String).Value(row); s != "" {
				v, ok := new(big.Int).SetString(s, 10)
				if !ok {
					return nil, fmt.Errorf("partial aggregate state: sum %q of aggregate %d", s, a)
				}
				o.sumI.AddBig(v)
			}
			o.sumF = col(f + 2).(*array.Float64).Value(row)
			o.i = col(f + 3).(*array.Int64).Value(row)
			o.f = col(f + 4).(*array.Float64).Value(row)
			if l := col(f + 5).(*array.List); l.IsValid(row) {
				vals := l.ListValues().(*array.String)
				lo, hi := l.ValueOffsets(row)
				o.set = make(map[string]struct{}, hi-lo)
				for j := lo; j < hi; j++ {
					o.set[vals.Value(int(j))] = struct{}{}
				}
			}
			t.bytes += accs[a].merge(&q.Aggs[a], &o)
		}
	}
	return t, nil
}

// StateRoundTrip returns t as a coordinator receives it from a node: its
// partial states encoded, written in the Arrow IPC stream format, read
// back and decoded (the plan loopback's last leg).
func StateRoundTrip(mem memory.Allocator, t *AggTable) (*AggTable, error) {
	rec := encodeAggState(mem, t)
	defer rec.Release()
	got, err := ipcRoundTrip(mem, rec)
	if err != nil {
		return nil, err
	}
	defer got.Release()
	return decodeAggState(t.q, got)
}

// ipcRoundTrip writes rec in the Arrow IPC stream format and reads it back.
func ipcRoundTrip(mem memory.Allocator, rec arrow.RecordBatch) (arrow.RecordBatch, error) {
	var buf bytes.Buffer
	w := ipc.NewWriter(&buf, ipc.WithSchema(rec.Schema()), ipc.WithAllocator(mem))
	if err := w.Write(rec); err != nil {
		return nil, err
	}
	if err := w.Close(); err != nil {
		return nil, err
	}
	rd, err := ipc.NewReader(&buf, ipc.WithAllocator(mem))
	if err != nil {
		return nil, err
	}
	defer rd.Release()
	if !rd.Next() {
		return nil, fmt.Errorf("partial aggregate state: no record batch read back: %v", rd.Err())
	}
	got := rd.RecordBatch()
	got.Retain()
	return got, nil
}
