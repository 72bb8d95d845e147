// Command logq is a log database queried with SQL. It is one binary with a
// few roles; see DESIGN.md and the README.
//
//	logq serve  [--data DIR] [--http-addr 127.0.0.1:8080] [--config FILE] ...
//	logq ingest [--server http://127.0.0.1:8080] FILE... | -
//	logq columns list|drop NAME [--server URL | --data DIR]
//	logq user   add|passwd|del|token|list [NAME] [--data DIR]
//	logq gen    [--rows N] [--days D] [--seed S] [--out FILE]
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"
	_ "time/tzdata" // SET time_zone = 'Europe/Paris' works on machines without zone files

	"logq/bench"
	"logq/server"
)

const usage = `usage: logq <command> [flags]

commands:
  serve    run the server: HTTP ingest (and, later, SQL over the MySQL protocol)
  ingest   load JSON-lines files (or - for stdin) into a running server
  columns  list the dynamic columns, or drop one (online or on a stopped server's data)
  user     manage the accounts (MySQL users and HTTP tokens) of a stopped server's data
  gen      write the benchmark data set (WORKLOAD.md) as JSON lines
  bench    run the WORKLOAD benchmark against a fresh server and a baseline (see 'make bench')

Run 'logq <command> -h' for the flags of a command.
`

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

// demoData is what `logq serve --demo` loads into an empty data directory:
// demoRows rows of the benchmark generator spread over the two days before
// now, so that "the last hour" has rows.
func demoData(ctx context.Context, w io.Writer) error {
	o := bench.DefaultGenOptions()
	o.Rows, o.Days = demoRows, 2
	o.Start = time.Now().UTC().Add(-48 * time.Hour).Truncate(time.Hour)
	return bench.Generate(w, o)
}

const demoRows = 1_000_000

func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	switch args[0] {
	case "serve":
		return server.RunServe(ctx, args[1:], stdout, stderr, demoData)
	case "ingest":
		return server.RunIngest(ctx, args[1:], stdin, stdout, stderr)
	case "columns":
		return server.RunColumns(ctx, args[1:], stdout, stderr)
	case "user":
		return server.RunUser(ctx, args[1:], stdin, stdout, stderr)
	case "gen":
		return bench.RunGen(ctx, args[1:], stdout, stderr)
	case "bench":
		return bench.RunBench(ctx, args[1:], stdout, stderr)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return 0
	}
	fmt.Fprintf(stderr, "logq: unknown command %q\n\n%s", args[0], usage)
	return 2
}
