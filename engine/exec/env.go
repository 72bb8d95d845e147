package exec

import (
	"logq/catalog"
	"logq/partitions"
)

// Env is what the executor runs plans against: the store and its catalog,
// and what every query shares (the counters, the batch cache, the sort
// orders of buffered batches, the pool of loads).
type Env struct {
	Store  *partitions.Store
	Cat    *catalog.Catalog
	Stats  *ScanStats
	Cache  *BatchCache
	Orders *SortOrders
	Pool   *Pool
}

// An Observer is told, on the goroutine that runs a plan, what the query's
// client must hear of: the damaged data it could not read, and the memory
// it holds. An error from either ends the query with that error.
type Observer interface {
	// Damaged reports a damaged batch or segment that could have held
	// matching rows.
	Damaged(d partitions.Damage) error
	// Holding says how many bytes the query's partial results hold now.
	Holding(bytes int64) error
}

// Snapshot is what one query reads: a catalog plan of segments and the
// buffered rows, taken together (see Store.View).
type Snapshot struct {
	Plan     *catalog.Plan
	Buffered map[partitions.Key]partitions.Buffered
}

// TakeSnapshot plans pred against the catalog and collects the buffered rows
// under the store's lock. A plan that lost a segment to compaction between
// pruning and taking references is made again.
func (t *Env) TakeSnapshot(pred catalog.Predicate) Snapshot {
	for {
		var s Snapshot
		t.Store.View(func(buf []partitions.Buffered) {
			s.Plan = t.Cat.Plan(pred)
			s.Buffered = make(map[partitions.Key]partitions.Buffered, len(buf))
			for _, b := range buf {
				s.Buffered[b.Key] = b
			}
		})
		if s.Plan.Stats.SegmentsRetired == 0 {
			return s
		}
		s.Plan.Release()
	}
}

// ReportPlanned reports to obs the damage a plan made with pred meets: the
// damaged batches it skipped, and the damaged segments whose range pred
// overlaps.
func (t *Env) ReportPlanned(obs Observer, pl *catalog.Plan, pred catalog.Predicate) error {
	for _, d := range pl.Damaged {
		if err := obs.Damaged(d); err != nil {
			return err
		}
	}
	for _, d := range catalog.DamageIn(pred, t.Store.DamagedSegments()) {
		if err := obs.Damaged(d); err != nil {
			return err
		}
	}
	return nil
}

// BufferedRows is the number of buffered rows of the kept partitions: a
// scan reads them all.
func (s Snapshot) BufferedRows() int64 {
	var n int64
	for _, p := range s.Plan.Partitions {
		for _, b := range s.Buffered[p.Key].Batches {
			n += int64(b.Len())
		}
	}
	return n
}

// ListsValues reports whether every batch of every segment stored now
// lists the values of the dynamic column stored in its statistics (a
// segment without the column counts; one that has it without a value set
// does not).
func (t *Env) ListsValues(stored string) bool {
	snap := t.TakeSnapshot(FullScan())
	defer snap.Plan.Release()
	for _, p := range snap.Plan.Partitions {
		for _, sp := range p.Segments {
			for bi := range sp.Segment.Stats.Batches {
				if cs, present := DynColumnStats(sp.Segment.Stats, bi, stored); present && (cs == nil || !cs.HasValues) {
					return false
				}
			}
		}
	}
	return true
}
