// Package partitions owns logq's durable storage on one machine: the
// write-ahead log, the in-memory buffers of rows not yet flushed, the
// partition directories with their segment files and manifests, and the
// background work on them (flush, compaction, retention, start-up recovery,
// and the scrub that verifies every segment's checksums once after start-up).
//
// The byte-level formats of every file it writes are specified in FORMAT.md
// beside this file. Subpackages hold the codecs: columns (the in-memory batch
// and its WAL encoding), jsonl (the ingest parser), wal (the log files) and
// segment (the Arrow IPC segment files and their statistics).
//
// What it does not own: deciding which segments a query reads (catalog/), and
// executing queries (engine/). The Store tells an Observer (the catalog) about
// every segment it adds or retires, files and sealed rows alike, and hands
// out reference-counted segments and immutable snapshots of its open
// buffers.
//
// Columns: the Store is the authority on the dynamic columns. Append admits
// a batch's fields under the store's lock, so concurrent appends never pass
// the column limit together: a field gets a column of its own unless the
// limit (WithMaxColumns), the call's budget (AppendOptions.MaxNewColumns) or
// the allow list (WithColumnPolicy) says otherwise, in which case it goes to
// the catch-all column (CatchAllColumn) as a key of a JSON object; denied
// fields are dropped. A batch is never refused for its field names.
// DropColumn removes a column by moving its name to a new generation
// (ColumnView, FORMAT.md COLUMNS): old values, wherever they are stored, are
// dead, and readers see stored columns through the store's ColumnView.
//
// Write path: Append encodes a batch into the WAL, routes its rows into
// per-partition buffers and returns once the WAL record is fsynced (group
// commit). A flush rotates the WAL, freezes the buffers, writes one segment per
// partition (temp file, fsync, rename, directory fsync), records it in the
// partition's manifest together with the WAL generation it covers, and only
// then deletes the WAL files. Replay skips WAL records a partition's manifest
// already covers, so a crash at any point neither loses nor duplicates rows.
//
// Sealing (seal.go): between flushes, which come at 64 MiB of buffers or
// after a minute, a partition's open buffered rows are sealed once they make
// a segment batch (65,536 rows) or the oldest is a second old, and sooner
// once a query has read them open (SealPolicy):
// sorted, cut into batches and given the statistics a segment file of them
// would have (segment.Summarize), as an in-memory Segment that replaces the
// open batches and is published to the Observer like a file. Queries then
// prune them and answer from their statistics as for flushed rows; only the
// open tail is read row by row. Sealing writes nothing: the WAL keeps the
// rows, the next flush writes the sealed and open rows of a partition as one
// file and retires the sealed segments in the same published change, and
// replay after a crash rebuilds open buffers, which are sealed again. In-memory
// segments are never among a partition's files, so compaction, the scrub,
// damage handling and retention, which open or delete files, never see them.
//
// Damage is contained to what is damaged (damage.go). Every record batch of
// a segment has its own checksum, so when the scrub, a query or a
// compaction finds one that fails while the segment's trailer, stats block
// and Arrow metadata are intact, only that batch is set aside
// (Segment.BadBatches): plans skip it and the rest of the segment answers.
// Damage to those shared parts takes the whole segment, which moves to
// quarantine/. Both are recorded in the partition's manifest, so they are
// known again right after a restart, and both are listed (Damage) with the
// time range and rows they held, so that the engine can warn every query
// whose range they overlap. Nothing is repaired in place: the lost rows
// come back only by re-ingesting their time range.
package partitions
