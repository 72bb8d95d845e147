package engine

import (
	"logq/catalog"
	"logq/partitions"
)

// env is what the executor runs plans against: the store and its catalog,
// and what every query shares (the counters, the batch cache, the sort
// orders of buffered batches, the pool of loads).
type env struct {
	store  *partitions.Store
	cat    *catalog.Catalog
	stats  *ScanStats
	cache  *batchCache
	orders *sortOrders
	pool   *pool
}

// An observer is told, on the goroutine that runs a plan, what the query's
// client must hear of: the damaged data it could not read, and the memory
// it holds. An error from either ends the query with that error.
type observer interface {
	// damaged reports a damaged batch or segment that could have held
	// matching rows.
	damaged(d partitions.Damage) error
	// holding says how many bytes the query's partial results hold now.
	holding(bytes int64) error
}

// snapshot is what one query reads: a catalog plan of segments and the
// buffered rows, taken together (see Store.View).
type snapshot struct {
	plan     *catalog.Plan
	buffered map[partitions.Key]partitions.Buffered
}

// takeSnapshot plans pred against the catalog and collects the buffered rows
// under the store's lock. A plan that lost a segment to compaction between
// pruning and taking references is made again.
func (t *env) takeSnapshot(pred catalog.Predicate) snapshot {
	for {
		var s snapshot
		t.store.View(func(buf []partitions.Buffered) {
			s.plan = t.cat.Plan(pred)
			s.buffered = make(map[partitions.Key]partitions.Buffered, len(buf))
			for _, b := range buf {
				s.buffered[b.Key] = b
			}
		})
		if s.plan.Stats.SegmentsRetired == 0 {
			return s
		}
		s.plan.Release()
	}
}

// reportPlanned reports to obs the damage a plan made with pred meets: the
// damaged batches it skipped, and the damaged segments whose range pred
// overlaps.
func (t *env) reportPlanned(obs observer, pl *catalog.Plan, pred catalog.Predicate) error {
	for _, d := range pl.Damaged {
		if err := obs.damaged(d); err != nil {
			return err
		}
	}
	for _, d := range catalog.DamageIn(pred, t.store.DamagedSegments()) {
		if err := obs.damaged(d); err != nil {
			return err
		}
	}
	return nil
}
