package server

import (
	"bufio"
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	_ "github.com/go-sql-driver/mysql"
	"github.com/stretchr/testify/require"
)

var crashRounds = flag.Int("crash-rounds", 20, "kill -9 rounds of TestCrashServe (make crash runs 50)")

// TestCrashServe is the crash test of the whole server, as users meet it:
// `logq serve` (a child process running RunServe) takes concurrent HTTP
// ingest with many exact duplicate lines, is killed with SIGKILL at a random
// moment (appending, flushing, compacting, or still replaying its WAL at
// start-up), and restarts. Right after each restart, and again once flushes
// and compactions have run, SQL over the MySQL protocol must show every
// acknowledged line as many times as it was acknowledged, and no line more
// often than it was sent: COUNT(*) between the acknowledged count and that
// plus the lines in flight at the kill, and an export in ts order holding
// exactly such rows, the same rows in the same order both times.
func TestCrashServe(t *testing.T) {
	if testing.Short() {
		t.Skip("crash test runs child processes")
	}
	c := &crashRun{t: t, dir: t.TempDir(), rng: rand.New(rand.NewPCG(7, uint64(time.Now().UnixNano()))),
		acked: map[int64]int{}, maybe: map[int64]int{}}
	// A failed check ends the test with a server running: end it too.
	t.Cleanup(func() {
		if c.running != nil {
			c.running.kill()
		}
	})
	for round := 0; round < *crashRounds; round++ {
		if c.rng.IntN(3) == 0 {
			// Killed during start-up: WAL replay, quarantine, the first flush.
			c.killDuringStart(round)
		}
		srv := c.start(round)
		c.check(srv, "right after the restart")
		time.Sleep(time.Duration(500+c.rng.IntN(500)) * time.Millisecond) // flushes and compactions run
		c.check(srv, "after flushes and compactions")
		c.ingestAndKill(srv, time.Duration(20+c.rng.IntN(600))*time.Millisecond)
	}
	srv := c.start(*crashRounds)
	c.check(srv, "after the last restart")
	srv.stop()
	t.Logf("%d rounds: %d lines acknowledged (%d distinct), %d sent but not acknowledged, %d requests",
		*crashRounds, sum(c.acked), len(c.acked), sum(c.maybe), c.requests)
	require.Positive(t, sum(c.acked), "no line was ever acknowledged")
}

// crashRun is the test's independent record of what was sent: for each seq
// (one line's content), how often it was acknowledged and how often it was
// sent without an acknowledgement (stored or not: the kill decides).
type crashRun struct {
	t        *testing.T
	dir      string
	rng      *rand.Rand
	mu       sync.Mutex
	acked    map[int64]int
	maybe    map[int64]int
	nextSeq  int64
	bodies   [][]int64 // the seqs of earlier bodies, to send again verbatim
	requests int
	lastRows []int64      // the previous export, to compare with the next one
	running  *crashServer // the child started last, until it ends
}

// crashServer is one running child.
type crashServer struct {
	cmd        *exec.Cmd
	mysql, web string
	db         *sql.DB
	logPath    string
}

// serveArgs make flushes, compactions and the scrub frequent, over hour
// buckets and three shards, so that a kill lands in any of them.
func (c *crashRun) serveArgs() []string {
	return []string{"--data", filepath.Join(c.dir, "data"), "--mysql-addr", "127.0.0.1:0", "--http-addr", "127.0.0.1:0",
		"--bucket", "1h", "--shards", "3", "--flush-bytes", "262144", "--flush-age", "100ms",
		"--compact-interval", "50ms", "--log-level", "warn"}
}

func (c *crashRun) command(round int) (*exec.Cmd, string) {
	return serveChildCommand(c.serveArgs()), filepath.Join(c.dir, fmt.Sprintf("round-%03d.log", round))
}

// serveChildCommand is `logq serve` with args in a child process: this test
// binary running TestServeChild.
func serveChildCommand(args []string) *exec.Cmd {
	cmd := exec.Command(os.Args[0], "-test.run=^TestServeChild$", "-test.v=false")
	cmd.Env = append(os.Environ(), serveChildEnv+"="+strings.Join(args, "\x1f"))
	return cmd
}

// killDuringStart starts a child and kills it after a random delay that
// usually falls before it is ready.
func (c *crashRun) killDuringStart(round int) {
	cmd, logPath := c.command(round)
	logf, err := os.Create(logPath + ".start")
	require.NoError(c.t, err)
	defer logf.Close()
	cmd.Stdout, cmd.Stderr = io.Discard, logf
	require.NoError(c.t, cmd.Start())
	time.Sleep(time.Duration(c.rng.IntN(80)) * time.Millisecond)
	cmd.Process.Signal(syscall.SIGKILL)
	cmd.Wait()
}

// start starts a child and waits for its ready line.
func (c *crashRun) start(round int) *crashServer {
	_, logPath := c.command(round)
	srv := startServeChild(c.t, c.serveArgs(), logPath)
	c.running = srv
	return srv
}

// startServeChild starts `logq serve` with args in a child process logging
// to logPath, and waits for its ready line; a child that does not become
// ready is killed and fails the test.
func startServeChild(t *testing.T, args []string, logPath string) *crashServer {
	cmd := serveChildCommand(args)
	logf, err := os.Create(logPath)
	require.NoError(t, err)
	cmd.Stderr = logf
	out, err := cmd.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	logf.Close()
	lines := bufio.NewScanner(out)
	ready := make(chan string, 1)
	go func() {
		for lines.Scan() {
			if strings.HasPrefix(lines.Text(), "ready ") {
				ready <- lines.Text()
			}
		}
		close(ready)
	}()
	var line string
	select {
	case line = <-ready:
	case <-time.After(60 * time.Second):
	}
	srv := &crashServer{cmd: cmd, logPath: logPath}
	if line == "" {
		srv.kill()
		t.Fatalf("the server did not become ready; its log:\n%s", tail(logPath))
	}
	for _, f := range strings.Fields(line)[1:] {
		if v, ok := strings.CutPrefix(f, "mysql="); ok {
			srv.mysql = v
		}
		if v, ok := strings.CutPrefix(f, "http="); ok {
			srv.web = v
		}
	}
	srv.db, err = sql.Open("mysql", "root@tcp("+srv.mysql+")/logq")
	require.NoError(t, err)
	return srv
}

// kill ends the child with SIGKILL; it is idempotent.
func (s *crashServer) kill() {
	if s.cmd.ProcessState != nil {
		return
	}
	s.cmd.Process.Signal(syscall.SIGKILL)
	s.cmd.Wait()
	if s.db != nil {
		s.db.Close()
	}
}

func (s *crashServer) stop() {
	s.cmd.Process.Signal(syscall.SIGTERM)
	s.cmd.Wait()
	s.db.Close()
}

// check compares what SQL shows with the record.
func (c *crashRun) check(srv *crashServer, when string) {
	t := c.t
	var count int64
	require.NoError(t, srv.db.QueryRow("SELECT COUNT(*) FROM logs").Scan(&count), when)
	if c.requests == 0 {
		require.Zero(t, count, "COUNT(*) before any ingest")
		return // no seq column yet
	}
	var rows []int64
	res, err := srv.db.Query("SELECT seq FROM logs ORDER BY ts")
	require.NoError(t, err, when)
	for res.Next() {
		var seq int64
		require.NoError(t, res.Scan(&seq))
		rows = append(rows, seq)
	}
	require.NoError(t, res.Err(), when)
	res.Close()

	ackedRows, maybeRows := sum(c.acked), sum(c.maybe)
	require.GreaterOrEqual(t, count, ackedRows, "COUNT(*) %s: acknowledged rows are missing (log %s)", when, srv.logPath)
	require.LessOrEqual(t, count, ackedRows+maybeRows, "COUNT(*) %s: rows that were never sent", when)
	require.Len(t, rows, int(count), "the export %s against COUNT(*)", when)

	got := map[int64]int{}
	for i, seq := range rows {
		got[seq]++
		if i > 0 {
			require.LessOrEqual(t, crashTS(rows[i-1]), crashTS(seq), "the export %s is not in ts order at row %d", when, i)
		}
	}
	for seq, n := range c.acked {
		require.GreaterOrEqual(t, got[seq], n, "line %d %s: acknowledged %d times", seq, when, n)
	}
	for seq, n := range got {
		require.LessOrEqual(t, n, c.acked[seq]+c.maybe[seq], "line %d %s: more copies than were sent", seq, when)
	}
	if c.lastRows != nil {
		// Nothing was sent since the previous export: the same rows in the
		// same order, the total order surviving flushes and compactions.
		require.Equal(t, c.lastRows, rows, "the export %s differs from the one before", when)
	}
	c.lastRows = rows
}

// ingestAndKill runs four ingest clients and kills the server after delay.
func (c *crashRun) ingestAndKill(srv *crashServer, delay time.Duration) {
	c.lastRows = nil
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	for w := 0; w < 4; w++ {
		seed := c.rng.Uint64()
		wg.Add(1)
		go func() {
			defer wg.Done()
			c.client(ctx, srv, rand.New(rand.NewPCG(seed, uint64(w))))
		}()
	}
	time.Sleep(delay)
	srv.kill()
	cancel()
	wg.Wait()
}

// client sends up to 15 bodies: new lines (some repeated inside the body),
// or an earlier body again, verbatim.
func (c *crashRun) client(ctx context.Context, srv *crashServer, rng *rand.Rand) {
	hc := &http.Client{Timeout: 30 * time.Second}
	for i := 0; i < 15 && ctx.Err() == nil; i++ {
		seqs := c.nextBody(rng)
		var body bytes.Buffer
		for _, seq := range seqs {
			writeCrashLine(&body, seq)
		}
		c.mu.Lock()
		for _, seq := range seqs {
			c.maybe[seq]++
		}
		c.requests++
		c.mu.Unlock()
		accepted := postLines(ctx, hc, srv.web, body.Bytes())
		c.mu.Lock()
		// The answer counts the lines stored, from the first on.
		for _, seq := range seqs[:accepted] {
			c.maybe[seq]--
			c.acked[seq]++
		}
		c.mu.Unlock()
	}
}

// nextBody picks the seqs of the next body.
func (c *crashRun) nextBody(rng *rand.Rand) []int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.bodies) > 0 && rng.IntN(10) < 3 {
		return c.bodies[rng.IntN(len(c.bodies))]
	}
	n := 50 + rng.IntN(400)
	seqs := make([]int64, 0, n)
	for len(seqs) < n {
		if len(seqs) > 0 && rng.IntN(10) == 0 {
			seqs = append(seqs, seqs[len(seqs)-1]) // the same line twice in a row
			continue
		}
		seqs = append(seqs, c.nextSeq)
		c.nextSeq++
	}
	c.bodies = append(c.bodies, seqs)
	return seqs
}

// postLines posts one body and returns how many of its lines the answer
// says were stored: all on 200, the count before the failure otherwise,
// none when no answer came.
func postLines(ctx context.Context, hc *http.Client, addr string, body []byte) int {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, "http://"+addr+ingestPath, bytes.NewReader(body))
	if err != nil {
		return 0
	}
	res, err := hc.Do(req)
	if err != nil {
		return 0
	}
	defer res.Body.Close()
	var ans IngestResponse
	if json.NewDecoder(res.Body).Decode(&ans) != nil || ans.Rejected != 0 {
		return 0
	}
	return int(ans.Accepted)
}

// crashTS is the ts of line seq, spread over 30 hours in a shuffled order so
// that lines go to many partitions and often share a ts.
func crashTS(seq int64) int64 {
	return 1_793_836_800_000_000 + (seq*7_919_000_003)%(30*3_600_000_000)/1000*1000
}

func writeCrashLine(w *bytes.Buffer, seq int64) {
	ts := time.UnixMicro(crashTS(seq)).UTC().Format(time.RFC3339Nano)
	fmt.Fprintf(w, `{"ts":%q,"level":%q,"service":"svc-%d","host":"h-%d","message":"line %d%s","seq":%d}`+"\n",
		ts, []string{"info", "error", "warn"}[seq%3], seq%7, seq%5, seq, strings.Repeat(" pad", int(seq%4)), seq)
}

func sum(m map[int64]int) int64 {
	var n int64
	for _, v := range m {
		n += int64(v)
	}
	return n
}

// tail returns the end of a log file, for failure messages.
func tail(path string) string {
	data, _ := os.ReadFile(path)
	if len(data) > 4000 {
		data = data[len(data)-4000:]
	}
	return string(data)
}

// serveChildEnv carries the arguments of a child server.
const serveChildEnv = "LOGQ_SERVE_CHILD_ARGS"

// TestServeChild is the server process of TestCrashServe and
// TestHostileStatements; it does nothing in a normal run.
func TestServeChild(t *testing.T) {
	args := os.Getenv(serveChildEnv)
	if args == "" {
		t.Skip("child process of TestCrashServe and TestHostileStatements")
	}
	os.Exit(RunServe(context.Background(), strings.Split(args, "\x1f"), os.Stdout, os.Stderr, nil))
}
