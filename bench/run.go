package bench

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/sirupsen/logrus"
)

// benchConfig holds the flags of `logq bench`.
type benchConfig struct {
	gen       GenOptions
	out       string       // JSON results file; empty: none
	keep      bool         // keep the server's data directory
	dataFile  string       // reuse this JSON-lines file instead of generating
	bin       string       // the logq binary to run as server and client
	cacheDir  string       // where generated data files are cached
	workDir   string       // parent of the server's temporary data directory
	serveArgs []string     // extra flags for `logq serve`
	verbose   bool         // forward the server's log to stderr
	serverLog string       // append the server's log to this file; empty: none
	queries   []string     // query ids, the floor first; empty: no query phase
	runs      int          // timed runs per query on logq; the most on the baseline
	baseline  bool         // also time the queries on the go-mysql-server baseline
	fresh     bool         // also time them right after the ingest, before the settle
	settle    settleConfig // the wait for the server to settle before the queries
	nodes     int          // > 1: also run the workload on a cluster of that many loopback nodes

	baselineBudget time.Duration // the baseline's time per query (warm-up and runs)
	cpuProfile     string        // the server's CPU profile of logq's query phase; empty: none
	memProfile     string        // the server's heap profile after logq's query phase; empty: none

	// Timeouts and intervals; tests shorten them.
	readyTimeout    time.Duration
	shutdownTimeout time.Duration
	rssInterval     time.Duration
}

// parseBenchFlags parses args into a config. It returns flag.ErrHelp for -h.
func parseBenchFlags(args []string, stderr io.Writer) (*benchConfig, error) {
	cfg := &benchConfig{
		gen:             DefaultGenOptions(),
		readyTimeout:    readyTimeout,
		shutdownTimeout: shutdownTimeout,
		rssInterval:     rssSampleInterval,
	}
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Int64Var(&cfg.gen.Rows, "rows", DefaultRows, "rows of the generated data set")
	fs.IntVar(&cfg.gen.Days, "days", DefaultDays, "days the generated rows spread over")
	fs.Uint64Var(&cfg.gen.Seed, "seed", DefaultSeed, "generator seed")
	fs.StringVar(&cfg.out, "out", "", "write the results as JSON to this file")
	fs.BoolVar(&cfg.keep, "keep", false, "keep the server's data directory and print its path (to profile or query it afterwards)")
	fs.StringVar(&cfg.dataFile, "data-file", "", "ingest this JSON-lines file instead of the generated data set")
	fs.StringVar(&cfg.bin, "bin", "", "the logq binary to benchmark (default: this executable)")
	fs.StringVar(&cfg.cacheDir, "cache-dir", os.TempDir(), "directory of the cached generated data files")
	fs.StringVar(&cfg.workDir, "work-dir", os.TempDir(), "parent directory of the server's temporary data directory (use a real disk, not tmpfs)")
	serveArgs := fs.String("serve-args", "", "extra flags for `logq serve`, separated by spaces (e.g. \"--shards 2\")")
	fs.BoolVar(&cfg.verbose, "verbose", false, "forward the server's log to stderr")
	fs.StringVar(&cfg.serverLog, "server-log", "", "append the server's log to this file (compactions, flushes, errors: what to read when a long run goes wrong)")
	queries := fs.String("queries", defaultQueries, "WORKLOAD.md queries to time through the MySQL wire after ingest, e.g. Q1,Q3, all, grafana or regexp; none skips the query phase (SELECT 1, the floor, always runs with them)")
	fs.IntVar(&cfg.runs, "runs", defaultQueryRuns, "timed runs per query on logq, after one untimed warm-up (WORKLOAD.md asks for at least 5); the most on the baseline")
	fs.BoolVar(&cfg.baseline, "baseline", true, "also run the queries on the same rows in a go-mysql-server memory table, compare every answer and time it (several GB of RAM at 10M rows)")
	fs.BoolVar(&cfg.fresh, "fresh", true, "also time the queries right after the ingest, before the server settles (what a dashboard sees of fresh data), and compare their answers with the settled ones")
	fs.DurationVar(&cfg.baselineBudget, "baseline-budget", defaultBaselineBudget, "the baseline's time per query: warm-up, then timed runs until this much is spent (at least one, at most --runs; 0: --runs runs)")
	fs.IntVar(&cfg.nodes, "nodes", 1, "also run the workload on a static cluster of this many nodes on loopback, ingesting through the first and querying it, answers compared with the single node's (needs the query phase)")
	fs.StringVar(&cfg.cpuProfile, "cpuprofile", "", "write a CPU profile of the server during logq's query phase to this file (starts the server with --pprof)")
	fs.StringVar(&cfg.memProfile, "memprofile", "", "write a heap profile of the server at the end of logq's query phase to this file (starts the server with --pprof)")
	fs.DurationVar(&cfg.settle.timeout, "settle", settleTimeout, "longest wait before the queries for the server to flush its buffers and go idle; 0: no wait")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	if cfg.gen.Rows <= 0 || cfg.gen.Days <= 0 {
		return nil, errors.New("--rows and --days must be positive")
	}
	if cfg.runs <= 0 {
		return nil, errors.New("--runs must be positive")
	}
	var err error
	if cfg.queries, err = parseQueryList(*queries); err != nil {
		return nil, err
	}
	if len(cfg.queries) == 0 && (cfg.cpuProfile != "" || cfg.memProfile != "") {
		return nil, errors.New("--cpuprofile and --memprofile profile the query phase, which --queries none skips")
	}
	cfg.settle.quiet, cfg.settle.poll = settleQuiet, settlePoll
	cfg.serveArgs = strings.Fields(*serveArgs)
	if cfg.bin == "" {
		exe, err := os.Executable()
		if err != nil {
			return nil, fmt.Errorf("find the logq binary (use --bin): %w", err)
		}
		cfg.bin = exe
	}
	return cfg, nil
}

// RunBench runs `logq bench`: it generates (or reuses) the WORKLOAD.md data
// set, starts a fresh `logq serve` on a temporary data directory, ingests
// the data through `logq ingest`, times the selected queries through the
// MySQL wire against the server and against a go-mysql-server memory table
// holding the same rows, stops the server so that it flushes, and reports
// rows/s, the server's peak RSS, the bytes on disk and the query timings as
// Markdown tables on stdout (and JSON to --out). Progress goes to stderr.
// Every child process it starts is killed if it returns early. It returns
// the exit code: 0 on success; 1 on an error, or when an answer of logq
// differs from the baseline's or a query failed (after the report); 2 on
// bad flags.
func RunBench(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	cfg, err := parseBenchFlags(args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintf(stderr, "logq bench: %v\n", err)
		return 2
	}
	if !cfg.verbose {
		// go-mysql-server logs every connection to the baseline at info,
		// and warns about secure_file_priv, which the baseline never reads.
		logrus.SetLevel(logrus.ErrorLevel)
	}
	res, err := runBench(ctx, cfg, stderr)
	if err != nil {
		fmt.Fprintf(stderr, "logq bench: %v\n", err)
		return 1
	}
	if err := writeMarkdown(stdout, res); err != nil {
		fmt.Fprintf(stderr, "logq bench: %v\n", err)
		return 1
	}
	if cfg.out != "" {
		if err := writeJSON(cfg.out, res); err != nil {
			fmt.Fprintf(stderr, "logq bench: %v\n", err)
			return 1
		}
	}
	// The figures are printed first, so that a failing run still shows
	// them; then the failure, loudly, and a non-zero exit.
	if err := res.Cluster.failure(); err != nil {
		fmt.Fprintf(stderr, "logq bench: FAILED: %v\n", strings.ReplaceAll(err.Error(), "\n", "\nlogq bench: FAILED: "))
		return 1
	}
	if res.Queries != nil {
		if err := res.Queries.failure(); err != nil {
			fmt.Fprintf(stderr, "logq bench: FAILED: %v\n", strings.ReplaceAll(err.Error(), "\n", "\nlogq bench: FAILED: "))
			return 1
		}
	}
	return 0
}

// runBench runs the phases of the benchmark and returns their figures.
func runBench(ctx context.Context, cfg *benchConfig, stderr io.Writer) (res *Result, err error) {
	// Children's output is forwarded from os/exec's copying goroutines.
	stderr = &syncWriter{w: stderr}
	res = &Result{Machine: machineInfo(cfg.bin)}
	if res.Data, err = prepareData(ctx, cfg, stderr); err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp(cfg.workDir, "logq-bench-data-*")
	if err != nil {
		return nil, err
	}
	defer func() {
		if cfg.keep {
			logf(stderr, "kept data directory %s", dir)
			return
		}
		err = errors.Join(err, os.RemoveAll(dir))
	}()
	if res.Ingest, res.Queries, err = runServerPhases(ctx, cfg, dir, res.Data, stderr); err != nil {
		return nil, err
	}
	if cfg.nodes > 1 && res.Queries != nil {
		cdir := filepath.Join(dir, "cluster")
		if res.Cluster, err = runClusterPhase(ctx, cfg, cdir, res.Data, res.Queries, stderr); err != nil {
			return nil, err
		}
	}
	return res, nil
}

// runServerPhases starts a fresh server on dir, ingests the data file
// through `logq ingest`, runs the query phase against the same server when
// queries are selected, stops the server (it flushes) and measures the data
// dir.
func runServerPhases(ctx context.Context, cfg *benchConfig, dir string, data DataSet, stderr io.Writer) (IngestResult, *QueryPhase, error) {
	srv, err := startServer(ctx, cfg, dir, stderr)
	if err != nil {
		return IngestResult{}, nil, err
	}
	defer srv.kill()
	logf(stderr, "server pid %d ready: %s", srv.pid(), srv.readyLine)
	sampler := startRSSSampler(srv.pid(), cfg.rssInterval)
	defer sampler.stop()

	res, err := ingestData(ctx, cfg, srv, data, stderr)
	if err != nil {
		return res, nil, err
	}
	var qp *QueryPhase
	if len(cfg.queries) > 0 {
		if qp, err = runQueryPhase(ctx, cfg, srv, sampler, &res, data, stderr); err != nil {
			return res, nil, errors.Join(err, srv.failure())
		}
	}

	logf(stderr, "stopping the server (SIGTERM, final flush)")
	t0 := time.Now()
	stopErr := srv.stop(cfg.shutdownTimeout)
	res.ShutdownSeconds = time.Since(t0).Seconds()
	rss := sampler.stop()
	if stopErr != nil {
		return res, nil, stopErr
	}
	if qp == nil { // else the query phase took them before it ran
		res.RSS, res.PeakRSSBytes = rss, rss.peak()
	}
	if res.ServerCPUSeconds == 0 {
		res.ServerCPUSeconds = srv.cpu().Seconds()
	}
	logf(stderr, "server exited after %.2f s; peak RSS %.1f MiB", res.ShutdownSeconds, float64(res.PeakRSSBytes)/(1<<20))
	if err := measureDisk(dir, &res, stderr); err != nil {
		return res, nil, err
	}
	return res, qp, nil
}

// ingestData runs `logq ingest` of the data file against srv and returns
// the ingest figures known so far.
func ingestData(ctx context.Context, cfg *benchConfig, srv *server, data DataSet, stderr io.Writer) (IngestResult, error) {
	var res IngestResult
	logf(stderr, "ingesting %s (%d rows, %.1f MB)", data.File, data.Rows, float64(data.Bytes)/1e6)
	rate := startRateSampler(ctx, srv.httpURL+"/metrics", rateSampleInterval)
	ing, err := runIngest(ctx, cfg, srv.httpURL, data.File, stderr)
	res.RateOverTime, res.MemoryPeaks = rate.finish(ing.elapsed, data.Rows)
	if err != nil {
		// The figures of a failed ingest are what explains it.
		for _, sp := range res.RateOverTime {
			logf(stderr, "ingest rate to %.0f s: %.0f rows/s", sp.EndSeconds, sp.RowsPerSecond)
		}
		if res.MemoryPeaks != nil {
			logf(stderr, "ingest memory peaks (MiB): %s", res.MemoryPeaks)
		}
		return res, errors.Join(err, srv.failure())
	}
	if err := checkAccepted(ing, data.Rows); err != nil {
		return res, err
	}
	res.Rows = data.Rows
	res.Seconds = ing.elapsed.Seconds()
	res.RowsPerSecond = float64(data.Rows) / res.Seconds
	res.MBPerSecond = float64(data.Bytes) / 1e6 / res.Seconds
	res.ClientCPUSeconds = ing.cpu.Seconds()
	logf(stderr, "ingest took %.2f s: %.0f rows/s, %.1f MB/s", res.Seconds, res.RowsPerSecond, res.MBPerSecond)
	return res, nil
}

// measureDisk fills in the bytes the stopped server left in dir.
func measureDisk(dir string, res *IngestResult, stderr io.Writer) error {
	var err error
	if res.Disk, err = diskUsage(dir); err != nil {
		return err
	}
	res.Disk.BytesPerRow = float64(res.Disk.TotalBytes) / float64(max(res.Rows, 1))
	logf(stderr, "measuring bytes per column")
	if res.Disk.Columns, err = columnBytes(dir, res.Rows); err != nil {
		// Informational only: the ingest figures stand without it.
		logf(stderr, "bytes per column not measured: %v", err)
	}
	return nil
}

// syncWriter serialises writes to w, so that lines from several goroutines
// never interleave or race.
type syncWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (s *syncWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(p)
}

// logf prints one progress line to w.
func logf(w io.Writer, format string, args ...any) {
	fmt.Fprintf(w, "bench: "+format+"\n", args...)
}

// checkAccepted fails the run when the client's summary shows rows the
// server did not accept: figures over fewer rows would mislead.
func checkAccepted(ing ingestRun, rows int64) error {
	if !ing.counted {
		return nil
	}
	if ing.rejected > 0 || ing.accepted != rows {
		return fmt.Errorf("ingest accepted %d and rejected %d of %d rows", ing.accepted, ing.rejected, rows)
	}
	return nil
}
