package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/sirupsen/logrus"
	"github.com/stretchr/testify/require"
)

var fake struct {
	once sync.Once
	dir  string
	bin  string
	err  error
}

func TestMain(m *testing.M) {
	// go-mysql-server logs every connection of the in-process servers.
	logrus.SetLevel(logrus.ErrorLevel)
	code := m.Run()
	if fake.dir != "" {
		os.RemoveAll(fake.dir)
	}
	os.Exit(code)
}

// fakeLogq builds testdata/fakelogq once per test binary and returns its path.
func fakeLogq(t *testing.T) string {
	t.Helper()
	if runtime.GOOS != "linux" {
		t.Skip("the benchmark's process handling is tested on Linux")
	}
	fake.once.Do(func() {
		if fake.dir, fake.err = os.MkdirTemp("", "logq-bench-fake-*"); fake.err != nil {
			return
		}
		fake.bin = filepath.Join(fake.dir, "logq")
		cmd := exec.Command("go", "build", "-o", fake.bin, "./testdata/fakelogq")
		out, err := cmd.CombinedOutput()
		if err != nil {
			fake.err = errors.New(string(out))
		}
	})
	require.NoError(t, fake.err)
	return fake.bin
}

// fakeEnv prepares a run against the fake binary: a private TMPDIR (so the
// test can see the data directory the run creates), a pid directory, the
// misbehaviour mode and a 64 MiB ballast. It returns the config, the TMPDIR
// and the pid directory.
func fakeEnv(t *testing.T, mode string, rows int64) (*benchConfig, string, string) {
	t.Helper()
	bin := fakeLogq(t)
	tmp, pids := t.TempDir(), t.TempDir()
	t.Setenv("TMPDIR", tmp)
	t.Setenv("FAKE_PID_DIR", pids)
	t.Setenv("FAKE_MODE", mode)
	t.Setenv("FAKE_BALLAST_MIB", "64")
	cfg := &benchConfig{
		gen:             GenOptions{Rows: rows, Days: 1, Seed: 5, Start: defaultStart},
		bin:             bin,
		cacheDir:        t.TempDir(),
		workDir:         tmp,
		readyTimeout:    10 * time.Second,
		shutdownTimeout: 10 * time.Second,
		rssInterval:     10 * time.Millisecond,
	}
	return cfg, tmp, pids
}

// requireGone requires every process that left a pid in pids to be gone
// (killed and reaped) and no data directory to be left in tmp.
func requireGone(t *testing.T, tmp, pids string) {
	t.Helper()
	entries, err := os.ReadDir(pids)
	require.NoError(t, err)
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), ".") {
			continue // a pid being written when the fake was killed (writePID)
		}
		b, err := os.ReadFile(filepath.Join(pids, e.Name()))
		require.NoError(t, err)
		pid, err := strconv.Atoi(string(b))
		require.NoError(t, err)
		require.ErrorIs(t, syscall.Kill(pid, 0), syscall.ESRCH, "fake %s (pid %d) still exists", e.Name(), pid)
	}
	left, err := filepath.Glob(filepath.Join(tmp, "logq-bench-data-*"))
	require.NoError(t, err)
	require.Empty(t, left, "data directory left behind")
}

func TestRunBenchFake(t *testing.T) {
	const rows = 3000
	cfg, tmp, pids := fakeEnv(t, "", rows)
	var stderr bytes.Buffer
	res, err := runBench(context.Background(), cfg, &stderr)
	require.NoError(t, err, stderr.String())

	fi, err := os.Stat(res.Data.File)
	require.NoError(t, err)
	require.Equal(t, DataSet{File: filepath.Join(cfg.cacheDir, "logq-bench-v1-rows3000-days1-seed5.jsonl"),
		Rows: rows, Bytes: fi.Size(), Days: 1, Seed: 5, Generated: true, GenSeconds: res.Data.GenSeconds}, res.Data)

	in := res.Ingest
	require.EqualValues(t, rows, in.Rows)
	require.Positive(t, in.Seconds)
	require.InDelta(t, rows/in.Seconds, in.RowsPerSecond, 1e-6)
	require.Equal(t, Disk{TotalBytes: 10*rows + 16 + 100, SegmentBytes: 10 * rows, WALBytes: 16, OtherBytes: 100,
		Segments: 1, Files: 3, BytesPerRow: float64(10*rows+116) / rows}, in.Disk)
	// The fake holds a touched 64 MiB ballast; each source must see it.
	const ballast = 64 << 20
	require.Positive(t, in.RSS.Samples)
	require.GreaterOrEqual(t, in.RSS.SampledPeakBytes, int64(ballast))
	require.GreaterOrEqual(t, in.RSS.HWMBytes, int64(ballast))
	require.Less(t, in.PeakRSSBytes, int64(4*ballast))
	require.Equal(t, max(in.RSS.SampledPeakBytes, in.RSS.HWMBytes), in.PeakRSSBytes)
	require.Contains(t, stderr.String(), "ingest| ingested: accepted=3000 rejected=0")
	require.Contains(t, stderr.String(), "ingest| progress: 3000 rows")
	requireGone(t, tmp, pids)

	// A second run reuses the cached data file.
	stderr.Reset()
	res2, err := runBench(context.Background(), cfg, &stderr)
	require.NoError(t, err, stderr.String())
	require.False(t, res2.Data.Generated)
	require.Equal(t, res.Data.Bytes, res2.Data.Bytes)
	require.Contains(t, stderr.String(), "bench: reusing ")
}

func TestRunBenchFailures(t *testing.T) {
	for _, tc := range []struct {
		mode, bin, want string
	}{
		{mode: "serve-exit", want: "exited before it was ready: exit status 3; last output:\n    error: cannot open data dir: disk on fire"},
		{mode: "serve-hang", want: "printed no ready line within 3s; last output:\n    starting slowly"},
		{mode: "serve-noready", want: `ready line "ready mysql=127.0.0.1:1" has no http=ADDR`},
		{mode: "serve-term-fail", want: "logq serve: exit status 1; last output:"},
		{mode: "ingest-fail", want: "logq ingest: exit status 1; last output:\n    ingest: connection refused"},
		{mode: "ingest-reject", want: "ingest accepted 295 and rejected 5 of 300 rows"},
		{bin: "/nonexistent/logq", want: "start logq serve"},
	} {
		t.Run(tc.mode+tc.bin, func(t *testing.T) {
			cfg, tmp, pids := fakeEnv(t, tc.mode, 300)
			if tc.bin != "" {
				cfg.bin = tc.bin
			}
			// Only the hanging fake waits the whole timeout; the others end
			// as soon as the fake exits or prints, however loaded the
			// machine (a 500 ms bound for all of them failed under load).
			cfg.readyTimeout = 30 * time.Second
			if tc.mode == "serve-hang" {
				cfg.readyTimeout = 3 * time.Second
			}
			var stderr bytes.Buffer
			_, err := runBench(context.Background(), cfg, &stderr)
			require.ErrorContains(t, err, tc.want)
			requireGone(t, tmp, pids)
		})
	}
}

func TestRunBenchCancel(t *testing.T) {
	cfg, tmp, pids := fakeEnv(t, "ingest-slow", 300)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		// Cancel once the client runs, as Ctrl-C during ingest would.
		for {
			if _, err := os.Stat(filepath.Join(pids, "ingest")); err == nil {
				cancel()
				return
			}
			time.Sleep(10 * time.Millisecond)
		}
	}()
	t0 := time.Now()
	var stderr bytes.Buffer
	_, err := runBench(ctx, cfg, &stderr)
	require.ErrorIs(t, err, context.Canceled)
	require.Less(t, time.Since(t0), 8*time.Second)
	requireGone(t, tmp, pids)
}

func TestRunBenchCommand(t *testing.T) {
	cfg, tmp, _ := fakeEnv(t, "", 2000)
	out := filepath.Join(t.TempDir(), "results.json")
	args := []string{"--bin", cfg.bin, "--rows", "2000", "--days", "1", "--cache-dir", cfg.cacheDir, "--out", out, "--keep",
		"--runs", "2", "--baseline-budget", "1ns", "--settle", "0"}
	var stdout, stderr bytes.Buffer
	// The fake's SQL table is empty, so its answers differ from the
	// baseline's: the run prints its figures, then fails loudly.
	require.Equal(t, 1, RunBench(context.Background(), args, &stdout, &stderr), stderr.String())
	require.Contains(t, stdout.String(), "| rows ingested | 2,000 |  |\n")
	require.Contains(t, stdout.String(), "| segments | 1 (0.0 MB) |  |\n")
	require.Contains(t, stdout.String(), "machine: ")

	data, err := os.ReadFile(out)
	require.NoError(t, err)
	var res Result
	require.NoError(t, json.Unmarshal(data, &res))
	require.EqualValues(t, 2000, res.Ingest.Rows)
	require.EqualValues(t, 20000, res.Ingest.Disk.SegmentBytes)
	require.Equal(t, runtime.NumCPU(), res.Machine.Cores)

	// --keep leaves the data directory, with what the server wrote, and
	// says where it is.
	kept, err := filepath.Glob(filepath.Join(tmp, "logq-bench-data-*", "parts", "p1", "000001.seg"))
	require.NoError(t, err)
	require.Len(t, kept, 1)
	require.Contains(t, stderr.String(), "bench: kept data directory "+filepath.Dir(filepath.Dir(filepath.Dir(kept[0])))+"\n")

	// The query phase ran every query against the fake's (empty) SQL
	// server and the baseline: the floor matches, Q2 does not.
	require.Contains(t, stdout.String(), "## logq bench: queries\n")
	require.Contains(t, stdout.String(), "| floor | 1 | ")
	require.Contains(t, stdout.String(), "| Q2 | 0 (MISMATCH) | ")
	require.Contains(t, stdout.String(), "**MISMATCH** Q2: 0 rows from logq, 100 from the baseline; first differing row 1: logq (none), baseline [")
	require.Contains(t, stderr.String(), "logq bench: FAILED: Q2: logq and the baseline answer differently: 0 rows from logq, 100 from the baseline; first differing row 1: logq (none), baseline [")
	require.Contains(t, stderr.String(), "logq bench: FAILED: Q10: logq and the baseline answer differently: 1 rows from logq, 1 from the baseline; "+
		`first differing row 1: logq ["0"], baseline ["2000"]`)
	require.NotNil(t, res.Queries)
	require.Equal(t, 2, res.Queries.Runs)
	require.Len(t, res.Queries.Results, 11, "all of Q1-Q10 and the floor by default")
	require.EqualValues(t, 2000, res.Queries.Baseline.Rows)
	for _, r := range res.Queries.Results {
		require.Equal(t, 1, r.Baseline.Runs, "%s: the budget allows the one run", r.ID)
		if r.ID == "Q8" { // the fake's table has no latency_ms
			require.Contains(t, r.Logq.Error, "latency_ms", r.ID)
			require.False(t, r.Compared)
			continue
		}
		require.True(t, r.Compared, r.ID)
		require.Equal(t, 2, r.Logq.Runs, r.ID)
	}
	require.Positive(t, res.Queries.Mismatches)
	require.Equal(t, 1, res.Queries.Errors)
	require.Contains(t, stderr.String(), "logq bench: FAILED: Q8 failed on logq: warm-up: ")

	// Without the baseline nothing is compared, and answers the fake gives
	// fail nothing.
	stdout.Reset()
	stderr.Reset()
	require.Equal(t, 0, RunBench(context.Background(), append(args, "--baseline=false", "--queries", "Q2,Q6"), &stdout, &stderr), stderr.String())
	require.NotContains(t, stdout.String(), "MISMATCH")
	require.Contains(t, stdout.String(), "| Q6 | 0 | ")

	for _, bad := range [][]string{{"--rows", "0"}, {"--days", "-1"}, {"--nope"}, {"extra"}, {"--queries", "Q99"}, {"--runs", "0"},
		{"--queries", "none", "--cpuprofile", "x"}} {
		require.Equal(t, 2, RunBench(context.Background(), bad, &stdout, &stderr), "%q", bad)
	}
	require.Equal(t, 0, RunBench(context.Background(), []string{"-h"}, &stdout, &stderr))
}

func TestRunBenchDataFile(t *testing.T) {
	cfg, tmp, pids := fakeEnv(t, "", 0)
	cfg.dataFile = filepath.Join(t.TempDir(), "mine.jsonl")
	require.NoError(t, os.WriteFile(cfg.dataFile, []byte(strings.Repeat(`{"ts":1,"message":"x"}`+"\n", 1234)), 0o644))
	var stderr bytes.Buffer
	res, err := runBench(context.Background(), cfg, &stderr)
	require.NoError(t, err, stderr.String())
	require.Equal(t, DataSet{File: cfg.dataFile, Rows: 1234, Bytes: 1234 * 23}, res.Data)
	require.EqualValues(t, 1234, res.Ingest.Rows)
	requireGone(t, tmp, pids)
}

// fakeQueries selects a query phase for a fake run: the floor, Q2, Q6 and
// Q9, two runs each; the fake reports no buffered rows, so nothing settles.
func fakeQueries(cfg *benchConfig, baseline bool) {
	cfg.queries = []string{floorID, "Q2", "Q6", "Q9"}
	cfg.runs = 2
	cfg.baseline = baseline
	cfg.baselineBudget = time.Hour // every run: the fake's answers are instant
	cfg.settle = settleConfig{timeout: 10 * time.Second, quiet: time.Second, poll: 10 * time.Millisecond}
}

func TestRunBenchFakeQueries(t *testing.T) {
	const rows = 3000
	cfg, tmp, pids := fakeEnv(t, "", rows)
	fakeQueries(cfg, true)
	var stderr bytes.Buffer
	res, err := runBench(context.Background(), cfg, &stderr)
	require.NoError(t, err, stderr.String())
	requireGone(t, tmp, pids)

	// The ingest figures stand as without queries.
	require.EqualValues(t, rows, res.Ingest.Rows)
	require.GreaterOrEqual(t, res.Ingest.PeakRSSBytes, int64(64<<20))
	require.Positive(t, res.Ingest.RSS.Samples)
	require.Equal(t, 10*rows, int(res.Ingest.Disk.SegmentBytes))

	q := res.Queries
	require.NotNil(t, q)
	require.False(t, q.Settled)
	require.Contains(t, q.SettleNote, "not waited for")
	require.Positive(t, q.ServerPeakRSS)
	row, err := RowAt(cfg.gen, rows/3)
	require.NoError(t, err)
	require.Equal(t, row.TraceID, q.Q6TraceID)
	require.EqualValues(t, rows, q.Baseline.Rows)
	require.Positive(t, q.Baseline.LoadSeconds)

	// The fake's table is empty; the data covers one day, before Q9's hour.
	wantLogq := map[string]int64{"floor": 1}
	wantBase := map[string]int64{"floor": 1, "Q2": 100, "Q6": 1}
	require.Len(t, q.Results, 4)
	for _, r := range q.Results {
		require.Empty(t, r.Logq.Error, r.ID)
		require.Empty(t, r.Baseline.Error, r.ID)
		require.Equal(t, wantLogq[r.ID], r.Logq.Rows, r.ID)
		require.Equal(t, wantBase[r.ID], r.Baseline.Rows, r.ID)
		require.True(t, r.Compared, r.ID)
		require.Equal(t, wantLogq[r.ID] != wantBase[r.ID], r.Difference != "", r.ID)
		require.Len(t, r.Logq.RunsMS, 2)
		require.Len(t, r.Baseline.RunsMS, 2)
		require.Positive(t, r.Logq.MinMS)
		require.Positive(t, r.Baseline.MinMS)
		require.InDelta(t, r.Baseline.MedianMS/r.Logq.MedianMS, r.Ratio, 1e-9)
		require.Nil(t, r.Plan, "the fake has no scan counters")
	}
	require.Equal(t, 2, q.Mismatches)
	require.Zero(t, q.Errors)
	require.ErrorContains(t, q.failure(), "Q6: logq and the baseline answer differently: 0 rows from logq, 1 from the baseline")
	require.Contains(t, stderr.String(), "bench: MISMATCH: Q2: 0 rows from logq, 100 from the baseline; first differing row 1: logq (none), baseline [")
	require.Contains(t, stderr.String(), "bench: baseline loaded: 3000 rows")
	require.Contains(t, stderr.String(), "bench: plan figures not collected: scrape http://127.0.0.1:")

	// Without the baseline.
	cfg.baseline = false
	res, err = runBench(context.Background(), cfg, &stderr)
	require.NoError(t, err, stderr.String())
	require.Nil(t, res.Queries.Baseline)
	for _, r := range res.Queries.Results {
		require.Nil(t, r.Baseline)
		require.False(t, r.Compared)
	}
	require.NoError(t, res.Queries.failure())
	requireGone(t, tmp, pids)
}

func TestRunBenchSQLDown(t *testing.T) {
	cfg, tmp, pids := fakeEnv(t, "sql-down", 300)
	fakeQueries(cfg, true)
	var stderr bytes.Buffer
	_, err := runBench(context.Background(), cfg, &stderr)
	require.ErrorContains(t, err, "logq at 127.0.0.1:1: connect: ")
	requireGone(t, tmp, pids)
}
