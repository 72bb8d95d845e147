package server

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
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
