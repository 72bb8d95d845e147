package partitions

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"sync/atomic"
	"time"

	"logq/partitions/columns"
	"logq/partitions/segment"
	"logq/partitions/wal"
)

// flushLoop flushes when the buffers pass the size limit (Append kicks it) or
// the oldest buffered row passes the age limit.
func (s *Store) flushLoop() {
	defer s.bg.Done()
	tick := time.NewTicker(max(s.cfg.flushAge/4, 10*time.Millisecond))
	defer tick.Stop()
	// On a full disk every append would kick another futile attempt.
	retry := backoff{base: flushRetryDelay / 5, max: flushRetryDelay}
	for {
		select {
		case <-s.stop:
			return
		case <-s.kick:
		case <-tick.C:
		}
		if now := time.Now(); retry.due(now) && s.flushDue() {
			err := s.flush()
			retry.done(now, err)
			if err != nil {
				s.cfg.log.Error("flush", "err", err, "next_attempt_in", retry.delay)
			}
		}
	}
}

func (s *Store) kickFlush() {
	select {
	case s.kick <- struct{}{}:
	default:
	}
}

func (s *Store) flushDue() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.mu.failed != nil || s.mu.oldest.IsZero() {
		return false
	}
	return s.mu.bufBytes >= s.cfg.flushBytes || s.cfg.now().Sub(s.mu.oldest) >= s.cfg.flushAge
}

// Flush writes every buffered row into segments now.
func (s *Store) Flush() error {
	if err := s.failedErr(); err != nil {
		return fmt.Errorf("%w: %w", ErrFailed, err)
	}
	return s.flush()
}

// flush rotates the WAL, freezes the active buffers, writes one segment per
// partition and, once every partition is durable, deletes the WAL files the
// frozen rows came from. A partition whose write fails for a reason other
// than fsync is retried until it succeeds or the store closes; its rows stay
// in the WAL and visible in the frozen buffer meanwhile.
func (s *Store) flush() error {
	s.flushMu.Lock()
	defer s.flushMu.Unlock()

	s.mu.Lock()
	if s.mu.oldest.IsZero() {
		s.mu.Unlock()
		return nil
	}
	gen, err := s.wal.Rotate()
	if err != nil {
		s.mu.Unlock()
		if errors.Is(err, wal.ErrFsync) {
			return s.fail(err)
		}
		return s.flushFailed(err) // the WAL goes on in its generation
	}
	var frozen []*partition
	for _, p := range s.mu.parts {
		if len(p.active)+len(p.sealed) == 0 {
			continue
		}
		// Rows frozen by an earlier flush that gave up (Close while
		// retrying) stay first: their WAL files were not removed.
		p.frozen = append(p.frozen, p.active...)
		p.frozenSealed = append(p.frozenSealed, p.sealed...)
		p.frozenBytes += p.activeBytes
		p.active, p.sealed, p.activeBytes, p.activeRows, p.activeRead = nil, nil, 0, 0, false
		frozen = append(frozen, p)
	}
	s.mu.oldest = time.Time{}
	s.mu.Unlock()

	slices.SortFunc(frozen, func(a, b *partition) int { return compareKeys(a.key, b.key) })
	for _, p := range frozen {
		if err := s.flushPartitionRetrying(p, gen); err != nil {
			return err
		}
	}
	if err := s.wal.Remove(gen); err != nil {
		s.cfg.log.Warn("remove flushed WAL files", "through_gen", gen, "err", err)
	}
	s.flushFailed(nil)
	return nil
}

// flushFailed records the outcome of a flush (nil: success) for Append,
// waking the appends waiting for room so that they fail instead of waiting
// on a flush that cannot finish. It returns err, marked ErrNoSpace when it
// says the disk is full.
func (s *Store) flushFailed(err error) error {
	err = s.space.noted(err)
	s.mu.Lock()
	was := s.mu.flushErr
	s.mu.flushErr = err
	s.mu.cond.Broadcast()
	s.mu.Unlock()
	if err == nil && was != nil {
		s.cfg.log.Info("flushes succeed again", "after", was)
	}
	return err
}

// flushPartitionRetrying writes p's frozen rows, retrying non-fatal errors.
func (s *Store) flushPartitionRetrying(p *partition, gen uint64) error {
	for {
		err := s.flushPartition(p, gen)
		switch {
		case err == nil:
			return nil
		case errors.Is(err, errSync):
			return s.fail(err)
		}
		err = s.flushFailed(err)
		s.cfg.log.Error("flush partition; will retry", "partition", p.key.DirName(), "in", flushRetryDelay, "err", err)
		select {
		case <-time.After(flushRetryDelay):
		case <-s.stop:
			if s.failedErr() == nil && s.isClosing() {
				// Close's own flush retries once more; give up after that.
				return err
			}
		}
	}
}

func (s *Store) isClosing() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.mu.closed
}

// flushPartition writes p's frozen rows, open and sealed, as one segment,
// records it in the manifest with FlushedGen = gen, and publishes it in
// place of the sealed segments it holds.
func (s *Store) flushPartition(p *partition, gen uint64) error {
	p.fmu.Lock()
	defer p.fmu.Unlock()
	s.mu.Lock()
	batches := slices.Clone(p.frozen)
	sealed := p.frozenSealed
	s.mu.Unlock()
	for _, seg := range sealed {
		batches = append(batches, seg.batches...)
	}

	rows := s.pruneDead(columns.SortedConcat(batches...))
	if err := s.ensurePartitionDir(p); err != nil {
		return err
	}
	id := p.man.NextID
	path := filepath.Join(p.dir, segmentFileName(id, 0))
	st, err := s.writeSegment(path, rows, &s.flushWritten)
	if err != nil {
		return err
	}
	man := p.man.clone()
	man.NextID = id + 1
	man.FlushedGen = max(man.FlushedGen, gen)
	man.Segments = append(man.Segments, manifestEntry(id, path, st))
	if err := writeFileAtomic(filepath.Join(p.dir, manifestFileName), encodeManifest(man)); err != nil {
		os.Remove(path)
		return err
	}
	seg := NewSegment(p.key, id, path, st, s.releaseSegment)

	s.mu.Lock()
	p.man = man
	p.segs = append(p.segs, seg)
	// The sealer may have sealed frozen batches since they were taken
	// above: every sealed segment frozen now holds rows of the file.
	sealed = p.frozenSealed
	p.frozen, p.frozenSealed, p.frozenRead = nil, nil, false
	s.mu.bufBytes -= p.frozenBytes
	p.frozenBytes = 0
	s.obs.SegmentsChanged(p.key, []*Segment{seg}, sealed)
	s.mu.cond.Broadcast()
	s.mu.Unlock()
	retireSealed(sealed)
	return nil
}

// ensurePartitionDir creates p's directory on its first flush.
// REQUIRES: p.fmu held.
func (s *Store) ensurePartitionDir(p *partition) error {
	if _, err := os.Stat(p.dir); err == nil {
		return nil
	}
	if err := os.MkdirAll(p.dir, 0o755); err != nil {
		return err
	}
	return syncDir(filepath.Dir(p.dir))
}

// writeSegment writes rows (sorted by ts) to path through a temp file:
// encode, fsync, rename, fsync the directory; written counts the file's
// bytes once it is in place.
func (s *Store) writeSegment(path string, rows *columns.Batch, written *atomic.Int64) (*segment.Stats, error) {
	tmp := path + tempFileExt
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return nil, err
	}
	st, err := segment.Encode(f, rows, segment.WriteOptions{BatchRows: s.cfg.batchRows})
	var size int64
	if err == nil {
		size, err = f.Seek(0, io.SeekCurrent)
	}
	if err == nil {
		err = syncTemp(f)
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err == nil {
		err = syncDir(filepath.Dir(path))
	}
	if err != nil {
		os.Remove(tmp)
		return nil, fmt.Errorf("write segment %s: %w", path, err)
	}
	written.Add(size)
	return st, nil
}

func manifestEntry(id uint64, path string, st *segment.Stats) manifestSegment {
	return manifestSegment{
		ID: id, File: filepath.Base(path), Rows: st.Rows,
		Bytes: st.CompressedBytes, MinTS: st.MinTS, MaxTS: st.MaxTS,
	}
}

func (m *manifest) clone() *manifest {
	c := *m
	c.Segments = slices.Clone(m.Segments)
	return &c
}

// releaseSegment runs when a segment's last reference is dropped: it closes
// the reader and, for a retired segment, deletes the file, or moves it to
// quarantine/ when the scrub found it damaged (and removes the partition
// directory once a dropped partition has no files left).
func (s *Store) releaseSegment(seg *Segment) {
	if err := seg.closeReader(); err != nil {
		s.cfg.log.Warn("close segment", "path", seg.Path, "err", err)
	}
	if !seg.Retired() {
		return
	}
	if why := seg.damaged(); why != nil {
		s.quarantine(seg.Path, why)
	} else if err := os.Remove(seg.Path); err != nil && !os.IsNotExist(err) {
		s.cfg.log.Warn("remove retired segment", "path", seg.Path, "err", err)
	}
	dir := filepath.Dir(seg.Path)
	if _, err := os.Stat(filepath.Join(dir, droppedFileName)); err == nil {
		removeDroppedDir(dir, s.cfg.log)
	}
}
