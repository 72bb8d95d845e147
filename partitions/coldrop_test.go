package partitions_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"logq/partitions"
)

// TestDropColumn drops a column whose values sit in a segment, in the
// buffer and in the WAL, brings the name back with another type, and checks
// after a restart, a crash and a compaction that only the new values are
// visible.
func TestDropColumn(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	st := openTestStore(t, dir, partitions.WithShards(1))
	require.NoError(t, st.Append(ctx, fieldRow("r1", field{"a", int64(1)}, field{"b", int64(1)})))
	require.NoError(t, st.Flush())
	require.NoError(t, st.Append(ctx, fieldRow("r2", field{"a", int64(2)})))

	require.NoError(t, st.DropColumn("A"), "names match in lower case")
	require.Equal(t, []string{"b"}, sortedNames(st))
	want := map[string]map[string]any{"r1": {"b": int64(1)}, "r2": {}}
	require.Equal(t, want, visible(t, st))

	for _, name := range []string{"a", "nope"} {
		require.ErrorIs(t, st.DropColumn(name), partitions.ErrNoSuchColumn, name)
	}
	require.ErrorContains(t, st.DropColumn("level"), "core column")

	require.NoError(t, st.Append(ctx, fieldRow("r3", field{"a", "new"})))
	want["r3"] = map[string]any{"a": "new"}
	require.Equal(t, want, visible(t, st), "a new column a; the old values stay hidden")
	require.Equal(t, []string{"a", "b"}, sortedNames(st))

	crashStore(t, st, dir) // r2 and r3 are only in the WAL
	st = openTestStore(t, dir, partitions.WithShards(1))
	require.Equal(t, want, visible(t, st), "after WAL replay")
	require.Equal(t, []string{"a", "b"}, sortedNames(st))
	require.NoError(t, st.Flush())
	require.NoError(t, st.Append(ctx, fieldRow("r4", field{"b", int64(4)})))
	require.NoError(t, st.Flush())
	_, err := st.Compact()
	require.NoError(t, err)
	want["r4"] = map[string]any{"b": int64(4)}
	require.Equal(t, want, visible(t, st), "after compaction")

	require.NoError(t, st.DropColumn("a"), "drop the new generation too")
	require.NoError(t, st.Close())
	st = openTestStore(t, dir, partitions.WithShards(1))
	defer st.Close()
	want["r3"] = map[string]any{}
	require.Equal(t, want, visible(t, st), "after a restart")
	require.Equal(t, []string{"b"}, sortedNames(st))
}

// TestDropColumnFreesPlace checks that a drop frees a place under the
// column limit, and that the catch-all column can be dropped.
func TestDropColumnFreesPlace(t *testing.T) {
	st := openTestStore(t, t.TempDir(), partitions.WithMaxColumns(2))
	defer st.Close()
	ctx := context.Background()
	require.NoError(t, st.Append(ctx, fieldRow("r1", field{"a", int64(1)}, field{"b", int64(1)}, field{"c", int64(1)})))
	require.Equal(t, map[string]any{"a": int64(1), "b": int64(1), "_extra": map[string]any{"c": 1.0}}, visible(t, st)["r1"])
	require.NoError(t, st.DropColumn("a"))
	require.NoError(t, st.Append(ctx, fieldRow("r2", field{"c", int64(2)})))
	require.Equal(t, map[string]any{"c": int64(2)}, visible(t, st)["r2"], "c got the freed place")
	require.Equal(t, map[string]any{"b": int64(1), "_extra": map[string]any{"c": 1.0}}, visible(t, st)["r1"],
		"r1's c stays in the catch-all: the column c starts empty")
	require.NoError(t, st.DropColumn("_extra"))
	require.Equal(t, map[string]any{"b": int64(1)}, visible(t, st)["r1"])
}

// TestDamagedColumnsFileStopsStart checks that a damaged COLUMNS file stops
// start-up instead of letting dropped values reappear.
func TestDamagedColumnsFileStopsStart(t *testing.T) {
	dir := t.TempDir()
	st := openTestStore(t, dir)
	require.NoError(t, st.Append(context.Background(), fieldRow("r1", field{"a", int64(1)})))
	require.NoError(t, st.DropColumn("a"))
	require.NoError(t, st.Close())
	path := filepath.Join(dir, "COLUMNS")
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	data[len(data)-3] ^= 1
	require.NoError(t, os.WriteFile(path, data, 0o644))
	_, err = partitions.Open(dir, partitions.WithCompactInterval(0))
	require.ErrorIs(t, err, partitions.ErrCorrupt)
}

// TestDroppedValuesLeaveRewrittenSegments checks that flushes and
// compactions stop writing the values of dropped columns.
func TestDroppedValuesLeaveRewrittenSegments(t *testing.T) {
	st := openTestStore(t, t.TempDir(), partitions.WithShards(1))
	defer st.Close()
	ctx := context.Background()
	for i := range 4 {
		msg := fmt.Sprintf("r%d", i)
		require.NoError(t, st.Append(ctx, fieldRow(msg, field{"a", int64(i)}, field{"b", int64(i)})))
		if i < 3 {
			require.NoError(t, st.Flush())
		}
	}
	require.NoError(t, st.DropColumn("a"))
	require.NoError(t, st.Flush()) // r3 was buffered when a was dropped
	storedColumns := func() [][]string {
		var out [][]string
		for _, seg := range st.Segments() {
			var names []string
			for _, c := range seg.Stats.Columns {
				names = append(names, c.Name)
			}
			out = append(out, names)
			seg.DecRef()
		}
		return out
	}
	require.Equal(t, [][]string{{"a", "b"}, {"a", "b"}, {"a", "b"}, {"b"}}, storedColumns())
	n, err := st.Compact()
	require.NoError(t, err)
	require.Equal(t, 1, n)
	require.Equal(t, [][]string{{"b"}}, storedColumns())
	want := map[string]map[string]any{}
	for i := range 4 {
		want[fmt.Sprintf("r%d", i)] = map[string]any{"b": int64(i)}
	}
	require.Equal(t, want, visible(t, st))
}
