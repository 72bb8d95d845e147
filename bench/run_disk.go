package bench

import (
	"cmp"
	"io/fs"
	"path/filepath"
	"slices"
	"strings"

	"logq/partitions/segment"
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

// ColumnBytes is the share of one column in the segments.
type ColumnBytes struct {
	Name        string  `json:"name"`
	Bytes       int64   `json:"bytes"`
	BytesPerRow float64 `json:"bytes_per_row"`
}

// columnBytes measures what each column takes in the segments under dir
// (outside the quarantine), largest first, by re-encoding every record
// batch the way the segment writer does (segment.ColumnSizes): the Arrow
// file does not record sizes per column. rows divides the figures.
func columnBytes(dir string, rows int64) ([]ColumnBytes, error) {
	sizes := map[string]int64{}
	err := filepath.WalkDir(dir, func(path string, e fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if e.IsDir() && e.Name() == "quarantine" {
			return filepath.SkipDir
		}
		if !e.Type().IsRegular() || !strings.HasSuffix(e.Name(), ".seg") {
			return nil
		}
		r, err := segment.Open(path)
		if err != nil {
			return err
		}
		defer r.Close()
		for i := 0; i < r.NumBatches(); i++ {
			b, err := r.Rows(i)
			if err != nil {
				return err
			}
			per, err := segment.ColumnSizes(b, 0)
			if err != nil {
				return err
			}
			for name, n := range per {
				sizes[name] += n
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	out := make([]ColumnBytes, 0, len(sizes))
	for name, n := range sizes {
		out = append(out, ColumnBytes{Name: name, Bytes: n, BytesPerRow: float64(n) / float64(max(rows, 1))})
	}
	slices.SortFunc(out, func(a, b ColumnBytes) int { return cmp.Or(cmp.Compare(b.Bytes, a.Bytes), cmp.Compare(a.Name, b.Name)) })
	return out, nil
}
