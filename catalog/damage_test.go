package catalog_test

import (
	"context"
	"fmt"
	"math"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"logq/catalog"
	"logq/partitions"
	"logq/partitions/columns"
	"logq/partitions/segment"
)

// damageStore stores rows of service "svc", one a minute from
// 2026-11-01T00:00Z, in batches of batchRows, in partitions of shards
// shards, with the catalog as its observer.
func damageStore(t *testing.T, rows, batchRows, shards int) (*partitions.Store, *catalog.Catalog) {
	cat := catalog.New()
	st, err := partitions.Open(t.TempDir(), partitions.WithObserver(cat), partitions.WithShards(shards),
		partitions.WithBatchRows(batchRows), partitions.WithScrub(false), partitions.WithCompactInterval(0))
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, st.Close()) })
	b := &columns.Batch{}
	for i := range rows {
		b.TS = append(b.TS, minuteTS(i))
		b.Level.AppendString("INFO")
		b.Service.AppendString("svc")
		b.Host.AppendNull()
		b.TraceID.AppendNull()
		b.Message.AppendString(fmt.Sprint("m", i))
	}
	require.NoError(t, st.Append(context.Background(), b))
	require.NoError(t, st.Flush())
	return st, cat
}

func minuteTS(i int) int64 {
	return time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(i) * time.Minute).UnixMicro()
}

// onlySegment returns the store's one segment; the test keeps a reference.
func onlySegment(t *testing.T, st *partitions.Store) *partitions.Segment {
	segs := st.Segments()
	require.Len(t, segs, 1)
	t.Cleanup(segs[0].DecRef)
	return segs[0]
}

// corrupt is a read error of batch (or, when batch < 0, of the file).
func corrupt(batch int) error {
	err := fmt.Errorf("test damage: %w", segment.ErrCorrupt)
	if batch < 0 {
		return err
	}
	return &segment.BatchError{Batch: batch, Err: err}
}

// TestPlanSkipsDamagedBatches checks that a plan never lists a batch set
// aside as damaged, and lists it in Plan.Damaged exactly when pruning would
// have kept it: when its time range and statistics could hold a match.
func TestPlanSkipsDamagedBatches(t *testing.T) {
	st, cat := damageStore(t, 500, 100, 1) // batches of 100 minutes
	seg := onlySegment(t, st)
	require.NoError(t, st.ReportDamage(seg, corrupt(2)))
	file := filepath.Base(seg.Path)
	want := partitions.Damage{Key: seg.Key, File: file, Batch: 2, MinTS: minuteTS(200), MaxTS: minuteTS(299), Rows: 100,
		Reason: corrupt(2).Error()}
	require.Equal(t, []partitions.Damage{want}, cat.DamagedBatches())

	all := func(lo, hi int64) catalog.Predicate { return catalog.Predicate{MinTS: lo, MaxTS: hi} }
	cases := []struct {
		name        string
		pred        catalog.Predicate
		kept        []int
		damageFound bool
	}{
		{"everything", all(math.MinInt64, math.MaxInt64), []int{0, 1, 3, 4}, true},
		{"before the damaged batch", all(minuteTS(0), minuteTS(199)), []int{0, 1}, false},
		{"its first minute", all(minuteTS(200), minuteTS(200)), nil, true},
		{"across it", all(minuteTS(150), minuteTS(350)), []int{1, 3}, true},
		{"after it", all(minuteTS(300), math.MaxInt64), []int{3, 4}, false},
		{"a level no batch holds", catalog.Predicate{MinTS: math.MinInt64, MaxTS: math.MaxInt64, Levels: []string{"ERROR"}}, nil, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			pl := cat.Plan(tc.pred)
			defer pl.Release()
			var kept []int
			for _, p := range pl.Partitions {
				for _, sp := range p.Segments {
					kept = append(kept, sp.Batches...)
				}
			}
			require.Equal(t, tc.kept, kept)
			require.Equal(t, len(tc.kept), pl.Stats.BatchesKept)
			if tc.damageFound {
				require.Equal(t, []partitions.Damage{want}, pl.Damaged)
			} else {
				require.Empty(t, pl.Damaged)
			}
		})
	}
}

// TestDamageIn checks which whole damaged segments a predicate meets: by
// time range and by the partition's service shard.
func TestDamageIn(t *testing.T) {
	st, cat := damageStore(t, 300, 100, 2)
	seg := onlySegment(t, st)
	require.NoError(t, st.ReportDamage(seg, corrupt(-1)))
	require.True(t, seg.Retired())
	lost := st.DamagedSegments()
	require.Len(t, lost, 1)
	require.Equal(t, partitions.Damage{Key: seg.Key, File: filepath.Base(seg.Path), Batch: -1,
		MinTS: minuteTS(0), MaxTS: minuteTS(299), Rows: 300, Reason: corrupt(-1).Error()}, lost[0])
	require.Empty(t, cat.DamagedBatches(), "the segment is gone from the catalog")
	pl := cat.Plan(catalog.Predicate{MinTS: math.MinInt64, MaxTS: math.MaxInt64})
	require.Empty(t, pl.Damaged)
	require.Zero(t, pl.Stats.SegmentsKept)
	pl.Release()

	other := "svc-0" // a service in the other shard of two
	for i := 1; partitions.ShardOf([]byte(other), 2) == seg.Key.Shard; i++ {
		other = fmt.Sprint("svc-", i)
	}
	cases := []struct {
		name string
		pred catalog.Predicate
		hit  bool
	}{
		{"everything", catalog.Predicate{MinTS: math.MinInt64, MaxTS: math.MaxInt64}, true},
		{"its last minute", catalog.Predicate{MinTS: minuteTS(299), MaxTS: minuteTS(299)}, true},
		{"after it", catalog.Predicate{MinTS: minuteTS(300), MaxTS: math.MaxInt64}, false},
		{"empty range", catalog.Predicate{MinTS: minuteTS(10), MaxTS: minuteTS(9)}, false},
		{"its service", catalog.Predicate{MinTS: math.MinInt64, MaxTS: math.MaxInt64, Services: []string{"svc"}}, true},
		{"a service of the other shard", catalog.Predicate{MinTS: math.MinInt64, MaxTS: math.MaxInt64, Services: []string{other}}, false},
		{"no service", catalog.Predicate{MinTS: math.MinInt64, MaxTS: math.MaxInt64, Services: []string{}}, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := catalog.DamageIn(tc.pred, lost)
			if tc.hit {
				require.Equal(t, lost, got)
			} else {
				require.Empty(t, got)
			}
		})
	}
}
