package jsonl

// Default limits of Options. Each bounds the work and memory that one line of
// a request can cost, so that a hostile or broken client cannot stall ingest.
const (
	// DefaultMaxLineBytes bounds one line. Log lines average a few hundred
	// bytes (WORKLOAD.md: 223 B); 256 KiB still admits long stack traces and
	// payload dumps, while bounding the scratch space a parser keeps and the
	// bytes one bad line makes the server scan.
	DefaultMaxLineBytes = 256 << 10

	// DefaultMaxFields bounds the flattened leaf fields of one line. Every
	// distinct field becomes a column, so a line with thousands of fields is
	// almost always a map keyed by ids logged by mistake, which would bloat
	// the schema of every later query.
	DefaultMaxFields = 1000

	// DefaultMaxDepth bounds nesting. Flattened names grow with depth and the
	// scanner recurses once per level; real log records rarely nest deeper
	// than four levels.
	DefaultMaxDepth = 16
)

// MySQL limits the data model inherits.
const (
	// maxNameBytes is MySQL's identifier length limit (64 characters). Field
	// names become column names, so longer ones are rejected instead of being
	// silently cut (two long names could collide after cutting). Counting
	// bytes rather than characters is stricter for non-ASCII names and keeps
	// the check to one comparison.
	maxNameBytes = 64

	// MinTimestampMicros is the smallest value of a MySQL TIMESTAMP,
	// 1970-01-01 00:00:01 UTC, in UTC microseconds. ts is a TIMESTAMP(6)
	// column, so rows outside the TIMESTAMP range could not be displayed or
	// compared by MySQL clients.
	MinTimestampMicros int64 = 1_000_000

	// MaxTimestampMicros is the largest value of a MySQL TIMESTAMP(6),
	// 2038-01-19 03:14:07.999999 UTC, in UTC microseconds.
	MaxTimestampMicros int64 = 2_147_483_647_999_999
)

// Magnitude thresholds that tell the unit of an epoch number (see
// EpochToMicros). Seconds below 1e11 reach the year 5138; milliseconds
// below 1e14 reach 5138 as well, and so on, so each unit covers every
// plausible date and the ranges do not overlap for dates after 1973.
const (
	epochSecondsBelow = 1e11
	epochMillisBelow  = 1e14
	epochMicrosBelow  = 1e17
)

// maxQuotedValueBytes bounds how much of an offending value a rejection
// reason quotes, so that reasons stay readable and responses small.
const maxQuotedValueBytes = 64
