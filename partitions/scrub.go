package partitions

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"time"

	"logq/partitions/segment"
)

// Scrub verifies every checksum of every live segment
// (segment.VerifyBatches), one segment at a time, and contains the damage it
// finds to what is damaged. A record batch whose block fails its checksum is
// set aside alone (Segment.BadBatches, recorded in the manifest): plans skip
// it and the rest of the segment still answers. Damage to the trailer, the
// stats block or the Arrow metadata takes the whole segment: it leaves its
// partition's manifest (which lists it as a damaged segment instead) and the
// observer's view at once, and its file moves to DATA/quarantine/<partition>/
// when the last reader lets go of it, so reads already running keep their
// file. Segments that compaction or retention retire meanwhile are skipped.
// After each segment it rests for as long as the check took
// (scrubRestRatio), leaving most of the machine to queries and ingest.
//
// It returns the number of segments in which it found new damage (whole or
// in batches), and the errors of segments it could not read (which stay
// live) joined. It stops early with
// context.Cause(ctx) when ctx is cancelled, ErrClosed when the store closes,
// and an ErrFailed error when a manifest fsync fails. The store runs it once
// in the background after Open unless WithScrub(false); it is safe to call
// from any goroutine, also while the background scrub runs.
func (s *Store) Scrub(ctx context.Context) (int, error) {
	quarantined := 0
	var errs []error
	var took time.Duration
	for _, t := range s.scrubTargets() {
		if err := s.scrubRest(ctx, scrubRestRatio*took); err != nil {
			return quarantined, err
		}
		start := time.Now()
		q, err := s.scrubSegment(t.p, t.seg)
		took = time.Since(start)
		if q {
			quarantined++
		}
		if errors.Is(err, ErrFailed) {
			return quarantined, err
		}
		if err != nil {
			errs = append(errs, err)
		}
	}
	return quarantined, errors.Join(errs...)
}

// scrubInBackground runs Scrub once after Open, until the store closes.
func (s *Store) scrubInBackground() {
	defer s.bg.Done()
	start, before := time.Now(), s.scrubbed.Load()
	n, err := s.Scrub(context.Background())
	switch {
	case errors.Is(err, ErrClosed):
		s.cfg.log.Info("scrub stopped by close", "segments", s.scrubbed.Load()-before, "quarantined", n)
		return
	case err != nil:
		s.cfg.log.Error("scrub", "err", err)
	}
	s.cfg.log.Info("scrub finished", "segments", s.scrubbed.Load()-before, "quarantined", n,
		"took", time.Since(start).Round(time.Millisecond))
}

// scrubRest waits d, and returns why the scrub must stop instead if ctx is
// done or the store closes before or meanwhile.
func (s *Store) scrubRest(ctx context.Context, d time.Duration) error {
	select {
	case <-ctx.Done():
		return context.Cause(ctx)
	case <-s.stop:
		return ErrClosed
	default:
	}
	rest := time.NewTimer(d)
	defer rest.Stop()
	select {
	case <-ctx.Done():
		return context.Cause(ctx)
	case <-s.stop:
		return ErrClosed
	case <-rest.C:
		return nil
	}
}

// scrubTarget is a segment to verify and its partition.
type scrubTarget struct {
	p   *partition
	seg *Segment
}

// scrubTargets lists the live segments in partition and ID order. It takes
// no references: a segment retired before its turn is skipped then.
func (s *Store) scrubTargets() []scrubTarget {
	var out []scrubTarget
	for _, p := range s.partitions() {
		p.fmu.Lock()
		for _, seg := range p.segs {
			out = append(out, scrubTarget{p: p, seg: seg})
		}
		p.fmu.Unlock()
	}
	return out
}

// scrubSegment verifies seg, a segment of p, and quarantines it if it is
// damaged, which it reports. The check runs without p.fmu, so that flushes
// and compactions of p go on meanwhile, and with a reference held, so that
// the file stays. The error is one of reading the file or of rewriting the
// manifest.
func (s *Store) scrubSegment(p *partition, seg *Segment) (bool, error) {
	if !seg.TryIncRef() {
		return false, nil // retired and released since the list was made
	}
	// Dropping the last reference of a quarantined segment moves its file.
	defer seg.DecRef()
	if seg.Retired() {
		return false, nil
	}
	bad, err := segment.VerifyBatches(seg.Path)
	s.scrubbed.Add(1)
	switch {
	case err == nil && len(bad) == 0:
		return false, nil
	case err == nil:
		return s.setBatchesAside(p, seg, bad)
	case !errors.Is(err, segment.ErrCorrupt):
		return false, fmt.Errorf("scrub: %w", err) // the error names the file
	}
	return s.retireDamaged(p, seg, err)
}

// retireDamaged removes seg, which failed verification, from p: from the
// manifest first, which lists it as a damaged segment instead (after a
// crash the file is then unlisted, and start-up quarantines it), then from
// the observer's view and the live list, the way compaction retires its
// inputs. Its file moves to quarantine when the last reference goes. A
// segment that compaction or retention retired since the check is theirs,
// and is left alone.
func (s *Store) retireDamaged(p *partition, seg *Segment, why error) (bool, error) {
	p.fmu.Lock()
	defer p.fmu.Unlock()
	return s.retireDamagedLocked(p, seg, why)
}

// retireDamagedLocked is retireDamaged. REQUIRES: p.fmu held.
func (s *Store) retireDamagedLocked(p *partition, seg *Segment, why error) (bool, error) {
	i := slices.Index(p.segs, seg)
	if p.dropped || i < 0 {
		return false, nil
	}
	s.cfg.log.Error("segment failed verification; removing it from the manifest and quarantining it",
		"partition", p.key.DirName(), "path", seg.Path, "reason", why)
	man := p.man.clone()
	if j := slices.IndexFunc(man.Segments, func(e manifestSegment) bool { return e.ID == seg.ID }); j >= 0 {
		man.Lost = append(slices.Clip(man.Lost), s.lostEntry(p, man.Segments[j], why))
	}
	man.Segments = slices.DeleteFunc(man.Segments, func(e manifestSegment) bool { return e.ID == seg.ID })
	if err := writeFileAtomic(filepath.Join(p.dir, manifestFileName), encodeManifest(man)); err != nil {
		if errors.Is(err, errSync) {
			return false, s.fail(err)
		}
		return false, fmt.Errorf("remove damaged segment %s from the manifest: %w", seg.Path, err)
	}
	segs := slices.Delete(slices.Clone(p.segs), i, i+1)
	seg.markDamaged(why)
	s.mu.Lock()
	p.man, p.segs = man, segs
	s.obs.SegmentsChanged(p.key, nil, []*Segment{seg})
	s.mu.Unlock()
	seg.retired.Store(true)
	seg.DecRef() // the store's; the caller still holds one
	s.quarantined.Add(1)
	s.publishLost()
	return true, nil
}
