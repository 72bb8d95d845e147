package wal

import (
	"errors"
	"os"
	"syscall"
)

// fallocKeepSize is FALLOC_FL_KEEP_SIZE: allocate blocks past the end of
// the file without moving it, so that replay never sees the reservation.
const fallocKeepSize = 1

// allocate reserves blocks for [off, off+n) of f (fallocate with
// FALLOC_FL_KEEP_SIZE). File systems without fallocate (some network and
// FUSE ones) report errAllocUnsupported.
func allocate(f *os.File, off, n int64) error {
	rc, err := f.SyscallConn()
	if err != nil {
		return err
	}
	var serr error
	if err := rc.Control(func(fd uintptr) {
		for {
			if serr = syscall.Fallocate(int(fd), fallocKeepSize, off, n); serr != syscall.EINTR {
				return
			}
		}
	}); err != nil {
		return err
	}
	switch {
	case serr == nil:
		return nil
	case errors.Is(serr, syscall.EOPNOTSUPP), errors.Is(serr, syscall.ENOSYS):
		return errAllocUnsupported
	}
	return &os.PathError{Op: "fallocate", Path: f.Name(), Err: serr}
}

// fdatasync flushes f's data and the metadata needed to read it back (its
// size), skipping timestamps: MEASURED.md found it as fast as fsync here, and
// it is never slower.
func fdatasync(f *os.File) error {
	rc, err := f.SyscallConn()
	if err != nil {
		return err
	}
	var serr error
	if err := rc.Control(func(fd uintptr) {
		for {
			if serr = syscall.Fdatasync(int(fd)); serr != syscall.EINTR {
				return
			}
		}
	}); err != nil {
		return err
	}
	if serr != nil {
		return &os.PathError{Op: "fdatasync", Path: f.Name(), Err: serr}
	}
	return nil
}
