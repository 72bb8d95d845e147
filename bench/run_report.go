package bench

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Result is everything one `logq bench` run measured. It is written as JSON
// to --out so that runs can be compared over time; field names are stable.
type Result struct {
	Machine Machine       `json:"machine"`
	Data    DataSet       `json:"data"`
	Ingest  IngestResult  `json:"ingest"`
	Queries *QueryPhase   `json:"queries,omitempty"` // nil: --queries none
	Cluster *ClusterPhase `json:"cluster,omitempty"` // nil: --nodes 1
}

// Machine describes where the benchmark ran.
type Machine struct {
	Cores     int    `json:"cores"`
	CPU       string `json:"cpu,omitempty"`
	OS        string `json:"os"`
	Arch      string `json:"arch"`
	Kernel    string `json:"kernel,omitempty"`
	GoVersion string `json:"go_version"` // of the benchmarked binary when it says, else of the bench
	Date      string `json:"date"`       // RFC 3339, UTC
	Binary    string `json:"binary"`
	// Commit is the source revision of the benchmarked binary, "-dirty"
	// when it had local changes: from the binary's build information, or
	// else from git in the binary's directory at run time; empty when
	// neither tells.
	Commit string `json:"commit,omitempty"`
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
	// Segment bytes flushes and compactions wrote up to the settle, and
	// their sum over the segment bytes stored then: the write
	// amplification of the segments (0: not measured, no settle).
	FlushBytesWritten      int64   `json:"flush_bytes_written,omitempty"`
	CompactionBytesWritten int64   `json:"compaction_bytes_written,omitempty"`
	WriteAmplification     float64 `json:"write_amplification,omitempty"`
	// GCCPUShare is the garbage collector's share of the CPU the server
	// used up to the settle (0: not measured).
	GCCPUShare float64 `json:"gc_cpu_share,omitempty"`
	// RateOverTime is the ingest rate in consecutive spans of the ingest,
	// from the server's count of rows stored.
	RateOverTime []RateSpan `json:"rate_over_time,omitempty"`
	// MemoryPeaks are the largest memory figures the server reported
	// during the ingest (sampled every second).
	MemoryPeaks *MemoryPeaks `json:"memory_peaks,omitempty"`
}

// MemoryPeaks are the peaks of the server's Go heap and of its users
// (logq_memory_bytes) over the ingest; each peaked at its own moment.
type MemoryPeaks struct {
	HeapInuse  int64 `json:"heap_inuse_bytes"`
	Buffers    int64 `json:"buffers_bytes"`
	Catalog    int64 `json:"catalog_bytes"`
	Compaction int64 `json:"compaction_bytes"`
}

// String renders the peaks in MiB.
func (p *MemoryPeaks) String() string {
	mib := func(n int64) string { return strconv.FormatFloat(float64(n)/(1<<20), 'f', 1, 64) }
	return fmt.Sprintf("heap in use %s, buffers %s, catalog %s, compaction %s",
		mib(p.HeapInuse), mib(p.Buffers), mib(p.Catalog), mib(p.Compaction))
}

// RateSpan is the ingest rate over one span of the ingest.
type RateSpan struct {
	EndSeconds    float64 `json:"end_seconds"` // since the ingest started
	RowsPerSecond float64 `json:"rows_per_second"`
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
	Runs          int     `json:"runs"`                    // logq's timed runs per query, after one untimed warm-up
	BudgetSeconds float64 `json:"baseline_budget_seconds"` // the baseline's time per query (warm-up and runs)
	Q6TraceID     string  `json:"q6_trace_id"`             // the trace_id Q6 looks up
	SettleSeconds float64 `json:"settle_seconds"`          // wait for the server to flush and go idle
	Settled       bool    `json:"settled"`                 // false: timed out, or not waited for
	SettleNote    string  `json:"settle_note"`             // how the wait went, in words
	ServerPeakRSS int64   `json:"server_peak_rss_bytes"`   // sampled VmRSS of logq serve while it answered
	// CPUProfile and HeapProfile name the server's profiles written for
	// --cpuprofile and --memprofile.
	CPUProfile  string        `json:"cpu_profile,omitempty"`
	HeapProfile string        `json:"heap_profile,omitempty"`
	Baseline    *BaselineLoad `json:"baseline,omitempty"` // nil: --baseline=false
	Results     []QueryResult `json:"results"`
	// Mismatches counts the queries whose answers differ between logq and
	// the baseline, Errors those that failed on either: each fails the run.
	Mismatches int `json:"mismatches"`
	Errors     int `json:"errors"`

	// The queries and logq's settled outcomes, answers included, which
	// the cluster phase compares its own with.
	queries  []workloadQuery
	outcomes []queryOutcome
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
	Plan     *PlanFigures `json:"plan,omitempty"` // logq's pruning and reads; nil for the floor or when not collected
	Baseline *QueryTiming `json:"baseline,omitempty"`
	Ratio    float64      `json:"ratio,omitempty"` // baseline median / logq median
	// Fresh is logq's timing right after the ingest, before the settle
	// (nil: --fresh=false); FreshRatio its median over the settled one;
	// FreshDifference what differs between the two answers (empty: same).
	Fresh           *QueryTiming `json:"fresh,omitempty"`
	FreshRatio      float64      `json:"fresh_ratio,omitempty"`
	FreshDifference string       `json:"fresh_difference,omitempty"`
	TargetMS        float64      `json:"target_ms,omitempty"` // the issues' target for logq's median at 10M rows
	// Compared says the two answers were compared (both servers answered);
	// Difference is then empty when they agree, else what differs.
	Compared   bool   `json:"compared"`
	Difference string `json:"difference,omitempty"`
}

// QueryTiming holds the timed runs of one query on one server.
type QueryTiming struct {
	Rows     int64     `json:"rows"`
	MedianMS float64   `json:"median_ms"`
	MinMS    float64   `json:"min_ms"`
	Runs     int       `json:"runs"`      // timed runs, after the warm-up
	WarmupMS float64   `json:"warmup_ms"` // the untimed warm-up's time (its answer is the one compared)
	RunsMS   []float64 `json:"runs_ms"`
	Error    string    `json:"error,omitempty"`
}

// Targets of issue 2 for the ingest benchmark on the 2-core machine.
const (
	targetRowsPerSecond = 750_000
	targetPeakRSSBytes  = 1 << 30
)

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
	if r.Cluster != nil {
		writeClusterMarkdown(&b, r.Cluster)
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
	fmt.Fprintf(&b, ", %s, %s", m.GoVersion, m.Date)
	if m.Commit != "" {
		fmt.Fprintf(&b, ", commit %s", m.Commit)
	}
	b.WriteString("\n")
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
	if in.WriteAmplification > 0 {
		row("write amplification (segment MB written by flushes + compactions / stored, at the settle)",
			fmt.Sprintf("%.2f (%s + %s MB)", in.WriteAmplification, mb(in.FlushBytesWritten), mb(in.CompactionBytesWritten)), "")
	}
	if in.GCCPUShare > 0 {
		row("GC share of the server's CPU, up to the settle", fmt.Sprintf("%.1f%%", 100*in.GCCPUShare), "")
	}
	if in.MemoryPeaks != nil {
		row("peak MiB over the ingest", in.MemoryPeaks.String(), "")
	}
	if len(in.RateOverTime) > 0 {
		var spans []string
		for _, sp := range in.RateOverTime {
			spans = append(spans, fmt.Sprintf("%s (%.0f s)", group(int64(sp.RowsPerSecond)), sp.EndSeconds))
		}
		row("rows/s over the ingest (to the end of each span)", strings.Join(spans, ", "), "")
	}
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
// queries, and every mismatch and error, loudly. full says the targets
// apply (the full data set).
func writeQueryTables(b *bytes.Buffer, q *QueryPhase, full bool) {
	b.WriteString("\n## logq bench: queries\n\n")
	fmt.Fprintf(b, "Through the MySQL wire with go-sql-driver/mysql, session time_zone '+00:00', each run timed to the last row read: "+
		"logq's median and min of %d runs after one untimed warm-up. ", q.Runs)
	if q.Baseline != nil {
		fmt.Fprintf(b, "The baseline is the same rows in a plain go-mysql-server memory table, served from the bench process: "+
			"one warm-up, then runs until %s is spent (at least 1, at most %d). "+
			"Every answer of logq (its warm-up's) was compared in full with the baseline's.", fmtSeconds(q.BudgetSeconds), q.Runs)
	}
	b.WriteString("\n\n")
	writeQueryBullets(b, q)
	b.WriteString("| query | rows | logq median ms | logq min ms | runs | fresh median ms | fresh/settled | partitions | segments | batches | MB to read | baseline median ms | baseline runs | ratio (baseline/logq) | target (logq median) |\n")
	b.WriteString("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|\n")
	var notes []string
	for _, r := range q.Results {
		writeQueryRow(b, r, full)
		notes = append(notes, queryNotes(r)...)
	}
	if len(notes) > 0 {
		b.WriteString("\n" + strings.Join(notes, "\n") + "\n")
	}
}

// writeQueryBullets writes what the query table's context is.
func writeQueryBullets(b *bytes.Buffer, q *QueryPhase) {
	if slices.ContainsFunc(q.Results, func(r QueryResult) bool { return r.Fresh != nil }) {
		b.WriteString("- fresh: logq timed the same way right after the ingest, before waiting for it to settle (rows still buffered, flushes and compactions under way); fresh/settled is the ratio of the medians, and each fresh answer was compared with the settled one\n")
	}
	fmt.Fprintf(b, "- server before the queries: %s; its peak RSS while answering: %s MiB\n", q.SettleNote, mib(q.ServerPeakRSS))
	if bl := q.Baseline; bl != nil {
		fmt.Fprintf(b, "- baseline: %s rows loaded in %.1f s (while the server settled); bench process RSS with it loaded %s MiB (the bench process, not the logq server)\n",
			group(bl.Rows), bl.LoadSeconds, mib(bl.BenchRSSBytes))
	} else {
		b.WriteString("- baseline: not run (--baseline=false): answers not checked\n")
	}
	var total int64
	for _, r := range q.Results {
		if r.Plan != nil {
			total = max(total, r.Plan.BytesTotal)
		}
	}
	b.WriteString("- partitions, segments, batches: kept by pruning out of those that existed, in logq's warm-up run")
	if total > 0 {
		fmt.Fprintf(b, "; MB to read: compressed size of the kept batches (EXPLAIN PLAN), out of %s MB of segments", mb(total))
	}
	b.WriteString("\n")
	if q.CPUProfile != "" || q.HeapProfile != "" {
		fmt.Fprintf(b, "- server profiles of logq's query phase: CPU %s, heap %s\n", orDash(q.CPUProfile), orDash(q.HeapProfile))
	}
	fmt.Fprintf(b, "- Q6 looks up trace_id %s\n\n", q.Q6TraceID)
}

// writeQueryRow writes one query's row of the table.
func writeQueryRow(b *bytes.Buffer, r QueryResult, full bool) {
	rows, med, mn, runs := group(r.Logq.Rows), fmtMS(r.Logq.MedianMS), fmtMS(r.Logq.MinMS), strconv.Itoa(r.Logq.Runs)
	if r.Logq.Error != "" {
		rows, med, mn, runs = "ERROR", "-", "-", "-"
	}
	if r.Difference != "" {
		rows += " (MISMATCH)"
	}
	parts, segs, batches, toRead := "-", "-", "-", "-"
	if p := r.Plan; p != nil && p.Scans > 0 {
		parts = fmt.Sprintf("%d/%d", p.PartitionsKept, p.PartitionsTotal)
		segs = fmt.Sprintf("%d/%d", p.SegmentsKept, p.SegmentsTotal)
		batches = fmt.Sprintf("%d/%d", p.BatchesKept, p.BatchesTotal)
	}
	if p := r.Plan; p != nil && p.Explained {
		toRead = fmtMB(p.BytesToRead)
	}
	base, baseRuns, ratio := "-", "-", "-"
	switch bl := r.Baseline; {
	case bl == nil:
	case bl.Error != "":
		base = "ERROR"
	default:
		base, baseRuns = fmtMS(bl.MedianMS), strconv.Itoa(bl.Runs)
		if r.Ratio > 0 {
			ratio = fmtRatio(r.Ratio)
		}
	}
	fresh, freshRatio := "-", "-"
	switch f := r.Fresh; {
	case f == nil:
	case f.Error != "":
		fresh = "ERROR"
	default:
		fresh = fmtMS(f.MedianMS)
		if r.FreshRatio > 0 {
			freshRatio = fmtRatio(r.FreshRatio)
		}
	}
	target := ""
	if r.TargetMS > 0 {
		ok := r.Logq.Error == "" && r.Logq.MedianMS < r.TargetMS
		target = verdict(full, ok, "< "+strconv.FormatFloat(r.TargetMS, 'f', -1, 64)+" ms")
	}
	fmt.Fprintf(b, "| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n",
		r.ID, rows, med, mn, runs, fresh, freshRatio, parts, segs, batches, toRead, base, baseRuns, ratio, target)
}

// queryNotes returns the lines under the table for a query: its mismatch
// and errors, loudly, and why its bytes to read are not shown.
func queryNotes(r QueryResult) []string {
	var notes []string
	if r.Difference != "" {
		notes = append(notes, fmt.Sprintf("**MISMATCH** %s: %s", r.ID, r.Difference))
	}
	if r.FreshDifference != "" {
		notes = append(notes, fmt.Sprintf("**MISMATCH** %s right after the ingest and settled: %s", r.ID, r.FreshDifference))
	}
	if r.Fresh != nil && r.Fresh.Error != "" {
		notes = append(notes, fmt.Sprintf("**ERROR** %s on logq right after the ingest: %s", r.ID, r.Fresh.Error))
	}
	if r.Logq.Error != "" {
		notes = append(notes, fmt.Sprintf("**ERROR** %s on logq: %s", r.ID, r.Logq.Error))
	}
	if r.Baseline != nil && r.Baseline.Error != "" {
		notes = append(notes, fmt.Sprintf("**ERROR** %s on the baseline (answer unchecked): %s", r.ID, r.Baseline.Error))
	}
	if p := r.Plan; p != nil && !p.Explained && p.Scans > 0 {
		notes = append(notes, fmt.Sprintf("%s: MB to read not shown: %s", r.ID, p.ExplainNote))
	}
	return notes
}

// orDash returns s, or "-" when it is empty.
func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// fmtSeconds formats a duration in seconds as Go does (10s, 1.5s).
func fmtSeconds(s float64) string {
	return time.Duration(s * float64(time.Second)).String()
}

// fmtMB formats bytes as decimal megabytes: two decimals below 10 MB, so
// that the few batches of a pruned query still show.
func fmtMB(bytes int64) string {
	if bytes < 10e6 {
		return strconv.FormatFloat(float64(bytes)/1e6, 'f', 2, 64)
	}
	return mb(bytes)
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
