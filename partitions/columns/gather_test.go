package columns

import (
	"bytes"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
)

// takeRows is Take row by row through the append methods: the reference
// the column-wise Take must match.
func takeRows(b *Batch, idx []int32) *Batch {
	out := &Batch{}
	for _, d := range b.Dynamic {
		out.AddColumn(d.Name, d.Type, 0)
	}
	for _, i := range idx {
		out.appendRow(b, int(i))
	}
	return out
}

// requireSameBatch compares two batches value by value: NULLs, values,
// zeroed NULL slots, whether a validity slice exists, and no codes left.
func requireSameBatch(t *testing.T, want, got *Batch) {
	t.Helper()
	require.Equal(t, want.Len(), got.Len())
	for i := range want.TS {
		require.Equal(t, want.TS[i], got.TS[i])
	}
	sameStrings := func(name string, w, g *Strings) {
		require.Equal(t, w.Len(), g.Len(), name)
		require.Equal(t, w.Valid == nil, g.Valid == nil, "%s: validity slice", name)
		require.Nil(t, g.Codes, name)
		require.Nil(t, g.Dict, name)
		for i := range w.Ends {
			require.Equal(t, w.IsNull(i), g.IsNull(i), "%s row %d", name, i)
			require.True(t, bytes.Equal(w.Value(i), g.Value(i)), "%s row %d", name, i)
		}
	}
	sameStrings("level", &want.Level, &got.Level)
	sameStrings("service", &want.Service, &got.Service)
	sameStrings("host", &want.Host, &got.Host)
	sameStrings("trace_id", &want.TraceID, &got.TraceID)
	sameStrings("message", &want.Message, &got.Message)
	require.Len(t, got.Dynamic, len(want.Dynamic))
	for k, w := range want.Dynamic {
		g := got.Dynamic[k]
		require.Equal(t, w.Name, g.Name)
		require.Same(t, g, got.Column(w.Name), "indexed by name")
		require.Equal(t, w.Type, g.Type, w.Name)
		require.Len(t, g.Valid, len(w.Valid), w.Name)
		if len(w.Valid) > 0 {
			require.Equal(t, w.Valid, g.Valid, w.Name)
		}
		for i := range w.Valid {
			switch w.Type {
			case TypeInt64:
				require.Equal(t, w.Ints[i], g.Ints[i])
			case TypeFloat64:
				require.Equal(t, math.Float64bits(w.Floats[i]), math.Float64bits(g.Floats[i]))
			case TypeBool:
				require.Equal(t, w.Bools[i], g.Bools[i])
			default:
				require.True(t, bytes.Equal(w.Strs.Value(i), g.Strs.Value(i)), "%s row %d", w.Name, i)
			}
		}
	}
}

// randomBatches returns one to four random batches of up to 50 rows, each
// with some of the dynamic column types (named by type, so that a column
// has one type in every batch) and NULLs with one of the probabilities
// nulls; edit adjusts each model before it is built.
func randomBatches(rng *rand.Rand, edit func(*batchModel), nulls ...float64) []*Batch {
	var batches []*Batch
	for range 1 + rng.IntN(4) {
		var ts []Type
		for _, typ := range []Type{TypeInt64, TypeFloat64, TypeBool, TypeString} {
			if rng.IntN(3) > 0 {
				ts = append(ts, typ)
			}
		}
		m := genModel(rng, rng.IntN(50), ts, nulls[rng.IntN(len(nulls))])
		for i, typ := range ts {
			m.dynNames[i] = "c" + string(rune('a'+int(typ)))
		}
		edit(m)
		batches = append(batches, m.build())
	}
	return batches
}

// TestTakeAndConcatMatchRowByRow checks the column-wise Take, Slice and
// Concat against copies made row by row, over batches with NULLs (or none, with
// and without a validity slice), decoded dictionary codes, and dynamic
// columns that only some batches hold.
func TestTakeAndConcatMatchRowByRow(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for range 60 {
		batches := randomBatches(rng, func(m *batchModel) {
			m.validAlways = rng.IntN(2) == 0
		}, 0, 0.1, 0.6)
		for _, b := range batches {
			if b.Len() > 0 && rng.IntN(2) == 0 {
				b.Level.Dict = [][]byte{[]byte("x")}
				b.Level.Codes = make([]int32, b.Len())
			}
		}
		requireSameBatch(t, concatRows(batches), Concat(batches...))
		for _, b := range batches {
			idx := make([]int32, rng.IntN(2*b.Len()+1))
			for k := range idx {
				if b.Len() > 0 {
					idx[k] = int32(rng.IntN(b.Len()))
				}
			}
			if b.Len() == 0 {
				idx = nil
			}
			requireSameBatch(t, takeRows(b, idx), b.Take(idx))

			lo := rng.IntN(b.Len() + 1)
			hi := lo + rng.IntN(b.Len()-lo+1)
			rows := make([]int32, 0, hi-lo)
			for i := lo; i < hi; i++ {
				rows = append(rows, int32(i))
			}
			requireSameBatch(t, takeRows(b, rows), b.Slice(lo, hi))
		}
	}
}

// TestConcatWidens: a column BIGINT in one batch and DOUBLE in the next is
// DOUBLE in the result, as row-by-row appends make it.
func TestConcatWidens(t *testing.T) {
	a, b := &Batch{}, &Batch{}
	a.TS, b.TS = []int64{1}, []int64{2}
	for _, x := range []*Batch{a, b} {
		for _, s := range x.CoreStrings() {
			s.AppendNull()
		}
	}
	a.AddColumn("n", TypeInt64, 0).AppendInt(3)
	b.AddColumn("n", TypeFloat64, 0).AppendFloat(0.5)
	got := Concat(a, b)
	require.Equal(t, TypeFloat64, got.Column("n").Type)
	require.Equal(t, []float64{3, 0.5}, got.Column("n").Floats)
}

// TestAddColumnAfterSetDynamic: columns set with SetDynamic stay found by
// name after AddColumn adds another (the name index once held only the
// added one).
func TestAddColumnAfterSetDynamic(t *testing.T) {
	b := &Batch{}
	b.SetDynamic([]*Dynamic{NewDynamic("a", TypeInt64)})
	b.AddColumn("b", TypeBool, 0)
	require.NotNil(t, b.Column("a"))
	require.NotNil(t, b.Column("b"))
}

// benchRows is a flush's worth of rows like WORKLOAD's, in 100 batches as
// they arrive, and the permutation that sorts them.
func benchRows() ([]*Batch, []int32) {
	rng := rand.New(rand.NewPCG(1, 1))
	var batches []*Batch
	for range 100 {
		m := genModel(rng, 6000, []Type{TypeInt64, TypeInt64}, 0.05)
		batches = append(batches, m.build())
	}
	idx := rng.Perm(600_000)
	perm := make([]int32, len(idx))
	for i, v := range idx {
		perm[i] = int32(v)
	}
	return batches, perm
}

// BenchmarkFlushCopies is what a flush does with its buffered rows: Concat,
// then Take in sorted order. Compare -bench 'FlushCopies/(rows|columns)'.
func BenchmarkFlushCopies(b *testing.B) {
	batches, perm := benchRows()
	b.Run("columns", func(b *testing.B) {
		for b.Loop() {
			Concat(batches...).Take(perm)
		}
	})
	b.Run("rows", func(b *testing.B) {
		for b.Loop() {
			takeRows(concatRows(batches), perm)
		}
	})
}

// TestSortedConcat checks SortedConcat against Concat then sort, over
// batches of random order with equal timestamps (so that whole rows
// decide), NULLs and dynamic columns only some batches hold.
func TestSortedConcat(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	for range 60 {
		batches := randomBatches(rng, func(m *batchModel) {
			for i := range m.rows {
				m.rows[i].ts = int64(rng.IntN(5)) // ties everywhere
			}
		}, 0, 0.2)
		want := concatRows(batches)
		if idx := want.SortIndex(); idx != nil {
			want = takeRows(want, idx)
		}
		got := SortedConcat(batches...)
		require.True(t, got.Sorted())
		requireSameBatch(t, want, got)
	}
}

// TestSortedConcatMergesRuns checks SortedConcat against Concat then sort
// where the merge takes long runs: up to a dozen batches, most already in
// row order, whose spans of time are disjoint (in either order), nested or
// shared, with ties inside and across batches. Take is checked on the
// same batches with indexes in runs, as routing takes rows.
func TestSortedConcatMergesRuns(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	for round := range 200 {
		var batches []*Batch
		for range 1 + rng.IntN(12) {
			batches = append(batches, randomBatches(rng, func(m *batchModel) {
				base := int64(rng.IntN(4)) * 10
				for i := range m.rows {
					m.rows[i].ts = base + int64(rng.IntN(1+round%20))
				}
			}, 0, 0.2)...)
		}
		for k, b := range batches {
			if rng.IntN(5) > 0 {
				if idx := b.SortIndex(); idx != nil {
					batches[k] = takeRows(b, idx)
				}
			}
		}
		want := concatRows(batches)
		if idx := want.SortIndex(); idx != nil {
			want = takeRows(want, idx)
		}
		got := SortedConcat(batches...)
		require.True(t, got.Sorted())
		requireSameBatch(t, want, got)

		for _, b := range batches {
			var idx []int32
			for lo := 0; lo < b.Len(); lo += 1 + rng.IntN(8) {
				for i := lo; i < min(b.Len(), lo+rng.IntN(10)); i++ {
					idx = append(idx, int32(i))
				}
			}
			requireSameBatch(t, takeRows(b, idx), b.Take(idx))
		}
	}
}

// BenchmarkSortedConcat merges a flush's worth of rows like WORKLOAD's:
// batches in row order over disjoint spans of time (a merge of segments),
// over shared spans (a flush of sealed rows), and unsorted (a seal).
func BenchmarkSortedConcat(b *testing.B) {
	rng := rand.New(rand.NewPCG(3, 4))
	gen := func(overlap, sorted bool) []*Batch {
		var batches []*Batch
		for k := range 20 {
			m := genModel(rng, 30_000, []Type{TypeInt64, TypeInt64}, 0.05)
			for i := range m.rows {
				m.rows[i].ts = int64(k)*1e9 + rng.Int64N(1e9)
				if overlap {
					m.rows[i].ts = rng.Int64N(1e9)
				}
			}
			batch := m.build()
			if idx := batch.SortIndex(); sorted && idx != nil {
				batch = batch.Take(idx)
			}
			batches = append(batches, batch)
		}
		return batches
	}
	for _, c := range []struct {
		name            string
		overlap, sorted bool
	}{{"disjoint", false, true}, {"overlapping", true, true}, {"unsorted", true, false}} {
		batches := gen(c.overlap, c.sorted)
		b.Run(c.name, func(b *testing.B) {
			for b.Loop() {
				SortedConcat(batches...)
			}
		})
	}
}

// TestGathererMatchesRowByRow checks Gatherer against copies made row by
// row: rows of several batches in any order, runs of consecutive rows and
// single rows, a batch coming back after another, dynamic columns that only
// some batches hold, and a Gatherer used again after Batch.
func TestGathererMatchesRowByRow(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	var g Gatherer
	for range 80 {
		batches := randomBatches(rng, func(m *batchModel) {
			m.validAlways = rng.IntN(2) == 0
		}, 0, 0.1, 0.6)
		want := &Batch{}
		for _, b := range batches {
			for _, d := range b.Dynamic {
				want.AddColumn(d.Name, d.Type, 0)
			}
		}
		for range rng.IntN(8) {
			b := batches[rng.IntN(len(batches))]
			if b.Len() == 0 {
				continue
			}
			lo := rng.IntN(b.Len())
			hi := lo + 1 + rng.IntN(b.Len()-lo)
			if rng.IntN(3) == 0 {
				hi = lo + 1
			}
			for i := lo; i < hi; i++ {
				g.Add(b, i)
				want.appendRow(b, i)
			}
		}
		require.Equal(t, want.Len(), g.Len())
		got := g.Batch()
		require.Equal(t, 0, g.Len())
		// Columns no chosen row came from are still there, all NULL: the
		// reference lists every batch's; drop those the gather does not
		// know of (none of its batches was added).
		requireSameBatch(t, onlyColumns(want, got), got)
	}
}

// onlyColumns returns b with only the dynamic columns other has.
func onlyColumns(b, other *Batch) *Batch {
	out := &Batch{TS: b.TS, Level: b.Level, Service: b.Service, Host: b.Host, TraceID: b.TraceID, Message: b.Message}
	for _, d := range other.Dynamic {
		out.addDynamic(b.Column(d.Name))
	}
	return out
}
