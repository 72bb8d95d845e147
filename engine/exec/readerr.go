package exec

import (
	"errors"
	"path/filepath"

	"logq/partitions"
	"logq/partitions/segment"
)

// damagedRead is the error of a batch load that found the batch or its
// segment damaged: the store has been told (partitions.Store.ReportDamage),
// and the consumer reports d and goes on without the batch.
type damagedRead struct {
	d   partitions.Damage
	err error
}

func (e *damagedRead) Error() string { return e.err.Error() }
func (e *damagedRead) Unwrap() error { return e.err }

// asDamaged returns the damage err reports, if it is a damagedRead.
func asDamaged(err error) (partitions.Damage, bool) {
	var dr *damagedRead
	if errors.As(err, &dr) {
		return dr.d, true
	}
	return partitions.Damage{}, false
}

// readDamaged handles a read of batch bi of seg that failed with err: when
// err is damage, it tells store, which sets the batch (or the segment)
// aside for later plans, and returns what the scan reports; nil for other
// errors. store may be nil (tests of the cache alone).
func readDamaged(store *partitions.Store, seg *partitions.Segment, bi int, err error) *damagedRead {
	if !errors.Is(err, segment.ErrCorrupt) {
		return nil
	}
	if store != nil {
		// The store logs what it sets aside; a failure to record it in the
		// manifest leaves it set aside in memory until a restart.
		_ = store.ReportDamage(seg, err)
	}
	d := partitions.Damage{Key: seg.Key, File: filepath.Base(seg.Path), Batch: -1, MinTS: seg.Stats.MinTS,
		MaxTS: seg.Stats.MaxTS, Rows: seg.Stats.Rows, Reason: err.Error()}
	if b, ok := segment.DamagedBatch(err); ok && b == bi {
		bs := &seg.Stats.Batches[bi]
		d.Batch, d.MinTS, d.MaxTS, d.Rows = bi, bs.MinTS, bs.MaxTS, int64(bs.Rows)
	}
	return &damagedRead{d: d, err: err}
}
