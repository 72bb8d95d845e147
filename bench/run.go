package bench

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"
)

// benchConfig holds the flags of `logq bench`.
type benchConfig struct {
	gen       GenOptions
	out       string   // JSON results file; empty: none
	keep      bool     // keep the server's data directory
	dataFile  string   // reuse this JSON-lines file instead of generating
	bin       string   // the logq binary to run as server and client
	cacheDir  string   // where generated data files are cached
	workDir   string   // parent of the server's temporary data directory
	serveArgs []string // extra flags for `logq serve`
	verbose   bool     // forward the server's log to stderr

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
	fs.BoolVar(&cfg.keep, "keep", false, "keep the server's data directory (for profiling)")
	fs.StringVar(&cfg.dataFile, "data-file", "", "ingest this JSON-lines file instead of the generated data set")
	fs.StringVar(&cfg.bin, "bin", "", "the logq binary to benchmark (default: this executable)")
	fs.StringVar(&cfg.cacheDir, "cache-dir", os.TempDir(), "directory of the cached generated data files")
	fs.StringVar(&cfg.workDir, "work-dir", os.TempDir(), "parent directory of the server's temporary data directory (use a real disk, not tmpfs)")
	serveArgs := fs.String("serve-args", "", "extra flags for `logq serve`, separated by spaces (e.g. \"--shards 2\")")
	fs.BoolVar(&cfg.verbose, "verbose", false, "forward the server's log to stderr")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	if cfg.gen.Rows <= 0 || cfg.gen.Days <= 0 {
		return nil, errors.New("--rows and --days must be positive")
	}
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
// the data through `logq ingest`, stops the server so that it flushes, and
// reports rows/s, the server's peak RSS and the bytes on disk as a Markdown
// table on stdout (and JSON to --out). Progress goes to stderr. Every child
// process it starts is killed if it returns early. It returns the exit code:
// 0 on success, 1 on an error, 2 on bad flags.
func RunBench(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	cfg, err := parseBenchFlags(args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintf(stderr, "logq bench: %v\n", err)
		return 2
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
	if res.Ingest, err = runIngestPhase(ctx, cfg, dir, res.Data, stderr); err != nil {
		return nil, err
	}
	// The query phase (issue 4) slots in here: start the server again on
	// dir, run Q1-Q10 over the MySQL wire against it and the baseline, and
	// stop it.
	return res, nil
}

// runIngestPhase starts a fresh server on dir, ingests the data file through
// `logq ingest`, stops the server (it flushes) and measures the data dir.
func runIngestPhase(ctx context.Context, cfg *benchConfig, dir string, data DataSet, stderr io.Writer) (IngestResult, error) {
	var res IngestResult
	srv, err := startServer(ctx, cfg, dir, stderr)
	if err != nil {
		return res, err
	}
	defer srv.kill()
	logf(stderr, "server pid %d ready: %s", srv.pid(), srv.readyLine)
	sampler := startRSSSampler(srv.pid(), cfg.rssInterval)
	defer sampler.stop()

	logf(stderr, "ingesting %s (%d rows, %.1f MB)", data.File, data.Rows, float64(data.Bytes)/1e6)
	ing, err := runIngest(ctx, cfg, srv.httpURL, data.File, stderr)
	if err != nil {
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

	logf(stderr, "stopping the server (SIGTERM, final flush)")
	t0 := time.Now()
	stopErr := srv.stop(cfg.shutdownTimeout)
	res.ShutdownSeconds = time.Since(t0).Seconds()
	rss := sampler.stop()
	if stopErr != nil {
		return res, stopErr
	}
	res.ServerCPUSeconds = srv.cpu().Seconds()
	res.RSS = rss
	res.PeakRSSBytes = res.RSS.peak()
	logf(stderr, "server exited after %.2f s; peak RSS %.1f MiB", res.ShutdownSeconds, float64(res.PeakRSSBytes)/(1<<20))

	if res.Disk, err = diskUsage(dir); err != nil {
		return res, err
	}
	res.Disk.BytesPerRow = float64(res.Disk.TotalBytes) / float64(max(res.Rows, 1))
	logf(stderr, "measuring bytes per column")
	if res.Disk.Columns, err = columnBytes(dir, res.Rows); err != nil {
		// Informational only: the ingest figures stand without it.
		logf(stderr, "bytes per column not measured: %v", err)
	}
	return res, nil
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
