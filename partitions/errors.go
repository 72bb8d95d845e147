package partitions

import "errors"

var (
	// ErrClosed is returned by operations on a closed Store.
	ErrClosed = errors.New("partitions: store closed")
	// ErrCorrupt marks damaged files of the partitions package itself
	// (manifests); segment and WAL damage wrap their own packages' ErrCorrupt.
	ErrCorrupt = errors.New("partitions: corrupt")
	// ErrFailed is returned once the store hit an error that makes further
	// writes unsafe (an fsync failure): the process must exit.
	ErrFailed = errors.New("partitions: store failed")
	// ErrNoSuchColumn is returned by DropColumn for a name that is not a
	// live dynamic column.
	ErrNoSuchColumn = errors.New("partitions: no such column")
	// ErrNoSpace refuses an Append because the data directory's file system
	// is full or below its minimum free space (WithMinFreeBytes). Nothing of
	// the batch was stored; the store keeps serving reads and takes writes
	// again once space is freed.
	ErrNoSpace = errors.New("partitions: no space left on device")
	// ErrLocked means another process holds the data directory.
	ErrLocked = errors.New("partitions: data directory in use")
)
