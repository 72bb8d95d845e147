// Package bench is logq's end-to-end benchmark, driven from outside the
// server the way a user would run it: `logq gen` writes the WORKLOAD.md data
// set and `logq bench` generates (or reuses) it, starts a fresh `logq serve`
// on a temporary data directory, loads the data through `logq ingest`, times
// WORKLOAD.md's queries through the MySQL wire, and reports what an engineer
// needs to judge the ingest and query paths: rows per second end to end, the
// server's peak resident memory, the bytes it keeps on disk, and per query
// the median and min of warm runs against the same rows in a plain
// go-mysql-server memory table (the baseline), as Markdown tables on stdout
// and as JSON for comparing runs over time.
//
// The query phase runs on the server that ingested, before it is stopped.
// It first waits for the server to settle (buffers flushed, CPU idle), so
// that the timings measure queries rather than background flushes and
// compactions, and closes the ingest figures (RSS, CPU) there; the
// baseline loads meanwhile, with logq's own JSON-lines parser, into a
// memory table served from the bench process (several GB at 10M rows). On
// logq each query gets an EXPLAIN PLAN, one untimed warm-up with the
// server's scan counters read around it (the plan figures), and then
// --runs timed runs over one connection of go-sql-driver/mysql, timed
// until the last row is read into sql.RawBytes; `SELECT 1` (the floor)
// shows what the client and the wire cost alone. On request the server's
// CPU profile brackets exactly these queries. The baseline gets a warm-up
// and timed runs until --baseline-budget is spent, and is freed. The
// warm-ups' answers are compared in full (run_answer.go); a difference,
// or a query failing on either side, fails the run after the report.
//
// The generator is deterministic: the same options give the same bytes on
// any machine and with any number of cores. Rows are drawn in chunks of
// genChunkRows from independent PCG streams seeded by (seed, chunk), so
// chunks are formatted in parallel and any single row can be regenerated
// (RowAt) without the rows before it. Lines are formatted by hand, without
// encoding/json or fmt, at several million rows per second per core.
// Cached data files carry genVersion in their names; bump it whenever the
// bytes for a seed change.
//
// The runner owns the child processes it starts: it kills them when it
// returns early or its context is cancelled, and on Linux the kernel kills
// them if the runner itself dies. It measures the server's RSS by sampling
// /proc/PID/status and from the rusage of the exited process.
//
// What it does not own: the server and the client themselves (server/),
// the storage format it measures (partitions/), the SQL engine (engine/),
// and micro-benchmarks, which live beside the code they measure.
package bench
