package bench

import (
	"bytes"
	"encoding/json"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// smokeBinEnv names a prebuilt logq binary for TestBenchSmoke; `make test`
// sets it to the one it has just built, so that the test need not link
// another. Without it the test builds the binary itself.
const smokeBinEnv = "LOGQ_BENCH_SMOKE_BIN"

// smokeBinary returns the logq binary TestBenchSmoke runs.
func smokeBinary(t *testing.T) string {
	if bin := os.Getenv(smokeBinEnv); bin != "" {
		return bin
	}
	bin := filepath.Join(t.TempDir(), "logq")
	out, err := exec.Command("go", "build", "-o", bin, "logq").CombinedOutput()
	require.NoError(t, err, "build logq: %s", out)
	return bin
}

// TestBenchSmoke runs `logq bench --rows 200000` end to end with the real
// binary, as a user would: a real server, ingest through `logq ingest`,
// every query, the baseline, the profiles and --keep. It checks what the
// run shows, above all that every answer of logq equals the baseline's; it
// asserts no timing. To keep it short it makes one run per query and
// skips the settle wait; a small --flush-bytes makes the server answer
// from segments and from unflushed buffers at once.
func TestBenchSmoke(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("the benchmark's process handling is tested on Linux")
	}
	if testing.Short() {
		t.Skip("runs the whole benchmark at 200,000 rows")
	}
	bin := smokeBinary(t)
	dir := t.TempDir()
	out, cpu, heap := filepath.Join(dir, "r.json"), filepath.Join(dir, "cpu.pprof"), filepath.Join(dir, "heap.pprof")
	cmd := exec.Command(bin, "bench", "--rows", "200000", "--runs", "3", "--baseline-budget", "1ns", "--settle", "0",
		"--serve-args", "--flush-bytes 1048576", "--cache-dir", dir, "--work-dir", dir,
		"--out", out, "--cpuprofile", cpu, "--memprofile", heap, "--keep")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	require.NoError(t, cmd.Run(), "stderr:\n%s", stderr.String())

	var res Result
	require.NoError(t, json.Unmarshal(mustRead(t, out), &res))
	require.EqualValues(t, 200_000, res.Ingest.Rows)
	// Every stored byte was written at least once, by a flush.
	require.GreaterOrEqual(t, res.Ingest.WriteAmplification, 1.0)
	require.Positive(t, res.Ingest.FlushBytesWritten)
	require.Greater(t, res.Ingest.GCCPUShare, 0.0)
	require.Less(t, res.Ingest.GCCPUShare, 1.0)
	require.NotNil(t, res.Ingest.MemoryPeaks, "sampled from the first tick of the ingest")
	require.Positive(t, res.Ingest.MemoryPeaks.HeapInuse)
	q := res.Queries
	require.NotNil(t, q)
	require.EqualValues(t, 200_000, q.Baseline.Rows)
	require.Zero(t, q.Mismatches)
	require.Zero(t, q.Errors)
	require.Len(t, q.Results, 11)
	rows := map[string]int64{}
	for _, r := range q.Results {
		require.True(t, r.Compared, "%s: answers compared", r.ID)
		require.Empty(t, r.Difference, r.ID)
		require.Empty(t, r.Logq.Error, r.ID)
		require.Equal(t, r.Baseline.Rows, r.Logq.Rows, r.ID)
		// Right after the ingest the same answer, whatever was buffered.
		require.NotNil(t, r.Fresh, r.ID)
		require.Empty(t, r.Fresh.Error, r.ID)
		require.Empty(t, r.FreshDifference, r.ID)
		rows[r.ID] = r.Logq.Rows
	}
	require.Equal(t, map[string]int64{"floor": 1, "Q1": rows["Q1"], "Q2": 100, "Q3": 5, "Q4": rows["Q4"], "Q5": 1, "Q6": 1,
		"Q7": 10, "Q8": 50, "Q9": rows["Q9"], "Q10": 1}, rows)
	for _, id := range []string{"Q1", "Q4", "Q9"} {
		require.Positive(t, rows[id], "the data must give %s rows to compare", id)
	}
	checkSmokePlans(t, q.Results)

	md := stdout.String()
	require.Contains(t, md, "machine: ")
	require.Contains(t, md, "Every answer of logq (its warm-up's) was compared in full with the baseline's.")
	require.Regexp(t, `\n\| Q1 \| \d+ \| [0-9.]+ \| [0-9.]+ \| 3 \| [0-9.]+ \| [0-9.]+x \| 1/\d+ \| `, md)
	require.NotContains(t, md, "MISMATCH")

	// --keep: the data directory stays, with the server's segments.
	m := regexp.MustCompile(`bench: kept data directory (\S+)\n`).FindStringSubmatch(stderr.String())
	require.NotNil(t, m, stderr.String())
	segs := 0
	require.NoError(t, filepath.WalkDir(m[1], func(path string, e fs.DirEntry, err error) error {
		if err == nil && strings.HasSuffix(path, ".seg") {
			segs++
		}
		return err
	}))
	require.Positive(t, segs)

	// The profiles are the server's, of the query phase: go tool pprof
	// reads them, and the CPU profile shows the server at work. Which of
	// its packages the few samples of a short run land in is chance (a
	// fast run once sampled only go-mysql-server's row conversion), so any
	// of the server's will do.
	top := pprofTop(t, cpu)
	require.Contains(t, top, "Type: cpu")
	require.Regexp(t, `logq/engine\.|logq/partitions|go-mysql-server|dolthub/vitess`, top)
	require.NotContains(t, top, "logq/bench.", "the bench process is not the one profiled")
	require.Contains(t, pprofTop(t, heap, "-sample_index=inuse_space"), "Type: inuse_space")
}

// checkSmokePlans checks the plan figures of a smoke run: Q1 is pruned to
// a few batches and EXPLAIN PLAN shows its bytes, Q3 reads everything
// without an indexed read, the floor reads nothing.
func checkSmokePlans(t *testing.T, results []QueryResult) {
	plans := map[string]*PlanFigures{}
	for _, r := range results {
		plans[r.ID] = r.Plan
	}
	require.Nil(t, plans["floor"])
	q1 := plans["Q1"]
	require.NotNil(t, q1)
	require.True(t, q1.Explained, q1.ExplainNote)
	require.Equal(t, int64(1), q1.PartitionsKept, "one day, one shard")
	require.Greater(t, q1.PartitionsTotal, q1.PartitionsKept)
	require.Greater(t, q1.BatchesTotal, q1.BatchesKept)
	require.Positive(t, q1.BytesToRead)
	require.Greater(t, q1.BytesTotal, q1.BytesToRead)
	q3 := plans["Q3"]
	require.NotNil(t, q3)
	require.Positive(t, q3.Scans)
	require.Equal(t, q3.PartitionsTotal, q3.PartitionsKept)
	require.Equal(t, q3.BatchesTotal, q3.BatchesKept)
	for id, p := range plans {
		if p != nil {
			require.LessOrEqual(t, p.BatchesDecoded+p.BatchCacheHits, p.BatchesKept, "%s reads only kept batches", id)
		}
	}
}

// pprofTop returns `go tool pprof -top` of a profile, failing when pprof
// cannot read it.
func pprofTop(t *testing.T, path string, flags ...string) string {
	args := append(append([]string{"tool", "pprof", "-top", "-nodecount=200"}, flags...), path)
	out, err := exec.Command("go", args...).CombinedOutput()
	require.NoError(t, err, "go tool pprof %s: %s", path, out)
	return string(out)
}
