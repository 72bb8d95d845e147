package catalog

import (
	"fmt"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"logq/partitions/columns"
	"logq/partitions/segment"
)

func TestColumnsSeen(t *testing.T) {
	type cols = []segment.ColumnInfo
	i64, f64, str, boo := columns.TypeInt64, columns.TypeFloat64, columns.TypeString, columns.TypeBool
	tests := []struct {
		name  string
		calls []cols
		want  cols
	}{
		{name: "nothing", want: nil},
		{name: "first registration order kept",
			calls: []cols{{ci("b", i64), ci("a", str)}, {ci("c", boo), ci("a", str)}},
			want:  cols{ci("b", i64), ci("a", str), ci("c", boo)}},
		{name: "BIGINT then DOUBLE widens to DOUBLE",
			calls: []cols{{ci("latency", i64)}, {ci("latency", f64)}},
			want:  cols{ci("latency", f64)}},
		{name: "DOUBLE stays DOUBLE after BIGINT",
			calls: []cols{{ci("latency", f64)}, {ci("latency", i64)}},
			want:  cols{ci("latency", f64)}},
		{name: "conflict widens to VARCHAR and stays",
			calls: []cols{{ci("x", boo)}, {ci("x", i64)}, {ci("x", boo)}},
			want:  cols{ci("x", str)}},
		{name: "widening keeps the position",
			calls: []cols{{ci("a", i64), ci("b", i64)}, {ci("a", str)}},
			want:  cols{ci("a", str), ci("b", i64)}},
		{name: "same name twice in one call",
			calls: []cols{{ci("a", i64), ci("a", f64)}},
			want:  cols{ci("a", f64)}},
		{name: "invalid types ignored",
			calls: []cols{{ci("a", 0), ci("b", columns.Type(99)), ci("c", i64)}, {ci("c", 0)}},
			want:  cols{ci("c", i64)}},
		{name: "names are case-sensitive",
			calls: []cols{{ci("Status", i64), ci("status", str)}},
			want:  cols{ci("Status", i64), ci("status", str)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := New()
			for _, call := range tt.calls {
				c.ColumnsSeen(call)
			}
			require.Equal(t, tt.want, c.Columns())
		})
	}
}

// ci is a short ColumnInfo literal.
func ci(name string, typ columns.Type) segment.ColumnInfo {
	return segment.ColumnInfo{Name: name, Type: typ}
}

func TestColumnsCallerOwnsSlices(t *testing.T) {
	c := New()
	in := []segment.ColumnInfo{{Name: "a", Type: columns.TypeInt64}}
	c.ColumnsSeen(in)
	in[0].Name = "changed"
	out := c.Columns()
	out[0].Type = columns.TypeBool
	require.Equal(t, []segment.ColumnInfo{{Name: "a", Type: columns.TypeInt64}}, c.Columns())
}

// TestColumnsConcurrent registers columns from several goroutines (run it
// with -race): every column ends up registered once, widened to DOUBLE.
func TestColumnsConcurrent(t *testing.T) {
	const writers, perWriter = 4, 200
	c := New()
	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			for i := range perWriter {
				typ := columns.TypeInt64
				if i%writers == w {
					typ = columns.TypeFloat64
				}
				c.ColumnsSeen([]segment.ColumnInfo{{Name: fmt.Sprintf("col%d", i), Type: typ}})
				_ = c.Columns()
			}
		})
	}
	wg.Wait()
	got := c.Columns()
	require.Len(t, got, perWriter)
	seen := map[string]bool{}
	for _, col := range got {
		require.False(t, seen[col.Name], "column %s registered twice", col.Name)
		seen[col.Name] = true
		require.Equal(t, columns.TypeFloat64, col.Type, col.Name)
	}
}
