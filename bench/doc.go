// Package bench is logq's end-to-end benchmark, driven from outside the
// server the way a user would run it: `logq gen` writes the WORKLOAD.md data
// set and `logq bench` generates (or reuses) it, starts a fresh `logq serve`
// on a temporary data directory, loads the data through `logq ingest`, and
// reports what an engineer needs to judge the ingest path: rows per second
// end to end, the server's peak resident memory and the bytes it keeps on
// disk, as a Markdown table on stdout and as JSON for comparing runs over
// time.
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
// the storage format it measures (partitions/), and micro-benchmarks, which
// live beside the code they measure. The query phase of the workload (Q1-Q10
// over the MySQL wire against a go-mysql-server baseline) is still to come;
// runBench marks where it slots in.
package bench
