package server

import (
	"bufio"
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"
	"github.com/stretchr/testify/require"
)

// Limits of the server TestHostileStatements runs, and what it holds the
// server to.
const (
	hostileExecTime    = 3 * time.Second
	hostileMemoryLimit = 256 << 20 // --memory-limit, the Go heap's soft limit
	// hostileRSSMargin is what RSS may exceed the Go heap limit by: the
	// runtime's own memory, goroutine stacks, buffers of the 64 MiB request
	// being read, and the heap's overshoot of a soft limit. (Measured: a
	// peak of 232 MiB with the per-query memory limit, whose default is a
	// quarter of --memory-limit; 374 MiB without it, when only
	// max_execution_time stopped the joins.)
	hostileRSSMargin = 192 << 20
)

// hostileCase is one statement and what it must get.
type hostileCase struct {
	name  string
	sql   string
	errno uint16 // the MySQL error it must fail with; 0: it must succeed
	// orErrno is another error it may fail with: a statement stopped by
	// whichever of two limits it reaches first.
	orErrno uint16
	// anyError: it must fail, the connection may be dropped (no error
	// number reaches the client).
	anyError bool
	check    func(t *testing.T, rows [][]string) // the answer of a success
	within   time.Duration                       // how long it may take
}

// TestHostileStatements runs a table of statements a hostile or careless
// client may send. Each gets its documented answer within its limit; a
// concurrent SELECT 1 and /healthz keep answering throughout; the server's
// RSS stays under its Go heap limit plus hostileRSSMargin; no stored row
// changes.
func TestHostileStatements(t *testing.T) {
	dir := t.TempDir()
	args := []string{"--data", filepath.Join(dir, "data"), "--mysql-addr", "127.0.0.1:0", "--http-addr", "127.0.0.1:0",
		"--scrub=false", "--log-level", "warn", "--accept-past", "0",
		"--max-execution-time", hostileExecTime.String(), "--memory-limit", strconv.Itoa(hostileMemoryLimit),
		"--cache-bytes", strconv.Itoa(32 << 20)}
	srv := startServeChild(t, args, filepath.Join(dir, "serve.log"))
	defer srv.stop()

	// 20,000 rows, distinct messages, three hosts; every seventh message
	// holds an x.
	const rows = 20000
	var body bytes.Buffer
	withX, onH1 := 0, 0
	for i := range rows {
		if i%3 == 1 {
			onH1++
		}
		msg := fmt.Sprintf("request %d done", i)
		if i%7 == 0 {
			msg = fmt.Sprintf("request %d failed: x%d", i, i)
			withX++
		}
		fmt.Fprintf(&body, `{"ts":"2026-12-01T%02d:%02d:%02d.%06dZ","level":"info","service":"svc-%d","host":"h%d","message":%q}`+"\n",
			i/3600%24, i/60%60, i%60, i, i%5, i%3, msg)
	}
	res, err := http.Post("http://"+srv.web+ingestPath, "application/x-ndjson", &body)
	require.NoError(t, err)
	res.Body.Close()
	require.Equal(t, http.StatusOK, res.StatusCode)

	dsn := "root@tcp(" + srv.mysql + ")/logq?maxAllowedPacket=" + strconv.Itoa(128<<20)
	file := filepath.Join(dir, "secret")
	require.NoError(t, os.WriteFile(file, []byte("secret\n"), 0o600))
	outFile := filepath.Join(dir, "out")
	count := func(want int) func(t *testing.T, rows [][]string) {
		return func(t *testing.T, rows [][]string) { require.Equal(t, [][]string{{strconv.Itoa(want)}}, rows) }
	}
	quick := 10 * time.Second // generous: the machine may be busy with other tests
	killed := hostileExecTime + 3*time.Second
	cases := []hostileCase{
		{name: "LOAD_FILE", sql: "SELECT LOAD_FILE('" + file + "')", errno: 1290, within: quick},
		{name: "INTO OUTFILE", sql: "SELECT message FROM logs INTO OUTFILE '" + outFile + "'", errno: 1290, within: quick},
		{name: "INTO DUMPFILE", sql: "SELECT 'x' INTO DUMPFILE '" + outFile + "'", errno: 1290, within: quick},
		{name: "LOAD DATA", sql: "LOAD DATA INFILE '" + file + "' INTO TABLE logs", errno: 1290, within: quick},
		{name: "LOAD DATA LOCAL", sql: "LOAD DATA LOCAL INFILE '" + file + "' INTO TABLE logs", errno: 1290, within: quick},
		{name: "DROP TABLE", sql: "DROP TABLE logs", anyError: true, within: quick},
		{name: "TRUNCATE", sql: "TRUNCATE TABLE logs", anyError: true, within: quick},
		{name: "ALTER TABLE", sql: "ALTER TABLE logs DROP COLUMN message", anyError: true, within: quick},
		{name: "RENAME TABLE", sql: "RENAME TABLE logs TO old_logs", anyError: true, within: quick},
		{name: "CREATE TABLE", sql: "CREATE TABLE t (a INT)", anyError: true, within: quick},
		{name: "CREATE INDEX", sql: "CREATE INDEX i ON logs (host)", anyError: true, within: quick},
		{name: "CREATE DATABASE", sql: "CREATE DATABASE other", anyError: true, within: quick},
		{name: "DROP DATABASE", sql: "DROP DATABASE logq", anyError: true, within: quick},
		{name: "DELETE", sql: "DELETE FROM logs WHERE host = 'h1'", anyError: true, within: quick},
		{name: "UPDATE", sql: "UPDATE logs SET message = 'gone'", anyError: true, within: quick},
		{name: "REPLACE", sql: "REPLACE INTO logs (ts, message) VALUES (NOW(), 'r')", anyError: true, within: quick},
		{name: "SET GLOBAL read_only", sql: "SET GLOBAL read_only = 1", errno: 1235, within: quick},
		{name: "SET GLOBAL max_connections", sql: "SET GLOBAL max_connections = 1", errno: 1235, within: quick},
		{name: "SET max_allowed_packet", sql: "SET max_allowed_packet = 1073741824", errno: 1621, within: quick},
		{name: "huge literal", sql: "SELECT LENGTH('" + strings.Repeat("y", 8<<20) + "')", check: count(8 << 20), within: quick},
		{name: "64 MB packet", sql: "SELECT LENGTH('" + strings.Repeat("z", 64<<20) + "')", errno: 1153, within: quick},
		{name: "past the wire's bound", sql: "SELECT LENGTH('" + strings.Repeat("z", 80<<20) + "')", anyError: true, within: quick},
		{name: "REPEAT past the packet", sql: "SELECT REPEAT('x', 10000000000) IS NULL", check: count(1), within: quick},
		{name: "SPACE", sql: "SELECT LENGTH(SPACE(50000000))", check: count(50000000), within: quick},
		{name: "catastrophic REGEXP", sql: "SELECT COUNT(*) FROM logs WHERE message REGEXP '(a|aa)*(b|bb)*(.*)*(.*)*x'", check: count(withX), within: quick},
		{name: "nested parentheses", sql: "SELECT " + strings.Repeat("(", 10000) + "1" + strings.Repeat(")", 10000), anyError: true, within: quick},
		{name: "self-join", sql: "SELECT COUNT(*) FROM logs a JOIN logs b ON a.host = b.host JOIN logs c ON b.host = c.host", errno: 3024, within: killed},
		{name: "cross join", sql: "SELECT COUNT(*) FROM logs a, logs b, logs c", errno: 3024, within: killed},
		{name: "a million groups", sql: "SELECT a.message, b.message, COUNT(*) FROM logs a JOIN logs b ON a.host = b.host GROUP BY 1, 2", errno: 1041, within: killed},
		// Its set of pairs grows slowest: on a busy machine the 3 s limit
		// may stop it before the memory limit does. Either protects the
		// server; the other join cases prove the memory limit.
		{name: "COUNT DISTINCT over a join", sql: "SELECT COUNT(DISTINCT a.message, b.message) FROM logs a JOIN logs b ON a.host = b.host", errno: 1041, orErrno: 3024, within: killed},
		{name: "ORDER BY over a join", sql: "SELECT a.message, b.message FROM logs a JOIN logs b ON a.host = b.host ORDER BY 1, 2 LIMIT 1", errno: 1041, within: killed},
		{name: "ORDER BY over a join, no LIMIT", sql: "SELECT COUNT(*) FROM (SELECT a.message FROM logs a JOIN logs b ON a.host = b.host ORDER BY 1) s", errno: 1041, within: killed},
		{name: "GROUP BY message", sql: "SELECT COUNT(*) FROM (SELECT message, COUNT(*) FROM logs GROUP BY message) g", check: count(rows), within: quick},
	}

	rss := watchRSS(t, srv.cmd.Process.Pid)
	probe := startProbe(t, srv)
	for _, c := range cases {
		probe.during.Store(c.name)
		t.Run(c.name, func(t *testing.T) {
			db, err := sql.Open("mysql", dsn)
			require.NoError(t, err)
			defer db.Close()
			start := time.Now()
			got, err := queryText(db, c.sql)
			took := time.Since(start)
			require.Less(t, took, c.within, "took %v", took)
			switch {
			case c.errno != 0:
				var me *mysql.MySQLError
				require.True(t, errors.As(err, &me), "want error %d, got %v", c.errno, err)
				if c.orErrno == 0 || me.Number != c.orErrno {
					require.Equal(t, c.errno, me.Number, "%v", err)
				}
			case c.anyError:
				require.Error(t, err)
			default:
				require.NoError(t, err)
				c.check(t, got)
			}
			t.Logf("%v in %v", err, took.Round(time.Millisecond))
		})
	}
	probe.stop(t)
	maxRSS := rss.stop()
	t.Logf("peak RSS %d MiB (bound %d MiB); SELECT 1 / healthz slowest %v (during %s) over %d probes",
		maxRSS>>20, (hostileMemoryLimit+hostileRSSMargin)>>20, probe.slowest.Round(time.Millisecond), probe.slowestDuring, probe.count.Load())
	for c, d := range probe.byCase {
		t.Logf("slowest probe during %v: %v", c, d.Round(time.Millisecond))
	}
	require.Less(t, maxRSS, int64(hostileMemoryLimit+hostileRSSMargin), "peak RSS")

	// Nothing changed what is stored, and nothing was written.
	got, err := queryText(srv.db, "SELECT COUNT(*), COUNT(DISTINCT message), SUM(host = 'h1') FROM logs")
	require.NoError(t, err)
	require.Equal(t, [][]string{{strconv.Itoa(rows), strconv.Itoa(rows), strconv.Itoa(onH1)}}, got)
	_, err = os.Stat(outFile)
	require.True(t, os.IsNotExist(err), "a file was written")
}

// queryText runs q and returns its rows as text.
func queryText(db *sql.DB, q string) ([][]string, error) {
	rows, err := db.Query(q)
	if err != nil {
		return nil, err
	}
	return rowsText(rows)
}

// rowsText reads and closes rows, every row as text, NULL as "NULL".
func rowsText(rows *sql.Rows) ([][]string, error) {
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return nil, err
	}
	var out [][]string
	for rows.Next() {
		vals := make([]sql.NullString, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return nil, err
		}
		row := make([]string, len(cols))
		for i, v := range vals {
			row[i] = v.String
			if !v.Valid {
				row[i] = "NULL"
			}
		}
		out = append(out, row)
	}
	return out, rows.Err()
}

// rssWatch samples a process's resident set size.
type rssWatch struct {
	peak atomic.Int64
	done chan struct{}
	wg   sync.WaitGroup
}

func watchRSS(t *testing.T, pid int) *rssWatch {
	w := &rssWatch{done: make(chan struct{})}
	path := fmt.Sprintf("/proc/%d/status", pid)
	w.wg.Add(1)
	go func() {
		defer w.wg.Done()
		tick := time.NewTicker(20 * time.Millisecond)
		defer tick.Stop()
		for {
			if kb := vmRSSKiB(path); kb<<10 > w.peak.Load() {
				w.peak.Store(kb << 10)
			}
			select {
			case <-w.done:
				return
			case <-tick.C:
			}
		}
	}()
	return w
}

// stop ends the sampling and returns the peak in bytes.
func (w *rssWatch) stop() int64 {
	close(w.done)
	w.wg.Wait()
	return w.peak.Load()
}

func vmRSSKiB(path string) int64 {
	f, err := os.Open(path)
	if err != nil {
		return 0
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		if v, ok := strings.CutPrefix(s.Text(), "VmRSS:"); ok {
			n, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return n
		}
	}
	return 0
}

// probe runs SELECT 1 on its own connection and GET /healthz every 100 ms,
// recording failures and the slowest answer.
type probe struct {
	cancel  context.CancelFunc
	wg      sync.WaitGroup
	mu      sync.Mutex
	errs    []error
	slowest time.Duration
	count   atomic.Int64

	during        atomic.Value          // the name of the case running
	slowestDuring any                   // the case running during the slowest probe
	byCase        map[any]time.Duration // the slowest probe during each case
}

func startProbe(t *testing.T, srv *crashServer) *probe {
	ctx, cancel := context.WithCancel(context.Background())
	p := &probe{cancel: cancel, byCase: map[any]time.Duration{}}
	conn, err := srv.db.Conn(ctx)
	require.NoError(t, err)
	hc := &http.Client{Timeout: 5 * time.Second}
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		defer conn.Close()
		for ctx.Err() == nil {
			start := time.Now()
			qctx, qcancel := context.WithTimeout(context.Background(), 5*time.Second)
			var one int
			err := conn.QueryRowContext(qctx, "SELECT 1").Scan(&one)
			qcancel()
			if err == nil {
				var res *http.Response
				if res, err = hc.Get("http://" + srv.web + "/healthz"); err == nil {
					res.Body.Close()
				}
			}
			took := time.Since(start)
			p.mu.Lock()
			if err != nil {
				p.errs = append(p.errs, err)
			}
			if took > p.slowest {
				p.slowest, p.slowestDuring = took, p.during.Load()
			}
			if c := p.during.Load(); took > p.byCase[c] {
				p.byCase[c] = took
			}
			p.mu.Unlock()
			p.count.Add(1)
			select {
			case <-ctx.Done():
			case <-time.After(100 * time.Millisecond):
			}
		}
	}()
	return p
}

func (p *probe) stop(t *testing.T) {
	p.cancel()
	p.wg.Wait()
	require.Empty(t, p.errs, "the concurrent SELECT 1 and /healthz must keep answering")
	require.Positive(t, p.count.Load())
}
