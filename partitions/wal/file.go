package wal

import (
	"errors"
	"fmt"
	"io"
	"os"
)

// file is where the WAL writes one generation. After Open returns, only the
// flusher goroutine calls its methods, so implementations need no locking.
// Tests substitute a fake to inject write and sync errors.
type file interface {
	// Write writes all of p or returns an error.
	Write(p []byte) (int, error)
	// Sync makes everything written so far durable (fdatasync on Linux).
	Sync() error
	// Close releases the file. It is called once.
	Close() error
	// Allocate reserves disk blocks for bytes [off, off+n) without changing
	// the file's size, so that writing them later cannot fail for lack of
	// space. It returns errAllocUnsupported where the file system cannot.
	// Append calls it with the WAL's lock held, possibly while the flusher
	// writes: implementations must allow that.
	Allocate(off, n int64) error
}

// createFunc creates the file at path, which must not exist, writes header
// to it and makes both durable; the directory entry is synced by the caller.
type createFunc func(path string, header []byte) (file, error)

// osFile is a file on disk whose Sync is an fdatasync.
type osFile struct{ *os.File }

// Sync implements file.
func (f osFile) Sync() error { return fdatasync(f.File) }

// Allocate implements file.
func (f osFile) Allocate(off, n int64) error { return allocate(f.File, off, n) }

// createOSFile is the createFunc for real files.
func createOSFile(path string, header []byte) (file, error) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return nil, err
	}
	if _, err = f.Write(header); err == nil {
		err = f.Sync() // a full fsync: the file is new
	}
	if err != nil {
		f.Close()
		os.Remove(path)
		return nil, err
	}
	return osFile{f}, nil
}

// writeAll writes p to f in pieces of at most piece bytes: on this VM one
// write() of a MiB or more is much slower than several of 64-256 KiB
// (MEASURED.md, "WAL on this disk").
func writeAll(f file, p []byte, piece int) error {
	for len(p) > 0 {
		n := min(len(p), piece)
		w, err := f.Write(p[:n])
		if err == nil && w != n {
			err = io.ErrShortWrite
		}
		if err != nil {
			return err
		}
		p = p[n:]
	}
	return nil
}

// syncDir fsyncs directory dir so that files created, renamed or removed in
// it survive a crash.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("sync directory %s: %w", dir, err)
	}
	return nil
}

// removeFile removes path and syncs its directory.
func removeFile(dir, path string) error {
	if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	return syncDir(dir)
}
