package catalog

import (
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"logq/partitions"
	"logq/partitions/segment"
)

// dayKey returns the key of day d (from 2026-11-01) and shard s of 4.
func dayKey(d int64, s int) partitions.Key {
	return partitions.Key{Start: nov1 + d*dayMicros, Width: dayMicros, Shard: s, Shards: 4}
}

// oneBatchSegment returns a live segment of k with one batch spanning the
// whole bucket, tagged so that tests can tell replacements apart.
func oneBatchSegment(k partitions.Key, id uint64, tag string) *partitions.Segment {
	st := &segment.Stats{
		Rows: 10, MinTS: k.MinTS(), MaxTS: k.MaxTS(), CompressedBytes: 100,
		Batches: []segment.BatchStats{{Rows: 10, MinTS: k.MinTS(), MaxTS: k.MaxTS(), CompressedBytes: 100}},
	}
	return partitions.NewSegment(k, id, tag, st, nil)
}

// change is one call of SegmentsChanged (or DropPartition when drop is set)
// with segments named by ID; tags name the added segments' Paths.
type change struct {
	key     partitions.Key
	added   []uint64
	tag     string
	removed []uint64
	drop    bool
}

// listing is what an unconstrained plan shows: per partition, the Paths of
// its segments prefixed by their IDs.
type listing map[partitions.Key][]string

func TestSegmentsChanged(t *testing.T) {
	k0, k1, k2 := dayKey(0, 0), dayKey(0, 3), dayKey(1, 0)
	tests := []struct {
		name    string
		changes []change
		want    listing
		order   []partitions.Key
	}{
		{name: "empty"},
		{name: "registered partition without segments",
			changes: []change{{key: k1}},
			want:    listing{k1: nil}, order: []partitions.Key{k1}},
		{name: "segments listed in ID order whatever the add order",
			changes: []change{{key: k0, added: []uint64{5, 2}, tag: "a"}, {key: k0, added: []uint64{3}, tag: "b"}},
			want:    listing{k0: {"2a", "3b", "5a"}}, order: []partitions.Key{k0}},
		{name: "compaction replaces inputs by output",
			changes: []change{{key: k0, added: []uint64{1, 2, 3}, tag: "f"}, {key: k0, added: []uint64{4}, tag: "c", removed: []uint64{1, 2}}},
			want:    listing{k0: {"3f", "4c"}}, order: []partitions.Key{k0}},
		{name: "removing unknown IDs does nothing",
			changes: []change{{key: k0, added: []uint64{1}, tag: "f"}, {key: k0, removed: []uint64{7}}},
			want:    listing{k0: {"1f"}}, order: []partitions.Key{k0}},
		{name: "added ID already present replaces",
			changes: []change{{key: k0, added: []uint64{1, 2}, tag: "old"}, {key: k0, added: []uint64{2}, tag: "new"}},
			want:    listing{k0: {"1old", "2new"}}, order: []partitions.Key{k0}},
		{name: "ID both removed and added: removal first",
			changes: []change{{key: k0, added: []uint64{1}, tag: "old"}, {key: k0, added: []uint64{1}, tag: "new", removed: []uint64{1}}},
			want:    listing{k0: {"1new"}}, order: []partitions.Key{k0}},
		{name: "removing every segment keeps the partition",
			changes: []change{{key: k0, added: []uint64{1}, tag: "f"}, {key: k0, removed: []uint64{1}}},
			want:    listing{k0: nil}, order: []partitions.Key{k0}},
		{name: "partitions in order of time then shard",
			changes: []change{{key: k2, added: []uint64{1}, tag: "x"}, {key: k1, added: []uint64{1}, tag: "y"}, {key: k0, added: []uint64{1}, tag: "z"}},
			want:    listing{k0: {"1z"}, k1: {"1y"}, k2: {"1x"}}, order: []partitions.Key{k0, k1, k2}},
		{name: "drop partition",
			changes: []change{{key: k0, added: []uint64{1}, tag: "a"}, {key: k2, added: []uint64{1, 2}, tag: "b"}, {key: k2, drop: true}},
			want:    listing{k0: {"1a"}}, order: []partitions.Key{k0}},
		{name: "drop unknown partition does nothing",
			changes: []change{{key: k0, added: []uint64{1}, tag: "a"}, {key: k1, drop: true}},
			want:    listing{k0: {"1a"}}, order: []partitions.Key{k0}},
		{name: "drop then re-create",
			changes: []change{{key: k0, added: []uint64{1}, tag: "a"}, {key: k0, drop: true}, {key: k0, added: []uint64{9}, tag: "b"}},
			want:    listing{k0: {"9b"}}, order: []partitions.Key{k0}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := New()
			for _, ch := range tt.changes {
				apply(c, ch)
			}
			pl := c.Plan(Predicate{MinTS: math.MinInt64, MaxTS: math.MaxInt64})
			defer pl.Release()
			got := listing{}
			var order []partitions.Key
			segs := 0
			for _, pp := range pl.Partitions {
				order = append(order, pp.Key)
				got[pp.Key] = nil
				for _, sp := range pp.Segments {
					got[pp.Key] = append(got[pp.Key], fmt.Sprintf("%d%s", sp.Segment.ID, sp.Segment.Path))
					segs++
				}
			}
			if tt.want == nil {
				tt.want = listing{}
			}
			require.Equal(t, tt.want, got)
			require.Equal(t, tt.order, order)
			want := PlanStats{PartitionsTotal: len(tt.want), PartitionsKept: len(tt.want), SegmentsTotal: segs,
				SegmentsKept: segs, BatchesTotal: segs, BatchesKept: segs, BytesToRead: 100 * int64(segs)}
			require.Equal(t, want, pl.Stats)
		})
	}
}

// apply performs one change; removed segments are matched by ID only, so
// fresh values stand in for them.
func apply(c *Catalog, ch change) {
	if ch.drop {
		c.DropPartition(ch.key)
		return
	}
	var added, removed []*partitions.Segment
	for _, id := range ch.added {
		added = append(added, oneBatchSegment(ch.key, id, ch.tag))
	}
	for _, id := range ch.removed {
		removed = append(removed, oneBatchSegment(ch.key, id, "gone"))
	}
	c.SegmentsChanged(ch.key, added, removed)
}

func TestSegmentsChangedBugs(t *testing.T) {
	k := dayKey(0, 1)
	tests := []struct {
		name  string
		key   partitions.Key
		added []*partitions.Segment
	}{
		{name: "zero width", key: partitions.Key{Start: nov1, Shards: 1}},
		{name: "shard out of range", key: partitions.Key{Start: nov1, Width: dayMicros, Shard: 4, Shards: 4}},
		{name: "no shards", key: partitions.Key{Start: nov1, Width: dayMicros}},
		{name: "nil segment", key: k, added: []*partitions.Segment{nil}},
		{name: "segment without stats", key: k, added: []*partitions.Segment{partitions.NewSegment(k, 1, "p", nil, nil)}},
		{name: "segment of another partition", key: k, added: []*partitions.Segment{oneBatchSegment(dayKey(0, 2), 1, "p")}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := New()
			msg := panicValue(func() { c.SegmentsChanged(tt.key, tt.added, nil) })
			require.True(t, strings.HasPrefix(msg, "BUG: catalog: "), "panic %q", msg)
			require.Empty(t, c.Plan(Predicate{MinTS: math.MinInt64, MaxTS: math.MaxInt64}).Partitions, "nothing was published")
		})
	}
}

// panicValue returns the string f panics with, or "" when it does not.
func panicValue(f func()) (v string) {
	defer func() {
		if r := recover(); r != nil {
			v = fmt.Sprint(r)
		}
	}()
	f()
	return ""
}
