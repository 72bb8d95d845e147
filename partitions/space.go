package partitions

import (
	"errors"
	"fmt"
	"sync"
	"syscall"
	"time"

	"logq/partitions/wal"
)

// space tracks the free space of the data directory's file system, so that
// Append refuses rows while it is below the minimum (WithMinFreeBytes) and
// flushes and compactions back off while it is full. A full disk never
// stops the store: reads go on, writes are refused with ErrNoSpace, and both
// resume by themselves once space is freed.
type space struct {
	dir     string
	minFree int64
	now     func() time.Time

	mu        sync.Mutex
	checked   time.Time // when free was read
	free      int64     // bytes available to the process, as of checked
	refusals  int64     // appends refused for lack of space since Open
	fullSince time.Time // zero unless the last write or check found no room
}

// statFree returns the bytes of dir's file system available to this
// process; a variable so that tests can play a full disk.
var statFree = func(dir string) (int64, error) {
	var st syscall.Statfs_t
	if err := syscall.Statfs(dir, &st); err != nil {
		return 0, err
	}
	return int64(st.Bavail) * int64(st.Bsize), nil
}

// admit returns ErrNoSpace when the file system has less than the minimum
// free. The figure is read at most every freeSpaceCheckEvery: a statfs per
// append is cheap, but appends come in thousands per second.
func (sp *space) admit() error {
	if sp.minFree <= 0 {
		return nil
	}
	sp.mu.Lock()
	defer sp.mu.Unlock()
	if now := sp.now(); now.Sub(sp.checked) >= freeSpaceCheckEvery {
		free, err := statFree(sp.dir)
		if err != nil {
			return nil // cannot tell: let the write itself find out
		}
		sp.checked, sp.free = now, free
	}
	if sp.free >= sp.minFree {
		return nil
	}
	sp.refusals++
	if sp.fullSince.IsZero() {
		sp.fullSince = sp.now()
	}
	return fmt.Errorf("%w: %d bytes free on the file system of %s, below the minimum of %d (min free bytes)",
		ErrNoSpace, sp.free, sp.dir, sp.minFree)
}

// noted records the outcome of a write: a no-space error marks the disk
// full, and the next admit reads the free space again; success clears it.
// It returns err, wrapped in ErrNoSpace when it says the disk is full.
func (sp *space) noted(err error) error {
	sp.mu.Lock()
	defer sp.mu.Unlock()
	switch {
	case err == nil:
		sp.fullSince = time.Time{}
		return nil
	case !isNoSpace(err):
		return err
	}
	sp.checked = time.Time{}
	if sp.fullSince.IsZero() {
		sp.fullSince = sp.now()
	}
	if !errors.Is(err, ErrNoSpace) {
		err = fmt.Errorf("%w: %w", ErrNoSpace, err)
	}
	return err
}

// appended notes a successful append: writes work again.
func (sp *space) appended() {
	sp.mu.Lock()
	sp.fullSince = time.Time{}
	sp.mu.Unlock()
}

// refused counts an append refused by the WAL for lack of space.
func (sp *space) refused() {
	sp.mu.Lock()
	sp.refusals++
	sp.mu.Unlock()
}

// spaceStats is what Stats reports of the disk.
type spaceStats struct {
	free      int64
	refusals  int64
	fullSince time.Time
}

func (sp *space) stats() spaceStats {
	sp.mu.Lock()
	defer sp.mu.Unlock()
	return spaceStats{free: sp.free, refusals: sp.refusals, fullSince: sp.fullSince}
}

// isNoSpace reports whether err says the file system (or the quota) is
// full.
func isNoSpace(err error) bool {
	return errors.Is(err, ErrNoSpace) || errors.Is(err, wal.ErrNoSpace) ||
		errors.Is(err, syscall.ENOSPC) || errors.Is(err, syscall.EDQUOT)
}

// backoff spaces out the retries of background work that keeps failing for
// lack of space: from base, doubling up to max, back to no delay on success
// or on another error.
type backoff struct {
	base, max time.Duration
	delay     time.Duration // 0: no failure pending
	next      time.Time     // no attempt before this
}

// due reports whether an attempt may run at now.
func (b *backoff) due(now time.Time) bool { return !now.Before(b.next) }

// done records the outcome of an attempt at now.
func (b *backoff) done(now time.Time, err error) {
	if err == nil || !isNoSpace(err) {
		b.delay, b.next = 0, time.Time{}
		return
	}
	b.delay = min(max(2*b.delay, b.base), b.max)
	b.next = now.Add(b.delay)
}
