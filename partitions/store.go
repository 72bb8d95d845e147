package partitions

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"logq/partitions/columns"
	"logq/partitions/segment"
	"logq/partitions/wal"
)

// Store is the durable storage of one data directory. All methods are safe
// for concurrent use.
type Store struct {
	cfg config
	dir string
	obs Observer

	lock *os.File
	wal  *wal.WAL

	// flushMu serialises flushes (the flusher goroutine, Flush and Close).
	flushMu sync.Mutex
	// dropMu serialises DropColumn calls.
	dropMu sync.Mutex
	// compactMu serialises merges (the maintenance loop and Compact), which
	// run without their partition's lock.
	compactMu sync.Mutex
	// compactingBytes is the raw size of the rows of the merge under way.
	compactingBytes atomic.Int64
	// beforeCompactPublish, when set (tests), runs after a merge has
	// written its output and before it takes the partition's lock.
	beforeCompactPublish func()

	mu struct {
		sync.Mutex
		// cond is signalled when buffered bytes drop or the store closes/fails.
		cond *sync.Cond
		// parts holds every partition, live on disk or only buffered.
		parts map[Key]*partition
		// bufBytes counts active and frozen buffered bytes.
		bufBytes int64
		// oldest is when the oldest active buffered row arrived.
		oldest time.Time
		// columns holds the stored names of the live dynamic columns, the
		// catch-all column excepted: what counts against the column limit.
		// The value is false while the column is only reserved by appends
		// in flight, true once a WAL record holds it.
		columns map[string]bool
		closed  bool
		failed  error
		// flushErr is why the last flush failed, nil once one succeeds.
		// While it is set, Append returns instead of waiting for room in
		// full buffers: the room may not come until an operator acts.
		flushErr error
	}

	space space

	// view maps stored to visible column names (see ColumnView); replaced
	// with mu held when a column is dropped.
	view atomic.Pointer[ColumnView]

	kick     chan struct{} // wakes the flusher
	kickSeal chan struct{} // wakes the sealer
	sealSeq  atomic.Uint64 // IDs of sealed segments, above sealedIDBase
	stop     chan struct{} // closed by Close
	bg       sync.WaitGroup

	// Counters for Stats: segments the scrub verified, and listed segments
	// set aside as damaged (at start-up or by the scrub), since Open.
	scrubbed    atomic.Int64
	quarantined atomic.Int64
	// Segment bytes written since Open by flushes and by compactions: with
	// the bytes stored, the write amplification.
	flushWritten   atomic.Int64
	compactWritten atomic.Int64

	damage damageState // the segments set aside whole, for lock-free reads
}

// partition is one partition directory and its buffers.
type partition struct {
	key Key
	dir string

	// Guarded by Store.mu: the rows not yet in segment files. The active
	// rows are the open tail (batches as appended) and the segments sealed
	// from earlier active rows (seal.go); a flush freezes both and writes
	// them as one file. Sealed segments are published to the observer, the
	// open and frozen batches are read through View.
	active       []*columns.Batch
	activeRows   int       // rows of active
	activeSince  time.Time // when the oldest row of active arrived
	lastAppend   time.Time // when the newest row of active arrived
	activeRead   bool      // a View has handed out active since it was last emptied
	sealed       []*Segment
	activeBytes  int64            // of active and sealed
	frozen       []*columns.Batch // being flushed
	frozenSealed []*Segment       // being flushed
	frozenRead   bool             // a View has handed out frozen (seal.go)
	frozenBytes  int64            // of frozen and frozenSealed

	// fmu serialises changes to the files: flush, compaction, retention.
	fmu     sync.Mutex
	man     *manifest  // replaced with both fmu and Store.mu held; read with either
	segs    []*Segment // REQUIRES: fmu held; live segments in ID order
	dropped bool       // REQUIRES: fmu held
}

// Open opens (creating if needed) the data directory, recovers it (manifests,
// quarantine, WAL replay) and starts the background flush, compaction and
// retention loops, and the scrub.
func Open(dir string, opts ...Option) (s *Store, err error) {
	s = &Store{cfg: newConfig(opts), dir: dir, kick: make(chan struct{}, 1), kickSeal: make(chan struct{}, 1),
		stop: make(chan struct{})}
	s.space = space{dir: dir, minFree: s.cfg.minFreeBytes, now: time.Now}
	s.obs = s.cfg.observer
	if s.obs == nil {
		s.obs = nopObserver{}
	}
	s.mu.cond = sync.NewCond(&s.mu)
	s.mu.parts = make(map[Key]*partition)
	s.mu.columns = make(map[string]bool)
	s.view.Store(emptyView)
	for _, d := range []string{dir, s.path(partsDirName), s.path(walDirName)} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return nil, err
		}
	}
	if err := s.acquireLock(); err != nil {
		return nil, err
	}
	lock := s.lock // s is nil once a failure returns
	defer func() {
		if err != nil {
			lock.Close()
		}
	}()
	if err := s.loadColumnsFile(); err != nil {
		return nil, err
	}
	if err := s.loadPartitions(); err != nil {
		return nil, err
	}
	s.publishLost()
	nextGen, err := s.replayWAL()
	if err != nil {
		return nil, err
	}
	if s.wal, err = wal.Open(s.path(walDirName), nextGen, wal.Options{Logger: s.cfg.log}); err != nil {
		return nil, err
	}
	s.bg.Add(1)
	go s.flushLoop()
	if s.sealing() {
		s.bg.Add(1)
		go s.sealLoop()
	}
	if s.cfg.compactInterval > 0 {
		s.bg.Add(1)
		go s.maintenanceLoop()
	}
	if s.cfg.scrub {
		s.bg.Add(1)
		go s.scrubInBackground()
	}
	return s, nil
}

func (s *Store) path(elem ...string) string {
	return filepath.Join(append([]string{s.dir}, elem...)...)
}

// acquireLock takes an exclusive flock on DATA/LOCK so that two processes
// never write one data directory.
func (s *Store) acquireLock() error {
	f, err := lockDir(s.dir)
	if err != nil {
		return err
	}
	s.lock = f
	return nil
}

// LockDir takes the data directory's lock as a running server does, for a
// command that edits a stopped server's files (logq user), which may also
// prepare a directory no server has used yet. It fails with ErrLocked while
// a server runs on dir; release gives the lock back.
func LockDir(dir string) (release func() error, err error) {
	if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
		return nil, fmt.Errorf("data directory %s: not a directory (%v)", dir, err)
	}
	f, err := lockDir(dir)
	if err != nil {
		return nil, err
	}
	return f.Close, nil
}

func lockDir(dir string) (*os.File, error) {
	f, err := os.OpenFile(filepath.Join(dir, lockFileName), os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, err
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		return nil, fmt.Errorf("%w: %s: %v", ErrLocked, dir, err)
	}
	return f, nil
}

// Append makes the rows of b durable and visible to queries. It returns nil
// only after the WAL record holding them has been fsynced; on error none of
// b may be considered stored (though rows may still appear after a crash if
// the record reached the disk). The store takes b over: the caller must not
// use it afterwards. Fields that cannot have a column of their own go to the
// catch-all column (see AppendWith).
//
// On a full disk, or one below the minimum free space, it returns an error
// wrapping ErrNoSpace without storing anything; so it does when the buffers
// are full and flushes are failing, instead of waiting for them.
func (s *Store) Append(ctx context.Context, b *columns.Batch) error {
	_, err := s.AppendWith(ctx, b, AppendOptions{})
	return err
}

// appendAdmitted is Append of a batch whose columns admitColumns placed.
// appended is set once the batch is in the WAL (its rows then count as
// stored even if the wait for the fsync fails).
func (s *Store) appendAdmitted(ctx context.Context, b *columns.Batch, appended *bool) error {
	lay := s.Layout()
	rec := encodeRecord(lay, b)
	routed := route(b, lay)
	cols := ColumnInfos(b)

	s.mu.Lock()
	full := func() bool { return s.mu.bufBytes >= maxBufferedFactor*s.cfg.flushBytes }
	for full() && !s.mu.closed && s.mu.failed == nil && s.mu.flushErr == nil {
		s.mu.cond.Wait()
	}
	if err := s.usableLocked(); err != nil {
		s.mu.Unlock()
		return err
	}
	if full() {
		err := s.mu.flushErr
		s.mu.Unlock()
		return fmt.Errorf("buffers are full and flushes fail: %w", err)
	}
	ticket, err := s.wal.Append(rec)
	if err != nil {
		s.mu.Unlock()
		switch {
		case errors.Is(err, wal.ErrFsync):
			return s.fail(err)
		case errors.Is(err, wal.ErrNoSpace):
			s.space.refused()
			return s.space.noted(err)
		}
		return err // e.g. a record above wal.MaxRecordBytes: this batch only
	}
	*appended = true
	s.noteColumnsLocked(cols)
	now, seal := s.cfg.now(), false
	for _, r := range routed {
		p := s.partitionLocked(r.key)
		s.addActiveLocked(p, r, now)
		seal = seal || s.cfg.seal.Rows > 0 && p.activeRows >= s.cfg.seal.Rows
	}
	if s.mu.oldest.IsZero() {
		s.mu.oldest = now
	}
	due := s.mu.bufBytes >= s.cfg.flushBytes
	s.mu.Unlock()

	s.obs.ColumnsSeen(cols)
	if due {
		s.kickFlush()
	}
	if seal {
		s.kickSealer()
	}
	if err := s.wal.Wait(ctx, ticket); err != nil {
		if errors.Is(err, wal.ErrFsync) {
			return s.fail(err)
		}
		return err
	}
	s.space.appended()
	return nil
}

// addActiveLocked adds routed rows, arrived at now, to p's open rows.
// REQUIRES: mu held.
func (s *Store) addActiveLocked(p *partition, r routedRows, now time.Time) {
	if len(p.active) == 0 {
		p.activeSince = now
	}
	p.lastAppend = now
	p.active = append(p.active, r.rows)
	p.activeRows += r.rows.Len()
	p.activeBytes += r.bytes
	s.mu.bufBytes += r.bytes
}

// usableLocked returns why the store cannot take writes, if it cannot.
// REQUIRES: mu held.
func (s *Store) usableLocked() error {
	switch {
	case s.mu.failed != nil:
		return fmt.Errorf("%w: %w", ErrFailed, s.mu.failed)
	case s.mu.closed:
		return ErrClosed
	}
	return nil
}

// fail records a fatal error (an fsync failure), wakes everyone waiting and
// calls the fatal handler once. It returns the error to hand to the caller.
func (s *Store) fail(err error) error {
	s.mu.Lock()
	first := s.mu.failed == nil
	if first {
		s.mu.failed = err
		s.mu.cond.Broadcast()
	}
	s.mu.Unlock()
	if first {
		s.cfg.log.Error("storage failed; refusing further writes", "err", err)
		if s.cfg.onFatal != nil {
			s.cfg.onFatal(err)
		}
	}
	return fmt.Errorf("%w: %w", ErrFailed, err)
}

// partitionLocked returns the partition of k, creating its in-memory entry
// (its directory is created by the first flush). REQUIRES: mu held.
func (s *Store) partitionLocked(k Key) *partition {
	p := s.mu.parts[k]
	if p == nil {
		p = &partition{key: k, dir: s.path(partsDirName, k.DirName()), man: &manifest{NextID: 1}}
		s.addPartitionLocked(p)
	}
	return p
}

// addPartitionLocked makes p one of the store's partitions and announces it
// with its segments, even when it has none: plans list only the partitions
// the observer knows, so the rows buffered in a partition it was never told
// of would be invisible to queries until its next flush. (A partition
// directory left without segments by a crash during its first flush was once
// loaded unannounced, and the rows replayed into it then answered no query.)
// The observer never calls back into the store. REQUIRES: mu held (or
// recovery, which runs alone).
func (s *Store) addPartitionLocked(p *partition) {
	s.mu.parts[p.key] = p
	s.obs.SegmentsChanged(p.key, p.segs, nil)
}

// routedRows is the part of an appended batch that goes to one partition.
type routedRows struct {
	key   Key
	rows  *columns.Batch
	bytes int64
}

// Layout is how rows are routed to partitions: the bucket width and the
// shard count. Every WAL record carries the layout it was routed with, so a
// replay after a configuration change still routes each row to the partition
// whose manifest knows whether it was flushed.
type Layout struct {
	Width  int64 // microseconds
	Shards int
}

// KeyOf returns the partition of a row with the timestamp ts (UTC
// microseconds) and the service service.
func (l Layout) KeyOf(ts int64, service []byte) Key {
	return Key{Start: BucketStart(ts, l.Width), Width: l.Width, Shard: ShardOf(service, l.Shards), Shards: l.Shards}
}

// String says the layout as the serve flags set it: "86400s x 4 shards".
func (l Layout) String() string {
	return fmt.Sprintf("%ds x %d shards", l.Width/1e6, l.Shards)
}

// Layout returns how the store routes rows to partitions (--bucket and
// --shards): the nodes of a cluster must agree on it.
func (s *Store) Layout() Layout {
	return Layout{Width: s.cfg.bucketWidth.Microseconds(), Shards: s.cfg.shards}
}

// route splits b by partition key. The common case of one key keeps b itself.
func route(b *columns.Batch, lay Layout) []routedRows {
	keyOf := func(i int) Key { return lay.KeyOf(b.TS[i], b.Service.Value(i)) }
	first := keyOf(0)
	var idx map[Key][]int32
	for i := 1; i < b.Len(); i++ {
		k := keyOf(i)
		if idx == nil && k == first {
			continue
		}
		if idx == nil {
			idx = map[Key][]int32{first: make([]int32, 0, b.Len())}
			for j := 0; j < i; j++ {
				idx[first] = append(idx[first], int32(j))
			}
		}
		idx[k] = append(idx[k], int32(i))
	}
	if idx == nil {
		return []routedRows{{key: first, rows: b, bytes: batchBytes(b)}}
	}
	out := make([]routedRows, 0, len(idx))
	for k, rows := range idx {
		sub := b.Take(rows)
		out = append(out, routedRows{key: k, rows: sub, bytes: batchBytes(sub)})
	}
	return out
}

// recordHeaderSize is the layout prefix of a WAL record (FORMAT.md): the
// bucket width in microseconds (int64 LE) and the shard count (uint32 LE).
const recordHeaderSize = 12

// encodeRecord renders the WAL record of b routed with lay.
func encodeRecord(lay Layout, b *columns.Batch) []byte {
	rec := make([]byte, recordHeaderSize, recordHeaderSize+int(batchBytes(b))+256)
	binary.LittleEndian.PutUint64(rec, uint64(lay.Width))
	binary.LittleEndian.PutUint32(rec[8:], uint32(lay.Shards))
	return columns.AppendBinary(rec, b)
}

// decodeRecord parses a WAL record written by encodeRecord.
func decodeRecord(rec []byte) (Layout, *columns.Batch, error) {
	if len(rec) < recordHeaderSize {
		return Layout{}, nil, fmt.Errorf("%w: WAL record of %d bytes", ErrCorrupt, len(rec))
	}
	lay := Layout{Width: int64(binary.LittleEndian.Uint64(rec)), Shards: int(binary.LittleEndian.Uint32(rec[8:]))}
	if lay.Width < 1e6 || lay.Shards < 1 || lay.Shards > 1<<16 {
		return Layout{}, nil, fmt.Errorf("%w: WAL record layout width=%d shards=%d", ErrCorrupt, lay.Width, lay.Shards)
	}
	b, err := columns.DecodeBatch(rec[recordHeaderSize:])
	return lay, b, err
}

// batchBytes estimates the memory a buffered batch holds.
func batchBytes(b *columns.Batch) int64 {
	n := int64(len(b.TS)) * 8
	for _, c := range []*columns.Strings{&b.Level, &b.Service, &b.Host, &b.TraceID, &b.Message} {
		n += int64(len(c.Data) + 4*len(c.Ends) + len(c.Valid))
	}
	for _, d := range b.Dynamic {
		n += int64(8*(len(d.Ints)+len(d.Floats)) + len(d.Bools) + len(d.Valid) + len(d.Strs.Data) + 4*len(d.Strs.Ends))
	}
	return n
}

// ColumnInfos lists the dynamic columns of b.
func ColumnInfos(b *columns.Batch) []segment.ColumnInfo {
	if len(b.Dynamic) == 0 {
		return nil
	}
	out := make([]segment.ColumnInfo, len(b.Dynamic))
	for i, d := range b.Dynamic {
		out[i] = segment.ColumnInfo{Name: d.Name, Type: d.Type}
	}
	return out
}

// Buffered is an immutable view of the rows of one partition that are not
// in segment files yet. Batches are the open rows, not sealed, in arrival
// order; they must not be modified. (Sorting them on Append cost a fifth
// of the ingest rate; queries sort the batches they read, once per batch.)
//
// Sealed lists the partition's in-memory segments (seal.go), which the
// Observer knows as well: a reader that takes a catalog plan in the same
// View finds them there and must not read them again from here. Tools that
// read the store without a catalog read Batches, Sealed and the files
// (Segments).
type Buffered struct {
	Key     Key
	NextID  uint64 // the segment ID these rows will get: their place in the total order
	Batches []*columns.Batch
	Sealed  []*Segment
}

// View calls fn with the buffered rows of every partition while holding the
// store's lock, so that fn sees rows either open (Buffered.Batches) or
// published as segments (to the Observer: files and sealed rows), never
// both and never neither. fn must be quick and must not call back into the
// Store; it typically takes a catalog plan too.
func (s *Store) View(fn func(buffered []Buffered)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Buffered
	now, seal := s.cfg.now(), false
	for k, p := range s.mu.parts {
		if !p.bufferedLocked() {
			continue
		}
		if p.activeRows > 0 {
			p.activeRead = true
			seal = seal || s.sealDueLocked(p, now)
		}
		if len(p.frozen) > 0 && s.cfg.seal.onRead() {
			p.frozenRead, seal = true, true
		}
		batches := make([]*columns.Batch, 0, len(p.frozen)+len(p.active))
		batches = append(append(batches, p.frozen...), p.active...)
		sealed := make([]*Segment, 0, len(p.frozenSealed)+len(p.sealed))
		sealed = append(append(sealed, p.frozenSealed...), p.sealed...)
		out = append(out, Buffered{Key: k, NextID: p.nextIDLocked(), Batches: batches, Sealed: sealed})
	}
	slices.SortFunc(out, func(a, b Buffered) int { return compareKeys(a.Key, b.Key) })
	if seal {
		s.kickSealer()
	}
	fn(out)
}

// bufferedLocked reports whether p holds rows not yet in a file, open or
// sealed. REQUIRES: Store.mu held.
func (p *partition) bufferedLocked() bool {
	return len(p.active)+len(p.sealed)+len(p.frozen)+len(p.frozenSealed) > 0
}

// nextIDLocked is the ID the buffered rows will get. The manifest's NextID is
// read under Store.mu: publish updates it while holding Store.mu.
func (p *partition) nextIDLocked() uint64 { return p.man.NextID }

// compareKeys orders partitions by time, then width, then shard.
func compareKeys(a, b Key) int {
	switch {
	case a.Start != b.Start:
		return cmpInt(a.Start, b.Start)
	case a.Width != b.Width:
		return cmpInt(a.Width, b.Width)
	case a.Shards != b.Shards:
		return cmpInt(int64(a.Shards), int64(b.Shards))
	}
	return cmpInt(int64(a.Shard), int64(b.Shard))
}

func cmpInt(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// Close flushes every buffered row into segments, stops the background
// loops and releases the data directory. It is idempotent.
func (s *Store) Close() error {
	s.mu.Lock()
	if s.mu.closed {
		s.mu.Unlock()
		return nil
	}
	s.mu.closed = true
	s.mu.cond.Broadcast()
	s.mu.Unlock()
	close(s.stop)
	s.bg.Wait()

	var errs []error
	if s.failedErr() == nil {
		errs = append(errs, s.flush())
	}
	errs = append(errs, s.wal.Close())
	for _, p := range s.partitions() {
		p.fmu.Lock()
		for _, seg := range p.segs {
			seg.DecRef()
		}
		p.segs = nil
		p.fmu.Unlock()
	}
	errs = append(errs, s.lock.Close())
	return errors.Join(errs...)
}

func (s *Store) failedErr() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.mu.failed
}

// Segments returns the live segments of every partition with a reference
// taken on each; the caller must DecRef them. Used by tests and tools that
// read everything; queries go through the catalog.
func (s *Store) Segments() []*Segment {
	var out []*Segment
	for _, p := range s.partitions() {
		p.fmu.Lock()
		for _, seg := range p.segs {
			if seg.TryIncRef() {
				out = append(out, seg)
			}
		}
		p.fmu.Unlock()
	}
	return out
}

// partitions returns every partition in key order. Lock order is p.fmu
// before Store.mu, so callers that take fmu must not hold mu.
func (s *Store) partitions() []*partition {
	s.mu.Lock()
	parts := make([]*partition, 0, len(s.mu.parts))
	for _, p := range s.mu.parts {
		parts = append(parts, p)
	}
	s.mu.Unlock()
	slices.SortFunc(parts, func(a, b *partition) int { return compareKeys(a.key, b.key) })
	return parts
}

// Stats is a point-in-time summary of the store for metrics.
type Stats struct {
	Partitions    int
	Segments      int
	SegmentRows   int64
	SegmentBytes  int64 // compressed bytes of the Arrow data in segments
	BufferedRows  int64 // rows not in segment files yet, sealed ones included
	BufferedBytes int64
	// SealedRows counts the buffered rows sealed in memory (seal.go):
	// pruned and counted from statistics like rows in files.
	SealedRows int64
	// SegmentsScrubbed counts the segments the scrub has verified since
	// Open, damaged ones included.
	SegmentsScrubbed int64
	// SegmentsQuarantined counts the listed segments set aside as damaged
	// since Open, at start-up or by the scrub.
	SegmentsQuarantined int64
	// FreeBytes is the free space of the data directory's file system.
	FreeBytes int64
	// NoSpaceRefusals counts appends refused with ErrNoSpace since Open.
	NoSpaceRefusals int64
	// DiskFullSince is when writes last started failing for lack of space;
	// zero while they succeed.
	DiskFullSince time.Time
	// Columns counts the live dynamic columns (the catch-all column not
	// counted), MaxColumns is their limit (WithMaxColumns).
	Columns, MaxColumns int
	// FlushBytesWritten and CompactionBytesWritten are the segment file
	// bytes flushes and compactions wrote since Open. Their sum over
	// SegmentBytes is the write amplification of the segments (the WAL's
	// one write per row comes on top).
	FlushBytesWritten, CompactionBytesWritten int64
	// BufferLimitBytes is what buffered rows may hold before Append waits
	// for a flush. CompactingBytes is the raw size of the rows the merge
	// under way holds decoded (0 when none runs).
	BufferLimitBytes, CompactingBytes int64
}

// HeldBytes returns the memory the buffered rows and the merge under way
// hold: Stats' BufferedBytes and CompactingBytes, cheaply.
func (s *Store) HeldBytes() (buffered, compacting int64) {
	s.mu.Lock()
	buffered = s.mu.bufBytes
	s.mu.Unlock()
	return buffered, s.compactingBytes.Load()
}

// Stats returns a summary of the store.
func (s *Store) Stats() Stats {
	st := Stats{SegmentsScrubbed: s.scrubbed.Load(), SegmentsQuarantined: s.quarantined.Load(),
		FlushBytesWritten: s.flushWritten.Load(), CompactionBytesWritten: s.compactWritten.Load(),
		BufferLimitBytes: maxBufferedFactor * s.cfg.flushBytes, CompactingBytes: s.compactingBytes.Load()}
	if free, err := statFree(s.dir); err == nil {
		st.FreeBytes = free
	}
	sp := s.space.stats()
	st.NoSpaceRefusals, st.DiskFullSince = sp.refusals, sp.fullSince
	s.mu.Lock()
	st.BufferedBytes = s.mu.bufBytes
	st.Columns, st.MaxColumns = len(s.mu.columns), s.cfg.maxColumns
	for _, p := range s.mu.parts {
		for _, b := range p.frozen {
			st.BufferedRows += int64(b.Len())
		}
		for _, b := range p.active {
			st.BufferedRows += int64(b.Len())
		}
		for _, list := range [][]*Segment{p.frozenSealed, p.sealed} {
			for _, seg := range list {
				st.SealedRows += seg.Stats.Rows
			}
		}
	}
	st.BufferedRows += st.SealedRows
	s.mu.Unlock()
	for _, p := range s.partitions() {
		p.fmu.Lock()
		if len(p.segs) > 0 {
			st.Partitions++
		}
		for _, seg := range p.segs {
			st.Segments++
			st.SegmentRows += seg.Stats.Rows
			st.SegmentBytes += seg.Stats.CompressedBytes
		}
		p.fmu.Unlock()
	}
	return st
}

// OpenRows returns, for each partition holding rows that are in no segment
// yet (neither a file nor a sealed in-memory segment, so the Observer has
// not seen them), how many. Unlike View it changes nothing: a summary of
// the partitions may call it as often as it likes.
func (s *Store) OpenRows() map[Key]int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := map[Key]int64{}
	for k, p := range s.mu.parts {
		n := int64(p.activeRows)
		for _, b := range p.frozen {
			n += int64(b.Len())
		}
		if n > 0 {
			out[k] = n
		}
	}
	return out
}
