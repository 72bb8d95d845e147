package server

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"logq/catalog"
	"logq/partitions"
)

const columnsUsage = `usage: logq columns list [--server URL | --data DIR]
       logq columns drop NAME [--server URL | --data DIR]

list prints the dynamic columns of logs with their types. drop removes a
dynamic column: it disappears from the schema, its stored values are never
read again (also when the name comes back), and it frees a place under the
column limit. With --server (default http://127.0.0.1:8080) the running
server does it; with --data it is done on the data directory of a stopped
server (refused while a server holds it).
`

// RunColumns runs `logq columns list|drop`. It returns the exit code: 0 on
// success, 1 when the operation failed, 2 for a usage error.
func RunColumns(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || (args[0] != "list" && args[0] != "drop") {
		fmt.Fprint(stderr, columnsUsage)
		return 2
	}
	cmd := args[0]
	fs := flag.NewFlagSet("logq columns "+cmd, flag.ContinueOnError)
	fs.SetOutput(stderr)
	server := fs.String("server", defaultIngestServer, "base URL of the running logq server")
	dataDir := fs.String("data", "", "data directory of a stopped server (instead of --server)")
	var auth clientAuth
	auth.flags(fs)
	// Flags may come before or after NAME.
	rest, err := parseInterspersed(fs, args[1:])
	if err != nil {
		return 2
	}
	if err := auth.load(); err != nil {
		fmt.Fprintf(stderr, "logq columns %s: %v\n", cmd, err)
		return 2
	}
	if cmd == "drop" && len(rest) != 1 || cmd == "list" && len(rest) != 0 {
		fmt.Fprint(stderr, columnsUsage)
		return 2
	}
	switch {
	case *dataDir != "":
		err = columnsOffline(cmd, rest, *dataDir, stdout)
	default:
		err = columnsOnline(ctx, cmd, rest, *server, auth, stdout)
	}
	if err != nil {
		fmt.Fprintf(stderr, "logq columns %s: %v\n", cmd, err)
		return 1
	}
	return 0
}

// columnsOffline runs cmd on the data directory of a stopped server. Opening
// the store recovers it as `logq serve` would (WAL replay), and closing it
// flushes the replayed rows.
func columnsOffline(cmd string, args []string, dir string, stdout io.Writer) (err error) {
	if _, err := os.Stat(filepath.Join(dir, "LOCK")); err != nil {
		return fmt.Errorf("%s is not a logq data directory: %w", dir, err)
	}
	cat := catalog.New()
	st, err := partitions.Open(dir, partitions.WithObserver(cat), partitions.WithScrub(false), partitions.WithCompactInterval(0))
	if errors.Is(err, partitions.ErrLocked) {
		return fmt.Errorf("%w: a server is running on it; use --server", err)
	}
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, st.Close()) }()
	if cmd == "list" {
		printColumns(stdout, listColumns(st, cat))
		return nil
	}
	if err := st.DropColumn(args[0]); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "dropped %s\n", args[0])
	return nil
}

// columnsOnline runs cmd through the HTTP endpoints of a running server.
func columnsOnline(ctx context.Context, cmd string, args []string, server string, auth clientAuth, stdout io.Writer) error {
	method, u := http.MethodGet, strings.TrimRight(server, "/")+columnsPath
	if cmd == "drop" {
		method, u = http.MethodDelete, u+"/"+url.PathEscape(args[0])
	}
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, u, nil)
	if err != nil {
		return err
	}
	auth.set(req)
	res, err := auth.client().Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(res.Body, maxResponseBytes))
	if err != nil {
		return fmt.Errorf("%s %s: %s: %w", method, u, res.Status, err)
	}
	var resp ColumnsResponse
	if err := json.Unmarshal(raw, &resp); err != nil {
		// A refusal of the credentials is plain text.
		return fmt.Errorf("%s %s: %s: %s", method, u, res.Status, strings.TrimSpace(string(raw[:min(len(raw), 200)])))
	}
	if res.StatusCode != http.StatusOK {
		return fmt.Errorf("%s: %s", res.Status, resp.Error)
	}
	if cmd == "list" {
		printColumns(stdout, resp.Columns)
		return nil
	}
	fmt.Fprintf(stdout, "dropped %s\n", resp.Dropped)
	return nil
}

// printColumns prints one column per line: name, then type.
func printColumns(w io.Writer, cols []ColumnInfo) {
	for _, c := range cols {
		fmt.Fprintf(w, "%s\t%s\n", c.Name, c.Type)
	}
}
