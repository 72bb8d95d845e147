package server

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"
	"net"
	"net/http"
	"os/exec"
	"runtime/debug"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"
	"github.com/stretchr/testify/require"
)

// TestMaxExecutionTime checks the limits of a running server on a self-join
// that would run for minutes: the server default, a session's
// max_execution_time and the MAX_EXECUTION_TIME hint each stop it with
// error 3024, KILL QUERY stops it with 1317, and the server answers other
// queries meanwhile and after.
func TestMaxExecutionTime(t *testing.T) {
	srv := startServe(t, "--data", t.TempDir(), "--max-execution-time", "700ms")
	defer srv.stop(t)
	var body strings.Builder
	for i := 0; i < 40000; i++ {
		fmt.Fprintf(&body, `{"ts":%d,"level":"info","service":"svc","host":"h-%d","message":"m %d"}`+"\n", 1_793_836_800+i, i%4, i)
	}
	res := srv.post(t, []byte(body.String()))
	require.Equal(t, http.StatusOK, res.status, res.ans.Error)
	const join = "SELECT COUNT(*) FROM logs a JOIN logs b ON a.host = b.host"
	ctx := context.Background()

	run := func(t *testing.T, setup []string, q string) (uint16, time.Duration) {
		conn, err := srv.db.Conn(ctx)
		require.NoError(t, err)
		defer conn.Close()
		for _, s := range setup {
			_, err := conn.ExecContext(ctx, s)
			require.NoError(t, err, s)
		}
		start := time.Now()
		var n int64
		err = conn.QueryRowContext(ctx, q).Scan(&n)
		took := time.Since(start)
		var me *mysql.MySQLError
		require.True(t, errors.As(err, &me), "%s: %v (took %v)", q, err, took)
		return me.Number, took
	}
	for _, tc := range []struct {
		name  string
		setup []string
		query string
		limit time.Duration
	}{
		{"server default", nil, join, 700 * time.Millisecond},
		{"session", []string{"SET max_execution_time = 200"}, join, 200 * time.Millisecond},
		{"hint", nil, "SELECT /*+ MAX_EXECUTION_TIME(100) */ COUNT(*) FROM logs a JOIN logs b ON a.host = b.host", 100 * time.Millisecond},
		{"hint over session", []string{"SET max_execution_time = 0"}, "SELECT /*+ MAX_EXECUTION_TIME(150) */ COUNT(*) FROM logs a JOIN logs b ON a.host = b.host", 150 * time.Millisecond},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, took := run(t, tc.setup, tc.query)
			require.Equal(t, uint16(3024), code)
			require.GreaterOrEqual(t, took, tc.limit)
			require.Less(t, took, tc.limit+5*time.Second)
			t.Logf("stopped after %v (limit %v)", took, tc.limit)
		})
	}

	// KILL QUERY from another connection: 1317, as in MySQL.
	victim, err := srv.db.Conn(ctx)
	require.NoError(t, err)
	defer victim.Close()
	var id int64
	require.NoError(t, victim.QueryRowContext(ctx, "SELECT CONNECTION_ID()").Scan(&id))
	_, err = victim.ExecContext(ctx, "SET max_execution_time = 0")
	require.NoError(t, err)
	done := make(chan error, 1)
	go func() {
		var n int64
		done <- victim.QueryRowContext(ctx, join).Scan(&n)
	}()
	time.Sleep(300 * time.Millisecond)
	var one int
	require.NoError(t, srv.db.QueryRow("SELECT 1").Scan(&one), "the server answers while the join runs")
	_, err = srv.db.Exec(fmt.Sprintf("KILL QUERY %d", id))
	require.NoError(t, err)
	select {
	case err := <-done:
		var me *mysql.MySQLError
		require.True(t, errors.As(err, &me), "%v", err)
		require.Equal(t, uint16(1317), me.Number, me.Message)
	case <-time.After(10 * time.Second):
		t.Fatal("KILL QUERY did not stop the join")
	}
	require.Equal(t, int64(40000), srv.count(t))
}

// TestQueryMemoryLimit runs statements that hold a group, row or key per
// distinct message of 60,000 on a server with --query-memory-limit 2 MiB:
// each fails with 1041 naming the flag, and is counted, while SELECT 1, an
// aggregate over every row and ingest go on beside them; an aggregate of
// few groups over every row answers right.
func TestQueryMemoryLimit(t *testing.T) {
	srv := startServe(t, "--data", t.TempDir(), "--query-memory-limit", "2097152")
	defer srv.stop(t)
	const n = 60_000
	var body strings.Builder
	for i := range n {
		fmt.Fprintf(&body, `{"ts":%d,"level":"info","service":"svc","host":"h-%d","message":"request %06d"}`+"\n", 1_793_836_800+i, i%4, i)
	}
	res := srv.post(t, []byte(body.String()))
	require.Equal(t, http.StatusOK, res.status, res.ans.Error)
	require.Contains(t, srv.metrics(t), "logq_sql_query_memory_limit_bytes 2.097152e+06")

	perHost := func() [][2]int64 {
		rows, err := srv.db.Query("SELECT host, COUNT(*) FROM logs GROUP BY host ORDER BY host")
		require.NoError(t, err)
		defer rows.Close()
		var out [][2]int64
		for rows.Next() {
			var host string
			var c int64
			require.NoError(t, rows.Scan(&host, &c))
			out = append(out, [2]int64{int64(host[2] - '0'), c})
		}
		require.NoError(t, rows.Err())
		return out
	}
	require.Equal(t, [][2]int64{{0, n / 4}, {1, n / 4}, {2, n / 4}, {3, n / 4}}, perHost())

	heavy := []string{
		"SELECT message, COUNT(*) FROM logs GROUP BY message",
		"SELECT * FROM logs ORDER BY message",
		"SELECT COUNT(*) FROM logs a JOIN logs b ON a.host = b.host",
	}
	var wg sync.WaitGroup
	var failed atomic.Int64
	stop := make(chan struct{})
	errs := make(chan error, len(heavy)+1)
	for _, q := range heavy {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				_, err := srv.db.Exec(q)
				var me *mysql.MySQLError
				if !errors.As(err, &me) || me.Number != 1041 ||
					me.Message != "query exceeded the per-query memory limit of 2 MiB (--query-memory-limit)" {
					errs <- fmt.Errorf("%s: %v", q, err)
					return
				}
				failed.Add(1)
			}
		}()
	}
	// Ingest goes on: 20 more requests of 1,000 rows.
	wg.Add(1)
	go func() {
		defer wg.Done()
		for r := range 20 {
			var b strings.Builder
			for i := range 1000 {
				fmt.Fprintf(&b, `{"ts":%d,"level":"warn","service":"svc","host":"h-%d","message":"late %d"}`+"\n", 1_793_900_000+r*1000+i, i%4, i)
			}
			if res := srv.post(t, []byte(b.String())); res.status != http.StatusOK {
				errs <- fmt.Errorf("ingest: %d %s", res.status, res.ans.Error)
				return
			}
		}
	}()
	deadline := time.Now().Add(2 * time.Second)
	for time.Now().Before(deadline) {
		var one int
		require.NoError(t, srv.db.QueryRow("SELECT 1").Scan(&one))
		var total int64
		require.NoError(t, srv.db.QueryRow("SELECT COUNT(*) FROM logs WHERE level IN ('info', 'warn')").Scan(&total))
		require.GreaterOrEqual(t, total, int64(n))
	}
	close(stop)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	require.Positive(t, failed.Load())
	require.Equal(t, int64(n+20_000), srv.count(t))
	require.Contains(t, srv.metrics(t), fmt.Sprintf("logq_sql_query_memory_exceeded_total %d\n", failed.Load()))
	t.Logf("%d statements failed for the limit", failed.Load())
}

// TestQueryMemoryLimitDefault derives the default limit from the Go
// memory limit.
func TestQueryMemoryLimitDefault(t *testing.T) {
	prev := debug.SetMemoryLimit(768 << 20)
	defer debug.SetMemoryLimit(prev)
	require.Equal(t, int64(192<<20), queryMemoryLimit(-1))
	require.Equal(t, int64(0), queryMemoryLimit(0))
	require.Equal(t, int64(1<<20), queryMemoryLimit(1<<20))
	debug.SetMemoryLimit(math.MaxInt64)
	require.Equal(t, int64(fallbackQueryMemoryLimit), queryMemoryLimit(-1))
}

// TestClientGoneKill kills (SIGKILL) a mysql client whose statement, a
// self-join's COUNT(*), would run for minutes: within a second the
// statement is gone from SHOW PROCESSLIST, and the kill is counted.
func TestClientGoneKill(t *testing.T) {
	client := ""
	for _, name := range []string{"mysql", "mariadb"} {
		if path, err := exec.LookPath(name); err == nil {
			client = path
		}
	}
	if client == "" {
		t.Fatal("no mysql or mariadb client on PATH: `make test` installs mariadb-client (apt-get)")
	}
	srv := startServe(t, "--data", t.TempDir())
	defer srv.stop(t)
	var body strings.Builder
	for i := range 40_000 {
		fmt.Fprintf(&body, `{"ts":%d,"level":"info","service":"svc","host":"h-%d","message":"m %d"}`+"\n", 1_793_836_800+i, i%4, i)
	}
	res := srv.post(t, []byte(body.String()))
	require.Equal(t, http.StatusOK, res.status, res.ans.Error)

	host, port, err := net.SplitHostPort(srv.mysql)
	require.NoError(t, err)
	cmd := exec.Command(client, "-h", host, "-P", port, "-u", "root", "logq", "-e",
		"SET max_execution_time = 0; SELECT COUNT(*) FROM logs a JOIN logs b ON a.host = b.host")
	require.NoError(t, cmd.Start())
	defer cmd.Wait()
	running := func() bool {
		rows, err := srv.db.Query("SHOW PROCESSLIST")
		require.NoError(t, err)
		defer rows.Close()
		cols, err := rows.Columns()
		require.NoError(t, err)
		found := false
		for rows.Next() {
			vals := make([]any, len(cols))
			for i := range vals {
				vals[i] = new(sql.NullString)
			}
			require.NoError(t, rows.Scan(vals...))
			for _, v := range vals {
				found = found || strings.Contains(v.(*sql.NullString).String, "JOIN")
			}
		}
		return found
	}
	require.Eventually(t, running, 10*time.Second, 5*time.Millisecond)
	require.NoError(t, cmd.Process.Kill())
	start := time.Now()
	require.Eventually(t, func() bool { return !running() }, time.Second, 10*time.Millisecond,
		"the statement outlived its client by a second")
	t.Logf("gone from the process list %v after its client was killed", time.Since(start))
	require.Contains(t, srv.metrics(t), "logq_sql_client_gone_kills_total 1\n")
}
