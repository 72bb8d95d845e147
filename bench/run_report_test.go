package bench

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
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
