package partitions

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// errSync marks fsync failures. After one, the kernel may have dropped the
// dirty pages and a retried fsync can report success for data that is gone,
// so the store treats them as fatal instead of retrying.
var errSync = errors.New("fsync")

// syncFile fsyncs f, marking a failure with errSync.
func syncFile(f *os.File) error {
	if err := f.Sync(); err != nil {
		return fmt.Errorf("%w %s: %w", errSync, f.Name(), err)
	}
	return nil
}

// syncDir fsyncs a directory so that entries created, renamed or removed in
// it survive a crash.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = syncFile(d)
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	return err
}

// writeFileAtomic writes data to path through a temp file: write, fsync,
// rename, fsync of the directory. A crash leaves either the old or the new
// file, plus possibly a temp file that start-up removes.
func writeFileAtomic(path string, data []byte) error {
	tmp := path + tempFileExt
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return err
	}
	if _, err = f.Write(data); err == nil {
		err = syncFile(f)
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
