// Command fakelogq stands in for the logq binary in the tests of `logq
// bench`: it implements just enough of `logq serve` and `logq ingest` to
// exercise the benchmark's process handling, ready-line parsing, RSS
// sampling and disk accounting.
//
// serve --data DIR --http-addr ADDR --mysql-addr ADDR: holds a ballast of
// FAKE_BALLAST_MIB MiB (touched, so it is resident), listens, serves an
// empty go-mysql-server memory table logq.logs over the MySQL protocol (so
// every query but the floor returns fewer rows than the baseline), prints a
// noise line and then "ready mysql=ADDR http=ADDR extra", appends ingested
// bodies to
// DIR/wal/000001.wal and on SIGTERM writes DIR/parts/p1/000001.seg with 10
// bytes per row, a 100-byte DIR/parts/p1/MANIFEST, truncates the WAL to 16
// bytes and exits 0.
//
// ingest --server URL FILE: posts the file in 64 KiB requests cut at line
// ends and prints "ingested: accepted=N rejected=M".
//
// FAKE_MODE selects misbehaviour: serve-exit, serve-hang, serve-noready,
// serve-term-fail, sql-down (the ready line names a MySQL port nobody
// listens on), ingest-fail, ingest-reject, ingest-slow. FAKE_PID_DIR, if
// set, receives one file per process named after its role holding its pid.
package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"time"

	sqle "github.com/dolthub/go-mysql-server"
	"github.com/dolthub/go-mysql-server/memory"
	gmsserver "github.com/dolthub/go-mysql-server/server"
	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/types"
	"github.com/dolthub/vitess/go/sqltypes"
	"github.com/sirupsen/logrus"
)

var mode = os.Getenv("FAKE_MODE")

func main() {
	if len(os.Args) < 2 {
		os.Exit(2)
	}
	writePID(os.Args[1])
	switch os.Args[1] {
	case "serve":
		os.Exit(serve(os.Args[2:]))
	case "ingest":
		os.Exit(ingest(os.Args[2:]))
	}
	os.Exit(2)
}

// writePID leaves this process's pid in FAKE_PID_DIR under role, whole or
// not at all: a test that kills the fake right after it starts read an
// empty file once. The temporary name starts with a dot, which the tests
// skip.
func writePID(role string) {
	if dir := os.Getenv("FAKE_PID_DIR"); dir != "" {
		tmp := filepath.Join(dir, "."+role)
		if os.WriteFile(tmp, []byte(strconv.Itoa(os.Getpid())), 0o644) == nil {
			_ = os.Rename(tmp, filepath.Join(dir, role))
		}
	}
}

var ballast []byte

func serve(args []string) int {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	dir := fs.String("data", "", "")
	addr := fs.String("http-addr", "", "")
	mysqlAddr := fs.String("mysql-addr", "", "")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	switch mode {
	case "serve-exit":
		fmt.Fprintln(os.Stderr, "error: cannot open data dir: disk on fire")
		return 3
	case "serve-hang":
		fmt.Fprintln(os.Stderr, "starting slowly")
		time.Sleep(time.Hour)
	}
	mib, _ := strconv.Atoi(os.Getenv("FAKE_BALLAST_MIB"))
	ballast = make([]byte, mib<<20)
	for i := range ballast {
		ballast[i] = byte(i)
	}
	if err := os.MkdirAll(filepath.Join(*dir, "wal"), 0o755); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	var mu sync.Mutex
	var rows int
	http.HandleFunc("/api/v1/ingest", func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		n := bytes.Count(body, []byte("\n"))
		mu.Lock()
		rows += n
		f, _ := os.OpenFile(filepath.Join(*dir, "wal", "000001.wal"), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
		f.Write(body)
		f.Close()
		mu.Unlock()
		json.NewEncoder(w).Encode(map[string]int{"accepted": n, "rejected": 0})
	})
	go http.Serve(ln, nil)
	sqlAddr, err := serveSQL(*mysqlAddr)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	fmt.Println("opening data dir")
	switch mode {
	case "serve-noready":
		fmt.Printf("ready mysql=127.0.0.1:1\n")
	case "sql-down":
		fmt.Printf("ready mysql=127.0.0.1:1 http=%s extra\n", ln.Addr())
	default:
		fmt.Printf("ready mysql=%s http=%s extra\n", sqlAddr, ln.Addr())
	}
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGTERM)
	<-sig
	time.Sleep(100 * time.Millisecond) // the final flush
	if mode == "serve-term-fail" {
		fmt.Fprintln(os.Stderr, "flush: no space left on device")
		return 1
	}
	mu.Lock()
	defer mu.Unlock()
	return flush(*dir, rows)
}

// serveSQL serves an empty logq.logs memory table on addr.
func serveSQL(addr string) (net.Addr, error) {
	logrus.SetLevel(logrus.ErrorLevel)
	db := memory.NewDatabase("logq")
	pro := memory.NewDBProvider(db)
	db.AddTable("logs", memory.NewTable(db, "logs", sql.NewPrimaryKeySchema(sql.Schema{
		{Name: "ts", Type: types.MustCreateDatetimeType(sqltypes.Datetime, 6), Source: "logs"},
		{Name: "level", Type: types.Text, Nullable: true, Source: "logs"},
		{Name: "service", Type: types.Text, Nullable: true, Source: "logs"},
		{Name: "host", Type: types.Text, Nullable: true, Source: "logs"},
		{Name: "trace_id", Type: types.Text, Nullable: true, Source: "logs"},
		{Name: "message", Type: types.Text, Nullable: true, Source: "logs"},
	}), db.GetForeignKeyCollection()))
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	srv, err := gmsserver.NewServer(gmsserver.Config{Protocol: "tcp", Listener: ln}, sqle.NewDefault(pro),
		sql.NewContext, memory.NewSessionBuilder(pro), nil)
	if err != nil {
		return nil, err
	}
	go srv.Start()
	return ln.Addr(), nil
}

func flush(dir string, rows int) int {
	part := filepath.Join(dir, "parts", "p1")
	if err := os.MkdirAll(part, 0o755); err != nil {
		return 1
	}
	if os.WriteFile(filepath.Join(part, "000001.seg"), make([]byte, 10*rows), 0o644) != nil ||
		os.WriteFile(filepath.Join(part, "MANIFEST"), make([]byte, 100), 0o644) != nil ||
		os.Truncate(filepath.Join(dir, "wal", "000001.wal"), 16) != nil {
		return 1
	}
	return 0
}

func ingest(args []string) int {
	fs := flag.NewFlagSet("ingest", flag.ContinueOnError)
	server := fs.String("server", "", "")
	if err := fs.Parse(args); err != nil || fs.NArg() != 1 {
		return 2
	}
	switch mode {
	case "ingest-fail":
		fmt.Fprintln(os.Stderr, "ingest: connection refused")
		return 1
	case "ingest-slow":
		time.Sleep(time.Hour)
	}
	data, err := os.ReadFile(fs.Arg(0))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	accepted := 0
	for len(data) > 0 {
		n := min(len(data), 64<<10)
		if i := bytes.LastIndexByte(data[:n], '\n'); i >= 0 && n < len(data) {
			n = i + 1
		}
		resp, err := http.Post(*server+"/api/v1/ingest", "application/x-ndjson", bytes.NewReader(data[:n]))
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		var ans struct{ Accepted int }
		json.NewDecoder(resp.Body).Decode(&ans)
		resp.Body.Close()
		accepted += ans.Accepted
		data = data[n:]
		fmt.Fprintf(os.Stderr, "progress: %d rows\r", accepted)
	}
	rejected := 0
	if mode == "ingest-reject" {
		accepted, rejected = accepted-5, 5
	}
	fmt.Printf("ingested: accepted=%d rejected=%d\n", accepted, rejected)
	return 0
}
