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
