// Package segment reads and writes logq's segment files: immutable Arrow IPC
// files (LZ4 frame compressed, record batches of up to 65,536 rows sorted by
// ts) followed by a statistics block and a fixed-size trailer with CRC32C
// checksums. The byte layout is specified in partitions/FORMAT.md.
//
// The package owns the file format: the physical encoding of each column
// (timestamp deltas, segment-wide dictionaries, binary trace IDs, narrowed
// integers), the statistics computed while writing (Stats, BatchStats, bloom
// filters), and the verification of every byte against its checksum before
// it reaches the Arrow reader. Reads decode only the columns they ask for:
// the reader parses each record batch message itself and decompresses the
// buffers of the selected fields alone (arrow-go decompresses a batch
// whole), with the dictionaries decoded once per Reader. In files whose
// stats block has a checksum per field (stats version 4) a read of some
// columns also reads and verifies only those fields' bytes and the message
// metadata; older files are read a whole batch at a time. Damage is
// reported as errors wrapping ErrCorrupt; no input file makes the reader
// panic.
//
// It does not own files as such: Encode writes to an io.Writer and the caller
// handles temporary names, fsync and rename; Open reads a path that the
// caller keeps alive with its own reference counting (see partitions.Segment).
// Pruning with the statistics is the catalog's job, and evaluating predicates
// over the decoded batches is the query engine's.
package segment
