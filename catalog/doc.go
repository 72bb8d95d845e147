// Package catalog is logq's in-memory index of what exists where: the
// partitions, their segments, the record batches of each segment and the
// statistics of each batch. It answers "which partitions, segments and batches
// can hold a row matching this ts range, level set, service set, host set and
// trace_id set" without touching disk, and it keeps the union of the dynamic
// columns seen so far (what DESCRIBE logs shows).
//
// The catalog owns the pruning rules and the published view of segments; it
// does not own segments. The partition store (package partitions) creates,
// retires and deletes segment files and holds the one long-lived reference on
// each live segment; it tells the catalog about every change through
// SegmentsChanged and DropPartition. A Plan takes its own reference on every
// segment it keeps, so compaction and retention cannot delete a file a query
// is about to read.
//
// The store keeps to three rules so that plans stay complete: it registers a
// partition (SegmentsChanged with no segments) when it creates it, so that
// plans list partitions whose rows are all still buffered; it publishes each
// change (seal, flush, compaction, retention) to the catalog in one call; and it
// publishes a change before it drops its own reference on a removed segment,
// so that a planner that meets a retired segment finds a newer snapshot to
// plan from again.
//
// Damaged data (damage.go): a plan never lists a record batch the store has
// set aside as damaged (partitions.Segment.BadBatches); it lists it in
// Plan.Damaged instead when pruning would have kept it, that is when its
// statistics say it could hold a matching row. Whole segments set aside are
// no longer in the catalog; DamageIn tells which of them a predicate meets,
// by time range and partition key only, since their statistics may be
// unreadable. The engine turns both into warnings.
//
// Readers never wait for writers: every change builds a new immutable snapshot
// of the partition → segments map and swaps it in atomically, and Plan works on
// whichever snapshot it loaded. The catalog reads no files. Of the rows still
// buffered it knows those the store has sealed in memory, which it holds as
// segments like any other (partitions.Segment.InMemory), and nothing of the
// open ones, nor of rows in nodes or the network.
package catalog
