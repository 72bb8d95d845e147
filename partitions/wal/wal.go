package wal

import (
	"context"
	"errors"
	"fmt"
	"hash/crc32"
	"log/slog"
	"os"
	"sync"
	"sync/atomic"
	"syscall"
)

const (
	// defaultPieceBytes is the default write() size. MEASURED.md: 1 MiB
	// written as 16 × 64 KiB reached 753 MB/s against 409 MB/s for one
	// write(); pieces of 64-256 KiB all cost about 0.03 ms per 64 KiB.
	defaultPieceBytes = 128 << 10
	minPieceBytes     = 4 << 10
	maxPieceBytes     = 16 << 20
	// maxSpareBytes caps the group buffer kept for reuse, so that one burst
	// does not pin a huge buffer for the life of the process.
	maxSpareBytes = 64 << 20
	// reserveStepBytes is how far ahead of the records Append reserves
	// blocks (fallocate). A write into reserved blocks cannot fail for lack
	// of space, so a full disk shows as ErrNoSpace from Append, before any
	// byte of the record is written, instead of a write error halfway
	// through a commit group, which would break the WAL for good. 64 MiB is
	// etcd's WAL preallocation: one fallocate every few hundred thousand
	// rows. Where that much is not free, Append reserves just what the
	// record needs.
	reserveStepBytes = 64 << 20
)

// Options configure a WAL. The zero value is usable.
type Options struct {
	// PieceBytes is the size of the write() calls a commit group is split
	// into. Zero means 128 KiB; other values are clamped to [4 KiB, 16 MiB].
	PieceBytes int
	// Logger receives rotation and failure messages; nil means slog.Default().
	Logger *slog.Logger
}

// WAL is an open write-ahead log. Append, Wait and Gen are safe for
// concurrent use; Rotate, Remove and Close may also be called from any
// goroutine and are serialized among themselves.
type WAL struct {
	dir    string
	piece  int
	log    *slog.Logger
	create createFunc

	// opMu serializes Rotate, Remove and Close.
	opMu     sync.Mutex
	closed   bool  // REQUIRES: opMu held
	closeErr error // REQUIRES: opMu held

	mu struct {
		sync.Mutex
		cond    sync.Cond // signalled when the flusher has work
		gen     uint64    // generation that new records go to
		cur     *group    // the group new records are added to
		spare   []byte    // a synced group's buffer, for reuse
		rotate  *rotation // pending Rotate, taken by the flusher
		closing bool
		err     error // sticky failure, wraps ErrFsync

		// file is the file of generation gen, where Append reserves blocks
		// (the flusher may still be writing the one before). Bytes
		// [0, reserved) of it have blocks; noAlloc is set once the file
		// system turned out not to support reserving.
		file     file
		reserved int64
		noAlloc  bool
	}

	// f is the file of the generation being written. The flusher goroutine
	// owns it once Open returns.
	f        file
	finalErr error         // close error of the last file, set by the flusher
	done     chan struct{} // closed when the flusher exits

	stats struct {
		records, groups, bytes atomic.Int64
	}
}

// group is a commit group: records appended while the previous group was
// being written and synced. They are written together and share one
// fdatasync, after which done is closed.
type group struct {
	gen   uint64
	start int64  // file offset of the group's first byte
	seed  uint32 // genSeed(gen)
	buf   []byte // encoded records; REQUIRES: WAL.mu held until the flusher takes the group
	done  chan struct{}
	err   error // set before done is closed
}

// rotation is a Rotate request handed to the flusher, with the file of the
// next generation, created and reserved by Rotate.
type rotation struct {
	file     file
	reserved int64
	done     chan struct{}
	err      error // set before done is closed
}

// Ticket identifies an appended record; pass it to Wait. The zero Ticket
// refers to no record and Wait returns nil for it at once.
type Ticket struct{ g *group }

// Gen returns the generation of the file the record is written to.
func (t Ticket) Gen() uint64 {
	if t.g == nil {
		return 0
	}
	return t.g.gen
}

// Stats are cumulative counters of a WAL.
type Stats struct {
	Records int64 // records appended
	Syncs   int64 // commit groups written and fdatasynced
	Bytes   int64 // bytes written for records, headers included
}

// Open creates the file of generation nextGen in dir (creating dir if
// needed) and returns a WAL appending to it. nextGen must be above every
// generation already in dir, which Replay reports as ReplayResult.LastGen;
// Open does not read the old files.
func Open(dir string, nextGen uint64, o Options) (*WAL, error) {
	return open(dir, nextGen, o, createOSFile)
}

func open(dir string, nextGen uint64, o Options, create createFunc) (*WAL, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("wal: open: %w", err)
	}
	gens, err := listGens(dir)
	if err != nil {
		return nil, fmt.Errorf("wal: open: %w", err)
	}
	if n := len(gens); n > 0 && gens[n-1] >= nextGen {
		return nil, fmt.Errorf("wal: open %s: generation %d is not above existing generation %d", dir, nextGen, gens[n-1])
	}
	w := &WAL{dir: dir, piece: pieceBytes(o.PieceBytes), log: o.Logger, create: create, done: make(chan struct{})}
	if w.log == nil {
		w.log = slog.Default()
	}
	if w.f, err = w.createFile(nextGen); err != nil {
		return nil, fmt.Errorf("wal: open: %w", err)
	}
	w.mu.cond.L = &w.mu.Mutex
	w.mu.gen = nextGen
	w.mu.cur = w.newGroupLocked(nextGen, fileHeaderBytes)
	w.mu.file, w.mu.reserved = w.f, reserveAhead(w.f)
	go w.run()
	return w, nil
}

func pieceBytes(n int) int {
	if n == 0 {
		return defaultPieceBytes
	}
	return min(max(n, minPieceBytes), maxPieceBytes)
}

// createFile creates the file of generation gen with its header, durable
// together with its directory entry.
func (w *WAL) createFile(gen uint64) (file, error) {
	path := filePath(w.dir, gen)
	f, err := w.create(path, fileHeader(gen))
	if err != nil {
		return nil, fmt.Errorf("create %s: %w", path, err)
	}
	if err := syncDir(w.dir); err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}

// newGroupLocked returns an empty group of generation gen starting at file
// offset start, reusing the spare buffer. REQUIRES: mu held.
func (w *WAL) newGroupLocked(gen uint64, start int64) *group {
	g := &group{gen: gen, start: start, seed: genSeed(gen), buf: w.mu.spare, done: make(chan struct{})}
	w.mu.spare = nil
	return g
}

// Append copies rec into the current commit group and returns a ticket to
// Wait on; the record is durable only once Wait returns nil. Append does no
// I/O. rec may be reused as soon as Append returns. After a write or sync
// error every Append returns an error wrapping ErrFsync.
func (w *WAL) Append(rec []byte) (Ticket, error) {
	if len(rec) > MaxRecordBytes {
		return Ticket{}, fmt.Errorf("wal: record of %d bytes is above the %d-byte limit", len(rec), MaxRecordBytes)
	}
	crc := crc32.Checksum(rec, castagnoli) // outside the lock: it is the costly part
	w.mu.Lock()
	defer w.mu.Unlock()
	if err := w.usableLocked(); err != nil {
		return Ticket{}, err
	}
	g := w.mu.cur
	if err := w.reserveLocked(g.start + int64(len(g.buf)) + recordHeaderBytes + int64(len(rec))); err != nil {
		return Ticket{}, err
	}
	g.buf = appendRecord(g.buf, g.seed, g.start, crc, rec)
	w.stats.records.Add(1)
	w.mu.cond.Signal()
	return Ticket{g}, nil
}

// reserveLocked makes sure bytes [0, end) of the current file have blocks,
// reserving reserveStepBytes ahead where the file system has room and just
// up to end where it has not. A file system without fallocate is written
// without reservations. REQUIRES: mu held.
func (w *WAL) reserveLocked(end int64) error {
	if w.mu.noAlloc || end <= w.mu.reserved {
		return nil
	}
	from := w.mu.reserved
	var err error
	for _, upto := range []int64{max(end, from+reserveStepBytes), end} {
		err = w.mu.file.Allocate(from, upto-from)
		if err == nil {
			w.mu.reserved = upto
			return nil
		}
		if errors.Is(err, errAllocUnsupported) {
			w.mu.noAlloc = true
			w.log.Warn("wal: the file system cannot reserve space; a full disk will stop the WAL", "dir", w.dir)
			return nil
		}
	}
	path := filePath(w.dir, w.mu.gen)
	if isNoSpace(err) {
		return fmt.Errorf("%w: reserve bytes %d to %d of %s: %w", ErrNoSpace, from, end, path, err)
	}
	return fmt.Errorf("wal: reserve bytes %d to %d of %s: %w", from, end, path, err)
}

// reserveAhead reserves the first reserveStepBytes of a new file if it
// can, and returns how many bytes it reserved. Appends reserve the rest.
func reserveAhead(f file) int64 {
	if f.Allocate(0, reserveStepBytes) == nil {
		return reserveStepBytes
	}
	return 0
}

// isNoSpace reports whether err is the file system saying it is full (or
// the user's quota is).
func isNoSpace(err error) bool {
	return errors.Is(err, syscall.ENOSPC) || errors.Is(err, syscall.EDQUOT)
}

// usableLocked returns why records cannot be appended, if they cannot.
// REQUIRES: mu held.
func (w *WAL) usableLocked() error {
	switch {
	case w.mu.err != nil:
		return w.mu.err
	case w.mu.closing:
		return ErrClosed
	}
	return nil
}

// Wait blocks until the record of t is durable (its group was written and
// fdatasynced) and returns nil, or returns the write or sync error, which
// wraps ErrFsync, or the cause of ctx's cancellation. A canceled Wait does
// not withdraw the record: it may still become durable.
func (w *WAL) Wait(ctx context.Context, t Ticket) error {
	if t.g == nil {
		return nil
	}
	select {
	case <-t.g.done:
		return t.g.err
	default:
	}
	select {
	case <-t.g.done:
		return t.g.err
	case <-ctx.Done():
		return context.Cause(ctx)
	}
}

// Gen returns the generation that new records go to.
func (w *WAL) Gen() uint64 {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.mu.gen
}

// Stats returns the WAL's counters.
func (w *WAL) Stats() Stats {
	return Stats{Records: w.stats.records.Load(), Syncs: w.stats.groups.Load(), Bytes: w.stats.bytes.Load()}
}

// Rotate ends the current file and starts the next generation. When it
// returns, every record appended before the call is durable in a generation
// at or below closedGen, and records appended after it go to a higher one
// (a record appended concurrently may land in either; its Ticket.Gen tells).
// The new file exists on disk, so generations never go back after a crash.
//
// Rotate creates the new file itself before handing it to the flusher: if
// that fails (ErrNoSpace on a full disk), nothing changes and the WAL goes
// on in the current generation.
func (w *WAL) Rotate() (closedGen uint64, err error) {
	w.opMu.Lock()
	defer w.opMu.Unlock()
	w.mu.Lock()
	err = w.usableLocked()
	next := w.mu.gen + 1 // only Rotate changes gen, and opMu is held
	w.mu.Unlock()
	if err != nil {
		return 0, err
	}
	f, err := w.createFile(next)
	if err != nil {
		if isNoSpace(err) {
			err = fmt.Errorf("%w: %w", ErrNoSpace, err)
		}
		return 0, fmt.Errorf("wal: rotate: %w", err)
	}
	r := &rotation{file: f, reserved: reserveAhead(f), done: make(chan struct{})}
	w.mu.Lock()
	if err := w.usableLocked(); err != nil {
		w.mu.Unlock()
		f.Close()
		return 0, err
	}
	closedGen = w.mu.gen
	w.mu.rotate = r
	w.mu.cond.Signal()
	w.mu.Unlock()
	<-r.done
	if r.err != nil {
		return 0, r.err
	}
	w.log.Debug("wal: rotated", "dir", w.dir, "closed_gen", closedGen)
	return closedGen, nil
}

// Remove deletes the files of generations up to throughGen, which must be
// below Gen, and syncs the directory. The store calls it once the records of
// those generations are in durable segments.
func (w *WAL) Remove(throughGen uint64) error {
	w.opMu.Lock()
	defer w.opMu.Unlock()
	if cur := w.Gen(); throughGen >= cur {
		return fmt.Errorf("wal: remove through generation %d: generation %d is still being written", throughGen, cur)
	}
	gens, err := listGens(w.dir)
	if err != nil {
		return fmt.Errorf("wal: remove: %w", err)
	}
	var errs []error
	removed := 0
	for _, gen := range gens {
		if gen > throughGen {
			break
		}
		if err := os.Remove(filePath(w.dir, gen)); err != nil {
			errs = append(errs, err)
			continue
		}
		removed++
	}
	if removed > 0 {
		errs = append(errs, syncDir(w.dir))
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("wal: remove through generation %d: %w", throughGen, err)
	}
	return nil
}

// Close writes and syncs the records appended so far, closes the file and
// stops the flusher. It is idempotent: later calls return the first call's
// result. A WAL that hit a write or sync error returns that error.
func (w *WAL) Close() error {
	w.opMu.Lock()
	defer w.opMu.Unlock()
	if w.closed {
		return w.closeErr
	}
	w.closed = true
	w.mu.Lock()
	w.mu.closing = true
	w.mu.cond.Signal()
	w.mu.Unlock()
	<-w.done
	w.mu.Lock()
	sticky := w.mu.err
	w.mu.Unlock()
	if sticky != nil {
		w.closeErr = sticky
	} else if w.finalErr != nil {
		w.closeErr = fmt.Errorf("wal: close: %w", w.finalErr)
	}
	return w.closeErr
}
