// Package arrowrows converts rows between logq's in-memory batches
// (columns.Batch) and Arrow record batches: the form in which query
// executors send rows to each other and to the SQL layer.
//
// Its one job is that conversion and the schema of the records. Record takes
// a selection of a batch's rows (row indexes, in the order to send them) and
// the columns of a Schema, and builds one record; Batch turns a record back
// into a columns.Batch, refusing any record not of the shape Record makes
// with an error wrapping ErrMalformed, never a panic.
//
// The record shape is plain and self-describing, so that any Arrow reader
// can consume it: "ts" as timestamp[us, tz=UTC] without NULLs, the core
// string columns (level, service, host, trace_id, message) as nullable utf8,
// and dynamic columns as nullable int64, float64, bool or utf8 for BIGINT,
// DOUBLE, BOOLEAN and VARCHAR. There are no dictionaries, no encodings of
// the segment format (timestamp deltas, binary trace IDs, narrowed integers)
// and no metadata: field names say which columns are core, since a dynamic
// column never takes a core column's name, and Arrow types say the rest.
// Every record built with one Schema has the same Arrow schema, whichever
// batch its rows come from: a dynamic column the batch lacks is all NULL,
// and one of a narrower type is widened (columns.Widen), so that a merge of
// several streams reads one schema.
//
// It does not own the transport: framing and compression on the wire are
// arrow-go's IPC stream (ipc.NewWriter with ipc.WithLZ4), and connections,
// flow control and cancellation are the engine's. Nor does it own the
// segment file encoding, which is partitions/segment's.
package arrowrows
