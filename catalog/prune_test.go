package catalog

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"sync/atomic"
	"testing"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/types"
	"github.com/dolthub/vitess/go/sqltypes"
	"github.com/stretchr/testify/require"

	"logq/partitions"
	"logq/partitions/collate"
	"logq/partitions/segment"
)

// This file holds the pruning property test: random rows are spread over
// random partitions, segments and batches, the batch statistics are computed
// here by brute force from the rows, and for many random predicates the plan
// is checked against the rows themselves.

const (
	hourMicros = int64(3600e6)
	dayMicros  = 24 * hourMicros
	// nov1 is 2026-11-01T00:00:00Z in microseconds.
	nov1 = int64(1793491200e6)
)

// nstr is a nullable string: ok false means NULL.
type nstr struct {
	v  string
	ok bool
}

type testRow struct {
	ts                            int64
	level, service, host, traceID nstr
}

// setMode says how the test builds the service, host and trace_id sets.
type setMode int

const (
	setsExact setMode = iota // always the exact sorted set
	setsBloom                // always a (deliberately small) bloom filter
	setsMixed                // a coin flip per set
)

// genConfig shapes one family of random data sets.
type genConfig struct {
	name         string
	widths       []int64 // bucket widths in use (more than one: a changed configuration)
	shards       []int   // shard counts in use
	sets         setMode
	overflowProb float64 // chance that a batch's level counts overflow
	baseTS       int64
	spanMicros   int64
	// encode writes real segment files with segment.Encode and takes their
	// statistics instead of building them here (prune_encode_test.go).
	encode bool
	// tracePool is the number of distinct trace_ids; 60 when zero.
	tracePool int
	// maxRows bounds the number of rows; 3000 when zero.
	maxRows int
}

var (
	testLevels   = []string{"DEBUG", "INFO", "WARN", "ERROR", "FATAL", "notice", "Warn"}
	testServices = []string{"svc-0", "svc-1", "svc-2", "svc-3", "svc-4", "svc-5", "svc-6", "Svc-1", "café", "", "ＳＶＣ-6"}
	testHosts    = []string{"host-0", "host-1", "host-2", "host-3", "host-4", "host-5", "host-6", "host-7", "HOST-1", "hôst-2"}
	// Literals that never occur in the data as written, so that predicates
	// also ask for absent values. Some equal stored values under the
	// collation ('error' = 'ERROR', 'cafe' = 'café') and must find them.
	absentLevels   = []string{"TRACE", "error", "PANIC", "ÉRROR"}
	absentServices = []string{"svc-99", "SVC-0", "cafe", "naïve", "svc-", "svc-6\x00"}
	absentHosts    = []string{"host-99", "Host-0", "", "HOST-2"}
)

// testBatch is one batch's rows; its statistics live in the segment's Stats.
type testSegment struct {
	seg     *partitions.Segment
	batches [][]testRow
}

type testPartition struct {
	key  partitions.Key
	segs []*testSegment // in ID order
}

// dataset is one random data set registered in a catalog. released counts
// segments whose last reference has been dropped.
type dataset struct {
	tb       testing.TB
	dir      string // where encoded segments are written
	cat      *Catalog
	parts    []*testPartition // in key order
	traceIDs []string         // trace ids present in the data
	released atomic.Int64
	segments int
}

func TestPlanProperty(t *testing.T) {
	runPlanProperty(t, []genConfig{
		{name: "exact-sets-day-4-shards", widths: []int64{dayMicros}, shards: []int{4}, sets: setsExact, overflowProb: 0.1, baseTS: nov1, spanMicros: 5 * dayMicros},
		{name: "bloom-sets-hour-3-shards", widths: []int64{hourMicros}, shards: []int{3}, sets: setsBloom, overflowProb: 0.1, baseTS: nov1, spanMicros: 30 * hourMicros},
		{name: "mixed-sets-one-shard", widths: []int64{dayMicros}, shards: []int{1}, sets: setsMixed, overflowProb: 0.3, baseTS: nov1, spanMicros: 3 * dayMicros},
		{name: "changed-config-mixed-widths-and-shards", widths: []int64{hourMicros, dayMicros}, shards: []int{2, 5}, sets: setsMixed, overflowProb: 0.2, baseTS: nov1, spanMicros: 2 * dayMicros},
		{name: "before-1970", widths: []int64{hourMicros}, shards: []int{2}, sets: setsMixed, overflowProb: 0.1, baseTS: -3 * hourMicros, spanMicros: 6 * hourMicros},
		{name: "all-overflow", widths: []int64{dayMicros}, shards: []int{4}, sets: setsExact, overflowProb: 1, baseTS: nov1, spanMicros: 2 * dayMicros},
	}, 8, 150)
}

// runPlanProperty checks the given number of random predicates against seeds random
// data sets of each configuration.
func runPlanProperty(t *testing.T, configs []genConfig, seeds uint64, predicates int) {
	for _, cfg := range configs {
		t.Run(cfg.name, func(t *testing.T) {
			for seed := uint64(1); seed <= seeds; seed++ {
				rng := rand.New(rand.NewPCG(seed, uint64(len(cfg.name))))
				rows := genRows(rng, cfg)
				ds := buildDataset(t, rng, cfg, rows)
				for range predicates {
					checkPlan(t, ds, rows, genPredicate(rng, cfg, ds, rows))
				}
				ds.retireAll(t)
			}
		})
	}
}

// genRows returns random rows in random (not ts) order.
func genRows(rng *rand.Rand, cfg genConfig) []testRow {
	rows := make([]testRow, rng.IntN(cmp.Or(cfg.maxRows, 3000)))
	traces := make([]string, 1+rng.IntN(cmp.Or(cfg.tracePool, 60)))
	for i := range traces {
		traces[i] = fmt.Sprintf("%016x", rng.Uint64())
	}
	for i := range rows {
		ts := cfg.baseTS + rng.Int64N(cfg.spanMicros)
		if rng.IntN(4) == 0 {
			ts -= ts % 1e6 // many rows on whole seconds: equal timestamps
		}
		rows[i] = testRow{
			ts:      ts,
			level:   pick(rng, testLevels, 0.05),
			service: pick(rng, testServices, 0.05),
			host:    pick(rng, testHosts, 0.1),
			traceID: pick(rng, traces, 0.2),
		}
	}
	return rows
}

// pick returns a random value of vs, or NULL with probability nullProb.
func pick(rng *rand.Rand, vs []string, nullProb float64) nstr {
	if rng.Float64() < nullProb {
		return nstr{}
	}
	return nstr{v: vs[rng.IntN(len(vs))], ok: true}
}

// keyOf routes a row the way the store does: bucket by ts, shard by service,
// NULL services to the shard of the empty name. Under a changed
// configuration, rows pick one of the widths and shard counts.
func keyOf(rng *rand.Rand, cfg genConfig, r testRow) partitions.Key {
	w := cfg.widths[rng.IntN(len(cfg.widths))]
	n := cfg.shards[rng.IntN(len(cfg.shards))]
	return partitions.Key{
		Start:  partitions.BucketStart(r.ts, w),
		Width:  w,
		Shard:  partitions.ShardOf([]byte(r.service.v), n),
		Shards: n,
	}
}

// buildDataset spreads rows over partitions, segments and batches, builds
// their statistics and registers them in a new catalog, a few segments per
// SegmentsChanged call, plus some partitions without segments.
func buildDataset(t testing.TB, rng *rand.Rand, cfg genConfig, rows []testRow) *dataset {
	ds := &dataset{tb: t, cat: New()}
	byKey := map[partitions.Key][]testRow{}
	for _, r := range rows {
		k := keyOf(rng, cfg, r)
		byKey[k] = append(byKey[k], r)
		if r.traceID.ok {
			ds.traceIDs = append(ds.traceIDs, r.traceID.v)
		}
	}
	for range rng.IntN(3) { // registered, never flushed
		k := partitions.Key{Start: partitions.BucketStart(cfg.baseTS+rng.Int64N(cfg.spanMicros), cfg.widths[0]), Width: cfg.widths[0], Shards: cfg.shards[0]}
		if _, ok := byKey[k]; !ok {
			byKey[k] = nil
		}
	}
	for k, prows := range byKey {
		p := &testPartition{key: k}
		for i, srows := range splitSegments(rng, prows) {
			p.segs = append(p.segs, ds.newSegment(rng, cfg, k, uint64(i+1), srows))
		}
		ds.parts = append(ds.parts, p)
		ds.register(rng, p)
	}
	slices.SortFunc(ds.parts, func(a, b *testPartition) int { return cmpKeysForTest(a.key, b.key) })
	return ds
}

// cmpKeysForTest is the order the plan must list partitions in: bucket start,
// then shard (then width and shard count, only to make it total).
func cmpKeysForTest(a, b partitions.Key) int {
	return cmp.Or(cmp.Compare(a.Start, b.Start), cmp.Compare(a.Shard, b.Shard),
		cmp.Compare(a.Width, b.Width), cmp.Compare(a.Shards, b.Shards))
}

// register adds p's segments to the catalog in random order and groups.
func (ds *dataset) register(rng *rand.Rand, p *testPartition) {
	segs := make([]*partitions.Segment, len(p.segs))
	for i, s := range p.segs {
		segs[i] = s.seg
	}
	rng.Shuffle(len(segs), func(i, j int) { segs[i], segs[j] = segs[j], segs[i] })
	ds.cat.SegmentsChanged(p.key, nil, nil)
	for len(segs) > 0 {
		n := 1 + rng.IntN(len(segs))
		ds.cat.SegmentsChanged(p.key, segs[:n], nil)
		segs = segs[n:]
	}
}

// splitSegments deals rows into 1–4 segments, either contiguous runs of ts
// or at random (so that segments overlap in time), each sorted by ts.
func splitSegments(rng *rand.Rand, rows []testRow) [][]testRow {
	if len(rows) == 0 {
		return nil
	}
	n := 1 + rng.IntN(4)
	segs := make([][]testRow, n)
	contiguous := rng.IntN(2) == 0
	if contiguous {
		slices.SortStableFunc(rows, func(a, b testRow) int { return cmp.Compare(a.ts, b.ts) })
	}
	for i, r := range rows {
		j := rng.IntN(n)
		if contiguous {
			j = i * n / len(rows)
		}
		segs[j] = append(segs[j], r)
	}
	out := segs[:0]
	for _, s := range segs {
		if len(s) > 0 {
			slices.SortStableFunc(s, func(a, b testRow) int { return cmp.Compare(a.ts, b.ts) })
			out = append(out, s)
		}
	}
	return out
}

// newSegment cuts rows into batches of random sizes and builds the segment.
func (ds *dataset) newSegment(rng *rand.Rand, cfg genConfig, k partitions.Key, id uint64, rows []testRow) *testSegment {
	if cfg.encode {
		return ds.encodedSegment(rng, k, id, rows)
	}
	ts := &testSegment{}
	st := &segment.Stats{MinTS: math.MaxInt64, MaxTS: math.MinInt64}
	maxBatch := 1 + rng.IntN(300)
	for len(rows) > 0 {
		n := min(len(rows), 1+rng.IntN(maxBatch))
		bs := batchStats(rng, cfg, rows[:n])
		ts.batches = append(ts.batches, rows[:n])
		st.Batches = append(st.Batches, bs)
		st.Rows += int64(n)
		st.MinTS, st.MaxTS = min(st.MinTS, bs.MinTS), max(st.MaxTS, bs.MaxTS)
		st.CompressedBytes += bs.CompressedBytes
		rows = rows[n:]
	}
	ds.segments++
	ts.seg = partitions.NewSegment(k, id, fmt.Sprintf("%s/%d.seg", k.DirName(), id), st, func(*partitions.Segment) { ds.released.Add(1) })
	return ts
}

// batchStats computes a batch's statistics by brute force.
func batchStats(rng *rand.Rand, cfg genConfig, rows []testRow) segment.BatchStats {
	bs := segment.BatchStats{Rows: len(rows), MinTS: math.MaxInt64, MaxTS: math.MinInt64}
	levels := map[string]int{}
	var services, hosts, traces []nstr
	for _, r := range rows {
		bs.MinTS, bs.MaxTS = min(bs.MinTS, r.ts), max(bs.MaxTS, r.ts)
		if r.level.ok {
			levels[r.level.v]++
		} else {
			bs.LevelNulls++
		}
		services, hosts, traces = append(services, r.service), append(hosts, r.host), append(traces, r.traceID)
	}
	bs.CompressedBytes = int64(len(rows))*37 + rng.Int64N(100)
	bs.RawBytes = int64(len(rows)) * 90
	if rng.Float64() < cfg.overflowProb {
		bs.LevelsOverflow = true
	} else {
		for v, n := range levels {
			bs.Levels = append(bs.Levels, segment.ValueCount{Value: v, Count: n})
		}
		if rng.IntN(5) == 0 { // a listed level with no rows must not keep the batch
			bs.Levels = append(bs.Levels, segment.ValueCount{Value: absentLevels[rng.IntN(len(absentLevels))]})
		}
		slices.SortFunc(bs.Levels, func(a, b segment.ValueCount) int { return cmp.Compare(a.Value, b.Value) })
	}
	keyed := rng.IntN(3) > 0 // stats version 3 keys service and host filters; older ones do not
	bs.Services = valueSet(rng, cfg.sets, services, keyed)
	bs.Hosts = valueSet(rng, cfg.sets, hosts, keyed)
	bs.TraceIDs = valueSet(rng, cfg.sets, traces, false)
	return bs
}

// valueSet builds the exact set of vs or, per mode, a bloom filter of it with
// few bits per key so that false positives happen; keyed, the filter also
// holds the values' collation keys.
func valueSet(rng *rand.Rand, mode setMode, vs []nstr, keyed bool) segment.ValueSet {
	var set segment.ValueSet
	for _, v := range vs {
		if v.ok {
			set.Values = append(set.Values, v.v)
		} else {
			set.Nulls++
		}
	}
	slices.Sort(set.Values)
	set.Values = slices.Compact(set.Values)
	if mode == setsBloom || (mode == setsMixed && rng.IntN(2) == 0) {
		set.Bloom = segment.NewBloom(len(set.Values), 1+rng.IntN(12))
		set.Bloom.Keyed = keyed
		for _, v := range set.Values {
			set.Bloom.Add(v)
			if keyed {
				set.Bloom.Add(collate.Key(v))
			}
		}
		set.Values = nil
	}
	return set
}

// genPredicate draws a predicate: a ts range around the data (sometimes open,
// sometimes empty) and IN-lists mixing present, absent and non-ASCII values.
func genPredicate(rng *rand.Rand, cfg genConfig, ds *dataset, rows []testRow) Predicate {
	p := Predicate{MinTS: math.MinInt64, MaxTS: math.MaxInt64}
	lo := cfg.baseTS - hourMicros + rng.Int64N(cfg.spanMicros+2*hourMicros)
	hi := lo + rng.Int64N([]int64{1e6, hourMicros, dayMicros}[rng.IntN(3)])
	if len(rows) > 0 && rng.IntN(2) == 0 { // bounds on or next to row timestamps
		lo = rows[rng.IntN(len(rows))].ts + rng.Int64N(3) - 1
		hi = max(lo, rows[rng.IntN(len(rows))].ts+rng.Int64N(3)-1)
	}
	if len(ds.parts) > 0 && rng.IntN(4) == 0 { // bounds on or next to bucket edges
		k := ds.parts[rng.IntN(len(ds.parts))].key
		lo = []int64{k.Start, k.Start + k.Width}[rng.IntN(2)] + rng.Int64N(3) - 1
		k = ds.parts[rng.IntN(len(ds.parts))].key
		hi = max(lo, []int64{k.Start, k.Start + k.Width}[rng.IntN(2)]+rng.Int64N(3)-1)
	}
	if rng.IntN(20) == 0 {
		hi = lo - 1 // empty range
	}
	if rng.IntN(4) != 0 {
		p.MinTS = lo
	}
	if rng.IntN(4) != 0 {
		p.MaxTS = hi
	}
	traces := append(slices.Clone(ds.traceIDs), "0000000000000000", "ffffffffffffffff")
	p.Levels = genList(rng, testLevels, absentLevels)
	p.Services = genList(rng, testServices, absentServices)
	p.Hosts = genList(rng, testHosts, absentHosts)
	if rng.IntN(3) == 0 {
		p.TraceIDs = genList(rng, traces, nil)
	}
	return p
}

// genList returns nil (unconstrained), rarely an empty list, or 1–3 values.
func genList(rng *rand.Rand, present, absent []string) []string {
	switch r := rng.IntN(40); {
	case r < 20:
		return nil
	case r == 20:
		return []string{}
	}
	out := make([]string, 1+rng.IntN(3))
	for i := range out {
		if len(absent) > 0 && rng.IntN(4) == 0 {
			out[i] = absent[rng.IntN(len(absent))]
		} else {
			out[i] = present[rng.IntN(len(present))]
		}
	}
	return out
}

// retireAll drops the store's reference on every segment, which must then
// be the last: every reference a plan took has been dropped.
func (ds *dataset) retireAll(t testing.TB) {
	for _, p := range ds.parts {
		for _, s := range p.segs {
			s.seg.DecRef()
		}
	}
	require.Equal(t, int64(ds.segments), ds.released.Load(), "segments released after the store let go")
}

// verdict is the test's independent expectation for one batch.
type verdict struct {
	matching bool // some row matches: the batch must be kept
	mustDrop bool // the exact statistics prove no row matches: it must be dropped
	kept     bool // the full model: not mustDrop and every bloom filter passes
	inside   bool // every row lies within [MinTS, MaxTS]
}

// checkPlan plans p and compares the plan with the rows.
func checkPlan(t *testing.T, ds *dataset, rows []testRow, p Predicate) {
	t.Helper()
	pl := ds.cat.Plan(p)
	defer pl.Release()
	got := indexPlan(t, pl)
	want := PlanStats{PartitionsTotal: len(ds.parts), SegmentsTotal: ds.segments}
	var wantKeys []partitions.Key
	for _, part := range ds.parts {
		partKept := partitionKept(part.key, p)
		if partKept {
			wantKeys = append(wantKeys, part.key)
			want.PartitionsKept++
		}
		for _, s := range part.segs {
			segKept := false
			for bi, brows := range s.batches {
				want.BatchesTotal++
				bs := &s.seg.Stats.Batches[bi]
				v := judgeBatch(partKept, bs, brows, p)
				inside, kept := got[s.seg][bi]
				msg := fmt.Sprintf("predicate %s, partition %s, segment %d, batch %d", p, part.key.DirName(), s.seg.ID, bi)
				require.False(t, v.matching && !kept, "batch with a matching row dropped: %s", msg)
				require.False(t, v.mustDrop && kept, "batch that cannot match kept: %s", msg)
				require.Equal(t, v.kept, kept, msg)
				if kept {
					require.Equal(t, v.inside, inside, "Inside: %s", msg)
					want.BatchesKept++
					want.BytesToRead += bs.CompressedBytes
					segKept = true
				}
			}
			if segKept {
				want.SegmentsKept++
			}
		}
	}
	require.Equal(t, want, pl.Stats, "plan stats for %s", p)
	require.Equal(t, wantKeys, planKeys(pl))
	require.Zero(t, ds.released.Load(), "a segment was released while the plan holds it")
	pl.Release()
	pl.Release() // idempotent; the deferred call makes three
}

// partitionKept applies the partition rules to the key, independently of the
// catalog's code: an empty predicate, a bucket outside the range, or a shard
// that none of the (ASCII) service literals hashes to.
func partitionKept(k partitions.Key, p Predicate) bool {
	if predicateEmpty(p) || k.Start > p.MaxTS || k.Start+k.Width-1 < p.MinTS {
		return false
	}
	if p.Services == nil {
		return true
	}
	return slices.ContainsFunc(p.Services, func(s string) bool { return partitions.ShardOf([]byte(s), k.Shards) == k.Shard })
}

// predicateEmpty reports a predicate no row can satisfy by its shape.
func predicateEmpty(p Predicate) bool {
	isEmpty := func(l []string) bool { return l != nil && len(l) == 0 }
	return p.MinTS > p.MaxTS || isEmpty(p.Levels) || isEmpty(p.Services) || isEmpty(p.Hosts) || isEmpty(p.TraceIDs)
}

// judgeBatch decides a batch from its rows; only the bloom filters (built by
// the test) and the overflow flag are taken from the statistics.
func judgeBatch(partKept bool, bs *segment.BatchStats, rows []testRow, p Predicate) verdict {
	v := verdict{inside: true}
	minTS, maxTS := int64(math.MaxInt64), int64(math.MinInt64)
	anyLevel, anyService, anyHost, anyTrace := false, false, false, false
	for _, r := range rows {
		v.matching = v.matching || rowMatches(r, p)
		v.inside = v.inside && r.ts >= p.MinTS && r.ts <= p.MaxTS
		minTS, maxTS = min(minTS, r.ts), max(maxTS, r.ts)
		anyLevel = anyLevel || in(p.Levels, r.level)
		anyService = anyService || in(p.Services, r.service)
		anyHost = anyHost || in(p.Hosts, r.host)
		anyTrace = anyTrace || exactIn(p.TraceIDs, r.traceID)
	}
	v.mustDrop = !partKept || minTS > p.MaxTS || maxTS < p.MinTS ||
		(p.Levels != nil && !bs.LevelsOverflow && !anyLevel) ||
		(bs.Services.Bloom == nil && !anyService) ||
		(bs.Hosts.Bloom == nil && !anyHost) ||
		(bs.TraceIDs.Bloom == nil && !anyTrace)
	// Bloom filters of values as written cannot rule out another
	// spelling: only keyed ones prune service and host, by the literals' keys.
	v.kept = !v.mustDrop && bloomPasses(bs.TraceIDs.Bloom, p.TraceIDs) &&
		keyedBloomPasses(bs.Services.Bloom, p.Services) && keyedBloomPasses(bs.Hosts.Bloom, p.Hosts)
	return v
}

func rowMatches(r testRow, p Predicate) bool {
	return r.ts >= p.MinTS && r.ts <= p.MaxTS && in(p.Levels, r.level) &&
		in(p.Services, r.service) && in(p.Hosts, r.host) && exactIn(p.TraceIDs, r.traceID)
}

// in is SQL's `v IN (lits)` for level, service and host, under MySQL's
// default collation as go-mysql-server compares, with nil lits meaning no
// constraint; NULL matches no literal.
func in(lits []string, v nstr) bool {
	return lits == nil || (v.ok && slices.ContainsFunc(lits, func(l string) bool {
		c, err := aiCI.Compare(context.Background(), v.v, l)
		if err != nil {
			panic(err)
		}
		return c == 0
	}))
}

// aiCI is the type of level, service and host, whose comparison the catalog
// must agree with.
var aiCI = types.MustCreateString(sqltypes.VarChar, 255, sql.Collation_utf8mb4_0900_ai_ci)

// exactIn is `v IN (lits)` compared exactly, as trace_id is.
func exactIn(lits []string, v nstr) bool {
	return lits == nil || (v.ok && slices.Contains(lits, v.v))
}

// keyedBloomPasses reports whether a service or host filter (if any) admits
// the collation key of one of the literals; an unkeyed one admits all.
func keyedBloomPasses(f *segment.Bloom, lits []string) bool {
	return f == nil || !f.Keyed || lits == nil || slices.ContainsFunc(lits, func(l string) bool { return f.MayContain(collate.Key(l)) })
}

// bloomPasses reports whether a constrained column's bloom filter (if any)
// admits one of the literals.
func bloomPasses(f *segment.Bloom, lits []string) bool {
	return f == nil || lits == nil || slices.ContainsFunc(lits, f.MayContain)
}

// indexPlan checks the plan's shape (order, parallel slices, keys) and maps
// each kept batch to its Inside flag.
func indexPlan(t *testing.T, pl *Plan) map[*partitions.Segment]map[int]bool {
	t.Helper()
	got := map[*partitions.Segment]map[int]bool{}
	for _, pp := range pl.Partitions {
		for j, sp := range pp.Segments {
			require.Equal(t, pp.Key, sp.Segment.Key)
			require.True(t, j == 0 || pp.Segments[j-1].Segment.ID < sp.Segment.ID, "segments in ID order")
			require.NotEmpty(t, sp.Batches, "a kept segment has kept batches")
			require.Len(t, sp.Inside, len(sp.Batches))
			require.True(t, slices.IsSorted(sp.Batches) && len(slices.Compact(slices.Clone(sp.Batches))) == len(sp.Batches), "batches ascending")
			got[sp.Segment] = map[int]bool{}
			for i, b := range sp.Batches {
				got[sp.Segment][b] = sp.Inside[i]
			}
		}
	}
	return got
}

func planKeys(pl *Plan) []partitions.Key {
	var keys []partitions.Key
	for _, pp := range pl.Partitions {
		keys = append(keys, pp.Key)
	}
	return keys
}
