package catalog

import (
	"fmt"
	"math"
	"testing"

	"github.com/stretchr/testify/require"

	"logq/partitions"
	"logq/partitions/segment"
)

// exact returns an exact value set.
func exact(vs ...string) segment.ValueSet { return segment.ValueSet{Values: vs} }

// bloomOf returns a value set summarised by a bloom filter.
func bloomOf(vs ...string) segment.ValueSet {
	f := segment.NewBloom(len(vs), 16)
	for _, v := range vs {
		f.Add(v)
	}
	return segment.ValueSet{Bloom: f}
}

// hb builds the stats of a batch spanning hours [fromHour, toHour) of day d.
func hb(d, fromHour, toHour int64, levels []segment.ValueCount, services, hosts, traces segment.ValueSet) segment.BatchStats {
	return segment.BatchStats{
		Rows: 100, MinTS: nov1 + d*dayMicros + fromHour*hourMicros, MaxTS: nov1 + d*dayMicros + toHour*hourMicros - 1,
		CompressedBytes: 1000 * (toHour - fromHour), Levels: levels,
		Services: services, Hosts: hosts, TraceIDs: traces,
	}
}

// segmentOf wraps batch stats into a live segment.
func segmentOf(k partitions.Key, id uint64, batches ...segment.BatchStats) *partitions.Segment {
	st := &segment.Stats{MinTS: math.MaxInt64, MaxTS: math.MinInt64, Batches: batches}
	for _, b := range batches {
		st.Rows += int64(b.Rows)
		st.MinTS, st.MaxTS = min(st.MinTS, b.MinTS), max(st.MaxTS, b.MaxTS)
	}
	return partitions.NewSegment(k, id, fmt.Sprint(id), st, nil)
}

// TestPlanRules walks through each pruning rule on a small hand-made
// catalog: two services in different shards, two days.
func TestPlanRules(t *testing.T) {
	const shards = 4
	svcA, svcB := "svc-a", "svc-b"
	shardA, shardB := partitions.ShardOf([]byte(svcA), shards), partitions.ShardOf([]byte(svcB), shards)
	require.NotEqual(t, shardA, shardB, "test needs services in different shards")
	kA0, kB1 := dayKey(0, shardA), dayKey(1, shardB)
	info5err1 := []segment.ValueCount{{Value: "ERROR", Count: 1}, {Value: "INFO", Count: 5}}
	info3 := []segment.ValueCount{{Value: "INFO", Count: 3}, {Value: "WARN", Count: 0}}
	c := New()
	c.SegmentsChanged(kA0, []*partitions.Segment{segmentOf(kA0, 1,
		hb(0, 0, 6, info5err1, exact(svcA), exact("h1"), bloomOf("t1", "t2")),
		hb(0, 6, 12, info3, exact(svcA), exact("h2"), exact("t3")))}, nil)
	overflow := hb(1, 0, 24, nil, exact(svcB), bloomOf("h3"), segment.ValueSet{Bloom: &segment.Bloom{}})
	overflow.LevelsOverflow = true
	c.SegmentsChanged(kB1, []*partitions.Segment{segmentOf(kB1, 7, overflow)}, nil)
	all := Predicate{MinTS: math.MinInt64, MaxTS: math.MaxInt64}
	with := func(f func(p *Predicate)) Predicate { p := all; f(&p); return p }
	day0 := nov1

	tests := []struct {
		name       string
		p          Predicate
		partitions int      // kept
		want       []string // "partition-day/segment/batch" + "i" when Inside
	}{
		{name: "unconstrained", p: all, partitions: 2, want: []string{"0/1/0i", "0/1/1i", "1/7/0i"}},
		{name: "inside one batch", p: with(func(p *Predicate) { p.MinTS, p.MaxTS = day0+hourMicros, day0+2*hourMicros }),
			partitions: 1, want: []string{"0/1/0"}},
		{name: "exactly one batch", p: with(func(p *Predicate) { p.MinTS, p.MaxTS = day0, day0+6*hourMicros-1 }),
			partitions: 1, want: []string{"0/1/0i"}},
		{name: "one microsecond into the next batch", p: with(func(p *Predicate) { p.MinTS, p.MaxTS = day0, day0+6*hourMicros }),
			partitions: 1, want: []string{"0/1/0i", "0/1/1"}},
		{name: "empty range", p: with(func(p *Predicate) { p.MinTS, p.MaxTS = day0+1, day0 })},
		{name: "before everything", p: with(func(p *Predicate) { p.MaxTS = day0 - 1 })},
		{name: "level with rows; overflowed counts keep", p: with(func(p *Predicate) { p.Levels = []string{"ERROR"} }),
			partitions: 2, want: []string{"0/1/0i", "1/7/0i"}},
		{name: "listed level with zero count", p: with(func(p *Predicate) { p.Levels = []string{"WARN"} }),
			partitions: 2, want: []string{"1/7/0i"}},
		{name: "level in another case matches", p: with(func(p *Predicate) { p.Levels = []string{"error"} }),
			partitions: 2, want: []string{"0/1/0i", "1/7/0i"}},
		{name: "level IN ()", p: with(func(p *Predicate) { p.Levels = []string{} })},
		{name: "service prunes the other shard", p: with(func(p *Predicate) { p.Services = []string{svcB} }),
			partitions: 1, want: []string{"1/7/0i"}},
		{name: "service in another case: same shard, in the set", p: with(func(p *Predicate) { p.Services = []string{"SVC-A"} }),
			partitions: 1, want: []string{"0/1/0i", "0/1/1i"}},
		{name: "accented service: the shard and rows of its twin", p: with(func(p *Predicate) { p.Services = []string{"svç-Á"} }),
			partitions: 1, want: []string{"0/1/0i", "0/1/1i"}},
		{name: "service absent under the collation", p: with(func(p *Predicate) { p.Services = []string{"svc-a-"} }),
			partitions: 1},
		{name: "a host bloom filter cannot rule out a case variant", p: with(func(p *Predicate) { p.Hosts = []string{"h9"} }),
			partitions: 2, want: []string{"1/7/0i"}},
		{name: "host in another case, exact set", p: with(func(p *Predicate) { p.Hosts = []string{"H1"} }),
			partitions: 2, want: []string{"0/1/0i", "1/7/0i"}},
		{name: "host in exact set and in bloom", p: with(func(p *Predicate) { p.Hosts = []string{"h2", "h3"} }),
			partitions: 2, want: []string{"0/1/1i", "1/7/0i"}},
		{name: "trace in bloom; an empty filter never drops", p: with(func(p *Predicate) { p.TraceIDs = []string{"t1"} }),
			partitions: 2, want: []string{"0/1/0i", "1/7/0i"}},
		{name: "trace in exact set", p: with(func(p *Predicate) { p.TraceIDs = []string{"t3"} }),
			partitions: 2, want: []string{"0/1/1i", "1/7/0i"}},
		{name: "conjunction", p: with(func(p *Predicate) {
			p.MinTS, p.Levels, p.Services, p.TraceIDs = day0+7*hourMicros, []string{"INFO"}, []string{svcA}, []string{"t3", "t9"}
		}), partitions: 1, want: []string{"0/1/1"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pl := c.Plan(tt.p)
			defer pl.Release()
			var got []string
			var bytes int64
			for _, pp := range pl.Partitions {
				for _, sp := range pp.Segments {
					for i, b := range sp.Batches {
						s := fmt.Sprintf("%d/%d/%d", (pp.Key.Start-nov1)/dayMicros, sp.Segment.ID, b)
						if sp.Inside[i] {
							s += "i"
						}
						got = append(got, s)
						bytes += sp.Segment.Stats.Batches[b].CompressedBytes
					}
				}
			}
			require.Equal(t, tt.want, got)
			require.Equal(t, tt.partitions, pl.Stats.PartitionsKept)
			require.Len(t, pl.Partitions, tt.partitions)
			require.Equal(t, len(tt.want), pl.Stats.BatchesKept)
			require.Equal(t, bytes, pl.Stats.BytesToRead)
			require.Equal(t, PlanStats{PartitionsTotal: 2, SegmentsTotal: 2, BatchesTotal: 3},
				PlanStats{PartitionsTotal: pl.Stats.PartitionsTotal, SegmentsTotal: pl.Stats.SegmentsTotal, BatchesTotal: pl.Stats.BatchesTotal})
		})
	}
}

// TestPlanSkipsRetiredSegment: a segment retired before the store published
// its removal is left out, counted, and needs no Release.
func TestPlanSkipsRetiredSegment(t *testing.T) {
	k := dayKey(2, 1)
	released := map[uint64]int{}
	mk := func(id uint64) *partitions.Segment {
		s := segmentOf(k, id, hb(2, 0, 1, nil, exact("s"), exact("h"), exact("t")))
		return partitions.NewSegment(k, id, "p", s.Stats, func(s *partitions.Segment) { released[s.ID]++ })
	}
	live, retired := mk(1), mk(2)
	c := New()
	c.SegmentsChanged(k, []*partitions.Segment{live, retired}, nil)
	retired.DecRef() // the store let go before publishing: the wrong order, but it must stay safe

	pl := c.Plan(Predicate{MinTS: math.MinInt64, MaxTS: math.MaxInt64})
	require.Len(t, pl.Partitions, 1)
	require.Len(t, pl.Partitions[0].Segments, 1)
	require.Same(t, live, pl.Partitions[0].Segments[0].Segment)
	require.Equal(t, 1, pl.Stats.SegmentsRetired)
	require.Equal(t, 1, pl.Stats.SegmentsKept)
	require.Equal(t, 1, pl.Stats.BatchesKept)
	pl.Release()
	pl.Release()
	live.DecRef()
	require.Equal(t, map[uint64]int{1: 1, 2: 1}, released)
}

func TestReleaseNilAndEmpty(t *testing.T) {
	var nilPlan *Plan
	nilPlan.Release()
	(&Plan{}).Release()
	New().Plan(Predicate{MinTS: math.MinInt64, MaxTS: math.MaxInt64}).Release()
}

func TestPredicateString(t *testing.T) {
	tests := []struct {
		p    Predicate
		want string
	}{
		{Predicate{MinTS: math.MinInt64, MaxTS: math.MaxInt64}, "ts in [-inf, +inf]"},
		{Predicate{MinTS: nov1, MaxTS: nov1 + hourMicros - 1, Levels: []string{"ERROR"}, Services: []string{}},
			`ts in [2026-11-01T00:00:00Z, 2026-11-01T00:59:59.999999Z] and level in ["ERROR"] and service in []`},
	}
	for _, tt := range tests {
		require.Equal(t, tt.want, tt.p.String())
	}
}

// TestPlanStartsOverOnNewerSnapshot: when a segment turns out to be retired
// and a newer snapshot has been published meanwhile, Plan plans again on it,
// at most maxPlanAttempts times.
func TestPlanStartsOverOnNewerSnapshot(t *testing.T) {
	k := dayKey(3, 0)
	tests := []struct {
		name        string
		publishes   int // how many attempts publish a change
		wantRetired int
		wantCalls   int
	}{
		{name: "one retry suffices", publishes: 1, wantRetired: 0, wantCalls: 2},
		{name: "gives up after maxPlanAttempts", publishes: 100, wantRetired: 1, wantCalls: maxPlanAttempts},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := New()
			live := segmentOf(k, 1, hb(3, 0, 1, nil, exact("s"), exact("h"), exact("t")))
			c.SegmentsChanged(k, []*partitions.Segment{live}, nil)
			nextID := uint64(1)
			addRetired := func() *partitions.Segment {
				nextID++
				s := segmentOf(k, nextID, hb(3, 0, 1, nil, exact("s"), exact("h"), exact("t")))
				c.SegmentsChanged(k, []*partitions.Segment{s}, nil)
				s.DecRef() // retired, its removal not yet published
				return s
			}
			pending := addRetired()
			calls := 0
			c.afterAttempt = func() {
				calls++
				if calls <= tt.publishes {
					// Publish the removal, but let another retired segment appear.
					c.SegmentsChanged(k, nil, []*partitions.Segment{pending})
					if calls < tt.publishes {
						pending = addRetired()
					}
				}
			}
			pl := c.Plan(Predicate{MinTS: math.MinInt64, MaxTS: math.MaxInt64})
			defer pl.Release()
			require.Equal(t, tt.wantCalls, calls)
			require.Equal(t, tt.wantRetired, pl.Stats.SegmentsRetired)
			require.Len(t, pl.Partitions, 1)
			require.Len(t, pl.Partitions[0].Segments, 1)
			require.Same(t, live, pl.Partitions[0].Segments[0].Segment)
		})
	}
}
