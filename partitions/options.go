package partitions

import (
	"log/slog"
	"time"

	"logq/partitions/segment"
)

// Observer learns about every change to the set of live segments and dynamic
// columns. The catalog implements it. Methods are called from the store's
// goroutines (start-up, flush, compaction, retention), never concurrently with
// each other for the same partition; they must not call back into the Store.
type Observer interface {
	// SegmentsChanged reports one atomic change to a partition: added
	// segments are live (the observer may take references), removed ones
	// are retired (existing references stay valid until dropped). A call
	// with neither announces a partition whose rows are only buffered so
	// far. It may be called with the store's lock held: an observer must
	// not call back into the Store.
	SegmentsChanged(k Key, added, removed []*Segment)
	// DropPartition reports that retention removed a whole partition.
	DropPartition(k Key)
	// ColumnsSeen reports dynamic columns of rows entering the store.
	ColumnsSeen(cols []segment.ColumnInfo)
}

// Option configures a Store.
type Option func(*config)

type config struct {
	bucketWidth     time.Duration
	shards          int
	flushBytes      int64
	flushAge        time.Duration
	batchRows       int
	seal            SealPolicy
	compactInterval time.Duration
	retention       time.Duration
	maxColumns      int
	policy          ColumnPolicy
	minFreeBytes    int64
	repairWAL       bool
	scrub           bool
	observer        Observer
	log             *slog.Logger
	now             func() time.Time
	onFatal         func(error)
}

func newConfig(opts []Option) config {
	c := config{
		bucketWidth:     defaultBucketWidth,
		shards:          defaultShards,
		flushBytes:      defaultFlushBytes,
		flushAge:        defaultFlushAge,
		batchRows:       defaultBatchRows,
		seal:            SealPolicy{Rows: defaultSealRows, Age: defaultSealAge, ReadRows: defaultSealReadRows, Idle: defaultSealIdle},
		compactInterval: defaultCompactInterval,
		maxColumns:      defaultMaxColumns,
		minFreeBytes:    defaultMinFreeBytes,
		scrub:           defaultScrub,
		log:             slog.Default(),
		now:             time.Now,
	}
	for _, o := range opts {
		o(&c)
	}
	return c
}

// WithBucketWidth sets the time bucket of new partitions (default a UTC day).
// Partitions written with another width stay readable.
func WithBucketWidth(d time.Duration) Option {
	return func(c *config) {
		if d >= time.Second {
			c.bucketWidth = d.Truncate(time.Second)
		}
	}
}

// WithShards sets the number of service shards of new partitions (default 4).
func WithShards(n int) Option {
	return func(c *config) {
		if n >= 1 {
			c.shards = n
		}
	}
}

// WithFlushBytes sets the buffered size that triggers a flush.
func WithFlushBytes(n int64) Option {
	return func(c *config) {
		if n > 0 {
			c.flushBytes = n
		}
	}
}

// WithFlushAge sets the age of the oldest buffered row that triggers a flush.
func WithFlushAge(d time.Duration) Option {
	return func(c *config) {
		if d > 0 {
			c.flushAge = d
		}
	}
}

// WithBatchRows sets the rows per record batch of new segments.
func WithBatchRows(n int) Option {
	return func(c *config) {
		if n > 0 {
			c.batchRows = n
		}
	}
}

// SealPolicy says when the open buffered rows of a partition are sealed
// into an in-memory segment (seal.go). Each rule is off when zero; the zero
// policy seals only on Store.Seal.
type SealPolicy struct {
	// Rows seals once the partition has this many open rows.
	Rows int
	// Age seals once the oldest open row is this old.
	Age time.Duration
	// ReadRows and Idle seal the open rows a query has read (Store.View):
	// once they are ReadRows or more, or once no row has arrived in the
	// partition for Idle. The query read them row by row; the next one
	// need not, and a partition that no longer grows gets one segment.
	// With either set, open rows a flush has frozen are sealed too once a
	// query has read them: a flush of 64 MiB takes a second or more.
	ReadRows int
	Idle     time.Duration
}

// onRead reports whether p seals rows that queries read.
func (p SealPolicy) onRead() bool { return p.ReadRows > 0 || p.Idle > 0 }

// WithSealing sets when buffered rows are sealed (default: 65,536 rows or
// a second old, or once a query has read 1,024 of them or they stopped
// growing for 50 ms).
func WithSealing(p SealPolicy) Option {
	return func(c *config) { c.seal = p }
}

// WithMaxColumns bounds the live dynamic columns (default 1000), the
// catch-all column not counted. Fields of new names past it go to the
// catch-all column (CatchAllColumn); DropColumn frees a place.
func WithMaxColumns(n int) Option {
	return func(c *config) {
		if n >= 0 {
			c.maxColumns = n
		}
	}
}

// WithColumnPolicy sets the allow and deny lists of field names.
func WithColumnPolicy(p ColumnPolicy) Option {
	return func(c *config) { c.policy = p }
}

// WithMinFreeBytes sets the free space of the data directory's file system
// below which Append refuses rows with ErrNoSpace (default 64 MiB); zero
// or negative refuses only when the disk is full.
func WithMinFreeBytes(n int64) Option {
	return func(c *config) { c.minFreeBytes = n }
}

// WithCompactInterval sets how often compaction and retention run; zero or
// negative disables the background loop (tests call Compact directly).
func WithCompactInterval(d time.Duration) Option {
	return func(c *config) { c.compactInterval = d }
}

// WithRetention drops partitions whose newest possible row is older than d;
// zero (the default) keeps everything.
func WithRetention(d time.Duration) Option {
	return func(c *config) { c.retention = d }
}

// WithWALRepair makes start-up drop damaged WAL bytes before the tail instead
// of refusing to start.
func WithWALRepair(on bool) Option {
	return func(c *config) { c.repairWAL = on }
}

// WithScrub turns the background scrub on or off (default on): once after
// Open it verifies every checksum of every live segment, one segment at a
// time, and quarantines the damaged ones (see Store.Scrub).
func WithScrub(on bool) Option {
	return func(c *config) { c.scrub = on }
}

// WithObserver sets the observer of segment changes (the catalog).
func WithObserver(o Observer) Option {
	return func(c *config) { c.observer = o }
}

// WithLogger sets the structured logger.
func WithLogger(l *slog.Logger) Option {
	return func(c *config) {
		if l != nil {
			c.log = l
		}
	}
}

// WithClock sets the clock used for flush age and retention (tests).
func WithClock(now func() time.Time) Option {
	return func(c *config) {
		if now != nil {
			c.now = now
		}
	}
}

// WithFatalHandler sets what happens when the store fails in a way that makes
// further writes unsafe (an fsync error). The server exits the process; the
// default only logs, and every later Append returns ErrFailed.
func WithFatalHandler(f func(error)) Option {
	return func(c *config) { c.onFatal = f }
}

type nopObserver struct{}

func (nopObserver) SegmentsChanged(Key, []*Segment, []*Segment) {}
func (nopObserver) DropPartition(Key)                           {}
func (nopObserver) ColumnsSeen([]segment.ColumnInfo)            {}
