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
	Queries *QueryPhase  `json:"queries,omitempty"` // nil: --queries none
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

// QueryPhase holds the figures of the query phase: WORKLOAD.md's queries
// through the MySQL wire against logq and against the baseline.
type QueryPhase struct {
	Runs          int           `json:"runs"`                  // timed runs per query, after one untimed warm-up
	Q6TraceID     string        `json:"q6_trace_id"`           // the trace_id Q6 looks up
	SettleSeconds float64       `json:"settle_seconds"`        // wait for the server to flush and go idle
	Settled       bool          `json:"settled"`               // false: timed out, or not waited for
	SettleNote    string        `json:"settle_note"`           // how the wait went, in words
	ServerPeakRSS int64         `json:"server_peak_rss_bytes"` // sampled VmRSS of logq serve while it answered
	Baseline      *BaselineLoad `json:"baseline,omitempty"`    // nil: --baseline=false
	Results       []QueryResult `json:"results"`
	Mismatches    int           `json:"row_count_mismatches"`
}

// BaselineLoad describes the go-mysql-server memory table of the baseline.
type BaselineLoad struct {
	Rows          int64   `json:"rows"`
	RejectedLines int64   `json:"rejected_lines"`
	LoadSeconds   float64 `json:"load_seconds"`
	// BenchRSSBytes is the resident memory of the bench process (not of
	// the logq server) with the table loaded.
	BenchRSSBytes int64 `json:"bench_rss_bytes"`
}

// QueryResult holds one query's figures on both servers.
type QueryResult struct {
	ID       string       `json:"id"`
	SQL      string       `json:"sql"`
	Logq     QueryTiming  `json:"logq"`
	Baseline *QueryTiming `json:"baseline,omitempty"`
	Ratio    float64      `json:"ratio,omitempty"`     // baseline median / logq median
	TargetMS float64      `json:"target_ms,omitempty"` // issue 3's target for logq's median at 10M rows
	Mismatch bool         `json:"row_count_mismatch,omitempty"`
}

// QueryTiming holds the timed runs of one query on one server.
type QueryTiming struct {
	Rows     int64     `json:"rows"`
	MedianMS float64   `json:"median_ms"`
	MinMS    float64   `json:"min_ms"`
	RunsMS   []float64 `json:"runs_ms"`
	Error    string    `json:"error,omitempty"`
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
	if r.Queries != nil {
		writeQueryTables(&b, r.Queries, d.Rows >= DefaultRows)
	}
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

// writeQueryTables writes the query phase: how it ran, a table of the
// queries, and every row count mismatch and error, loudly. full says the
// targets apply (the full data set).
func writeQueryTables(b *bytes.Buffer, q *QueryPhase, full bool) {
	b.WriteString("\n## logq bench: queries\n\n")
	fmt.Fprintf(b, "Through the MySQL wire with go-sql-driver/mysql, session time_zone '+00:00': median and min of %d runs "+
		"after one untimed warm-up, each timed to the last row read. ", q.Runs)
	b.WriteString("The baseline is the same rows in a plain go-mysql-server memory table, served from the bench process.\n\n")
	fmt.Fprintf(b, "- server before the queries: %s; its peak RSS while answering: %s MiB\n", q.SettleNote, mib(q.ServerPeakRSS))
	if bl := q.Baseline; bl != nil {
		fmt.Fprintf(b, "- baseline: %s rows loaded in %.1f s; bench process RSS with it loaded %s MiB (the bench process, not the logq server)\n",
			group(bl.Rows), bl.LoadSeconds, mib(bl.BenchRSSBytes))
	} else {
		b.WriteString("- baseline: not run (--baseline=false)\n")
	}
	fmt.Fprintf(b, "- Q6 looks up trace_id %s\n\n", q.Q6TraceID)
	b.WriteString("| query | rows | logq median ms | logq min ms | baseline median ms | ratio (baseline/logq) | target (logq median) |\n")
	b.WriteString("|---|---:|---:|---:|---:|---:|---|\n")
	var notes []string
	for _, r := range q.Results {
		writeQueryRow(b, r, full)
		notes = append(notes, queryNotes(r)...)
	}
	if len(notes) > 0 {
		b.WriteString("\n" + strings.Join(notes, "\n") + "\n")
	}
}

// writeQueryRow writes one query's row of the table.
func writeQueryRow(b *bytes.Buffer, r QueryResult, full bool) {
	rows, med, mn := group(r.Logq.Rows), fmtMS(r.Logq.MedianMS), fmtMS(r.Logq.MinMS)
	if r.Logq.Error != "" {
		rows, med, mn = "ERROR", "-", "-"
	}
	base, ratio := "-", "-"
	switch bl := r.Baseline; {
	case bl == nil:
	case bl.Error != "":
		base = "ERROR"
	default:
		base = fmtMS(bl.MedianMS)
		if r.Ratio > 0 {
			ratio = fmtRatio(r.Ratio)
		}
	}
	if r.Mismatch {
		rows += fmt.Sprintf(" (baseline %s: MISMATCH)", group(r.Baseline.Rows))
	}
	target := ""
	if r.TargetMS > 0 {
		ok := r.Logq.Error == "" && r.Logq.MedianMS < r.TargetMS
		target = verdict(full, ok, "< "+strconv.FormatFloat(r.TargetMS, 'f', -1, 64)+" ms")
	}
	fmt.Fprintf(b, "| %s | %s | %s | %s | %s | %s | %s |\n", r.ID, rows, med, mn, base, ratio, target)
}

// queryNotes returns the loud lines for a query's mismatch and errors.
func queryNotes(r QueryResult) []string {
	var notes []string
	if r.Mismatch {
		notes = append(notes, fmt.Sprintf("**MISMATCH**: %s returned %s rows from logq and %s from the baseline.",
			r.ID, group(r.Logq.Rows), group(r.Baseline.Rows)))
	}
	if r.Logq.Error != "" {
		notes = append(notes, fmt.Sprintf("**ERROR** %s on logq: %s", r.ID, r.Logq.Error))
	}
	if r.Baseline != nil && r.Baseline.Error != "" {
		notes = append(notes, fmt.Sprintf("**ERROR** %s on the baseline: %s", r.ID, r.Baseline.Error))
	}
	return notes
}

// fmtMS formats milliseconds with three significant digits or more.
func fmtMS(ms float64) string {
	switch {
	case ms < 1:
		return strconv.FormatFloat(ms, 'f', 3, 64)
	case ms < 100:
		return strconv.FormatFloat(ms, 'f', 2, 64)
	}
	return strconv.FormatFloat(ms, 'f', 1, 64)
}

// fmtRatio formats a ratio such as 0.93x, 12.4x or 1907x.
func fmtRatio(r float64) string {
	switch {
	case r < 10:
		return strconv.FormatFloat(r, 'f', 2, 64) + "x"
	case r < 100:
		return strconv.FormatFloat(r, 'f', 1, 64) + "x"
	}
	return strconv.FormatFloat(r, 'f', 0, 64) + "x"
}

// mib formats bytes as MiB with one decimal.
func mib(bytes int64) string { return strconv.FormatFloat(float64(bytes)/(1<<20), 'f', 1, 64) }

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
