package partitions

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"

	"logq/partitions/columns"
	"logq/partitions/segment"
	"logq/partitions/wal"
)

// loadPartitions reads every partition directory: its manifest, the stats of
// its segments, and quarantines what does not belong. A damaged partition is
// reported and set aside; it never stops start-up.
func (s *Store) loadPartitions() error {
	entries, err := os.ReadDir(s.path(partsDirName))
	if err != nil {
		return err
	}
	for _, e := range entries {
		if !e.IsDir() {
			continue
		}
		dir := s.path(partsDirName, e.Name())
		if _, err := os.Stat(filepath.Join(dir, droppedFileName)); err == nil {
			// Retention had started dropping it: finish the job.
			if err := os.RemoveAll(dir); err != nil {
				s.cfg.log.Warn("remove dropped partition", "dir", dir, "err", err)
			}
			continue
		}
		k, err := ParseDirName(e.Name())
		if err != nil {
			s.cfg.log.Warn("ignoring unknown directory in data dir", "dir", dir, "err", err)
			continue
		}
		p, err := s.loadPartition(k, dir)
		if err != nil {
			s.cfg.log.Error("partition unreadable; quarantined", "dir", dir, "err", err)
			s.quarantine(dir, err)
			continue
		}
		s.addPartitionLocked(p)
		for _, seg := range p.segs {
			s.noteColumnsLocked(seg.Stats.Columns)
			s.obs.ColumnsSeen(seg.Stats.Columns)
		}
	}
	return nil
}

// loadPartition recovers one partition directory.
func (s *Store) loadPartition(k Key, dir string) (*partition, error) {
	p := &partition{key: k, dir: dir}
	man, err := readManifest(filepath.Join(dir, manifestFileName))
	switch {
	case errors.Is(err, os.ErrNotExist):
		man = &manifest{NextID: 1} // crashed before the first manifest: files below are strays
	case err != nil:
		return nil, err
	}
	listed := make(map[string]bool, len(man.Segments))
	for _, ms := range man.Segments {
		listed[ms.File] = true
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	for _, e := range entries {
		name, path := e.Name(), filepath.Join(dir, e.Name())
		switch {
		case strings.HasSuffix(name, tempFileExt):
			if err := os.Remove(path); err != nil {
				return nil, err
			}
		case name == manifestFileName:
		case !listed[name]:
			s.quarantine(path, errors.New("segment not listed in the manifest"))
		}
	}
	// Lost entries whose quarantined file is gone were acknowledged.
	lost, changed := s.keepLost(man.Lost)
	kept := man.Segments[:0:0]
	for _, ms := range man.Segments {
		path := filepath.Join(dir, ms.File)
		st, err := segment.ReadStats(path)
		if err != nil {
			lost = append(lost, s.lostEntry(p, ms, err))
			s.quarantine(path, err)
			s.quarantined.Add(1)
			changed = true
			continue
		}
		kept = append(kept, ms)
		seg := NewSegment(k, ms.ID, path, st, s.releaseSegment)
		for _, d := range ms.Damaged {
			seg.markBad([]BadBatch{BadBatch(d)})
		}
		p.segs = append(p.segs, seg)
	}
	man.Lost = lost
	if changed {
		man.Segments = kept
		if err := writeFileAtomic(filepath.Join(dir, manifestFileName), encodeManifest(man)); err != nil {
			return nil, err
		}
	}
	p.man = man
	return p, nil
}

// quarantine moves a damaged or stray file (or directory) out of the way to
// DATA/quarantine/<partition>/, logging why, so an operator can inspect it.
// A file that does not exist is only logged.
func (s *Store) quarantine(path string, why error) {
	rel, err := filepath.Rel(s.path(partsDirName), path)
	if err != nil {
		rel = filepath.Base(path)
	}
	dst := s.path(quarantineDirName, rel)
	if _, err := os.Stat(path); os.IsNotExist(err) {
		s.cfg.log.Error("segment listed in manifest is missing", "path", path, "reason", why)
		return
	}
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err == nil {
		err = os.Rename(path, dst)
		if err == nil {
			s.cfg.log.Error("quarantined", "path", path, "moved_to", dst, "reason", why)
			return
		}
	}
	s.cfg.log.Error("quarantine failed; leaving file in place", "path", path, "reason", why, "err", err)
}

// replayWAL re-buffers every WAL record whose rows a partition's manifest
// does not cover yet, and returns the generation for the new WAL file.
func (s *Store) replayWAL() (uint64, error) {
	maxGen := uint64(0)
	for _, p := range s.mu.parts {
		maxGen = max(maxGen, p.man.FlushedGen)
	}
	res, err := wal.Replay(s.path(walDirName), wal.ReplayOptions{Repair: s.cfg.repairWAL, Logger: s.cfg.log},
		func(gen uint64, rec []byte) error {
			maxGen = max(maxGen, gen)
			lay, b, err := decodeRecord(rec)
			if err != nil {
				return fmt.Errorf("WAL generation %d: %w", gen, err)
			}
			s.replayBatch(gen, lay, b)
			return nil
		})
	if err != nil {
		return 0, fmt.Errorf("replay WAL (start with the WAL repair flag to drop damaged records): %w", err)
	}
	maxGen = max(maxGen, res.LastGen)
	s.cfg.log.Info("WAL replayed", "records", res.Records, "torn_bytes_dropped", res.TruncatedBytes, "next_gen", maxGen+1)
	return maxGen + 1, nil
}

// replayBatch buffers the rows of one WAL record, skipping partitions whose
// manifest says generation gen is already in segments.
func (s *Store) replayBatch(gen uint64, lay Layout, b *columns.Batch) {
	cols := ColumnInfos(b)
	s.noteColumnsLocked(cols)
	s.obs.ColumnsSeen(cols)
	for _, r := range route(b, lay) {
		p := s.partitionLocked(r.key)
		if p.man.FlushedGen >= gen {
			continue
		}
		s.addActiveLocked(p, r, s.cfg.now())
		if s.mu.oldest.IsZero() {
			s.mu.oldest = s.cfg.now()
		}
	}
}

// removeDroppedDir deletes a partition directory marked DROPPED by
// retention once no segment file is left in it: files still referenced by
// readers are removed one by one as their last reference goes.
func removeDroppedDir(dir string, log *slog.Logger) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return
	}
	for _, e := range entries {
		if strings.HasSuffix(e.Name(), segmentFileExt) {
			return
		}
	}
	if err := os.RemoveAll(dir); err != nil {
		log.Warn("remove dropped partition", "dir", dir, "err", err)
	}
}
