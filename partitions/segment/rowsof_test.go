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
