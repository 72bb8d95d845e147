package bench

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"time"
)

// RunGen runs `logq gen`: it writes the benchmark data set as JSON lines to
// --out (atomically: a temporary file renamed when complete) or to stdout.
// It returns the process exit code: 0 on success, 1 on an error, 2 on bad
// flags.
func RunGen(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	o := DefaultGenOptions()
	fs := flag.NewFlagSet("gen", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Int64Var(&o.Rows, "rows", DefaultRows, "rows to generate")
	fs.IntVar(&o.Days, "days", DefaultDays, "days the rows spread over")
	fs.Uint64Var(&o.Seed, "seed", DefaultSeed, "random seed: the same seed gives the same bytes")
	start := fs.String("start", defaultStart.Format(time.RFC3339), "first instant of the data set (RFC 3339)")
	out := fs.String("out", "", "output file (default stdout)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "logq gen: unexpected arguments %q\n", fs.Args())
		return 2
	}
	var err error
	if o.Start, err = time.Parse(time.RFC3339, *start); err != nil {
		fmt.Fprintf(stderr, "logq gen: --start: %v\n", err)
		return 2
	}
	if o.Rows <= 0 || o.Days <= 0 {
		fmt.Fprintln(stderr, "logq gen: --rows and --days must be positive")
		return 2
	}
	if *out == "" {
		_, err = generate(ctx, stdout, o, runtime.GOMAXPROCS(0), nil)
	} else {
		_, err = writeDataFile(ctx, *out, o, stderr)
	}
	if err != nil {
		fmt.Fprintf(stderr, "logq gen: %v\n", err)
		return 1
	}
	return 0
}

// writeDataFile generates o into path through a temporary file in the same
// directory, renamed into place only when complete, so that path never holds
// a partial data set. It prints progress and a summary to progressOut.
func writeDataFile(ctx context.Context, path string, o GenOptions, progressOut io.Writer) (st genStats, err error) {
	f, err := os.CreateTemp(filepath.Dir(path), filepath.Base(path)+".tmp-*")
	if err != nil {
		return st, err
	}
	defer func() {
		if err != nil {
			err = errors.Join(err, f.Close(), os.Remove(f.Name()))
		}
	}()
	// CreateTemp makes the file private; a data set is for anyone to read.
	if err = f.Chmod(0o644); err != nil {
		return st, err
	}
	total := o.Rows
	started := time.Now()
	last := started
	progress := func(rows, bytes int64) {
		if now := time.Now(); now.Sub(last) >= progressInterval {
			last = now
			fmt.Fprintf(progressOut, "gen: %d/%d rows (%.0f%%), %.0f MB, %.2fM rows/s\n", rows, total,
				100*float64(rows)/float64(total), float64(bytes)/1e6, float64(rows)/now.Sub(started).Seconds()/1e6)
		}
	}
	if st, err = generate(ctx, f, o, runtime.GOMAXPROCS(0), progress); err != nil {
		return st, err
	}
	if err = f.Close(); err != nil {
		return st, err
	}
	if err = os.Rename(f.Name(), path); err != nil {
		return st, err
	}
	secs := time.Since(started).Seconds()
	fmt.Fprintf(progressOut, "gen: wrote %d rows, %d bytes (%.1f B/row) to %s in %.1f s (%.2fM rows/s, %.0f MB/s)\n",
		st.rows, st.bytes, float64(st.bytes)/float64(max(st.rows, 1)), path, secs,
		float64(st.rows)/secs/1e6, float64(st.bytes)/secs/1e6)
	return st, nil
}
