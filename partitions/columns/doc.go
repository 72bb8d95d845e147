// Package columns holds logq's in-memory columnar row batch: the shape in which
// parsed log lines travel from the ingest parser to the partition buffers and on
// to the segment writer.
//
// It owns the data model of DESIGN.md (core columns, typed dynamic columns, type
// widening) and nothing else: no I/O, no file format, no concurrency. A Batch is
// not safe for concurrent mutation; callers hand it over or copy it.
package columns
