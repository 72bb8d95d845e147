package catalog

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"logq/partitions"
	"logq/partitions/columns"
	"logq/partitions/segment"
)

// TestPlanPropertyEncoded is TestPlanProperty over statistics produced by the
// real segment writer: each segment is written with segment.Encode into a
// temporary directory (batch size and bloom bits drawn at random), its
// statistics are read back with segment.ReadStats, and the plan is checked
// against the rows as before.
func TestPlanPropertyEncoded(t *testing.T) {
	runPlanProperty(t, []genConfig{
		{name: "encoded-day-2-shards-bloom-traces", widths: []int64{dayMicros}, shards: []int{2}, baseTS: nov1, spanMicros: 2 * dayMicros, encode: true, tracePool: 2000, maxRows: 8000},
		{name: "encoded-hour-mixed-shards", widths: []int64{hourMicros}, shards: []int{1, 3}, baseTS: nov1, spanMicros: 20 * hourMicros, encode: true, tracePool: 40},
	}, 4, 120)
}

// encodedSegment writes rows (sorted by ts) as a segment file and wraps the
// statistics read back from it.
func (ds *dataset) encodedSegment(rng *rand.Rand, k partitions.Key, id uint64, rows []testRow) *testSegment {
	tb := ds.tb
	var b columns.Batch
	for _, r := range rows {
		b.TS = append(b.TS, r.ts)
		appendNullable(&b.Level, r.level)
		appendNullable(&b.Service, r.service)
		appendNullable(&b.Host, r.host)
		appendNullable(&b.TraceID, r.traceID)
		b.Message.AppendString("message")
	}
	opts := segment.WriteOptions{BatchRows: 1 + rng.IntN(300), BloomBitsPerKey: 1 + rng.IntN(12)}
	if ds.dir == "" {
		ds.dir = tb.TempDir()
	}
	path := filepath.Join(ds.dir, fmt.Sprintf("%s-%d.seg", k.DirName(), id))
	f, err := os.Create(path)
	require.NoError(tb, err)
	_, err = segment.Encode(f, &b, opts)
	require.NoError(tb, err)
	require.NoError(tb, f.Close())
	st, err := segment.ReadStats(path)
	require.NoError(tb, err)

	ts := &testSegment{}
	for lo := 0; lo < len(rows); lo += opts.BatchRows {
		ts.batches = append(ts.batches, rows[lo:min(lo+opts.BatchRows, len(rows))])
	}
	require.Len(tb, st.Batches, len(ts.batches), "batches of %d rows", opts.BatchRows)
	for i, bs := range st.Batches {
		require.Equal(tb, len(ts.batches[i]), bs.Rows)
	}
	ds.segments++
	ts.seg = partitions.NewSegment(k, id, path, st, func(*partitions.Segment) { ds.released.Add(1) })
	return ts
}

func appendNullable(s *columns.Strings, v nstr) {
	if v.ok {
		s.AppendString(v.v)
	} else {
		s.AppendNull()
	}
}
