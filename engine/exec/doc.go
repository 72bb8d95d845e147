// Package exec runs what a query pushes below SQL over one node's store:
// the executor. It knows no SQL: its input is data (package plan's
// conditions, time range and partial aggregate, compiled here by PredOf
// and AggregateFrom), and what it reports goes to an Observer (the damaged
// data it met, the memory its partial results hold), not to a session.
//
// Env is what every plan runs against: the store and its catalog, the
// batch cache, the pool of loads, the sort orders of buffered batches and
// the counters. A run takes a Snapshot (the catalog's plan of segments and
// the open buffered rows, taken together), then:
//
//   - rows (Env.Rows): the selected rows one at a time, in the total order
//     (ts, then the rows' content) through a k-way merge of one source per
//     sorted run (a segment or a partition's buffered rows), reversed, or
//     in no order through a window of parallel loads;
//   - a partial aggregate (AggSpec.Run): per batch, over columns, or from
//     a batch's statistics where they answer exactly, merged into an
//     AggTable whose groups travel as Arrow record batches (aggstate.go)
//     and combine exactly with those of other partitions.
//
// Conditions (pred.go, filter.go, like.go, regexp_pred.go) evaluate in
// MySQL's three-valued logic over a batch's columns, by collation key
// where the column compares under utf8mb4_0900_ai_ci. Batches whose
// statistics (time range, value sets, blooms) exclude a match are never
// decoded; decoded batches are kept in a cache shared by all queries.
//
// Env.Stream runs a whole plan as a node runs one for a coordinator: its
// result as Arrow records (rows, or the partial aggregate's state), which
// the coordinator merges (MergeRecords) or combines (CombineStates).
//
// A batch that fails its checksum while a plan reads it is reported to the
// store, which sets it aside, and skipped (readerr.go): a fault in one
// partition never fails nor crashes the run.
package exec
