//go:build !linux

package wal

import "os"

// allocate is not available: the WAL writes without a reservation.
func allocate(*os.File, int64, int64) error { return errAllocUnsupported }

// fdatasync falls back to a full fsync where fdatasync is not available.
func fdatasync(f *os.File) error { return f.Sync() }
