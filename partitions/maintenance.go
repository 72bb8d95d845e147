package partitions

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"logq/partitions/columns"
	"logq/partitions/segment"
)

// maintenanceLoop runs compaction and retention every compactInterval.
func (s *Store) maintenanceLoop() {
	defer s.bg.Done()
	tick := time.NewTicker(s.cfg.compactInterval)
	defer tick.Stop()
	compaction := backoff{base: s.cfg.compactInterval, max: maxBackoff}
	for {
		select {
		case <-s.stop:
			return
		case <-tick.C:
		}
		if err := s.ApplyRetention(); err != nil {
			s.cfg.log.Error("retention", "err", err)
		}
		if now := time.Now(); compaction.due(now) {
			_, err := s.Compact()
			compaction.done(now, err)
			if err != nil {
				s.cfg.log.Error("compaction", "err", err, "next_attempt_in", compaction.delay)
			}
		}
	}
}

// Compact merges runs of small segments in every partition and returns the
// number of merges done. Reads continue meanwhile: inputs are retired only
// after the merged segment is durable and published, and their files go when
// the last reader lets go.
func (s *Store) Compact() (int, error) {
	merges := 0
	for _, p := range s.partitions() {
		select {
		case <-s.stop:
			return merges, nil
		default:
		}
		n, err := s.compactPartition(p)
		merges += n
		if errors.Is(err, errSync) {
			return merges, s.fail(err)
		}
		if err != nil {
			return merges, fmt.Errorf("compact %s: %w", p.key.DirName(), err)
		}
	}
	return merges, nil
}

// compactPartition merges one run of small segments of p, if there is one.
func (s *Store) compactPartition(p *partition) (int, error) {
	p.fmu.Lock()
	defer p.fmu.Unlock()
	if p.dropped {
		return 0, nil
	}
	run := pickCompactionRun(p.segs)
	if len(run) == 0 {
		return 0, nil
	}
	rows, level, err := readSegments(run)
	if err != nil {
		return 0, s.compactionReadFailed(p, run, err)
	}
	rows = s.pruneDead(rows)
	first := run[0]
	path := filepath.Join(p.dir, segmentFileName(first.ID, level+1))
	st, err := s.writeSegment(path, rows, &s.compactWritten)
	if err != nil {
		return 0, err
	}
	man := p.man.clone()
	man.Segments = replaceRun(man.Segments, run, manifestEntry(first.ID, path, st))
	if err := writeFileAtomic(filepath.Join(p.dir, manifestFileName), encodeManifest(man)); err != nil {
		os.Remove(path)
		return 0, err
	}
	merged := NewSegment(p.key, first.ID, path, st, s.releaseSegment)
	segs := make([]*Segment, 0, len(p.segs)-len(run)+1)
	for _, seg := range p.segs {
		switch {
		case seg == first:
			segs = append(segs, merged)
		case !inRun(run, seg):
			segs = append(segs, seg)
		}
	}
	s.mu.Lock()
	p.man, p.segs = man, segs
	s.obs.SegmentsChanged(p.key, []*Segment{merged}, run)
	s.mu.Unlock()
	for _, seg := range run {
		seg.retired.Store(true)
		seg.DecRef()
	}
	s.cfg.log.Info("compacted", "partition", p.key.DirName(), "inputs", len(run), "rows", st.Rows)
	return 1, nil
}

// compactionReadFailed handles a failed read of the inputs of a merge. A
// damaged input is set aside as the scrub would (its damaged batch, or the
// whole segment) and the merge is given up without an error, so that
// compaction goes on with the other partitions; pickCompactionRun leaves
// segments with damaged batches out from then on. REQUIRES: p.fmu held.
func (s *Store) compactionReadFailed(p *partition, run []*Segment, err error) error {
	var re *runReadError
	if !errors.As(err, &re) || !errors.Is(err, segment.ErrCorrupt) {
		return err
	}
	if bi, ok := segment.DamagedBatch(err); ok {
		if added := re.seg.markBad([]BadBatch{{Batch: bi, Reason: err.Error()}}); len(added) > 0 {
			return s.recordBadLocked(p, re.seg, added)
		}
		return nil
	}
	_, err = s.retireDamagedLocked(p, re.seg, err)
	return err
}

// runReadError is a failed read of seg, an input of a merge.
type runReadError struct {
	seg *Segment
	err error
}

func (e *runReadError) Error() string { return e.err.Error() }
func (e *runReadError) Unwrap() error { return e.err }

// pickCompactionRun returns the first run of at least compactMinSegments
// consecutive small segments whose rows fit compactTargetRows. Only
// consecutive IDs are merged, and the result keeps the first ID, so rows with
// equal ts keep their place in the total order (ts, partition, segment, row).
// A segment with damaged batches is never merged: it stays as it is, with its
// damage listed, until retention drops it.
func pickCompactionRun(segs []*Segment) []*Segment {
	var run []*Segment
	var rows int64
	for _, seg := range segs {
		small := seg.Stats.Rows < compactTargetRows/2 && seg.BadBatches() == nil
		if !small || rows+seg.Stats.Rows > compactTargetRows {
			if len(run) >= compactMinSegments {
				return run
			}
			run, rows = nil, 0
			if !small {
				continue
			}
		}
		run = append(run, seg)
		rows += seg.Stats.Rows
	}
	if len(run) >= compactMinSegments {
		return run
	}
	return nil
}

// readSegments decodes every row of run, in order, and returns the highest
// compaction level among the inputs.
func readSegments(run []*Segment) (*columns.Batch, int, error) {
	var parts []*columns.Batch
	level := 0
	for _, seg := range run {
		level = max(level, segmentLevel(seg.Path))
		r, err := seg.Reader()
		if err != nil {
			return nil, 0, &runReadError{seg: seg, err: err}
		}
		for i := 0; i < r.NumBatches(); i++ {
			b, err := r.Rows(i)
			if err != nil {
				return nil, 0, &runReadError{seg: seg, err: fmt.Errorf("read %s batch %d: %w", seg.Path, i, err)}
			}
			parts = append(parts, b)
		}
	}
	rows := columns.Concat(parts...)
	if idx := rows.SortIndex(); idx != nil {
		rows = rows.Take(idx) // stable: equal ts keep input order
	}
	return rows, level, nil
}

// segmentLevel parses the compaction level out of a segment file name.
func segmentLevel(path string) int {
	var id uint64
	var level int
	if _, err := fmt.Sscanf(filepath.Base(path), "%016x-%04d", &id, &level); err != nil {
		return 0
	}
	return level
}

func inRun(run []*Segment, seg *Segment) bool {
	for _, r := range run {
		if r == seg {
			return true
		}
	}
	return false
}

// replaceRun replaces the manifest entries of run by merged.
func replaceRun(entries []manifestSegment, run []*Segment, merged manifestSegment) []manifestSegment {
	out := make([]manifestSegment, 0, len(entries))
	for _, e := range entries {
		switch {
		case e.ID == run[0].ID:
			out = append(out, merged)
		case e.ID > run[0].ID && e.ID <= run[len(run)-1].ID:
		default:
			out = append(out, e)
		}
	}
	return out
}

// ApplyRetention drops every partition whose newest possible row is older
// than the retention period. A partition still holding buffered rows waits
// for the next pass. Running reads keep their segments until they finish.
func (s *Store) ApplyRetention() error {
	if s.cfg.retention <= 0 {
		return nil
	}
	cutoff := s.cfg.now().Add(-s.cfg.retention).UnixMicro()
	var errs []error
	for _, p := range s.partitions() {
		if p.key.MaxTS() >= cutoff {
			continue
		}
		errs = append(errs, s.dropPartition(p))
	}
	return errors.Join(errs...)
}

// dropPartition marks p DROPPED on disk, unpublishes it and retires its
// segments; files disappear as their readers finish.
func (s *Store) dropPartition(p *partition) error {
	p.fmu.Lock()
	defer p.fmu.Unlock()
	s.mu.Lock()
	busy := p.bufferedLocked()
	s.mu.Unlock()
	if busy || p.dropped {
		return nil
	}
	if _, err := os.Stat(p.dir); err == nil {
		if err := writeFileAtomic(filepath.Join(p.dir, droppedFileName), nil); err != nil {
			return err
		}
		os.Remove(filepath.Join(p.dir, manifestFileName))
	}
	p.dropped = true
	s.mu.Lock()
	delete(s.mu.parts, p.key)
	s.obs.DropPartition(p.key)
	s.mu.Unlock()
	for _, seg := range p.segs {
		seg.retired.Store(true)
		seg.DecRef()
	}
	p.segs = nil
	s.publishLost() // its damaged segments go with it
	removeDroppedDir(p.dir, s.cfg.log)
	s.cfg.log.Info("retention dropped partition", "partition", p.key.DirName())
	return nil
}
