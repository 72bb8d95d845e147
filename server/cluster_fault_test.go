package server

import (
	"context"
	"fmt"
	"net/http"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"logq/partitions"
	"logq/server/cluster"
	"logq/server/cluster/clustertest"
	"logq/server/flightsvc"
)

// TestClusterFaults runs three nodes as separate processes that meet in a
// real etcd, and hangs and kills one of them:
//   - SIGSTOP: a query that needs the hung node fails within the idle
//     timeout + 1 s, naming it; with partial results on, it returns exactly
//     the rows of the other nodes and a warning per partition of the hung
//     one. SIGCONT: it answers again.
//   - SIGKILL: within the lease's TTL + 1 s, queries are planned without it
//     (they fail at once, "the node is down", instead of trying it).
//   - A restart on the same data: every row answers again.
//
// Each figure is in the test's output.
func TestClusterFaults(t *testing.T) {
	etcd := clustertest.StartEtcd(t)
	dir := t.TempDir()
	args := func(k int) []string {
		return []string{"--data", filepath.Join(dir, fmt.Sprintf("n%d", k+1)), "--mysql-addr", "127.0.0.1:0", "--http-addr", "127.0.0.1:0",
			"--cluster", etcd.URL(), "--node-id", fmt.Sprintf("n%d", k+1), "--flight-addr", "127.0.0.1:0", "--log-level", "warn"}
	}
	var nodes []*crashServer
	for k := range 3 {
		n := startServeChild(t, args(k), filepath.Join(dir, fmt.Sprintf("n%d.log", k+1)))
		t.Cleanup(n.kill)
		nodes = append(nodes, n)
	}
	n1 := nodes[0]

	// Rows over four days and five services, through n1.
	lay := partitions.Layout{Width: 24 * time.Hour.Microseconds(), Shards: 4}
	members := func() cluster.Members { // the IDs are what placement hashes
		ms, err := cluster.NewMembers([]cluster.Member{{ID: "n1", FlightAddr: "a:1"}, {ID: "n2", FlightAddr: "b:1"}, {ID: "n3", FlightAddr: "c:1"}})
		require.NoError(t, err)
		return ms
	}()
	begin := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	var body strings.Builder
	total, onN3 := 0, 0
	n3Parts := map[string]bool{}
	for i := range 20000 {
		ts := begin.Add(time.Duration(i) * 17 * time.Second)
		service := fmt.Sprintf("svc-%d", i%5)
		fmt.Fprintf(&body, `{"ts":%q,"level":"info","service":%q,"message":"m%d"}`+"\n", ts.Format(time.RFC3339Nano), service, i)
		total++
		k := lay.KeyOf(ts.UnixMicro(), []byte(service))
		if o, _ := members.Owner(k); o.ID == "n3" {
			onN3++
			n3Parts[k.DirName()] = true
		}
	}
	require.NotZero(t, onN3)
	require.Eventually(t, func() bool {
		_, err := n1.db.Exec("SELECT COUNT(*) FROM logs")
		return err == nil
	}, 10*time.Second, 20*time.Millisecond, "the nodes find each other")
	res, err := http.Post("http://"+n1.web+ingestPath, "application/x-ndjson", strings.NewReader(body.String()))
	require.NoError(t, err)
	res.Body.Close()
	require.Equal(t, http.StatusOK, res.StatusCode)
	countAt := func(n *crashServer) (int, error) {
		var c int
		err := n.db.QueryRow("SELECT COUNT(*) FROM logs WHERE message LIKE 'm%'").Scan(&c)
		return c, err
	}
	c, err := countAt(n1)
	require.NoError(t, err)
	require.Equal(t, total, c)
	time.Sleep(cluster.SummaryInterval + 500*time.Millisecond) // the summaries are published

	// SIGSTOP: the stream stays silent; the query gives up after the idle
	// timeout, naming n3.
	require.NoError(t, nodes[2].cmd.Process.Signal(syscall.SIGSTOP))
	start := time.Now()
	_, err = countAt(n1)
	took := time.Since(start)
	require.ErrorContains(t, err, "node n3")
	require.ErrorContains(t, err, "idle timeout")
	require.Less(t, took, flightsvc.DefaultIdleTimeout+time.Second)
	t.Logf("SIGSTOP of n3: the query failed after %v (idle timeout %v): %v", took.Round(time.Millisecond), flightsvc.DefaultIdleTimeout, err)

	conn, err := n1.db.Conn(context.Background())
	require.NoError(t, err)
	defer conn.Close()
	_, err = conn.ExecContext(context.Background(), "SET logq_partial_results = ON")
	require.NoError(t, err)
	var partial int
	require.NoError(t, conn.QueryRowContext(context.Background(), "SELECT COUNT(*) FROM logs WHERE message LIKE 'm%'").Scan(&partial))
	require.Equal(t, total-onN3, partial, "the rows of n1 and n2, exactly")
	rows, err := conn.QueryContext(context.Background(), "SHOW WARNINGS")
	require.NoError(t, err)
	named := map[string]bool{}
	for rows.Next() {
		var level, msg string
		var code int
		require.NoError(t, rows.Scan(&level, &code, &msg))
		require.Contains(t, msg, "node n3")
		named[msg] = true
	}
	require.NoError(t, rows.Err())
	require.Len(t, named, len(n3Parts), "a warning per partition of n3: %v", named)

	require.NoError(t, nodes[2].cmd.Process.Signal(syscall.SIGCONT))
	require.Eventually(t, func() bool {
		c, err := countAt(n1)
		return err == nil && c == total
	}, 10*time.Second, 50*time.Millisecond, "n3 answers again after SIGCONT")

	// SIGKILL: n3's lease lapses; from then on queries know it is down
	// without trying it.
	nodes[2].kill()
	killed := time.Now()
	var planned time.Duration
	for {
		_, err := countAt(n1)
		require.Error(t, err)
		require.ErrorContains(t, err, "node n3")
		if strings.Contains(err.Error(), "the node is down") {
			planned = time.Since(killed)
			break
		}
		require.Less(t, time.Since(killed), 10*time.Second, "n3 still planned: %v", err)
		time.Sleep(50 * time.Millisecond)
	}
	require.Less(t, planned, cluster.DefaultTTL+time.Second)
	t.Logf("SIGKILL of n3: queries planned without it after %v (lease TTL %v)", planned.Round(time.Millisecond), cluster.DefaultTTL)

	// A restart on the same data: n3 rejoins and its rows answer.
	back := startServeChild(t, args(2), filepath.Join(dir, "n3-back.log"))
	t.Cleanup(back.kill)
	restarted := time.Now()
	require.Eventually(t, func() bool {
		c, err := countAt(n1)
		return err == nil && c == total
	}, 10*time.Second, 20*time.Millisecond, "n3 back")
	t.Logf("n3 restarted: its rows answer %v after its ready line", time.Since(restarted).Round(time.Millisecond))
}
