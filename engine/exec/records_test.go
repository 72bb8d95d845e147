package exec

import (
	"cmp"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"

	"logq/partitions/arrowrows"
	"logq/partitions/columns"
)

// listRows is a RowStream over rows idx of b, in that order.
type listRows struct {
	b   *columns.Batch
	idx []int
}

func (l *listRows) Next() (*columns.Batch, int, error) {
	if len(l.idx) == 0 {
		return nil, 0, nil
	}
	i := l.idx[0]
	l.idx = l.idx[1:]
	return l.b, i, nil
}

type rowRef struct {
	b *columns.Batch
	i int
}

// compareRefs is the total order: ts, then the rows' content.
func compareRefs(x, y rowRef) int {
	if c := cmp.Compare(x.b.TS[x.i], y.b.TS[y.i]); c != 0 {
		return c
	}
	return columns.CompareRows(x.b, x.i, y.b, y.i)
}

func drain(t *testing.T, rows RowStream) []rowRef {
	t.Helper()
	var out []rowRef
	for {
		b, i, err := rows.Next()
		require.NoError(t, err)
		if b == nil {
			return out
		}
		// The row is valid until the next call: keep a copy of it.
		out = append(out, rowRef{b: b.Take([]int32{int32(i)}), i: 0})
	}
}

// TestMergeRecords sends sorted streams of random rows (ties of ts on most
// rows, NULLs, case and accent variants) through Records, Arrow's IPC
// encoding and MergeRecords, in records of random sizes, and checks the
// merged rows against all rows sorted in the total order by the test
// (reversed for descending scans), and against the same rows in any order
// for unordered ones.
func TestMergeRecords(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for round := range 60 {
		ordered, reverse := r.IntN(3) > 0, r.IntN(2) == 0
		var batches []*columns.Batch
		for range 1 + r.IntN(4) {
			b := planTestBatch(r, r.IntN(300))
			if idx := b.SortIndex(); idx != nil {
				b = b.Take(idx)
			}
			batches = append(batches, b)
		}
		schema, err := arrowrows.SchemaOf(batches...)
		require.NoError(t, err)
		var streams []RecordStream
		var want []rowRef
		for _, b := range batches {
			idx := make([]int, b.Len())
			for i := range idx {
				idx[i] = i
				want = append(want, rowRef{b: b, i: i})
			}
			if reverse {
				slices.Reverse(idx)
			}
			rec := Records(&listRows{b: b, idx: idx}, schema, 1+r.IntN(50), nil)
			streams = append(streams, RoundTripRecords(rec, nil))
		}
		got := drain(t, MergeRecords(streams, ordered, reverse))
		require.Len(t, got, len(want), "round %d", round)
		slices.SortStableFunc(want, compareRefs)
		if reverse {
			slices.Reverse(want)
		}
		if !ordered {
			slices.SortStableFunc(got, compareRefs)
			if reverse {
				slices.Reverse(got)
			}
		}
		for k := range want {
			require.Zero(t, compareRefs(want[k], got[k]), "round %d row %d: %d %v vs %d %v", round, k,
				want[k].b.TS[want[k].i], string(want[k].b.Message.Value(want[k].i)),
				got[k].b.TS[got[k].i], string(got[k].b.Message.Value(got[k].i)))
		}
	}
}

// TestMergeRecordsEmpty checks streams without rows, and no streams.
func TestMergeRecordsEmpty(t *testing.T) {
	schema, err := arrowrows.SchemaOf()
	require.NoError(t, err)
	for _, ordered := range []bool{false, true} {
		require.Empty(t, drain(t, MergeRecords(nil, ordered, false)))
		empty := RoundTripRecords(Records(&listRows{b: &columns.Batch{}}, schema, 10, nil), nil)
		require.Empty(t, drain(t, MergeRecords([]RecordStream{empty}, ordered, false)))
	}
}
