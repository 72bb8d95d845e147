package segment

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"

	"logq/partitions/columns"
)

// TestRowsOf checks that RowsOf converts exactly the columns asked for,
// with the values written, and leaves the others NULL or absent.
func TestRowsOf(t *testing.T) {
	b := &columns.Batch{}
	for i := range 300 {
		b.TS = append(b.TS, 1_793_491_200_000_000+int64(i))
		b.Level.AppendString("INFO")
		b.Service.AppendString(fmt.Sprintf("svc-%d", i%7))
		b.Host.AppendString("h")
		b.TraceID.AppendNull()
		b.Message.AppendString(fmt.Sprintf("m%d", i))
		b.AddColumn("n", columns.TypeInt64, i).AppendInt(int64(i * 3))
		b.AddColumn("s", columns.TypeString, i).AppendString([]byte("x"))
		b.PadDynamic(i + 1)
	}
	path, _, _ := writeSegment(t, b, WriteOptions{BatchRows: 128})
	r, err := Open(path)
	require.NoError(t, err)
	defer r.Close()
	want := map[string]bool{"service": true, "n": true}
	row := 0
	for bi := 0; bi < r.NumBatches(); bi++ {
		got, err := r.RowsOf(bi, func(name string) bool { return want[name] })
		require.NoError(t, err)
		require.Nil(t, got.Column("s"), "a column not asked for is absent")
		for i := 0; i < got.Len(); i++ {
			require.Equal(t, b.TS[row], got.TS[i])
			require.Equal(t, string(b.Service.Value(row)), string(got.Service.Value(i)))
			require.Equal(t, b.Column("n").Ints[row], got.Column("n").Ints[i])
			require.True(t, got.Level.IsNull(i) && got.Message.IsNull(i), "a core column not asked for reads NULL")
			row++
		}
	}
	require.Equal(t, b.Len(), row)
}

// TestRowsOfScratch checks that RowsOfScratch decodes the columns it marks
// scratch into the caller's memory, reused after Reset, and every other
// column (message, plain utf8 decoded without a copy, among them) into
// memory of the batch's own, which later reads leave intact.
func TestRowsOfScratch(t *testing.T) {
	b := &columns.Batch{}
	for i := range 1000 {
		b.TS = append(b.TS, 1_793_491_200_000_000+int64(i))
		b.Level.AppendString("INFO")
		b.Service.AppendString(fmt.Sprintf("svc-%d", i%7))
		b.Host.AppendString(fmt.Sprintf("host-%d", i))
		b.TraceID.AppendNull()
		b.Message.AppendString(fmt.Sprintf("message %d of the batch", i*i))
		b.AddColumn("s", columns.TypeString, i).AppendString(fmt.Appendf(nil, "value-%d", i*7))
		b.PadDynamic(i + 1)
	}
	path, _, _ := writeSegment(t, b, WriteOptions{BatchRows: 128})
	r, err := Open(path)
	require.NoError(t, err)
	defer r.Close()
	for _, name := range []string{"message", "s"} {
		require.Equal(t, kindUTF8, r.cols[r.byName[name]].kind, "%s is stored plain", name)
	}
	want := func(name string) bool { return name != "level" }
	scratch := func(name string) bool { return name == "s" }

	var s Scratch
	var got []*columns.Batch
	row := 0
	for bi := 0; bi < r.NumBatches(); bi++ {
		g, err := r.RowsOfScratch(bi, want, scratch, &s)
		require.NoError(t, err)
		for i := 0; i < g.Len(); i++ {
			require.Equal(t, string(b.Message.Value(row+i)), string(g.Message.Value(i)))
			require.Equal(t, string(b.Column("s").Strs.Value(row+i)), string(g.Column("s").Strs.Value(i)))
		}
		if len(got) > 0 {
			prev := got[len(got)-1]
			require.Same(t, &prev.Column("s").Strs.Data[0], &g.Column("s").Strs.Data[0], "batch %d: s decoded where the last batch's was", bi)
		}
		row += g.Len()
		got = append(got, g)
		s.Reset()
	}
	require.Equal(t, b.Len(), row)
	row = 0
	for bi, g := range got {
		for i := 0; i < g.Len(); i++ {
			require.Equal(t, b.TS[row], g.TS[i], "batch %d row %d", bi, i)
			require.Equal(t, string(b.Service.Value(row)), string(g.Service.Value(i)), "batch %d row %d", bi, i)
			require.Equal(t, string(b.Host.Value(row)), string(g.Host.Value(i)), "batch %d row %d", bi, i)
			require.Equal(t, string(b.Message.Value(row)), string(g.Message.Value(i)), "batch %d row %d", bi, i)
			row++
		}
	}
}
