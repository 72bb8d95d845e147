package catalog

import (
	"path/filepath"

	"logq/partitions"
)

// batchDamage describes batch b of s, set aside as damaged.
func batchDamage(s *partitions.Segment, b partitions.BadBatch) partitions.Damage {
	bs := &s.Stats.Batches[b.Batch]
	return partitions.Damage{Key: s.Key, File: filepath.Base(s.Path), Batch: b.Batch,
		MinTS: bs.MinTS, MaxTS: bs.MaxTS, Rows: int64(bs.Rows), Reason: b.Reason}
}

// badBatch returns the entry of batch i in bad, which is sorted by batch.
func badBatch(bad []partitions.BadBatch, i int) (partitions.BadBatch, bool) {
	for _, b := range bad {
		switch {
		case b.Batch == i:
			return b, true
		case b.Batch > i:
			return partitions.BadBatch{}, false
		}
	}
	return partitions.BadBatch{}, false
}

// DamagedBatches lists the record batches set aside as damaged in every
// segment of the catalog, in partition, segment and batch order, except
// those acknowledged (partitions.Store.Acknowledge). It never blocks: it
// reads the current snapshot.
func (c *Catalog) DamagedBatches() []partitions.Damage {
	var out []partitions.Damage
	for _, p := range c.snap.Load().parts {
		for _, s := range p.segs {
			for _, b := range s.BadBatches() {
				if !b.Acknowledged {
					out = append(out, batchDamage(s, b))
				}
			}
		}
	}
	return out
}

// DamageIn returns the whole segments of damaged (partitions.Store
// DamagedSegments) that could have held a row matching p: those whose time
// range p overlaps, in partitions pruning by key keeps. Their statistics
// may be unreadable, so no other rule applies. Damaged batches of live
// segments are pruned with their statistics like any batch, and a plan
// lists those it would have read in Plan.Damaged.
func DamageIn(p Predicate, damaged []partitions.Damage) []partitions.Damage {
	if len(damaged) == 0 {
		return nil // every query asks: compile nothing then
	}
	q := compile(p)
	if q.none {
		return nil
	}
	var out []partitions.Damage
	for _, d := range damaged {
		if q.overlaps(d.MinTS, d.MaxTS) && q.keepPartition(d.Key) {
			out = append(out, d)
		}
	}
	return out
}
