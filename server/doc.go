// Package server holds logq's front ends: the HTTP ingest endpoint
// (POST /api/v1/ingest), the `logq ingest` client that streams files to it, and
// later the MySQL wire server, metrics and cluster wiring.
//
// The ingest handler owns the request-level concerns: decoding the body (plain
// or gzip), the size limits that protect the server (body, decompressed bytes,
// gzip expansion ratio, line length), cutting the stream into chunks at line
// boundaries, the accept window for timestamps and the JSON answer. It does not
// parse JSON (partitions/jsonl does) and does not store anything: it hands
// each chunk's rows to an appender, which owns durability and decides which
// fields get columns; the handler only gives each request its budget of new
// columns (IngestConfig.MaxNewColumns) and reports where the fields went.
//
// The column administration endpoints (GET /api/v1/columns, DELETE
// /api/v1/columns/NAME) and `logq columns list|drop` (online through them,
// or offline on a stopped server's data directory) list and drop dynamic
// columns; the store does the work (partitions.Store.DropColumn).
//
// The client owns reading files fast, cutting them into requests at line
// boundaries, keeping a few requests in flight, progress output and the
// summary. It never retries a request that may have reached the server, since
// that could store rows twice.
package server
