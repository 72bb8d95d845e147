package partitions

import (
	"cmp"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sync/atomic"

	"logq/partitions/segment"
)

// Damage is one piece of a partition whose rows no query reads any more,
// because its bytes failed their checksum: a record batch of a live segment
// (Batch ≥ 0; the rest of the segment still answers), or a whole segment
// set aside in quarantine/ (Batch < 0) because its trailer, stats block or
// Arrow metadata were damaged, or its file was missing. The time range and
// rows are those of the batch's statistics, or of the segment's manifest
// entry. Both kinds are recorded in the partition's manifest, so they stay
// listed across restarts (FORMAT.md).
type Damage struct {
	Key          Key
	File         string // segment file name, in the partition directory (or quarantine/<partition>/)
	Batch        int    // record batch index; -1 for the whole segment
	MinTS, MaxTS int64
	Rows         int64
	Reason       string // the checksum or decoding failure, naming the offset
}

// Whole reports whether the damage is the whole segment.
func (d Damage) Whole() bool { return d.Batch < 0 }

// BadBatch is a record batch of a live segment set aside as damaged.
type BadBatch struct {
	Batch  int
	Reason string
	// Acknowledged is set once an operator has dealt with the loss
	// (Store.Acknowledge): the batch is still never read, but no longer
	// listed or warned about.
	Acknowledged bool
}

// BadBatches returns the record batches of s set aside as damaged, in
// increasing order; nil (the usual case) when none. Planners skip them.
// The slice must not be modified. Safe for concurrent use, lock-free.
func (s *Segment) BadBatches() []BadBatch {
	if p := s.bad.Load(); p != nil {
		return *p
	}
	return nil
}

// markBad adds batches to the segment's damaged set, and returns those that
// were not in it yet. Indexes outside the segment are ignored.
func (s *Segment) markBad(add []BadBatch) []BadBatch {
	s.mu.Lock()
	defer s.mu.Unlock()
	cur := s.BadBatches()
	var added []BadBatch
	next := slices.Clone(cur)
	for _, b := range add {
		known := slices.ContainsFunc(next, func(o BadBatch) bool { return o.Batch == b.Batch })
		if known || b.Batch < 0 || b.Batch >= len(s.Stats.Batches) {
			continue
		}
		next = append(next, b)
		added = append(added, b)
	}
	if len(added) > 0 {
		slices.SortFunc(next, func(a, b BadBatch) int { return cmp.Compare(a.Batch, b.Batch) })
		s.bad.Store(&next)
	}
	return added
}

// damageState is the store's lock-free view of the whole segments set aside
// as damaged, rebuilt from the manifests whenever that list changes.
type damageState struct {
	lost atomic.Pointer[[]Damage]
}

// DamagedSegments lists the whole segments set aside as damaged, in
// partition then file order, from a snapshot kept for lock-free reads: the
// engine checks it on every query. Damaged batches of live segments are on
// the segments themselves (Segment.BadBatches). The slice must not be
// modified.
func (s *Store) DamagedSegments() []Damage {
	if p := s.damage.lost.Load(); p != nil {
		return *p
	}
	return nil
}

// publishLost rebuilds the snapshot DamagedSegments returns from the
// manifests of every partition.
func (s *Store) publishLost() {
	s.mu.Lock()
	var out []Damage
	for _, p := range s.mu.parts {
		for _, l := range p.man.Lost {
			out = append(out, Damage{Key: p.key, File: l.File, Batch: -1, MinTS: l.MinTS, MaxTS: l.MaxTS,
				Rows: l.Rows, Reason: l.Reason})
		}
	}
	s.mu.Unlock()
	slices.SortFunc(out, func(a, b Damage) int {
		if c := compareKeys(a.Key, b.Key); c != 0 {
			return c
		}
		return cmp.Compare(a.File, b.File)
	})
	s.damage.lost.Store(&out)
}

// ReportDamage tells the store that reading seg failed with err. Callers
// (the query engine) call it for any error wrapping segment.ErrCorrupt, from
// any goroutine, while holding a reference on seg. A damaged record batch
// (segment.DamagedBatch) is set aside at once, so that plans made from then
// on skip it, and then recorded in the manifest; damage to the rest of the
// file retires the whole segment as the scrub does. A segment already
// retired, or damage already known, is left alone. The error is that of
// recording it (the manifest write); the damage is set aside in memory even
// then.
func (s *Store) ReportDamage(seg *Segment, err error) error {
	if !errors.Is(err, segment.ErrCorrupt) || seg.InMemory() {
		return nil // an in-memory segment has no bytes to be damaged
	}
	s.mu.Lock()
	p := s.mu.parts[seg.Key]
	s.mu.Unlock()
	if p == nil {
		return nil
	}
	var rerr error
	if bi, ok := segment.DamagedBatch(err); ok {
		added := seg.markBad([]BadBatch{{Batch: bi, Reason: err.Error()}})
		if len(added) == 0 {
			return nil
		}
		p.fmu.Lock()
		rerr = s.recordBadLocked(p, seg, added)
		p.fmu.Unlock()
	} else {
		_, rerr = s.retireDamaged(p, seg, err)
	}
	if rerr != nil {
		s.cfg.log.Error("damage found by a read not recorded", "path", seg.Path, "damage", err, "err", rerr)
	}
	return rerr
}

// setBatchesAside marks the batches of seg that bad names as damaged and
// records them in p's manifest, and returns whether any was new. REQUIRES:
// p.fmu not held.
func (s *Store) setBatchesAside(p *partition, seg *Segment, bad []*segment.BatchError) (bool, error) {
	list := make([]BadBatch, len(bad))
	for i, b := range bad {
		list[i] = BadBatch{Batch: b.Batch, Reason: b.Error()}
	}
	added := seg.markBad(list)
	if len(added) == 0 {
		return false, nil
	}
	p.fmu.Lock()
	defer p.fmu.Unlock()
	return true, s.recordBadLocked(p, seg, added)
}

// recordBadLocked logs the newly damaged batches of seg and writes them
// into p's manifest, unless seg has left it. REQUIRES: p.fmu held.
func (s *Store) recordBadLocked(p *partition, seg *Segment, added []BadBatch) error {
	for _, b := range added {
		bs := seg.Stats.Batches[b.Batch]
		s.cfg.log.Error("record batch failed verification; queries skip it, the rest of the segment still answers",
			"partition", p.key.DirName(), "path", seg.Path, "batch", b.Batch, "rows", bs.Rows,
			"min_ts", bs.MinTS, "max_ts", bs.MaxTS, "reason", b.Reason)
	}
	i := slices.IndexFunc(p.man.Segments, func(e manifestSegment) bool { return e.ID == seg.ID })
	if p.dropped || i < 0 || !slices.Contains(p.segs, seg) {
		return nil // retired meanwhile: whoever retired it owns its fate
	}
	man := p.man.clone()
	e := &man.Segments[i]
	e.Damaged = slices.Clone(e.Damaged)
	for _, b := range added {
		e.Damaged = append(e.Damaged, manifestBadBatch(b))
	}
	slices.SortFunc(e.Damaged, func(a, b manifestBadBatch) int { return cmp.Compare(a.Batch, b.Batch) })
	if err := writeFileAtomic(filepath.Join(p.dir, manifestFileName), encodeManifest(man)); err != nil {
		if errors.Is(err, errSync) {
			return s.fail(err)
		}
		return fmt.Errorf("record damaged batches of %s in the manifest: %w", seg.Path, err)
	}
	s.mu.Lock()
	p.man = man
	s.mu.Unlock()
	return nil
}

// lostEntry is the manifest record of segment e set aside whole for why.
func (s *Store) lostEntry(p *partition, e manifestSegment, why error) manifestLost {
	l := manifestLost{ID: e.ID, File: e.File, Rows: e.Rows, MinTS: e.MinTS, MaxTS: e.MaxTS, Reason: why.Error()}
	if _, err := os.Stat(filepath.Join(p.dir, e.File)); err == nil {
		l.Quarantined = filepath.ToSlash(filepath.Join(quarantineDirName, p.key.DirName(), e.File))
	}
	return l
}

// keepLost drops from lost the entries whose quarantined file an operator
// has deleted: that is how a loss, once repaired by re-ingesting its time
// range, is acknowledged (README). It reports whether it dropped any.
func (s *Store) keepLost(lost []manifestLost) ([]manifestLost, bool) {
	n := len(lost)
	lost = slices.DeleteFunc(slices.Clone(lost), func(l manifestLost) bool {
		if l.Quarantined == "" {
			return false
		}
		_, err := os.Stat(filepath.Join(s.dir, filepath.FromSlash(l.Quarantined)))
		return os.IsNotExist(err)
	})
	return lost, len(lost) != n
}

// Acknowledge records that an operator has dealt with the loss d (re-ingested
// its rows, or accepted it), which DamagedSegments or a segment's
// BadBatches listed: a whole segment leaves its partition's manifest list of
// damaged segments (its file stays in quarantine/), and a damaged batch is
// marked acknowledged in the manifest, staying set aside but no longer
// listed. Either way queries stop warning about it. d is matched by Key,
// File and Batch; it reports whether it found d unacknowledged. Safe for
// concurrent use.
func (s *Store) Acknowledge(d Damage) (bool, error) {
	s.mu.Lock()
	p := s.mu.parts[d.Key]
	s.mu.Unlock()
	if p == nil {
		return false, nil
	}
	p.fmu.Lock()
	defer p.fmu.Unlock()
	if p.dropped {
		return false, nil
	}
	man := p.man.clone()
	if d.Whole() {
		n := len(man.Lost)
		man.Lost = slices.DeleteFunc(slices.Clone(man.Lost), func(l manifestLost) bool { return l.File == d.File })
		if len(man.Lost) == n {
			return false, nil
		}
		if err := s.writeManifestLocked(p, man); err != nil {
			return false, err
		}
		s.publishLost()
		return true, nil
	}
	i := slices.IndexFunc(p.segs, func(seg *Segment) bool { return filepath.Base(seg.Path) == d.File })
	j := slices.IndexFunc(man.Segments, func(e manifestSegment) bool { return e.File == d.File })
	if i < 0 || j < 0 {
		return false, nil
	}
	e := &man.Segments[j]
	e.Damaged = slices.Clone(e.Damaged)
	k := slices.IndexFunc(e.Damaged, func(b manifestBadBatch) bool { return b.Batch == d.Batch })
	if k < 0 || e.Damaged[k].Acknowledged {
		return false, nil
	}
	e.Damaged[k].Acknowledged = true
	if err := s.writeManifestLocked(p, man); err != nil {
		return false, err
	}
	p.segs[i].acknowledge(d.Batch)
	return true, nil
}

// writeManifestLocked makes man p's manifest, on disk then in memory.
// REQUIRES: p.fmu held.
func (s *Store) writeManifestLocked(p *partition, man *manifest) error {
	if err := writeFileAtomic(filepath.Join(p.dir, manifestFileName), encodeManifest(man)); err != nil {
		if errors.Is(err, errSync) {
			return s.fail(err)
		}
		return fmt.Errorf("write the manifest of %s: %w", p.key.DirName(), err)
	}
	s.mu.Lock()
	p.man = man
	s.mu.Unlock()
	return nil
}

// acknowledge marks damaged batch b acknowledged.
func (s *Segment) acknowledge(b int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	next := slices.Clone(s.BadBatches())
	for i := range next {
		if next[i].Batch == b {
			next[i].Acknowledged = true
		}
	}
	s.bad.Store(&next)
}
