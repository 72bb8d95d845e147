package server

import (
	"time"

	"logq/partitions/jsonl"
)

// Ingest handler limits and sizes. Each default can be overridden through
// IngestConfig; the zero value of a field selects the default below.
const (
	// defaultMaxBodyBytes bounds the bytes read from one request, as sent
	// (compressed when gzip). 256 MiB is 32 of the client's 8 MiB requests:
	// generous for any batching client, yet one request cannot tie up a
	// connection and a core for more than about a second of parsing.
	defaultMaxBodyBytes = 256 << 20

	// defaultMaxDecompressedBytes bounds the JSON bytes one request may expand
	// to. gzip reaches about 1000:1, so without it a 256 MiB body could make
	// the server inflate and parse 256 GiB. 1 GiB is 4 times the body limit,
	// the most that logs compressed at a typical 4-10:1 need in one request.
	defaultMaxDecompressedBytes = 1 << 30

	// defaultMaxGzipRatio stops a gzip body whose output outgrows its input
	// by more than this factor, so that a small bomb is refused after a few
	// MiB of work instead of after the 1 GiB limit. JSON logs compress 4-20:1
	// (random trace ids and numbers cap the ratio); 100:1 only happens with
	// long runs of repeated bytes.
	defaultMaxGzipRatio = 100

	// gzipRatioFloorBytes is the decompressed size below which the ratio
	// guard does not apply: a small body of identical lines legitimately
	// compresses past 100:1, and inflating 16 MiB costs only milliseconds.
	gzipRatioFloorBytes = 16 << 20

	// defaultMaxLineBytes, defaultMaxFields and defaultMaxDepth are the
	// parser's defaults (partitions/jsonl/consts.go says why each): one
	// source of truth for what a line may hold. Bounding the line length also
	// bounds the memory a request holds for a partial line.
	defaultMaxLineBytes = jsonl.DefaultMaxLineBytes
	defaultMaxFields    = jsonl.DefaultMaxFields
	defaultMaxDepth     = jsonl.DefaultMaxDepth

	// defaultAcceptFuture is how far past the server's clock a ts may lie.
	// A day covers clock skew and time zone mistakes of senders while still
	// refusing values that would sort after every real row for years.
	defaultAcceptFuture = 24 * time.Hour

	// defaultIngestChunkBytes is the target size of the chunks the handler
	// parses and appends: large enough that the store's group commit writes
	// well over 256 KiB per fsync (see MEASURED.md), small enough that the
	// batch of one chunk (about 9k rows) stays a few MiB.
	defaultIngestChunkBytes = 2 << 20

	// retryAfter is the Retry-After of a refusal that waiting can cure (a
	// full disk, the store closing for a restart): long enough not to
	// hammer a server that is out of space, short enough that ingest
	// resumes soon after an operator frees some.
	retryAfter = 10 * time.Second

	// defaultMinBodyRate and defaultBodyGrace: after 10 s a body must have
	// averaged 64 KiB/s (a 256 MiB body then has 70 minutes). Senders that
	// batch send a body at network speed; a client trickling a byte a
	// second, holding a connection and a request, is cut after the grace.
	defaultMinBodyRate = 64 << 10
	defaultBodyGrace   = 10 * time.Second

	// logEvery is the least time between two log lines about the same
	// recurring refusal.
	logEvery = 10 * time.Second

	// defaultMaxNewColumns bounds the columns one ingest request may create
	// (the store's limit, 1000 by default, bounds them all). A hundred is
	// more new fields than a new service brings at once, yet ten requests
	// are needed to fill the schema: a sender inventing names (ids used as
	// keys) fills it slowly and visibly (logq_ingest_new_columns_total)
	// while its extra fields stay queryable in the catch-all column.
	defaultMaxNewColumns = 100

	// defaultMaxReportedErrors bounds the per-line errors in one answer: a
	// body of bad lines must not produce a response as large as itself.
	defaultMaxReportedErrors = 100

	// ingestPath is the URL path of the ingest endpoint, shared by the
	// handler's users and the client.
	ingestPath = "/api/v1/ingest"
)

// defaultMemoryLimit is the Go runtime's soft memory limit for `logq serve`.
// Without it the heap grows to twice the live data before a collection
// (GOGC=100): ingest at full speed peaked at 830-900 MiB RSS; with a 700 MiB
// limit it peaked at 711 MiB at the same rate (make bench, 2 cores). The
// limit is soft: past it the runtime collects more often, capped at half the
// CPU, and never fails an allocation.
const defaultMemoryLimit = 768 << 20

// queryMemoryShare is the part of the Go memory limit one SQL statement
// may hold by default (--query-memory-limit): a quarter, 192 MiB at the
// default 768 MiB. Within the soft limit the heap also keeps the decoded
// batch cache (256 MiB by default), the buffered rows of ingest (up to
// --flush-bytes per partition being written) and the statements that
// stream; two statements at their limit then still fit beside a full cache
// and ingest, and a third fails one of them rather than the process. The
// charge is an estimate of what operators keep (engine/memlimit.go), and
// the rows a sort keeps may also sit in the batch cache, so it errs high.
// ORDER BY message over a million rows, or GROUP BY message over a million
// distinct messages, fails at the default (without a limit the latter took
// the heap to 790 MiB, cache included), while what a dashboard asks (groups
// per level, service or time bucket, ORDER BY ts with a LIMIT, which sorts
// nothing) stays far below it.
const queryMemoryShare = 4

// fallbackQueryMemoryLimit is the default per-statement limit when the Go
// heap has no limit (--memory-limit 0 and no GOMEMLIMIT): a quarter of the
// 1 GiB the server is sized for.
const fallbackQueryMemoryLimit = 256 << 20

// mysqlVersion is the server version the MySQL protocol announces: clients
// (Grafana, connectors) pick their SQL dialect from it.
const mysqlVersion = "8.0.33-logq"

// Client (`logq ingest`) settings.
const (
	// defaultIngestServer is the address `logq serve` listens on for HTTP by
	// default (DESIGN.md's command-line contract).
	defaultIngestServer = "http://127.0.0.1:8080"

	// defaultClientBatchBytes is the size of one request. 8 MiB holds about
	// 37k rows of the benchmark data: few enough requests that per-request
	// costs vanish, and 4 chunks each so that the server pipelines parsing
	// with the store's fsync inside one request.
	defaultClientBatchBytes = 8 << 20

	// defaultClientConcurrency is the number of requests in flight. Two keep
	// the server's two cores busy while one request waits for its fsync.
	defaultClientConcurrency = 2

	// maxClientConcurrency bounds --concurrency: every request in flight
	// holds a buffer of --batch-bytes.
	maxClientConcurrency = 64

	// defaultClientTimeout bounds one request, from connecting to reading
	// the answer. An 8 MiB request takes tens of milliseconds; minutes mean
	// a stuck server.
	defaultClientTimeout = 5 * time.Minute

	// clientDialAttempts is how many times a request is tried when the
	// connection could not be made (nothing was sent, so a retry cannot
	// store rows twice). With the backoff below this waits about 3 s in
	// total, enough for a server that is still starting.
	clientDialAttempts = 5

	// clientRetryBackoff is the wait before the first retry; it doubles for
	// each following one.
	clientRetryBackoff = 200 * time.Millisecond

	// clientProgressInterval is how often a progress line is printed when
	// stderr is not a terminal (logs of CI jobs stay short).
	clientProgressInterval = 5 * time.Second

	// clientSummaryErrors is the number of line errors the summary prints.
	clientSummaryErrors = 20

	// maxResponseBytes bounds the answer read from the server: 100 errors
	// with reasons take a few KiB, so 4 MiB means a wrong server.
	maxResponseBytes = 4 << 20
)
