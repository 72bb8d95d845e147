//go:build linux

package engine_test

import (
	"context"
	gosql "database/sql"
	"fmt"
	"net"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"
	"github.com/stretchr/testify/require"

	"logq/engine"
)

// capturedConns receives each connection the "capture" network dials.
var capturedConns = make(chan net.Conn, 16)

func init() {
	mysql.RegisterDialContext("capture", func(ctx context.Context, addr string) (net.Conn, error) {
		var d net.Dialer
		c, err := d.DialContext(ctx, "tcp", addr)
		if err == nil {
			capturedConns <- c
		}
		return c, err
	})
}

// TestClientGoneKillsQuery drops the connection of a client whose
// statement returns one row after minutes of work (a self-join's COUNT(*),
// which go-mysql-server never checks for a closed connection): within a
// second the statement is gone from SHOW PROCESSLIST and the process stops
// using CPU.
func TestClientGoneKillsQuery(t *testing.T) {
	lq := startLogq(t, memRows(40_000), logqConfig{shards: 2, bucket: 24 * time.Hour, batchRows: 4096,
		unflushed: 0.1, appendLines: 10000, limits: []engine.LimitsOption{}})
	addr, _ := serverAddrs.Load(lq)
	victim, err := gosql.Open("mysql", fmt.Sprintf("root@capture(%s)/", addr))
	require.NoError(t, err)
	defer victim.Close()
	ctx := context.Background()
	conn, err := victim.Conn(ctx)
	require.NoError(t, err)
	defer conn.Close()
	raw := <-capturedConns
	var id int64
	require.NoError(t, conn.QueryRowContext(ctx, "SELECT CONNECTION_ID()").Scan(&id))
	_, err = conn.ExecContext(ctx, "SET max_execution_time = 0")
	require.NoError(t, err)

	const join = "SELECT COUNT(*) FROM logs a JOIN logs b ON a.host = b.host"
	go func() {
		var n int64
		_ = conn.QueryRowContext(ctx, join).Scan(&n) // fails: its connection is gone
	}()
	running := func() bool {
		for _, r := range queryStrings(t, lq, "SHOW PROCESSLIST") {
			if r[0] == fmt.Sprint(id) && strings.Contains(strings.Join(r, " "), "JOIN") {
				return true
			}
		}
		return false
	}
	require.Eventually(t, running, 10*time.Second, 5*time.Millisecond)
	busy := cpuDuring(300 * time.Millisecond)

	require.NoError(t, raw.Close()) // the client goes away without a word
	start := time.Now()
	require.Eventually(t, func() bool { return !running() }, time.Second, 10*time.Millisecond,
		"the statement outlived its client by a second")
	gone := time.Since(start)
	idle := cpuDuring(300 * time.Millisecond)
	t.Logf("gone from the process list %v after its client; CPU used over 300 ms: %v while it ran, %v after", gone, busy, idle)
	require.Greater(t, busy, 150*time.Millisecond, "the join keeps a core busy")
	require.Less(t, idle, 100*time.Millisecond, "the join's work stopped")
	require.Equal(t, [][]string{{"1"}}, queryStrings(t, lq, "SELECT 1"))
}

// cpuDuring returns the CPU time the process used over d.
func cpuDuring(d time.Duration) time.Duration {
	used := func() time.Duration {
		var ru syscall.Rusage
		if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
			panic(err)
		}
		return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	}
	start := used()
	time.Sleep(d)
	return used() - start
}
