package partitions

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
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
// the last reader lets go. Flushes continue too: a merge holds its
// partition's lock only to choose its inputs and to publish its output.
func (s *Store) Compact() (int, error) {
	s.compactMu.Lock()
	defer s.compactMu.Unlock()
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
// The inputs are read and the output written without p.fmu, so that a
// flush of p never waits for a merge (at 100M rows a merge that held it
// stalled ingest for minutes); the run is checked again before publishing.
// REQUIRES: s.compactMu held (one merge at a time).
func (s *Store) compactPartition(p *partition) (int, error) {
	run := s.claimRun(p)
	if len(run) == 0 {
		return 0, nil
	}
	defer func() {
		for _, seg := range run {
			seg.DecRef()
		}
	}()
	var raw int64
	for _, seg := range run {
		raw += seg.Stats.RawBytes
	}
	s.compactingBytes.Store(raw) // for the memory report: the rows are decoded whole
	defer s.compactingBytes.Store(0)
	rows, level, err := readSegments(run)
	if err != nil {
		p.fmu.Lock()
		defer p.fmu.Unlock()
		if p.dropped || !runLive(p, run) {
			return 0, nil
		}
		return 0, s.compactionReadFailed(p, run, err)
	}
	rows = s.pruneDead(rows)
	first := run[0]
	path := filepath.Join(p.dir, segmentFileName(first.ID, level+1))
	st, err := s.writeSegment(path, rows, &s.compactWritten)
	if err != nil {
		return 0, err
	}
	if s.beforeCompactPublish != nil {
		s.beforeCompactPublish()
	}
	p.fmu.Lock()
	defer p.fmu.Unlock()
	if p.dropped || !runLive(p, run) {
		// Retention or the scrub took an input meanwhile: the output
		// would bring back what they removed.
		os.Remove(path)
		return 0, nil
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
		seg.DecRef() // the partition's reference; the merge's goes on return
	}
	s.cfg.log.Info("compacted", "partition", p.key.DirName(), "inputs", len(run), "rows", st.Rows, "level", level+1)
	return 1, nil
}

// claimRun picks the run of p to merge and takes a reference to each of its
// segments for the merge; nil when there is nothing to merge.
func (s *Store) claimRun(p *partition) []*Segment {
	p.fmu.Lock()
	defer p.fmu.Unlock()
	if p.dropped {
		return nil
	}
	run := pickCompactionRun(p.segs)
	for i, seg := range run {
		if !seg.TryIncRef() { // BUG: a live segment holds the partition's reference
			for _, taken := range run[:i] {
				taken.DecRef()
			}
			return nil
		}
	}
	return run
}

// runLive reports whether every segment of run is still one of p's live
// segments, undamaged. REQUIRES: p.fmu held.
func runLive(p *partition, run []*Segment) bool {
	for _, seg := range run {
		if seg.Retired() || seg.BadBatches() != nil || !slices.Contains(p.segs, seg) {
			return false
		}
	}
	return true
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

// pickCompactionRun returns the oldest run of consecutive segments worth
// merging, the size-ratio policy of tiered compaction:
//   - the run's rows are at least compactGrowth times those of its largest
//     segment, so a row is rewritten only when the segment it lands in is
//     compactGrowth times larger than the one it leaves: a row goes through
//     at most log_compactGrowth(compactMaxRows / rows of a flush) merges,
//     which bounds the write amplification (two at 100M WORKLOAD rows);
//   - the run holds at most compactMaxRows rows, which bounds a merge's
//     memory (its rows are decoded whole) and leaves the segments of a busy
//     partition, flushed at tens of thousands of rows and more, alone once
//     they have grown past a quarter of it.
//
// The longest such run from the oldest segment that starts one is taken.
// Only consecutive IDs are merged, and the result keeps the first ID, so
// rows with equal ts keep their place in the total order (ts, partition,
// segment, row). A segment with damaged batches is never merged: it stays
// as it is, with its damage listed, until retention drops it.
func pickCompactionRun(segs []*Segment) []*Segment {
	for i := range segs {
		var rows, largest int64
		best := 0
		for j := i; j < len(segs); j++ {
			seg := segs[j]
			if seg.BadBatches() != nil || rows+seg.Stats.Rows > compactMaxRows {
				break
			}
			rows += seg.Stats.Rows
			largest = max(largest, seg.Stats.Rows)
			if j > i && rows >= compactGrowth*largest {
				best = j + 1
			}
		}
		if best > 0 {
			return segs[i:best]
		}
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
	return columns.SortedConcat(parts...), level, nil
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
