package exec

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/stretchr/testify/require"

	"logq/engine/compat"
)

// TestPartialStatesCombine is the property partial aggregates rest on:
// rows split at random into parts, each part aggregated on its own, its
// groups sent as Arrow record batches through the IPC format (as over the
// network) and merged, give exactly the groups and results of aggregating
// every row at once. Random keys of every kind, every aggregate, folded
// and binary strings, NULLs, four session zones.
func TestPartialStatesCombine(t *testing.T) {
	r := rand.New(rand.NewPCG(21, 22))
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	var zones []*time.Location
	for _, z := range []string{"+00:00", "+05:30", "-08:00", "Europe/Berlin"} {
		loc, err := compat.ParseZone(z)
		require.NoError(t, err)
		zones = append(zones, loc)
	}
	base := time.Date(2026, 10, 30, 0, 0, 0, 0, time.UTC).UnixMicro()
	for round := range 200 {
		b := planTestBatch(r, 1+r.IntN(500))
		for i := range b.TS {
			b.TS[i] = base + r.Int64N(4*86400*1_000_000)
		}
		q := randomAggQuery(t, r)
		loc := zones[r.IntN(len(zones))]
		all := make([]int32, b.Len())
		for i := range all {
			all[i] = int32(i)
		}
		whole, err := q.aggregateBatch(b, all, loc, nil)
		require.NoError(t, err)

		parts := make([][]int32, 1+r.IntN(6))
		for i := range all {
			k := r.IntN(len(parts))
			parts[k] = append(parts[k], int32(i))
		}
		total := NewAggTable(q)
		for _, sel := range parts {
			if len(sel) == 0 {
				continue
			}
			part, err := q.aggregateBatch(b, sel, loc, nil)
			require.NoError(t, err)
			dec, err := StateRoundTrip(mem, part)
			require.NoError(t, err)
			total.MergeFrom(dec, false)
		}
		require.Equal(t, finalRows(q, whole, loc), finalRows(q, total, loc), "round %d", round)
	}
}

// TestDecodeAggStateRefusesOtherShapes: states of another query are an
// error, not groups.
func TestDecodeAggStateRefusesOtherShapes(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	q := &AggSpec{Keys: []AggKey{{Kind: KeyEpochDiv, N: 60}}, Aggs: []AggFn{{Op: OpCount, Arg: ArgRows}}}
	other := &AggSpec{Keys: []AggKey{{Kind: KeyString, Col: accessorOf("level")}}, Aggs: []AggFn{{Op: OpCount, Arg: ArgRows}}}
	rec := encodeAggState(mem, NewAggTable(other))
	defer rec.Release()
	_, err := decodeAggState(q, rec)
	require.Error(t, err)
}

// finalRows renders t's final groups as the aggregate's rows do: key
// values, first ts and results, sorted.
func finalRows(q *AggSpec, t *AggTable, loc *time.Location) []string {
	final := NewAggTable(q)
	final.MergeFrom(t, true)
	if len(final.Tuples) == 0 && !q.Grouped {
		final.Group(GroupTuple{})
	}
	var out []string
	for g, tup := range final.Tuples {
		var row []string
		for k, key := range q.Keys {
			if key.Kind == KeyString {
				v := "NULL"
				if p := final.Dicts[k].Vals[tup[k]]; p != nil {
					v = *p
				}
				row = append(row, v)
				continue
			}
			row = append(row, fmt.Sprint(tup[k]))
		}
		row = append(row, fmt.Sprint(final.MinTS[g]))
		for a, acc := range final.AccsOf(g) {
			row = append(row, fmt.Sprint(acc.Result(&q.Aggs[a], loc)))
		}
		out = append(out, strings.Join(row, "|"))
	}
	slices.Sort(out)
	return out
}
