package engine_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestKillQuery kills a long scan with KILL QUERY from another connection:
// the query ends with an error, and the server goes on answering.
func TestKillQuery(t *testing.T) {
	data := genData(t, 200_000, 2, 17)
	lq := startLogq(t, data, logqConfig{shards: 2, bucket: 24 * time.Hour, batchRows: 4096, unflushed: 0.1, appendLines: 20000})
	ctx := context.Background()
	victim, err := lq.Conn(ctx)
	require.NoError(t, err)
	defer victim.Close()
	var id int64
	require.NoError(t, victim.QueryRowContext(ctx, "SELECT CONNECTION_ID()").Scan(&id))

	// SHA2 is evaluated by go-mysql-server row by row over every row the
	// scan yields: seconds of work, so the kill lands mid-scan.
	slow := "SELECT COUNT(*) FROM logs WHERE SHA2(CONCAT(message, SHA2(message, 512)), 512) = 'x'"
	done := make(chan error, 1)
	start := time.Now()
	go func() {
		var n int64
		done <- victim.QueryRowContext(ctx, slow).Scan(&n)
	}()
	require.Eventually(t, func() bool {
		for _, r := range queryStrings(t, lq, "SHOW PROCESSLIST") {
			if r[0] == fmt.Sprint(id) && strings.Contains(strings.Join(r, " "), "SHA2") {
				return true
			}
		}
		return false
	}, 10*time.Second, 5*time.Millisecond)
	_, err = lq.Exec(fmt.Sprintf("KILL QUERY %d", id))
	require.NoError(t, err)
	select {
	case err := <-done:
		require.Error(t, err, "the killed query must not complete")
		t.Logf("killed after %s: %v", time.Since(start), err)
	case <-time.After(30 * time.Second):
		t.Fatal("KILL QUERY did not stop the scan")
	}
	require.Equal(t, [][]string{{"1"}}, queryStrings(t, lq, "SELECT 1"))
}
