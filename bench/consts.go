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

// Query phase settings.
const (
	// defaultQueryRuns is the number of timed runs per query; WORKLOAD.md
	// asks for the median and min of at least 5 warm runs, and 7 keeps the
	// median steady against one outlier on each side.
	defaultQueryRuns = 7

	// queryRunTimeout bounds one run of one query. The baseline answers a
	// whole-week GROUP BY over 10M rows in tens of seconds; a run that takes
	// minutes is stuck, and the benchmark moves on to the next query.
	queryRunTimeout = 5 * time.Minute

	// settleTimeout is the default longest wait, before the queries, for the
	// server to flush its buffers and go idle. Its age-based flush comes
	// within a minute and a quarter of the last ingested row (flush age 1 min,
	// checked every 15 s), so three minutes leaves room for compactions.
	settleTimeout = 3 * time.Minute

	// settleQuiet is how long the server must stay idle, with nothing
	// buffered, before the queries start: longer than the server's default
	// compaction interval (10 s), so that a compaction due after the last
	// flush has had its turn and will not run under the timed queries.
	settleQuiet = 12 * time.Second

	// settleProgressInterval is how often the wait for the server to
	// settle says how it goes.
	settleProgressInterval = 10 * time.Second

	// settlePoll is how often the server's buffered rows and CPU time are
	// read while waiting for it to settle.
	settlePoll = 250 * time.Millisecond

	// settleIdleCPUShare is the share of one core below which the server
	// counts as idle (the /metrics scrape itself costs about a millisecond).
	settleIdleCPUShare = 0.05

	// procClockTicks is USER_HZ, the unit of the CPU times in
	// /proc/PID/stat; Linux fixes it at 100 for user space on every
	// architecture.
	procClockTicks = 100

	// defaultBaselineBudget is the time the baseline gets per query for
	// its warm-up and timed runs (at least one, at most --runs). At 10M
	// rows its slowest queries take 20-30 s a run, so they get the one
	// run, while those under a few seconds get several; the baseline's
	// part of `make bench` stays near four minutes for Q1-Q10.
	defaultBaselineBudget = 10 * time.Second

	// answerDecimals is the number of decimal places at which approximate
	// numbers (DOUBLE, FLOAT, DECIMAL) of two answers are compared: the
	// scale MySQL gives AVG over an integer column (its
	// div_precision_increment, 4), which is what a MySQL client displays.
	answerDecimals = 4

	// gcPauseHeadroomBytes is how much the bench's heap may grow while its
	// garbage collector is paused for logq's timed queries before it runs
	// anyway: far more than the answers of the workload (tens of MB), far
	// less than the memory left beside a 10M-row baseline.
	gcPauseHeadroomBytes = 2 << 30

	// maxProfileBytes bounds a profile read from the server. CPU and heap
	// profiles of minutes of work are a few MB; more means a wrong answer.
	maxProfileBytes = 1 << 30

	// baselineReadBytes is the size of the reads of the data file when the
	// baseline loads it: one read is parsed as one batch of about 18k rows.
	baselineReadBytes = 4 << 20

	// baselineInternMax bounds the distinct level, service and host values
	// the baseline shares between rows (WORKLOAD.md has 255 of them); past
	// it, values are stored per row.
	baselineInternMax = 1 << 16
)

// rateSampleInterval is how often the ingest's progress is read from the
// server for the rate over time: fine enough for ten spans of a 1M-row
// ingest (a few seconds), cheap (one /metrics scrape).
const rateSampleInterval = 100 * time.Millisecond
