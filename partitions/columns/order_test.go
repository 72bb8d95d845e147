package columns

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestSortIndexRowOrder sorts random rows with many equal timestamps and
// checks the result against an independent ordering of the same rows as
// plain Go values: ts, then level, service, host, trace_id, message (NULL
// first, bytes compared), then the dynamic columns by name as text.
func TestSortIndexRowOrder(t *testing.T) {
	type row struct {
		ts   int64
		core [5]*string
		dyn  map[string]string // absent: NULL
	}
	rng := rand.New(rand.NewPCG(1, 2))
	str := func(choices ...string) *string {
		if rng.IntN(4) == 0 {
			return nil
		}
		s := choices[rng.IntN(len(choices))]
		return &s
	}
	var rows []row
	b := &Batch{}
	for i := range 3000 {
		r := row{ts: int64(rng.IntN(20)), dyn: map[string]string{}}
		r.core = [5]*string{str("INFO", "ERROR"), str("a", "b", "c"), str("h1", "h2"), str("t1", "t2"), str("x", "y", "xy")}
		for k, s := range []*Strings{&b.Level, &b.Service, &b.Host, &b.TraceID, &b.Message} {
			if r.core[k] == nil {
				s.AppendNull()
			} else {
				s.AppendString(*r.core[k])
			}
		}
		b.TS = append(b.TS, r.ts)
		if rng.IntN(2) == 0 {
			v := int64(rng.IntN(3))
			b.AddColumn("n", TypeInt64, i).AppendInt(v)
			r.dyn["n"] = fmt.Sprint(v)
		}
		if rng.IntN(2) == 0 {
			v := []string{"p", "q"}[rng.IntN(2)]
			b.AddColumn("a", TypeString, i).AppendString([]byte(v))
			r.dyn["a"] = v
		}
		b.PadDynamic(i + 1)
		rows = append(rows, r)
	}
	cmpPtr := func(x, y *string) int {
		switch {
		case x == nil && y == nil:
			return 0
		case x == nil:
			return -1
		case y == nil:
			return 1
		}
		return strings.Compare(*x, *y)
	}
	cmpDyn := func(x, y map[string]string, name string) int {
		xv, xok := x[name]
		yv, yok := y[name]
		switch {
		case !xok && !yok:
			return 0
		case !xok:
			return -1
		case !yok:
			return 1
		}
		return strings.Compare(xv, yv)
	}
	want := slices.Clone(rows)
	slices.SortStableFunc(want, func(x, y row) int {
		if x.ts != y.ts {
			return int(x.ts - y.ts)
		}
		for k := range x.core {
			if c := cmpPtr(x.core[k], y.core[k]); c != 0 {
				return c
			}
		}
		for _, name := range []string{"a", "n"} { // by name
			if c := cmpDyn(x.dyn, y.dyn, name); c != 0 {
				return c
			}
		}
		return 0
	})
	idx := b.SortIndex()
	require.NotNil(t, idx)
	sorted := b.Take(idx)
	require.True(t, sorted.Sorted())
	require.Nil(t, sorted.SortIndex(), "a sorted batch needs no permutation")
	for i, w := range want {
		require.Equal(t, w.ts, sorted.TS[i], "row %d", i)
		for k, s := range []*Strings{&sorted.Level, &sorted.Service, &sorted.Host, &sorted.TraceID, &sorted.Message} {
			if w.core[k] == nil {
				require.True(t, s.IsNull(i), "row %d core %d", i, k)
			} else {
				require.Equal(t, *w.core[k], string(s.Value(i)), "row %d core %d", i, k)
			}
		}
		for _, name := range []string{"a", "n"} {
			d := sorted.Column(name)
			v, ok := w.dyn[name]
			require.Equal(t, !ok, d.IsNull(i), "row %d %s", i, name)
			if ok {
				require.Equal(t, v, string(d.AppendText(nil, i)), "row %d %s", i, name)
			}
		}
	}
}

func TestBaseName(t *testing.T) {
	for stored, want := range map[string]string{
		"a": "a", "a@G1": "a", "http.status@G12": "http.status", "a@G": "a@G", "a@Gx": "a@Gx",
		"@G1": "@G1", "a@g1": "a@g1", "a@G1@G2": "a@G1",
	} {
		require.Equal(t, want, BaseName(stored), stored)
	}
}

// TestCompareRowsIgnoresGenerations checks that a column stored under a
// later generation ("a@G1") orders rows as the same column under its plain
// name does: SQL sees it as "a".
func TestCompareRowsIgnoresGenerations(t *testing.T) {
	build := func(name string) *Batch {
		b := &Batch{}
		for i, v := range [][2]string{{"2", "x"}, {"1", "y"}} {
			b.TS = append(b.TS, 5)
			for _, s := range []*Strings{&b.Level, &b.Service, &b.Host, &b.TraceID, &b.Message} {
				s.AppendString("same")
			}
			b.AddColumn(name, TypeString, i).AppendString([]byte(v[0]))
			b.AddColumn("a0", TypeString, i).AppendString([]byte(v[1]))
		}
		return b
	}
	plain, gen := build("a"), build("a@G1")
	require.Equal(t, 1, CompareRows(plain, 0, plain, 1), "a decides before a0")
	require.Equal(t, CompareRows(plain, 0, plain, 1), CompareRows(gen, 0, gen, 1))
	require.Equal(t, plain.SortIndex(), gen.SortIndex())
}
