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
	err := onFD(f, "fallocate", func(fd int) error { return syscall.Fallocate(fd, fallocKeepSize, off, n) })
	if errors.Is(err, syscall.EOPNOTSUPP) || errors.Is(err, syscall.ENOSYS) {
		return errAllocUnsupported
	}
	return err
}

// fdatasync flushes f's data and the metadata needed to read it back (its
// size), skipping timestamps: MEASURED.md found it as fast as fsync here, and
// it is never slower.
func fdatasync(f *os.File) error {
	return onFD(f, "fdatasync", func(fd int) error { return syscall.Fdatasync(fd) })
}

// onFD runs the system call call on f's descriptor, again while it is
// interrupted (EINTR), and names op and the file in its error.
func onFD(f *os.File, op string, call func(fd int) error) error {
	rc, err := f.SyscallConn()
	if err != nil {
		return err
	}
	var serr error
	if err := rc.Control(func(fd uintptr) {
		for {
			if serr = call(int(fd)); serr != syscall.EINTR {
				return
			}
		}
	}); err != nil {
		return err
	}
	if serr != nil {
		return &os.PathError{Op: op, Path: f.Name(), Err: serr}
	}
	return nil
}
