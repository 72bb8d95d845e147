// Package server holds logq's front ends: the HTTP ingest endpoint
// (POST /api/v1/ingest), the `logq ingest` client that streams files to it, and
// later the MySQL wire server, metrics and cluster wiring.
//
// The ingest handler owns the request-level concerns: decoding the body (plain
// or gzip), the size limits that protect the server (body, decompressed bytes,
// gzip expansion ratio, line length), cutting the stream into chunks at line
// boundaries, the accept window for timestamps and the JSON answer. It does not
// parse JSON (partitions/jsonl does) and does not store anything: it hands
// each chunk's rows to an appender, which owns durability.
//
// The client owns reading files fast, cutting them into requests at line
// boundaries, keeping a few requests in flight, progress output and the
// summary. It never retries a request that may have reached the server, since
// that could store rows twice.
package server
