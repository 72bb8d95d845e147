package wal

import (
	"fmt"
)

// run is the flusher goroutine: it takes the current group, writes it in
// pieces and fdatasyncs it, then takes whatever was appended meanwhile. Only
// one sync is in flight at a time, so groups grow with the load (adaptive
// group commit, MEASURED.md recommendation 4). It also switches files for
// Rotate and closes the file for Close. After the first error it fails
// every pending group and exits.
func (w *WAL) run() {
	defer close(w.done)
	for {
		g, r, closing := w.next()
		err := w.commit(g)
		if r != nil {
			if err == nil {
				err = w.switchFile(g.gen+1, r.file)
			} else {
				r.file.Close()
			}
		}
		if err != nil {
			err = w.fail(err)
		}
		w.finish(g, err)
		if r != nil {
			r.err = err
			close(r.done)
		}
		switch {
		case err != nil:
			return
		case closing:
			w.finalErr = w.f.Close()
			return
		}
	}
}

// next waits for work and takes it: the current group (possibly empty), a
// pending rotation, and whether the WAL is closing. It installs the group
// that later appends go to, in the next generation after a rotation.
func (w *WAL) next() (g *group, r *rotation, closing bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	for len(w.mu.cur.buf) == 0 && w.mu.rotate == nil && !w.mu.closing {
		w.mu.cond.Wait()
	}
	g, r, closing = w.mu.cur, w.mu.rotate, w.mu.closing
	w.mu.rotate = nil
	if r != nil {
		w.mu.gen++
		w.mu.cur = w.newGroupLocked(w.mu.gen, fileHeaderBytes)
		w.mu.file, w.mu.reserved = r.file, r.reserved
	} else {
		w.mu.cur = w.newGroupLocked(g.gen, g.start+int64(len(g.buf)))
	}
	return g, r, closing
}

// commit writes g and fdatasyncs the file.
func (w *WAL) commit(g *group) error {
	if len(g.buf) == 0 {
		return nil
	}
	path := filePath(w.dir, g.gen)
	if err := writeAll(w.f, g.buf, w.piece); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := w.f.Sync(); err != nil {
		return fmt.Errorf("fdatasync %s: %w", path, err)
	}
	w.stats.groups.Add(1)
	w.stats.bytes.Add(int64(len(g.buf)))
	return nil
}

// switchFile makes f, the file Rotate created for generation gen, the one
// written, and closes the previous one, whose records are already synced.
func (w *WAL) switchFile(gen uint64, f file) error {
	old := w.f
	w.f = f
	if err := old.Close(); err != nil {
		return fmt.Errorf("close %s: %w", filePath(w.dir, gen-1), err)
	}
	return nil
}

// finish completes g with err and keeps its buffer for reuse.
func (w *WAL) finish(g *group, err error) {
	buf := g.buf
	g.buf = nil
	g.err = err
	close(g.done)
	if err != nil || cap(buf) > maxSpareBytes {
		return
	}
	w.mu.Lock()
	if w.mu.spare == nil {
		w.mu.spare = buf[:0]
	}
	w.mu.Unlock()
}

// fail makes the WAL unusable after the I/O error cause and returns the
// sticky error. The group being filled and a pending rotation fail with it;
// the caller fails the group it was committing.
func (w *WAL) fail(cause error) error {
	err := fmt.Errorf("%w: %w", ErrFsync, cause)
	w.log.Error("wal: write or sync error; the log is unusable and the process must stop", "dir", w.dir, "err", cause)
	w.f.Close()
	w.mu.Lock()
	defer w.mu.Unlock()
	w.mu.err = err
	cur := w.mu.cur
	cur.buf, cur.err = nil, err
	close(cur.done)
	if r := w.mu.rotate; r != nil {
		w.mu.rotate = nil
		r.file.Close()
		r.err = err
		close(r.done)
	}
	return err
}
