package server

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"logq/server/cluster/clustertest"
)

// TestClusterIngestCrash sends rows through n1 of three nodes (separate
// processes in a real etcd) while a random node, the one taking the rows
// or an owner they are forwarded to, is killed with SIGKILL at a random
// moment and restarted on its data. Every line an answer acknowledged is
// then in the cluster exactly once, and no line more than once: the
// client never sends a line twice.
func TestClusterIngestCrash(t *testing.T) {
	etcd := clustertest.StartEtcd(t)
	dir := t.TempDir()
	args := func(k int) []string {
		return []string{"--data", filepath.Join(dir, fmt.Sprintf("n%d", k+1)), "--mysql-addr", "127.0.0.1:0", "--http-addr", "127.0.0.1:0",
			"--cluster", etcd.URL(), "--node-id", fmt.Sprintf("n%d", k+1), "--flight-addr", "127.0.0.1:0", "--log-level", "warn",
			"--flush-bytes", "262144", "--flush-age", "100ms"}
	}
	nodes := make([]*crashServer, 3)
	for k := range 3 {
		nodes[k] = startServeChild(t, args(k), filepath.Join(dir, fmt.Sprintf("n%d.log", k+1)))
	}
	t.Cleanup(func() {
		for _, n := range nodes {
			n.kill()
		}
	})
	waitCluster := func() {
		for _, n := range nodes {
			require.Eventually(t, func() bool {
				_, err := n.db.Exec("SELECT COUNT(*) FROM logs")
				return err == nil
			}, 15*time.Second, 20*time.Millisecond)
		}
	}
	waitCluster()

	rng := rand.New(rand.NewPCG(7, 8))
	begin := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	acked := map[int]bool{}
	seq := 0
	const rounds = 6
	for round := range rounds {
		victim := rng.IntN(3)
		killAt := time.Duration(20+rng.IntN(300)) * time.Millisecond
		done := make(chan struct{})
		go func() {
			defer close(done)
			time.Sleep(killAt)
			nodes[victim].kill()
		}()
		// Bodies of 500 lines over four days and six services, until the
		// kill has happened and one more body was tried.
		deadline := time.Now().Add(killAt + 200*time.Millisecond)
		for time.Now().Before(deadline) {
			var body strings.Builder
			first := seq
			for range 500 {
				ts := begin.Add(time.Duration(rng.Int64N(int64(4 * 24 * time.Hour))))
				fmt.Fprintf(&body, `{"ts":%q,"service":"svc-%d","message":"s%d"}`+"\n", ts.Format(time.RFC3339Nano), rng.IntN(6), seq)
				seq++
			}
			accepted := postAcked(nodes[0], body.String())
			for s := first; s < first+accepted; s++ {
				acked[s] = true
			}
		}
		<-done
		nodes[victim] = startServeChild(t, args(victim), filepath.Join(dir, fmt.Sprintf("n%d-round%d.log", victim+1, round)))
		waitCluster()
	}
	require.NotEmpty(t, acked)

	// Every acknowledged line once, none twice.
	rows, err := nodes[1].db.Query("SELECT message, COUNT(*) FROM logs GROUP BY message")
	require.NoError(t, err)
	seen := map[int]int{}
	for rows.Next() {
		var msg string
		var n int
		require.NoError(t, rows.Scan(&msg, &n))
		s, err := strconv.Atoi(strings.TrimPrefix(msg, "s"))
		require.NoError(t, err, msg)
		seen[s] = n
	}
	require.NoError(t, rows.Err())
	extra := 0
	for s, n := range seen {
		if n != 1 {
			t.Fatalf("line s%d stored %d times", s, n)
		}
		if !acked[s] {
			extra++
		}
	}
	for s := range acked {
		if _, ok := seen[s]; !ok {
			t.Fatalf("acknowledged line s%d lost", s)
		}
	}
	t.Logf("%d rounds: %d lines sent, %d acknowledged, all present once; %d stored without an acknowledgement", rounds, seq, len(acked), extra)
}

// postAcked sends body to n's ingest endpoint and returns how many of its
// first lines the answer acknowledges (0 when the request failed without
// an answer).
func postAcked(n *crashServer, body string) int {
	res, err := http.Post("http://"+n.web+ingestPath, "application/x-ndjson", strings.NewReader(body))
	if err != nil {
		return 0
	}
	defer res.Body.Close()
	var ans IngestResponse
	if json.NewDecoder(res.Body).Decode(&ans) != nil {
		return 0
	}
	if res.StatusCode != http.StatusOK && ans.Rejected > 0 {
		return 0 // not the shape this test sends
	}
	return int(ans.Accepted)
}
