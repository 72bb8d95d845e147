package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"time"
)

// dataMeta is the sidecar written beside a cached data file once the file is
// complete. A cached file is reused only when its sidecar matches it.
type dataMeta struct {
	GenVersion int    `json:"gen_version"`
	Rows       int64  `json:"rows"`
	Days       int    `json:"days"`
	Seed       uint64 `json:"seed"`
	Start      string `json:"start"`
	Bytes      int64  `json:"bytes"`
}

// cachePath returns the cached data file of o in dir. The name carries
// everything the bytes depend on, so different data sets never collide.
func cachePath(dir string, o GenOptions) string {
	name := fmt.Sprintf("logq-bench-v%d-rows%d-days%d-seed%d", genVersion, o.Rows, o.Days, o.Seed)
	if !o.Start.Equal(defaultStart) {
		name += "-start" + o.Start.UTC().Format("20060102T150405Z")
	}
	return filepath.Join(dir, name+".jsonl")
}

// prepareData returns the data set to ingest: --data-file as given, else
// the cached generated file, generating it first when it is missing or does
// not match its sidecar.
func prepareData(ctx context.Context, cfg *benchConfig, stderr io.Writer) (DataSet, error) {
	if cfg.dataFile != "" {
		rows, size, err := countLines(cfg.dataFile)
		if err != nil {
			return DataSet{}, err
		}
		return DataSet{File: cfg.dataFile, Rows: rows, Bytes: size}, nil
	}
	o := cfg.gen
	path := cachePath(cfg.cacheDir, o)
	ds := DataSet{File: path, Rows: o.Rows, Days: o.Days, Seed: o.Seed}
	want := dataMeta{GenVersion: genVersion, Rows: o.Rows, Days: o.Days, Seed: o.Seed, Start: o.Start.UTC().Format(time.RFC3339)}
	if size, ok := cachedSize(path, want); ok {
		fmt.Fprintf(stderr, "bench: reusing %s (%.1f MB)\n", path, float64(size)/1e6)
		ds.Bytes = size
		return ds, nil
	}
	// Drop a stale sidecar first, so that a crash while generating cannot
	// leave an old sidecar beside a new file.
	if err := os.Remove(path + ".meta"); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return ds, err
	}
	fmt.Fprintf(stderr, "bench: generating %d rows over %d days into %s\n", o.Rows, o.Days, path)
	t0 := time.Now()
	st, err := writeDataFile(ctx, path, o, stderr)
	if err != nil {
		return ds, err
	}
	ds.Bytes, ds.Generated, ds.GenSeconds = st.bytes, true, time.Since(t0).Seconds()
	want.Bytes = st.bytes
	return ds, writeMeta(path+".meta", want)
}

// cachedSize reports the size of the cached file at path when its sidecar
// equals want (apart from the size) and the file has the recorded size.
func cachedSize(path string, want dataMeta) (int64, bool) {
	data, err := os.ReadFile(path + ".meta")
	if err != nil {
		return 0, false
	}
	var got dataMeta
	if err := json.Unmarshal(data, &got); err != nil {
		return 0, false
	}
	fi, err := os.Stat(path)
	if err != nil || !fi.Mode().IsRegular() {
		return 0, false
	}
	want.Bytes = got.Bytes
	if got != want || fi.Size() != got.Bytes {
		return 0, false
	}
	return fi.Size(), true
}

// writeMeta writes the sidecar atomically (temporary file, rename).
func writeMeta(path string, m dataMeta) error {
	data, err := json.Marshal(m)
	if err != nil {
		return err
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, append(data, '\n'), 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

// countLines returns the number of lines of the file at path (a last line
// without a newline counts) and its size.
func countLines(path string) (lines, size int64, err error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, 0, err
	}
	defer f.Close()
	buf := make([]byte, 1<<20)
	last := byte('\n')
	for {
		n, err := f.Read(buf)
		if n > 0 {
			lines += int64(bytes.Count(buf[:n], []byte{'\n'}))
			size += int64(n)
			last = buf[n-1]
		}
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return 0, 0, fmt.Errorf("read %s: %w", path, err)
		}
	}
	if last != '\n' {
		lines++
	}
	if lines == 0 {
		return 0, 0, fmt.Errorf("%s: no lines to ingest", path)
	}
	return lines, size, nil
}
