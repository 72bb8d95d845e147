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
	return &QueryPhase{
		Runs: 7, Q6TraceID: "45e1107f8b92357a", SettleSeconds: 74.25, Settled: true,
		SettleNote: "settled after 74.2 s (buffers flushed, idle)", ServerPeakRSS: 800 << 20,
		Baseline: &BaselineLoad{Rows: 10_000_000, LoadSeconds: 95.04, BenchRSSBytes: 5000 << 20},
		Results: []QueryResult{
			{ID: "floor", SQL: "SELECT 1", Logq: QueryTiming{Rows: 1, MedianMS: 0.2304, MinMS: 0.1981},
				Baseline: &QueryTiming{Rows: 1, MedianMS: 0.056, MinMS: 0.054}, Ratio: 0.056 / 0.2304},
			{ID: "Q1", Logq: QueryTiming{Rows: 100, MedianMS: 1.5, MinMS: 1.25}, TargetMS: 2,
				Baseline: &QueryTiming{Rows: 100, MedianMS: 23456.7}, Ratio: 23456.7 / 1.5},
			{ID: "Q2", Logq: QueryTiming{Rows: 99, MedianMS: 7.25, MinMS: 6.5}, TargetMS: 5,
				Baseline: &QueryTiming{Rows: 100, MedianMS: 4400}, Mismatch: true},
			{ID: "Q3", Logq: QueryTiming{Error: "Error 1105: boom"}, Baseline: &QueryTiming{Rows: 5, MedianMS: 9000}},
			{ID: "Q9", Logq: QueryTiming{Rows: 59_524, MedianMS: 55.5, MinMS: 50.126}, TargetMS: 60,
				Baseline: &QueryTiming{Error: "timeout"}},
		},
		Mismatches: 1,
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

Through the MySQL wire with go-sql-driver/mysql, session time_zone '+00:00': median and min of 7 runs after one untimed warm-up, each timed to the last row read. The baseline is the same rows in a plain go-mysql-server memory table, served from the bench process.

- server before the queries: settled after 74.2 s (buffers flushed, idle); its peak RSS while answering: 800.0 MiB
- baseline: 10,000,000 rows loaded in 95.0 s; bench process RSS with it loaded 5000.0 MiB (the bench process, not the logq server)
- Q6 looks up trace_id 45e1107f8b92357a

| query | rows | logq median ms | logq min ms | baseline median ms | ratio (baseline/logq) | target (logq median) |
|---|---:|---:|---:|---:|---:|---|
| floor | 1 | 0.230 | 0.198 | 0.056 | 0.24x |  |
| Q1 | 100 | 1.50 | 1.25 | 23456.7 | 15638x | < 2 ms (met) |
| Q2 | 99 (baseline 100: MISMATCH) | 7.25 | 6.50 | 4400.0 | - | < 5 ms (MISSED) |
| Q3 | ERROR | - | - | 9000.0 | - |  |
| Q9 | 59,524 | 55.50 | 50.13 | ERROR | - | < 60 ms (met) |

**MISMATCH**: Q2 returned 99 rows from logq and 100 from the baseline.
**ERROR** Q3 on logq: Error 1105: boom
**ERROR** Q9 on the baseline: timeout
`, queries)

	// Below the full data set the targets are only shown; without the
	// baseline its columns are empty.
	r.Data.Rows = 1_000_000
	r.Queries.Baseline = nil
	for i := range r.Queries.Results {
		r.Queries.Results[i].Baseline, r.Queries.Results[i].Ratio, r.Queries.Results[i].Mismatch = nil, 0, false
	}
	b.Reset()
	require.NoError(t, writeMarkdown(&b, r))
	require.Contains(t, b.String(), "- baseline: not run (--baseline=false)\n")
	require.Contains(t, b.String(), "| Q1 | 100 | 1.50 | 1.25 | - | - | < 2 ms (at 10M rows) |\n")
	require.NotContains(t, b.String(), "MISMATCH")
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
			Settle   float64 `json:"settle_seconds"`
			Baseline struct {
				LoadSeconds float64 `json:"load_seconds"`
			} `json:"baseline"`
			Results []struct {
				ID       string  `json:"id"`
				Ratio    float64 `json:"ratio"`
				Mismatch bool    `json:"row_count_mismatch"`
				Logq     struct {
					Rows     int64   `json:"rows"`
					MedianMS float64 `json:"median_ms"`
				} `json:"logq"`
			} `json:"results"`
			Mismatches int `json:"row_count_mismatches"`
		} `json:"queries"`
	}
	require.NoError(t, json.Unmarshal(mustRead(t, path), &got))
	q := got.Queries
	require.Equal(t, 7, q.Runs)
	require.InDelta(t, 74.25, q.Settle, 0)
	require.InDelta(t, 95.04, q.Baseline.LoadSeconds, 0)
	require.Len(t, q.Results, 5)
	require.Equal(t, "Q1", q.Results[1].ID)
	require.InDelta(t, 23456.7/1.5, q.Results[1].Ratio, 1e-9)
	require.True(t, q.Results[2].Mismatch)
	require.EqualValues(t, 59_524, q.Results[4].Logq.Rows)
	require.Equal(t, 1, q.Mismatches)
}
