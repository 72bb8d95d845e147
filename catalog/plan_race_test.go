package catalog

import (
	"math"
	"math/rand/v2"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/require"

	"logq/partitions"
	"logq/partitions/segment"
)

// refLedger creates segments and records every release, so that a test can
// tell whether a segment was released while a plan held it and whether every
// reference was dropped exactly once.
type refLedger struct {
	mu       sync.Mutex
	released map[*partitions.Segment]int
	created  int
}

func newRefLedger() *refLedger { return &refLedger{released: map[*partitions.Segment]int{}} }

// segment returns a live segment of k holding rows rows (in 1–3 batches over
// the whole bucket), with one reference: the store's.
func (l *refLedger) segment(k partitions.Key, id uint64, rows int) *partitions.Segment {
	st := &segment.Stats{Rows: int64(rows), MinTS: k.MinTS(), MaxTS: k.MaxTS()}
	n := min(rows, 1+int(id%3))
	for i := range n {
		r := rows/n + boolInt(i < rows%n)
		st.Batches = append(st.Batches, segment.BatchStats{
			Rows: r, MinTS: k.MinTS(), MaxTS: k.MaxTS(), CompressedBytes: int64(r),
			Levels: []segment.ValueCount{{Value: "ERROR", Count: r}}, Services: exact("svc-1"),
		})
	}
	l.mu.Lock()
	l.created++
	l.mu.Unlock()
	return partitions.NewSegment(k, id, "", st, func(s *partitions.Segment) {
		l.mu.Lock()
		l.released[s]++
		l.mu.Unlock()
	})
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// isReleased reports whether s's last reference has been dropped.
func (l *refLedger) isReleased(s *partitions.Segment) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.released[s] > 0
}

// storeSim plays the partition store: it owns the live segments and changes
// them the way flushes, compaction and retention do, always publishing a
// change to the catalog before dropping its references. Each partition always
// holds rowsPerPartition rows in total, so a consistent plan sees exactly
// that many in every partition it lists.
type storeSim struct {
	cat    *Catalog
	ledger *refLedger
	live   map[partitions.Key][]*partitions.Segment
	nextID uint64
}

const rowsPerPartition = 1000

func (s *storeSim) create(k partitions.Key) {
	s.nextID++
	s.live[k] = []*partitions.Segment{s.ledger.segment(k, s.nextID, rowsPerPartition)}
	s.cat.SegmentsChanged(k, s.live[k], nil)
}

// step applies one random change to partition k.
func (s *storeSim) step(rng *rand.Rand, k partitions.Key) {
	cur := s.live[k]
	switch op := rng.IntN(10); {
	case op < 5: // split one segment in two (stands for flushes)
		i := rng.IntN(len(cur))
		old := cur[i]
		if old.Stats.Rows < 2 {
			return
		}
		cut := 1 + rng.IntN(int(old.Stats.Rows)-1)
		a, b := s.ledger.segment(k, s.nextID+1, cut), s.ledger.segment(k, s.nextID+2, int(old.Stats.Rows)-cut)
		s.nextID += 2
		s.cat.SegmentsChanged(k, []*partitions.Segment{a, b}, []*partitions.Segment{old})
		s.live[k] = append(append(cur[:i:i], cur[i+1:]...), a, b)
		old.DecRef()
	case op < 9: // compact everything into one segment
		s.nextID++
		merged := s.ledger.segment(k, s.nextID, rowsPerPartition)
		s.cat.SegmentsChanged(k, []*partitions.Segment{merged}, cur)
		s.live[k] = []*partitions.Segment{merged}
		for _, old := range cur {
			old.DecRef()
		}
	default: // retention drops the partition; new data re-creates it
		s.cat.DropPartition(k)
		for _, old := range cur {
			old.DecRef()
		}
		s.create(k)
	}
}

// TestPlanConcurrentWithChanges runs planners while the simulated store
// swaps segments (run with -race). Plans must be consistent snapshots, no
// segment may be released while a plan holds it, and in the end every
// reference must have been dropped exactly once.
func TestPlanConcurrentWithChanges(t *testing.T) {
	steps := 4000
	if testing.Short() {
		steps = 500
	}
	ledger := newRefLedger()
	store := &storeSim{cat: New(), ledger: ledger, live: map[partitions.Key][]*partitions.Segment{}}
	var keys []partitions.Key
	for d := range int64(2) {
		for sh := range 2 {
			keys = append(keys, dayKey(d, sh))
			store.create(keys[len(keys)-1])
		}
	}
	var done atomic.Bool
	var plans, retired atomic.Int64
	var wg sync.WaitGroup
	for w := range 3 {
		wg.Go(func() {
			for !done.Load() {
				planOnce(t, store.cat, ledger, w, &retired)
				plans.Add(1)
			}
		})
	}
	rng := rand.New(rand.NewPCG(7, 7))
	for range steps {
		store.step(rng, keys[rng.IntN(len(keys))])
		if rng.IntN(8) == 0 {
			runtime.Gosched()
		}
	}
	done.Store(true)
	wg.Wait()
	for _, segs := range store.live {
		for _, s := range segs {
			s.DecRef()
		}
	}
	t.Logf("%d plans, %d with retired segments after retries", plans.Load(), retired.Load())
	require.Len(t, ledger.released, ledger.created, "every segment released")
	for s, n := range ledger.released {
		require.Equal(t, 1, n, "segment %d released %d times", s.ID, n)
	}
}

// planOnce makes one plan (unconstrained, or by level for odd workers) and
// checks it while holding it.
func planOnce(t *testing.T, c *Catalog, ledger *refLedger, worker int, retired *atomic.Int64) {
	p := Predicate{MinTS: math.MinInt64, MaxTS: math.MaxInt64}
	if worker%2 == 1 {
		p.Levels, p.Services = []string{"ERROR"}, []string{"svc-1"}
	}
	pl := c.Plan(p)
	defer pl.Release()
	if pl.Stats.SegmentsRetired > 0 {
		retired.Add(1)
	}
	runtime.Gosched() // let the store retire segments meanwhile
	for _, pp := range pl.Partitions {
		var rows int64
		for _, sp := range pp.Segments {
			if ledger.isReleased(sp.Segment) {
				t.Errorf("segment %d of %s released while a plan holds it", sp.Segment.ID, pp.Key.DirName())
			}
			rows += sp.Segment.Stats.Rows
		}
		if pl.Stats.SegmentsRetired == 0 && rows != rowsPerPartition {
			t.Errorf("partition %s: plan sees %d rows, want %d (torn change)", pp.Key.DirName(), rows, rowsPerPartition)
		}
	}
}
