package bench

import (
	"io/fs"
	"path/filepath"
	"slices"
	"strings"
)

// diskUsage sums the sizes of the regular files under dir by kind: segments
// (*.seg outside the quarantine), WAL (anything under a directory named wal)
// and other files (manifests, lock, quarantined or temporary files).
func diskUsage(dir string) (Disk, error) {
	var d Disk
	err := filepath.WalkDir(dir, func(path string, e fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !e.Type().IsRegular() {
			return nil
		}
		fi, err := e.Info()
		if err != nil {
			return err
		}
		size := fi.Size()
		d.Files++
		d.TotalBytes += size
		rel, err := filepath.Rel(dir, path)
		if err != nil {
			return err
		}
		dirs := strings.Split(filepath.Dir(rel), string(filepath.Separator))
		switch {
		case slices.Contains(dirs, "quarantine"):
			d.OtherBytes += size
		case strings.HasSuffix(e.Name(), ".seg"):
			d.Segments++
			d.SegmentBytes += size
		case slices.Contains(dirs, "wal"):
			d.WALBytes += size
		default:
			d.OtherBytes += size
		}
		return nil
	})
	return d, err
}
