package partitions

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// errSync marks fsync failures of directories. After one, the kernel may
// have dropped the dirty pages and a retried fsync can report success for
// an entry that is gone, so the store treats them as fatal instead of
// retrying.
var errSync = errors.New("fsync")

// syncTemp fsyncs a temp file. A failure is not fatal, unlike errSync: the
// caller deletes the file and writes a new one from memory, never trusting
// a second fsync of the same pages. A full disk is such a failure.
func syncTemp(f *os.File) error {
	if err := f.Sync(); err != nil {
		return fmt.Errorf("fsync %s: %w", f.Name(), err)
	}
	return nil
}

// syncDir fsyncs a directory so that entries created, renamed or removed in
// it survive a crash; a failure is marked with errSync.
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
		return fmt.Errorf("%w %s: %w", errSync, dir, err)
	}
	return nil
}

// writeFileAtomic writes data to path through a temp file: write, fsync,
// rename, fsync of the directory. A crash leaves either the old or the new
// file, plus possibly a temp file that start-up removes.
func writeFileAtomic(path string, data []byte) error {
	return WriteFileAtomic(path, data, 0o644)
}

// WriteFileAtomic is writeFileAtomic with the file mode perm, for the other
// files of a data directory (the accounts file is 0600).
func WriteFileAtomic(path string, data []byte, perm os.FileMode) error {
	tmp := path + tempFileExt
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, perm)
	if err != nil {
		return err
	}
	if _, err = f.Write(data); err == nil {
		err = syncTemp(f)
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("write %s: %w", tmp, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return err
	}
	return syncDir(filepath.Dir(path))
}
