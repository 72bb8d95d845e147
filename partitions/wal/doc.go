// Package wal is logq's write-ahead log: one log per store, made of files
// wal/<16 hex digit generation>.wal whose generations only increase. An
// ingest request is appended as one opaque record and acknowledged once the
// record is on disk; at start-up Replay hands every intact record back, in
// order, so the store can rebuild the buffers that had not reached segments.
//
// The package owns the file format (partitions/FORMAT.md, "WAL"), group
// commit (one fdatasync in flight; the next group is whatever was appended
// meanwhile, written in pieces of Options.PieceBytes), rotation and removal of
// generations, and the classification of damage found at replay: a torn tail
// of the last file is truncated, anything else is corruption that stops
// start-up unless ReplayOptions.Repair is set. It does not know what a record
// holds (the store encodes batches with columns.AppendBinary), which
// generations are safe to delete (the store decides after flushing segments),
// or what to do after a write or fsync error: the WAL becomes unusable
// (ErrFsync) and the store must exit, because a retried fsync can report
// success for data the kernel has already dropped.
package wal
