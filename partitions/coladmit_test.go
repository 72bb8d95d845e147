package partitions_test

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"logq/partitions"
	"logq/partitions/columns"
)

// field is one dynamic field of a test row.
type field struct {
	name string
	v    any // int64, float64, bool or string
}

// fieldRow makes a one-row batch whose message is msg, with the fields fs.
func fieldRow(msg string, fs ...field) *columns.Batch {
	b := &columns.Batch{}
	b.TS = append(b.TS, 1_793_491_200_000_000)
	b.Level.AppendString("INFO")
	b.Service.AppendString("svc")
	b.Host.AppendNull()
	b.TraceID.AppendNull()
	b.Message.AppendString(msg)
	for _, f := range fs {
		switch v := f.v.(type) {
		case int64:
			b.AddColumn(f.name, columns.TypeInt64, 0).AppendInt(v)
		case float64:
			b.AddColumn(f.name, columns.TypeFloat64, 0).AppendFloat(v)
		case bool:
			b.AddColumn(f.name, columns.TypeBool, 0).AppendBool(v)
		case string:
			b.AddColumn(f.name, columns.TypeString, 0).AppendString([]byte(v))
		}
	}
	return b
}

// visible returns the rows as SQL sees them, by message: the live dynamic
// columns under their names (through the store's ColumnView), with the
// catch-all column decoded from JSON.
func visible(t *testing.T, st *partitions.Store) map[string]map[string]any {
	out := map[string]map[string]any{}
	view := st.ColumnView()
	forEachRow(t, st, func(raw *columns.Batch, i int) {
		b := view.Batch(raw)
		r := map[string]any{}
		for _, d := range b.Dynamic {
			if d.IsNull(i) {
				continue
			}
			switch {
			case d.Name == partitions.CatchAllColumn:
				var obj map[string]any
				require.NoError(t, json.Unmarshal(d.Strs.Value(i), &obj), "%s", d.Strs.Value(i))
				r[d.Name] = obj
			case d.Type == columns.TypeInt64:
				r[d.Name] = d.Ints[i]
			case d.Type == columns.TypeFloat64:
				r[d.Name] = d.Floats[i]
			case d.Type == columns.TypeBool:
				r[d.Name] = d.Bools[i]
			default:
				r[d.Name] = string(d.Strs.Value(i))
			}
		}
		out[string(b.Message.Value(i))] = r
	})
	return out
}

func sortedNames(st *partitions.Store) []string {
	names := st.ColumnNames()
	slices.Sort(names)
	return names
}

// TestColumnLimit checks that fields past the column limit go to the
// catch-all column instead of failing their batch, that known columns stay
// writable, that the catch-all column does not count, and that the limit
// counts the columns recovered at restart.
func TestColumnLimit(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	st := openTestStore(t, dir, partitions.WithMaxColumns(3))
	append1 := func(b *columns.Batch) partitions.AppendResult {
		res, err := st.AppendWith(ctx, b, partitions.AppendOptions{})
		require.NoError(t, err)
		return res
	}
	require.Equal(t, 2, append1(fieldRow("r1", field{"seq", int64(1)}, field{"a", int64(1)})).NewColumns)
	res := append1(fieldRow("r2", field{"b", int64(2)}, field{"c", "x\"y"}, field{"d", true}))
	require.Equal(t, partitions.AppendResult{NewColumns: 1, OverflowFields: 2}, res, "b fits, c and d overflow")
	append1(fieldRow("r3", field{"a", int64(3)}, field{"b", int64(3)}))
	append1(fieldRow("r4", field{"_extra", "mine"}, field{"e", 1.5}))
	require.NoError(t, st.Close())

	st = openTestStore(t, dir, partitions.WithMaxColumns(3))
	defer st.Close()
	require.Equal(t, []string{"a", "b", "seq"}, sortedNames(st), "recovered columns count; _extra does not")
	append1(fieldRow("r5", field{"f", int64(5)}, field{"seq", int64(5)}))
	want := map[string]map[string]any{
		"r1": {"seq": int64(1), "a": int64(1)},
		"r2": {"b": int64(2), "_extra": map[string]any{"c": "x\"y", "d": true}},
		"r3": {"a": int64(3), "b": int64(3)},
		"r4": {"_extra": map[string]any{"_extra": "mine", "e": 1.5}},
		"r5": {"seq": int64(5), "_extra": map[string]any{"f": 5.0}},
	}
	require.Equal(t, want, visible(t, st))
}

// TestAppendNewColumnBudget checks the per-call bound on new columns.
func TestAppendNewColumnBudget(t *testing.T) {
	tests := []struct {
		name     string
		max      int
		wantCols []string
	}{
		{"no bound", 0, []string{"n1", "n2", "n3", "old"}},
		{"two", 2, []string{"n1", "n2", "old"}},
		{"none", -1, []string{"old"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			st := openTestStore(t, t.TempDir())
			defer st.Close()
			ctx := context.Background()
			require.NoError(t, st.Append(ctx, fieldRow("r0", field{"old", int64(0)})))
			b := fieldRow("r1", field{"n1", int64(1)}, field{"old", int64(1)}, field{"n2", int64(2)}, field{"n3", int64(3)})
			res, err := st.AppendWith(ctx, b, partitions.AppendOptions{MaxNewColumns: tc.max})
			require.NoError(t, err)
			require.Equal(t, len(tc.wantCols)-1, res.NewColumns)
			require.Equal(t, tc.wantCols, sortedNames(st))
			got := visible(t, st)["r1"]
			extra := map[string]any{}
			for _, n := range []string{"n1", "n2", "n3"} {
				v := float64(n[1] - '0')
				if slices.Contains(tc.wantCols, n) {
					require.Equal(t, int64(v), got[n])
				} else {
					extra[n] = v
				}
			}
			if len(extra) > 0 {
				require.Equal(t, extra, got["_extra"])
			} else {
				require.NotContains(t, got, "_extra")
			}
		})
	}
}

// TestColumnPolicy checks the allow and deny lists.
func TestColumnPolicy(t *testing.T) {
	tests := []struct {
		name   string
		policy partitions.ColumnPolicy
		want   map[string]any
		denied int64
	}{
		{"none", partitions.ColumnPolicy{},
			map[string]any{"http.status": int64(200), "http.path": "/x", "user_id": int64(7), "password": "s3"}, 0},
		{"deny drops", partitions.ColumnPolicy{Deny: partitions.ParsePatterns(" Password , *.path")},
			map[string]any{"http.status": int64(200), "user_id": int64(7)}, 2},
		{"allow sends the rest to the catch-all", partitions.ColumnPolicy{Allow: []string{"http.*"}},
			map[string]any{"http.status": int64(200), "http.path": "/x",
				"_extra": map[string]any{"user_id": 7.0, "password": "s3"}}, 0},
		{"deny wins over allow", partitions.ColumnPolicy{Allow: []string{"*"}, Deny: []string{"pass*", "http.*s"}},
			map[string]any{"http.path": "/x", "user_id": int64(7)}, 2},
		{"a glob matches whole names", partitions.ColumnPolicy{Allow: []string{"*_id", "http"}},
			map[string]any{"user_id": int64(7),
				"_extra": map[string]any{"http.status": 200.0, "http.path": "/x", "password": "s3"}}, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			st := openTestStore(t, t.TempDir(), partitions.WithColumnPolicy(tc.policy))
			defer st.Close()
			b := fieldRow("r", field{"http.status", int64(200)}, field{"http.path", "/x"},
				field{"user_id", int64(7)}, field{"password", "s3"})
			res, err := st.AppendWith(context.Background(), b, partitions.AppendOptions{})
			require.NoError(t, err)
			require.Equal(t, tc.denied, res.DeniedFields)
			require.Equal(t, tc.want, visible(t, st)["r"])
		})
	}
}

// TestFailedAppendReleasesColumns checks that an append that stores
// nothing gives back the columns it reserved, and keeps those that were
// already stored.
func TestFailedAppendReleasesColumns(t *testing.T) {
	st := openTestStore(t, t.TempDir())
	ctx := context.Background()
	require.NoError(t, st.Append(ctx, fieldRow("r1", field{"a", int64(1)})))
	require.NoError(t, st.Close())
	_, err := st.AppendWith(ctx, fieldRow("r2", field{"a", int64(2)}, field{"b", int64(2)}), partitions.AppendOptions{})
	require.ErrorIs(t, err, partitions.ErrClosed)
	require.Equal(t, []string{"a"}, sortedNames(st), "b was reserved, then released")
}

// TestColumnLimitConcurrent appends batches of new names from many
// goroutines: the limit holds exactly, and every field is stored, in its
// column or in the catch-all column.
func TestColumnLimitConcurrent(t *testing.T) {
	const limit, writers, perWriter = 25, 8, 10
	st := openTestStore(t, t.TempDir(), partitions.WithMaxColumns(limit))
	defer st.Close()
	var wg sync.WaitGroup
	var mu sync.Mutex
	created, overflow := 0, int64(0)
	for w := range writers {
		wg.Go(func() {
			for i := range perWriter {
				name := fmt.Sprintf("f_%d_%d", w, i)
				res, err := st.AppendWith(context.Background(), fieldRow(name, field{name, int64(w*100 + i)}), partitions.AppendOptions{})
				require.NoError(t, err)
				mu.Lock()
				created += res.NewColumns
				overflow += res.OverflowFields
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	require.Equal(t, limit, created)
	require.Equal(t, int64(writers*perWriter-limit), overflow)
	require.Len(t, st.ColumnNames(), limit)
	rows := visible(t, st)
	require.Len(t, rows, writers*perWriter)
	for w := range writers {
		for i := range perWriter {
			name := fmt.Sprintf("f_%d_%d", w, i)
			r := rows[name]
			if v, ok := r[name]; ok {
				require.Equal(t, int64(w*100+i), v)
			} else {
				require.Equal(t, map[string]any{name: float64(w*100 + i)}, r["_extra"])
			}
		}
	}
}
