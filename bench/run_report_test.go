package bench

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func sampleResult() *Result {
	return &Result{
		Machine: Machine{Cores: 2, CPU: "AMD EPYC", OS: "linux", Arch: "amd64", Kernel: "6.18.44",
			GoVersion: "go1.26.8", Date: "2026-11-25T19:40:00Z", Binary: "/usr/bin/logq"},
		Data: DataSet{File: "/tmp/data.jsonl", Rows: 10_000_000, Bytes: 2_229_446_788, Days: 7, Seed: 1},
		Ingest: IngestResult{
			Rows: 10_000_000, Seconds: 10.5, RowsPerSecond: 952_380.95, MBPerSecond: 212.33,
			ShutdownSeconds: 1.234, ServerCPUSeconds: 17.25, PeakRSSBytes: 1100 << 20,
			RSS:  RSS{SampledPeakBytes: 1000 << 20, HWMBytes: 1100 << 20, Samples: 230},
			Disk: Disk{TotalBytes: 361_000_000, SegmentBytes: 360_900_000, WALBytes: 0, OtherBytes: 100_000, Segments: 36, Files: 80, BytesPerRow: 36.1},
		},
	}
}

func TestWriteMarkdown(t *testing.T) {
	var b bytes.Buffer
	require.NoError(t, writeMarkdown(&b, sampleResult()))
	require.Equal(t, `## logq bench: ingest

machine: 2 cores (AMD EPYC), linux/amd64, kernel 6.18.44, go1.26.8, 2026-11-25T19:40:00Z
data: 10,000,000 rows, 2229.4 MB (222.9 B/row) over 7 days, seed 1: /tmp/data.jsonl

| figure | value | target |
|---|---:|---|
| rows ingested | 10,000,000 |  |
| ingest seconds | 10.50 |  |
| rows/s | 952,380 | >= 750,000 (met) |
| JSON MB/s | 212.3 |  |
| server shutdown seconds (final flush) | 1.23 |  |
| server CPU seconds | 17.2 |  |
| peak RSS MiB | 1100.0 | < 1,024 (MISSED) |
| bytes on disk MB | 361.0 |  |
| bytes on disk per row | 36.1 |  |
| segments | 36 (360.9 MB) |  |
| WAL MB / other MB | 0.0 / 0.1 |  |
`, b.String())

	r := sampleResult()
	r.Ingest.FlushBytesWritten, r.Ingest.CompactionBytesWritten, r.Ingest.WriteAmplification = 400_000_000, 350_000_000, 2.08
	r.Ingest.GCCPUShare = 0.123
	r.Ingest.RateOverTime = []RateSpan{{EndSeconds: 5.25, RowsPerSecond: 1_000_000}, {EndSeconds: 10.5, RowsPerSecond: 904_761.9}}
	r.Ingest.MemoryPeaks = &MemoryPeaks{HeapInuse: 700 << 20, Buffers: 192 << 20, Catalog: 3 << 19, Compaction: 0}
	b.Reset()
	require.NoError(t, writeMarkdown(&b, r))
	require.Contains(t, b.String(), "| peak RSS MiB | 1100.0 | < 1,024 (MISSED) |\n"+
		"| write amplification (segment MB written by flushes + compactions / stored, at the settle) | 2.08 (400.0 + 350.0 MB) |  |\n"+
		"| GC share of the server's CPU, up to the settle | 12.3% |  |\n"+
		"| peak MiB over the ingest | heap in use 700.0, buffers 192.0, catalog 1.5, compaction 0.0 |  |\n"+
		"| rows/s over the ingest (to the end of each span) | 1,000,000 (5 s), 904,761 (10 s) |  |\n")
}

func TestWriteJSON(t *testing.T) {
	path := filepath.Join(t.TempDir(), "r.json")
	require.NoError(t, writeJSON(path, sampleResult()))
	var got map[string]any
	require.NoError(t, json.Unmarshal(mustRead(t, path), &got))
	ingest := got["ingest"].(map[string]any)
	require.InDelta(t, 952_380.95, ingest["rows_per_second"], 1e-9)
	require.InDelta(t, 1100<<20, ingest["peak_rss_bytes"], 0)
	require.InDelta(t, 36, ingest["disk"].(map[string]any)["segments"], 0)
	require.Equal(t, "go1.26.8", got["machine"].(map[string]any)["go_version"])
	nested := filepath.Join(t.TempDir(), "missing", "r.json")
	require.NoError(t, writeJSON(nested, sampleResult()), "the directory is created")
	require.FileExists(t, nested)
	blocker := filepath.Join(t.TempDir(), "file")
	require.NoError(t, os.WriteFile(blocker, nil, 0o644))
	require.Error(t, writeJSON(filepath.Join(blocker, "r.json"), sampleResult()), "a file where the directory should be")
	_ = os.Remove(path)
}

func TestGroup(t *testing.T) {
	for n, want := range map[int64]string{0: "0", 7: "7", 999: "999", 1000: "1,000", 1234567: "1,234,567", -45000: "-45,000"} {
		require.Equal(t, want, group(n))
	}
}

func sampleQueries() *QueryPhase {
	q1Plan := &PlanFigures{Scans: 1, PartitionsKept: 1, PartitionsTotal: 28, SegmentsKept: 1, SegmentsTotal: 77,
		BatchesKept: 2, BatchesTotal: 1220, BatchesDecoded: 2, BytesRead: 401_234,
		BytesToRead: 401_234, BytesTotal: 399_123_456, Explained: true}
	q3Plan := &PlanFigures{Scans: 1, PartitionsKept: 28, PartitionsTotal: 28, SegmentsKept: 77, SegmentsTotal: 77,
		BatchesKept: 1220, BatchesTotal: 1220, ExplainNote: "EXPLAIN PLAN shows no pruning (no indexed read of logs)"}
	return &QueryPhase{
		Runs: 7, BudgetSeconds: 10, Q6TraceID: "45e1107f8b92357a", SettleSeconds: 74.25, Settled: true,
		SettleNote: "settled after 74.2 s (buffers flushed, idle)", ServerPeakRSS: 800 << 20,
		CPUProfile: "/tmp/cpu.pprof",
		Baseline:   &BaselineLoad{Rows: 10_000_000, LoadSeconds: 95.04, BenchRSSBytes: 5000 << 20},
		Results: []QueryResult{
			{ID: "floor", SQL: "SELECT 1", Logq: QueryTiming{Rows: 1, MedianMS: 0.2304, MinMS: 0.1981, Runs: 7},
				Baseline: &QueryTiming{Rows: 1, MedianMS: 0.056, MinMS: 0.054, Runs: 7}, Ratio: 0.056 / 0.2304, Compared: true},
			{ID: "Q1", Logq: QueryTiming{Rows: 100, MedianMS: 1.5, MinMS: 1.25, Runs: 7}, TargetMS: 2, Plan: q1Plan,
				Baseline: &QueryTiming{Rows: 100, MedianMS: 23456.7, Runs: 1}, Ratio: 23456.7 / 1.5, Compared: true},
			{ID: "Q2", Logq: QueryTiming{Rows: 100, MedianMS: 7.25, MinMS: 6.5, Runs: 7}, TargetMS: 5,
				Baseline: &QueryTiming{Rows: 100, MedianMS: 4400, Runs: 2}, Ratio: 4400 / 7.25, Compared: true,
				Difference: "100 rows from logq, 100 from the baseline; first differing row 3: logq [a], baseline [b]"},
			{ID: "Q3", Logq: QueryTiming{Error: "Error 1105: boom"}, Baseline: &QueryTiming{Rows: 5, MedianMS: 9000, Runs: 1}, Plan: q3Plan},
			{ID: "Q9", Logq: QueryTiming{Rows: 59_524, MedianMS: 55.5, MinMS: 50.126, Runs: 7}, TargetMS: 60,
				Baseline: &QueryTiming{Error: "timeout"}},
		},
		Mismatches: 1, Errors: 2,
	}
}

func TestWriteMarkdownQueries(t *testing.T) {
	r := sampleResult()
	r.Queries = sampleQueries()
	var b bytes.Buffer
	require.NoError(t, writeMarkdown(&b, r))
	_, queries, ok := strings.Cut(b.String(), "| WAL MB / other MB | 0.0 / 0.1 |  |\n")
	require.True(t, ok)
	require.Equal(t, `
## logq bench: queries

Through the MySQL wire with go-sql-driver/mysql, session time_zone '+00:00', each run timed to the last row read: logq's median and min of 7 runs after one untimed warm-up. The baseline is the same rows in a plain go-mysql-server memory table, served from the bench process: one warm-up, then runs until 10s is spent (at least 1, at most 7). Every answer of logq (its warm-up's) was compared in full with the baseline's.

- server before the queries: settled after 74.2 s (buffers flushed, idle); its peak RSS while answering: 800.0 MiB
- baseline: 10,000,000 rows loaded in 95.0 s (while the server settled); bench process RSS with it loaded 5000.0 MiB (the bench process, not the logq server)
- partitions, segments, batches: kept by pruning out of those that existed, in logq's warm-up run; MB to read: compressed size of the kept batches (EXPLAIN PLAN), out of 399.1 MB of segments
- server profiles of logq's query phase: CPU /tmp/cpu.pprof, heap -
- Q6 looks up trace_id 45e1107f8b92357a

| query | rows | logq median ms | logq min ms | runs | fresh median ms | fresh/settled | partitions | segments | batches | MB to read | baseline median ms | baseline runs | ratio (baseline/logq) | target (logq median) |
|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|
| floor | 1 | 0.230 | 0.198 | 7 | - | - | - | - | - | - | 0.056 | 7 | 0.24x |  |
| Q1 | 100 | 1.50 | 1.25 | 7 | - | - | 1/28 | 1/77 | 2/1220 | 0.40 | 23456.7 | 1 | 15638x | < 2 ms (met) |
| Q2 | 100 (MISMATCH) | 7.25 | 6.50 | 7 | - | - | - | - | - | - | 4400.0 | 2 | 607x | < 5 ms (MISSED) |
| Q3 | ERROR | - | - | - | - | - | 28/28 | 77/77 | 1220/1220 | - | 9000.0 | 1 | - |  |
| Q9 | 59,524 | 55.50 | 50.13 | 7 | - | - | - | - | - | - | ERROR | - | - | < 60 ms (met) |

**MISMATCH** Q2: 100 rows from logq, 100 from the baseline; first differing row 3: logq [a], baseline [b]
**ERROR** Q3 on logq: Error 1105: boom
Q3: MB to read not shown: EXPLAIN PLAN shows no pruning (no indexed read of logs)
**ERROR** Q9 on the baseline (answer unchecked): timeout
`, queries)

	// Below the full data set the targets are only shown; without the
	// baseline its columns are empty.
	r.Data.Rows = 1_000_000
	r.Queries.Baseline = nil
	for i := range r.Queries.Results {
		r.Queries.Results[i].Baseline, r.Queries.Results[i].Ratio, r.Queries.Results[i].Difference = nil, 0, ""
	}
	b.Reset()
	require.NoError(t, writeMarkdown(&b, r))
	require.Contains(t, b.String(), "- baseline: not run (--baseline=false): answers not checked\n")
	require.Contains(t, b.String(), "| Q1 | 100 | 1.50 | 1.25 | 7 | - | - | 1/28 | 1/77 | 2/1220 | 0.40 | - | - | - | < 2 ms (at 10M rows) |\n")
	require.NotContains(t, b.String(), "MISMATCH")
	require.NotContains(t, b.String(), "compared in full")

	// With the fresh phase: its median, its ratio to the settled one, and
	// a fresh answer that differs, loudly.
	r.Queries.Results[1].Fresh = &QueryTiming{Rows: 100, MedianMS: 3.0}
	r.Queries.Results[1].FreshRatio = 2
	r.Queries.Results[4].Fresh = &QueryTiming{Error: "gone"}
	r.Queries.Results[4].FreshDifference = "1 rows from logq, 2 from the baseline"
	b.Reset()
	require.NoError(t, writeMarkdown(&b, r))
	require.Contains(t, b.String(), "- fresh: logq timed the same way right after the ingest")
	require.Contains(t, b.String(), "| Q1 | 100 | 1.50 | 1.25 | 7 | 3.00 | 2.00x | 1/28 |")
	require.Contains(t, b.String(), "| Q9 | 59,524 | 55.50 | 50.13 | 7 | ERROR | - |")
	require.Contains(t, b.String(), "**MISMATCH** Q9 right after the ingest and settled: 1 rows from logq")
	require.Contains(t, b.String(), "**ERROR** Q9 on logq right after the ingest: gone")
}

func TestWriteJSONQueries(t *testing.T) {
	r := sampleResult()
	path := filepath.Join(t.TempDir(), "r.json")
	require.NoError(t, writeJSON(path, r))
	require.NotContains(t, string(mustRead(t, path)), `"queries"`, "no query phase, no section")
	r.Queries = sampleQueries()
	require.NoError(t, writeJSON(path, r))
	var got struct {
		Queries struct {
			Runs     int     `json:"runs"`
			Budget   float64 `json:"baseline_budget_seconds"`
			Settle   float64 `json:"settle_seconds"`
			CPU      string  `json:"cpu_profile"`
			Baseline struct {
				LoadSeconds float64 `json:"load_seconds"`
			} `json:"baseline"`
			Results []struct {
				ID         string  `json:"id"`
				Ratio      float64 `json:"ratio"`
				Compared   bool    `json:"compared"`
				Difference string  `json:"difference"`
				Logq       struct {
					Rows     int64   `json:"rows"`
					MedianMS float64 `json:"median_ms"`
					Runs     int     `json:"runs"`
				} `json:"logq"`
				Plan *struct {
					PartitionsKept  int64 `json:"partitions_kept"`
					PartitionsTotal int64 `json:"partitions_total"`
					BatchesKept     int64 `json:"batches_kept"`
					BytesToRead     int64 `json:"bytes_to_read"`
					BytesRead       int64 `json:"bytes_read"`
					Explained       bool  `json:"explained"`
				} `json:"plan"`
				Baseline struct {
					Runs int `json:"runs"`
				} `json:"baseline"`
			} `json:"results"`
			Mismatches int `json:"mismatches"`
			Errors     int `json:"errors"`
		} `json:"queries"`
	}
	require.NoError(t, json.Unmarshal(mustRead(t, path), &got))
	q := got.Queries
	require.Equal(t, 7, q.Runs)
	require.InDelta(t, 10, q.Budget, 0)
	require.InDelta(t, 74.25, q.Settle, 0)
	require.Equal(t, "/tmp/cpu.pprof", q.CPU)
	require.InDelta(t, 95.04, q.Baseline.LoadSeconds, 0)
	require.Len(t, q.Results, 5)
	require.Equal(t, "Q1", q.Results[1].ID)
	require.InDelta(t, 23456.7/1.5, q.Results[1].Ratio, 1e-9)
	require.Equal(t, 7, q.Results[1].Logq.Runs)
	require.Equal(t, 1, q.Results[1].Baseline.Runs)
	require.True(t, q.Results[1].Compared)
	require.EqualValues(t, 1, q.Results[1].Plan.PartitionsKept)
	require.EqualValues(t, 28, q.Results[1].Plan.PartitionsTotal)
	require.EqualValues(t, 2, q.Results[1].Plan.BatchesKept)
	require.EqualValues(t, 401_234, q.Results[1].Plan.BytesToRead)
	require.EqualValues(t, 401_234, q.Results[1].Plan.BytesRead)
	require.True(t, q.Results[1].Plan.Explained)
	require.Nil(t, q.Results[0].Plan)
	require.Contains(t, q.Results[2].Difference, "first differing row 3")
	require.EqualValues(t, 59_524, q.Results[4].Logq.Rows)
	require.Equal(t, 1, q.Mismatches)
	require.Equal(t, 2, q.Errors)
}
