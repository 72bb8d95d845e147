package bench

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"time"
)

// Result is everything one `logq bench` run measured. It is written as JSON
// to --out so that runs can be compared over time; field names are stable.
type Result struct {
	Machine Machine      `json:"machine"`
	Data    DataSet      `json:"data"`
	Ingest  IngestResult `json:"ingest"`
}

// Machine describes where the benchmark ran.
type Machine struct {
	Cores     int    `json:"cores"`
	CPU       string `json:"cpu,omitempty"`
	OS        string `json:"os"`
	Arch      string `json:"arch"`
	Kernel    string `json:"kernel,omitempty"`
	GoVersion string `json:"go_version"`
	Date      string `json:"date"` // RFC 3339, UTC
	Binary    string `json:"binary"`
}

// DataSet describes the JSON-lines file that was ingested.
type DataSet struct {
	File       string  `json:"file"`
	Rows       int64   `json:"rows"`
	Bytes      int64   `json:"bytes"`
	Days       int     `json:"days,omitempty"` // zero for a --data-file
	Seed       uint64  `json:"seed,omitempty"`
	Generated  bool    `json:"generated"` // false: reused from the cache or --data-file
	GenSeconds float64 `json:"gen_seconds,omitempty"`
}

// IngestResult holds the figures of the ingest phase.
type IngestResult struct {
	Rows             int64   `json:"rows"`            // rows ingested (and accepted)
	Seconds          float64 `json:"seconds"`         // wall clock of `logq ingest`
	RowsPerSecond    float64 `json:"rows_per_second"` // Rows / Seconds
	MBPerSecond      float64 `json:"mb_per_second"`   // JSON bytes (10^6) per second
	ShutdownSeconds  float64 `json:"shutdown_seconds"`
	ServerCPUSeconds float64 `json:"server_cpu_seconds"` // user + system, whole server life
	ClientCPUSeconds float64 `json:"client_cpu_seconds"`
	PeakRSSBytes     int64   `json:"peak_rss_bytes"` // the largest of the RSS figures below
	RSS              RSS     `json:"rss"`
	Disk             Disk    `json:"disk"`
}

// RSS holds the server's resident set figures from /proc/PID/status. The
// rusage ru_maxrss of the exited server is not used: Linux carries the
// parent's high-water mark across fork and exec into it, so it reports the
// benchmark's own memory when that is larger.
type RSS struct {
	SampledPeakBytes int64 `json:"sampled_peak_bytes"` // max VmRSS over the samples
	HWMBytes         int64 `json:"hwm_bytes"`          // largest VmHWM read (the kernel's peak)
	Samples          int   `json:"samples"`
}

// peak returns the larger of the figures.
func (r RSS) peak() int64 { return max(r.SampledPeakBytes, r.HWMBytes) }

// Disk holds the bytes the server left in its data directory.
type Disk struct {
	TotalBytes   int64   `json:"total_bytes"`
	SegmentBytes int64   `json:"segment_bytes"` // *.seg files
	WALBytes     int64   `json:"wal_bytes"`     // files under a wal directory
	OtherBytes   int64   `json:"other_bytes"`   // manifests, locks, temporary files
	Segments     int     `json:"segments"`
	Files        int     `json:"files"`
	BytesPerRow  float64 `json:"bytes_per_row"`
	// Columns splits the segment bytes by column, largest first (Arrow
	// metadata, statistics and trailers are the rest of SegmentBytes).
	Columns []ColumnBytes `json:"columns"`
}

// Targets of issue 2 for the ingest benchmark on the 2-core machine.
const (
	targetRowsPerSecond = 750_000
	targetPeakRSSBytes  = 1 << 30
)

// machineInfo describes this machine; bin is the binary benchmarked.
func machineInfo(bin string) Machine {
	m := Machine{
		Cores:     runtime.NumCPU(),
		OS:        runtime.GOOS,
		Arch:      runtime.GOARCH,
		GoVersion: runtime.Version(),
		Date:      time.Now().UTC().Format(time.RFC3339),
		Binary:    bin,
	}
	if b, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		m.Kernel = strings.TrimSpace(string(b))
	}
	m.CPU = cpuModel()
	return m
}

// cpuModel returns the first "model name" of /proc/cpuinfo, or "".
func cpuModel() string {
	f, err := os.Open("/proc/cpuinfo")
	if err != nil {
		return ""
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if k, v, ok := strings.Cut(sc.Text(), ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

// writeMarkdown prints the results: a machine line, a data line and a
// Markdown table of the ingest figures.
func writeMarkdown(w io.Writer, r *Result) error {
	var b bytes.Buffer
	b.WriteString("## logq bench: ingest\n\n")
	b.WriteString(machineLine(r.Machine))
	d := r.Data
	fmt.Fprintf(&b, "data: %s rows, %s MB (%.1f B/row)", group(d.Rows), mb(d.Bytes), float64(d.Bytes)/float64(max(d.Rows, 1)))
	if d.Days > 0 {
		fmt.Fprintf(&b, " over %d days, seed %d", d.Days, d.Seed)
	}
	fmt.Fprintf(&b, ": %s\n\n", d.File)
	writeIngestTable(&b, r.Ingest)
	_, err := w.Write(b.Bytes())
	return err
}

// machineLine describes the machine in one line.
func machineLine(m Machine) string {
	var b strings.Builder
	fmt.Fprintf(&b, "machine: %d cores", m.Cores)
	if m.CPU != "" {
		fmt.Fprintf(&b, " (%s)", m.CPU)
	}
	fmt.Fprintf(&b, ", %s/%s", m.OS, m.Arch)
	if m.Kernel != "" {
		fmt.Fprintf(&b, ", kernel %s", m.Kernel)
	}
	fmt.Fprintf(&b, ", %s, %s\n", m.GoVersion, m.Date)
	return b.String()
}

// writeIngestTable writes the ingest figures, with issue 2's targets.
func writeIngestTable(b *bytes.Buffer, in IngestResult) {
	fmt.Fprintf(b, "| figure | value | target |\n|---|---:|---|\n")
	row := func(name, value, target string) { fmt.Fprintf(b, "| %s | %s | %s |\n", name, value, target) }
	row("rows ingested", group(in.Rows), "")
	row("ingest seconds", strconv.FormatFloat(in.Seconds, 'f', 2, 64), "")
	full := in.Rows >= DefaultRows // the targets are set for the full data set
	row("rows/s", group(int64(in.RowsPerSecond)), verdict(full, in.RowsPerSecond >= targetRowsPerSecond, ">= 750,000"))
	row("JSON MB/s", strconv.FormatFloat(in.MBPerSecond, 'f', 1, 64), "")
	row("server shutdown seconds (final flush)", strconv.FormatFloat(in.ShutdownSeconds, 'f', 2, 64), "")
	row("server CPU seconds", strconv.FormatFloat(in.ServerCPUSeconds, 'f', 1, 64), "")
	row("peak RSS MiB", strconv.FormatFloat(float64(in.PeakRSSBytes)/(1<<20), 'f', 1, 64), verdict(full, in.PeakRSSBytes < targetPeakRSSBytes, "< 1,024"))
	row("bytes on disk MB", mb(in.Disk.TotalBytes), "")
	row("bytes on disk per row", strconv.FormatFloat(in.Disk.BytesPerRow, 'f', 1, 64), "")
	row("segments", fmt.Sprintf("%d (%s MB)", in.Disk.Segments, mb(in.Disk.SegmentBytes)), "")
	row("WAL MB / other MB", mb(in.Disk.WALBytes)+" / "+mb(in.Disk.OtherBytes), "")
	if len(in.Disk.Columns) == 0 {
		return
	}
	fmt.Fprintf(b, "\n| column | MB | bytes/row | share of segments |\n|---|---:|---:|---:|\n")
	var sum int64
	for _, c := range in.Disk.Columns {
		sum += c.Bytes
		fmt.Fprintf(b, "| %s | %s | %.2f | %.1f%% |\n", c.Name, mb(c.Bytes), c.BytesPerRow, 100*float64(c.Bytes)/float64(max(in.Disk.SegmentBytes, 1)))
	}
	rest := in.Disk.SegmentBytes - sum
	fmt.Fprintf(b, "| (stats, metadata) | %s | %.2f | %.1f%% |\n", mb(rest), float64(rest)/float64(max(in.Rows, 1)),
		100*float64(rest)/float64(max(in.Disk.SegmentBytes, 1)))
}

// verdict labels a target as met or missed; runs smaller than the full
// data set only show the target.
func verdict(full, ok bool, target string) string {
	switch {
	case !full:
		return target + " (at 10M rows)"
	case ok:
		return target + " (met)"
	}
	return target + " (MISSED)"
}

// mb formats bytes as decimal megabytes with one decimal.
func mb(bytes int64) string { return strconv.FormatFloat(float64(bytes)/1e6, 'f', 1, 64) }

// group formats n with thousands separators: 10000000 -> 10,000,000.
func group(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	if neg {
		b.WriteByte('-')
	}
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}

// writeJSON writes r to path as indented JSON.
func writeJSON(path string, r *Result) error {
	data, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("write results: %w", err)
	}
	if err := os.WriteFile(path, append(data, '\n'), 0o644); err != nil {
		return fmt.Errorf("write results: %w", err)
	}
	return nil
}
