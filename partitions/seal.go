package partitions

import (
	"slices"
	"time"

	"logq/partitions/columns"
	"logq/partitions/segment"
)

// Sealing: the rows of a partition not yet flushed are read row by row by
// every query, for they carry no statistics; a flush comes only at 64 MiB of
// buffers or after a minute. So the sealer takes a partition's open rows
// once they make a segment batch (SealPolicy: 65,536 rows), once the oldest
// is a second old, or once a query has read them row by row and they are
// 1,024 or more or stopped growing 50 ms ago (right after an ingest: the
// next query finds them sealed), sorts them as a flush would, cuts them into
// batches and computes the statistics a segment file of them would have
// (segment.Summarize). The result is an in-memory Segment that replaces
// those open batches, published to the Observer as a segment: plans prune
// its batches, aggregates answer from its statistics, scans read its
// batches without decoding. Only the rows that arrived since stay open.
//
// Nothing changes on disk: the WAL still holds the rows, and a flush
// writes the sealed batches and the open tail of a partition as one
// segment file, published in the same change that retires the sealed
// segments. At every instant, under Store.mu, a row is in exactly one of
// an open batch (View), a sealed segment or a file (the Observer). Replay
// after a crash rebuilds open batches, which are sealed again.
//
// The sealer is one goroutine and does its work outside Store.mu: it takes
// the open batches of a partition, builds the segment, then, under Store.mu
// again, swaps it in if those batches are still the first open ones. A
// flush may have frozen them meanwhile; the work is then dropped, as the
// flush writes them anyway.

// sealing reports whether buffered rows are sealed without Store.Seal.
func (s *Store) sealing() bool { return s.cfg.seal != SealPolicy{} }

// sealLoop seals when Append says a partition has a batch of open rows,
// and on a tick for the rows that have waited sealAge.
func (s *Store) sealLoop() {
	defer s.bg.Done()
	every := time.Second
	for _, d := range []time.Duration{s.cfg.seal.Age / 4, s.cfg.seal.Idle} {
		if d > 0 {
			every = max(min(every, d), 10*time.Millisecond)
		}
	}
	tick := time.NewTicker(every)
	defer tick.Stop()
	for {
		select {
		case <-s.stop:
			return
		case <-s.kickSeal:
		case <-tick.C:
		}
		s.seal(false)
	}
}

// Seal seals the open buffered rows of every partition now, whatever their
// number and age, and returns the number of in-memory segments it made.
// The sealer does this on its own (WithSealing); Seal is for tests and
// tools that want rows in that state.
func (s *Store) Seal() int { return s.seal(true) }

func (s *Store) kickSealer() {
	select {
	case s.kickSeal <- struct{}{}:
	default:
	}
}

// sealJob is the open batches of one partition taken to be sealed: the
// first active ones, or the first frozen ones.
type sealJob struct {
	p      *partition
	taken  []*columns.Batch
	frozen bool
}

// seal seals the open rows of every partition that is due, or that has any
// when force is set. It returns the number of segments it sealed.
func (s *Store) seal(force bool) int {
	now := s.cfg.now()
	var jobs []sealJob
	s.mu.Lock()
	if s.mu.failed != nil || s.mu.closed {
		s.mu.Unlock()
		return 0
	}
	for _, p := range s.mu.parts {
		if p.activeRows > 0 && (force || s.sealDueLocked(p, now)) {
			jobs = append(jobs, sealJob{p: p, taken: slices.Clone(p.active)})
		}
		if len(p.frozen) > 0 && (force || p.frozenRead) {
			jobs = append(jobs, sealJob{p: p, taken: slices.Clone(p.frozen), frozen: true})
		}
	}
	s.mu.Unlock()
	n := 0
	for _, j := range jobs {
		select {
		case <-s.stop:
			return n
		default:
		}
		ok, err := s.sealPartition(j.p, j.taken, j.frozen)
		if err != nil {
			// A bug of ours (Summarize refused the rows): they stay open,
			// which is slower but right, and the flush writes them.
			s.cfg.log.Error("seal buffered rows", "partition", j.p.key.DirName(), "err", err)
		}
		if ok {
			n++
		}
	}
	return n
}

// sealDueLocked reports whether p's open rows are to be sealed at now.
// REQUIRES: Store.mu held.
func (s *Store) sealDueLocked(p *partition, now time.Time) bool {
	pol := &s.cfg.seal
	switch {
	case p.activeRows == 0:
		return false
	case pol.Rows > 0 && p.activeRows >= pol.Rows:
		return true
	case pol.Age > 0 && now.Sub(p.activeSince) >= pol.Age:
		return true
	case !p.activeRead:
		return false
	}
	return pol.ReadRows > 0 && p.activeRows >= pol.ReadRows || pol.Idle > 0 && now.Sub(p.lastAppend) >= pol.Idle
}

// sealPartition seals taken, the first active (or, when frozen is set,
// frozen) batches of p, into an in-memory segment and publishes it in their
// place, unless a flush froze (or published) them meanwhile. It reports
// whether it did. Frozen rows sealed while their flush runs join
// frozenSealed, which the flush retires when it publishes its file: the
// file holds their rows, since the flush took the batches they came from.
func (s *Store) sealPartition(p *partition, taken []*columns.Batch, frozen bool) (bool, error) {
	rows := s.pruneDead(columns.SortedConcat(taken...))
	st, err := segment.Summarize(rows, segment.WriteOptions{BatchRows: s.cfg.batchRows})
	if err != nil {
		return false, err
	}
	batches := cutBatches(rows, s.cfg.batchRows)
	var bytes int64
	for _, b := range batches {
		bytes += batchBytes(b)
	}
	seg := newSealedSegment(p.key, sealedIDBase+s.sealSeq.Add(1), st, batches)

	s.mu.Lock()
	defer s.mu.Unlock()
	list := &p.active
	if frozen {
		list = &p.frozen
	}
	if len(*list) < len(taken) || !slices.Equal((*list)[:len(taken)], taken) {
		return false, nil // frozen, or written, by a flush
	}
	var takenBytes int64
	takenRows := 0
	for _, b := range taken {
		takenBytes += batchBytes(b)
		takenRows += b.Len()
	}
	*list = slices.Clone((*list)[len(taken):])
	delta := bytes - takenBytes
	if frozen {
		p.frozenSealed = append(p.frozenSealed, seg)
		p.frozenBytes += delta
		p.frozenRead = false
	} else {
		p.activeRows -= takenRows
		p.activeRead = false
		if len(p.active) > 0 {
			p.activeSince = s.cfg.now() // they arrived while this seal ran
		}
		p.sealed = append(p.sealed, seg)
		p.activeBytes += delta
	}
	s.mu.bufBytes += delta
	s.obs.SegmentsChanged(p.key, []*Segment{seg}, nil)
	if bytes < takenBytes {
		s.mu.cond.Broadcast() // room for the appends waiting on full buffers
	}
	return true, nil
}

// cutBatches cuts rows into batches of batchRows rows, the last one
// shorter: the batches Summarize described. They share rows' memory.
func cutBatches(rows *columns.Batch, batchRows int) []*columns.Batch {
	n := rows.Len()
	if n <= batchRows {
		return []*columns.Batch{rows}
	}
	out := make([]*columns.Batch, 0, (n+batchRows-1)/batchRows)
	for lo := 0; lo < n; lo += batchRows {
		out = append(out, rows.Slice(lo, min(lo+batchRows, n)))
	}
	return out
}

// retireSealed drops the store's reference on sealed segments that a
// flush has published as a file. Plans still reading them keep their
// batches; nothing is on disk to delete.
func retireSealed(segs []*Segment) {
	for _, seg := range segs {
		seg.retired.Store(true)
		seg.DecRef()
	}
}
