package segment

import "math"

// File layout constants. FORMAT.md describes the bytes they refer to.
const (
	// formatVersion is written in the trailer. Readers reject other versions:
	// a new layout gets a new number, never a silent reinterpretation.
	formatVersion = 1

	// statsVersion is the first byte of the stats block, versioned apart from
	// the trailer so that statistics can grow without touching the Arrow part.
	// Version 2 added the (level, service, host) counts, version 3 bloom
	// filters that also hold collation keys (Bloom.Keyed), version 4 a
	// checksum per field of each record batch (blockInfo.cols), version 5
	// the sums of BIGINT columns per tuple (BatchStats.Measures) and the
	// counts per minute and level (BatchStats.Minutes); readers accept
	// minStatsVersion and up, so that files written before still open.
	statsVersion    = 5
	minStatsVersion = 1

	// trailerSize is the fixed size of the trailer at the end of the file, so
	// that a reader finds it with one read of the last trailerSize bytes.
	trailerSize = 64

	// trailerMagic ends every segment file. The newline catches text-mode
	// transfers that rewrite line endings, as PNG's signature does.
	trailerMagic = "LOGQSEG\n"
)

// Writer limits and defaults.
const (
	// defaultBatchRows is the record batch size of MEASURED.md layout (h):
	// large enough for LZ4 and per-batch statistics to pay off, small enough
	// for batch-level pruning.
	defaultBatchRows = 65536

	// maxBatchRows bounds BatchRows. Readers reject larger batches, which
	// caps what a damaged stats block can make the reader allocate.
	maxBatchRows = 65536

	// defaultBloomBitsPerKey gives a false-positive rate near 1 % for the
	// split-block filter (see bloom_test.go).
	defaultBloomBitsPerKey = 10

	// maxBloomBitsPerKey bounds BloomBitsPerKey; beyond it an exact set is
	// cheaper than a filter.
	maxBloomBitsPerKey = 64

	// maxCoreDictValues is the largest segment-wide dictionary of level,
	// service or host. Past it the column is stored as plain utf8: such a
	// column is not low-cardinality and its dictionary would not pay off.
	maxCoreDictValues = 65536

	// maxDynDictValues and dynDictRowsPerValue decide when a VARCHAR dynamic
	// column is dictionary-encoded: at most maxDynDictValues distinct values
	// and at least dynDictRowsPerValue rows per distinct value, so that the
	// indices plus the dictionary are clearly smaller than the strings.
	maxDynDictValues    = 4096
	dynDictRowsPerValue = 8

	// maxLevelCounts is the number of distinct levels a batch may have and
	// still carry exact per-level counts (real data has about six).
	maxLevelCounts = 256

	// maxExactValues is the number of distinct services or hosts a batch may
	// have and still list them exactly; past it a bloom filter is smaller.
	maxExactValues = 1024

	// maxExactDynValues is the number of distinct values a VARCHAR dynamic
	// column may have in a batch and still list them in its statistics:
	// enough for the values people filter and group by (region, env,
	// method), few enough to cost nothing for the columns that are not.
	maxExactDynValues = 64

	// maxTuples is the number of (level, service, host) combinations a
	// batch may have and still carry their counts: some levels times the
	// hosts of the services that log in the batch, a few KB on disk per
	// 65,536 rows.
	maxTuples = 4096

	// maxMinuteCounts is the number of (minute, level) combinations a
	// batch may have and still carry their counts: a batch of a busy
	// stream spans minutes to hours (at 100M rows a week, 30 minutes),
	// one of a quiet stream may span days and is small anyway.
	maxMinuteCounts = 4096

	// maxExactTraceIDs is maxExactValues for trace_id. Trace IDs are nearly
	// unique, so an exact list only pays off for tiny batches.
	maxExactTraceIDs = 64

	// maxStringBatchBytes bounds the string bytes of one column in one batch:
	// Arrow utf8 offsets are int32.
	maxStringBatchBytes = math.MaxInt32

	// writeChunkBytes is the largest single write issued to the destination.
	// MEASURED.md: single write() calls of 1 MiB or more are slow here, 64 KiB
	// pieces are not.
	writeChunkBytes = 64 << 10

	// verifyChunkBytes is the read size of Verify, and so its memory: a
	// 100 MB segment takes about a hundred reads of 1 MiB, few enough that
	// the syscalls cost nothing next to reading the bytes, and little
	// enough memory for a background check.
	verifyChunkBytes = 1 << 20

	// coalesceGapBytes is the largest gap between two pieces of a record
	// batch message (metadata, field ranges) that a read of some columns
	// reads through rather than issue one more pread. With the page cache
	// warm, one pread more or 64 KiB copied more make no difference that
	// BenchmarkRowsOf can see (a few µs in a ms per batch); from a disk, a
	// request saved is worth more than 64 KiB read, which is also half the
	// kernel's default readahead. On WORKLOAD data it joins ts and service
	// across level (30 KB per batch), never across message (1.3 MB).
	coalesceGapBytes = 64 << 10
)
