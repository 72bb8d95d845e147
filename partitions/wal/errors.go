package wal

import "errors"

var (
	// ErrCorrupt marks damage found by Replay that is not a torn tail: the
	// message names the file and the byte offset of the damage.
	ErrCorrupt = errors.New("wal: corrupt")
	// ErrFsync is wrapped by every error of a WAL that hit a write or fsync
	// error. Such a WAL stays broken: records not yet synced may
	// be lost, and the process must not continue to acknowledge writes.
	ErrFsync = errors.New("wal: write or sync error")
	// ErrNoSpace is wrapped by the errors of Append and Rotate when the
	// file system has no room for the record or the next file. Nothing was
	// written and the WAL stays usable: the call can be retried once space
	// is freed.
	ErrNoSpace = errors.New("wal: no space left on device")
	// ErrClosed is returned by Append and Rotate after Close.
	ErrClosed = errors.New("wal: closed")
)

// errAllocUnsupported means the file system cannot reserve blocks; the WAL
// then writes without reservations, as if space could not run out.
var errAllocUnsupported = errors.New("wal: fallocate not supported")
