package wal

import "errors"

var (
	// ErrCorrupt marks damage found by Replay that is not a torn tail: the
	// message names the file and the byte offset of the damage.
	ErrCorrupt = errors.New("wal: corrupt")
	// ErrFsync is wrapped by every error of a WAL that hit a write, fsync or
	// file creation error. Such a WAL stays broken: records not yet synced may
	// be lost, and the process must not continue to acknowledge writes.
	ErrFsync = errors.New("wal: write or sync error")
	// ErrClosed is returned by Append and Rotate after Close.
	ErrClosed = errors.New("wal: closed")
)
