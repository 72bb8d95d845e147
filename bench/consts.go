package bench

import "time"

// Defaults of the benchmark data set (WORKLOAD.md).
const (
	// DefaultRows is the size of the WORKLOAD.md data set: 10M rows, about
	// 2.2 GB of JSON, large enough that ingest runs for seconds and segments
	// reach their real sizes.
	DefaultRows = 10_000_000

	// DefaultDays is the span of the data set: one week of logs, so that
	// day partitions and whole-week queries both have something to do.
	DefaultDays = 7

	// DefaultSeed is the generator seed of the published figures.
	DefaultSeed = 1
)

// defaultStart is the first instant of the data set, 2026-11-01T00:00:00Z;
// WORKLOAD.md's queries name times relative to it.
var defaultStart = time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)

// Generator layout. Changing any of these changes the bytes generated for a
// seed, so genVersion must change with them (it names the cache files).
const (
	// genVersion names the generator's output format in cache file names.
	// Bump it whenever the bytes for a given seed change.
	genVersion = 1

	// genChunkRows is the number of rows drawn from one random stream. Each
	// chunk has its own stream seeded from (seed, chunk index), so chunks can
	// be generated in parallel and any row found without generating the rows
	// before its chunk. 16Ki rows are about 3.6 MB of JSON: large enough that
	// per-chunk overhead vanishes, small enough that a few in flight per
	// worker cost little memory.
	genChunkRows = 1 << 14

	// jitterMicros bounds the random shift of each row's ts around its even
	// spacing (WORKLOAD.md: +-2 s, so arrival is slightly out of order).
	jitterMicros = 2_000_000

	// serviceCount and hostCount are the cardinalities of WORKLOAD.md.
	serviceCount = 50
	hostCount    = 200

	// serviceZipfS is the Zipf exponent of the service distribution. With
	// 1.2 over 50 services the top service logs 30 % of the rows and the top
	// five 62 % ("a few services log most"), while svc-3 still has about 150
	// ERROR rows per hour for Q1 of WORKLOAD.md.
	serviceZipfS = 1.2

	// latencyMeanMillis is the mean of the exponential latency_ms.
	latencyMeanMillis = 40

	// genWriteBytes is the size of the writes to the output: large enough
	// that syscalls cost nothing, a fraction of a chunk so memory stays flat.
	genWriteBytes = 1 << 20
)

// Benchmark run settings.
const (
	// readyTimeout bounds the wait for `logq serve` to print its ready line.
	// A fresh data directory opens in milliseconds; a slow CI machine may
	// need seconds.
	readyTimeout = 60 * time.Second

	// shutdownTimeout bounds the wait for the server to flush and exit after
	// SIGTERM. The server flushes at most one buffer per partition, a few
	// seconds of work; after this it is killed and the run fails.
	shutdownTimeout = 5 * time.Minute

	// rssSampleInterval is how often the server's VmRSS is read. VmHWM (the
	// kernel's own peak) is read too, so short spikes between samples are
	// still caught.
	rssSampleInterval = 50 * time.Millisecond

	// stderrTailLines is how many lines of a child's stderr are kept to
	// explain a failure.
	stderrTailLines = 40

	// progressInterval is how often generation progress is printed.
	progressInterval = 2 * time.Second
)
