package partitions

import "time"

const (
	// defaultBucketWidth is a UTC day: log queries are mostly "the last hours"
	// or "one day", and a day keeps the partition count of a year of logs in
	// the hundreds.
	defaultBucketWidth = 24 * time.Hour

	// defaultShards spreads one day over 4 directories by service, so that a
	// service predicate prunes three quarters of the files while a day of
	// WORKLOAD data still makes segments of millions of rows.
	defaultShards = 4

	// defaultFlushBytes bounds the buffered (unflushed) rows. At ~100 B/row of
	// buffer that is ~600k rows: large enough for segments that compress well,
	// small enough to keep the ingest RSS far below 1 GiB with the next buffer
	// filling while the previous one is written.
	defaultFlushBytes = 64 << 20

	// defaultFlushAge flushes a trickle of rows within a minute, bounding WAL
	// replay time after a crash; compaction merges the small segments it makes.
	defaultFlushAge = time.Minute

	// maxBufferedFactor stalls Append once buffered rows reach this multiple of
	// the flush size while a flush is still running (back-pressure instead of
	// unbounded memory).
	maxBufferedFactor = 3

	// defaultBatchRows is the record batch size of segments (Arrow's sweet spot,
	// and the unit of pruning).
	defaultBatchRows = 1 << 16

	// defaultSealRows and defaultSealAge say when the open buffered rows
	// of a partition are sealed (seal.go): once they make a segment batch,
	// or once the oldest of them is a second old. Unsealed rows are read
	// row by row by every query, sealed ones are pruned and counted from
	// statistics like flushed ones; a second bounds how long fresh rows
	// stay slow, and a batch how many of them a query reads row by row.
	defaultSealRows = defaultBatchRows
	defaultSealAge  = time.Second

	// defaultSealReadRows and defaultSealIdle seal open rows sooner once a
	// query has read them row by row (right after an ingest, say): past
	// 1,024 rows their reading costs a query more than its statistics-only
	// answer (a week-long level count over 1M rows takes 0.4 ms), and rows
	// that stopped arriving for 50 ms make one segment now rather than
	// waiting a second. A busy partition still gets sealed segments of at
	// least 1,024 rows, so queries cannot cut it into slivers.
	defaultSealReadRows = 1024
	defaultSealIdle     = 50 * time.Millisecond

	// sealedIDBase is the first ID of in-memory segments. Files take IDs
	// from the manifest's NextID, from 1 up; sealed segments take theirs
	// from a counter above this base, so the two never collide in the
	// catalog, which matches segments by ID, and sealed ones sort after
	// the files of their partition, as their rows arrived after.
	sealedIDBase = 1 << 63

	// compactGrowth is the size ratio of tiered compaction: a merge makes
	// a segment at least this many times larger than its largest input
	// (pickCompactionRun). compactMaxRows bounds a merge: 16 batches, whose
	// decoded rows (~150 MiB of WORKLOAD rows, twice over while sorting)
	// fit beside the buffers and the batch cache under the memory limit.
	compactGrowth  = 4
	compactMaxRows = 1 << 20

	// defaultCompactInterval is how often the background loop looks for work.
	defaultCompactInterval = 10 * time.Second

	// defaultMaxColumns bounds the distinct dynamic columns of a store. Every
	// buffered row pads every column of its batch and every query plans over
	// the union, so a sender inventing field names (a request id used as a key)
	// would otherwise grow memory and schema without bound. A thousand is far
	// more than real log schemas use (tens to a few hundred).
	defaultMaxColumns = 1000

	// defaultScrub verifies the full checksums of every segment once after
	// Open. Start-up reads only trailers and stats blocks (ReadStats) to stay
	// fast, and a data region is otherwise checked only when a query reads
	// it, so bit rot in cold data would go unnoticed until the one query that
	// needs those rows fails. A pass costs one sequential read of the data
	// directory in the background.
	defaultScrub = true

	// scrubRestRatio is how long the scrub waits after verifying a segment,
	// as a multiple of the time the check took: at 1 it takes at most half
	// of one core and of the disk from queries and ingest.
	scrubRestRatio = 1

	// flushRetryDelay is the pause before retrying a flush that failed for a
	// reason other than fsync (disk full, say); the WAL still holds the rows.
	flushRetryDelay = 5 * time.Second

	// defaultMinFreeBytes is the free space below which Append refuses rows
	// (ErrNoSpace): the room flushes need to turn the WAL into segments,
	// which then frees the WAL, and compactions to merge them. 64 MiB is a
	// flush's worth of buffered rows; a busy server wants more
	// (WithMinFreeBytes).
	defaultMinFreeBytes = 64 << 20

	// freeSpaceCheckEvery is how often Append reads the free space again.
	freeSpaceCheckEvery = 100 * time.Millisecond

	// maxBackoff bounds the pause between compactions that keep failing
	// for lack of space.
	maxBackoff = time.Minute
)

// File and directory names inside the data directory.
const (
	walDirName        = "wal"
	partsDirName      = "parts"
	quarantineDirName = "quarantine"
	lockFileName      = "LOCK"
	manifestFileName  = "MANIFEST"
	droppedFileName   = "DROPPED"
	columnsFileName   = "COLUMNS"
	segmentFileExt    = ".seg"
	tempFileExt       = ".tmp"
)
