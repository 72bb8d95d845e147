package server

import (
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// freeAddrs returns n loopback addresses that were free a moment ago.
func freeAddrs(t *testing.T, n int) []string {
	t.Helper()
	var out []string
	for range n {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		require.NoError(t, err)
		out = append(out, ln.Addr().String())
		require.NoError(t, ln.Close())
	}
	return out
}

// clusterRow is a row the test sends to one node.
type clusterRow struct {
	ts             time.Time
	level, service string
	message        string
}

// TestStaticCluster starts three `logq serve` nodes from one static
// cluster file, sends each a third of the rows, and queries one node over
// MySQL: ordered, limited and aggregate answers cover every node's rows,
// checked against the rows the test selects itself. With one node stopped,
// a query fails naming it.
func TestStaticCluster(t *testing.T) {
	dir := t.TempDir()
	secretFile := filepath.Join(dir, "secret")
	require.NoError(t, os.WriteFile(secretFile, []byte(strings.Repeat("c0ffee", 6)), 0o600))
	flights := freeAddrs(t, 3)
	var file strings.Builder
	for k, addr := range flights {
		fmt.Fprintf(&file, "n%d %s\n", k+1, addr)
	}
	clusterFile := filepath.Join(dir, "cluster")
	require.NoError(t, os.WriteFile(clusterFile, []byte(file.String()), 0o600))

	var nodes []*testServer
	for k := range flights {
		node := startServe(t, "--data", t.TempDir(), "--cluster", clusterFile, "--node-id", fmt.Sprintf("n%d", k+1),
			"--cluster-secret-file", secretFile)
		defer node.stop(t)
		require.Equal(t, flights[k], node.flight, "the Flight address comes from the cluster file")
		nodes = append(nodes, node)
	}

	r := rand.New(rand.NewPCG(5, 6))
	start := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	var rows []clusterRow
	for i := range 900 {
		rows = append(rows, clusterRow{ts: start.Add(time.Duration(i)*time.Second + time.Duration(r.IntN(1000))*time.Millisecond),
			level: []string{"error", "info", "warn"}[r.IntN(3)], service: []string{"api", "db", "web"}[r.IntN(3)], message: fmt.Sprintf("m%03d", i)})
	}
	for k, node := range nodes {
		var body strings.Builder
		for i, x := range rows {
			if i%3 == k {
				fmt.Fprintf(&body, `{"ts":%q,"level":%q,"service":%q,"message":%q}`+"\n", x.ts.Format(time.RFC3339Nano), x.level, x.service, x.message)
			}
		}
		require.Equal(t, http.StatusOK, node.post(t, []byte(body.String())).status)
	}

	db := nodes[0].db
	strs := func(q string) []string {
		t.Helper()
		rows, err := queryText(db, q)
		require.NoError(t, err, q)
		var out []string
		for _, r := range rows {
			out = append(out, strings.Join(r, " "))
		}
		return out
	}

	var errors, newest []string
	counts := map[string]int{}
	for _, x := range rows { // rows are in ts order
		if x.level == "error" {
			errors = append(errors, x.message)
		}
		counts[x.service]++
	}
	for i := len(rows) - 1; i >= len(rows)-10; i-- {
		newest = append(newest, rows[i].message)
	}
	require.Equal(t, errors, strs("SELECT message FROM logs WHERE level = 'ERROR' ORDER BY ts"))
	require.Equal(t, newest, strs("SELECT message FROM logs ORDER BY ts DESC LIMIT 10"))
	var wantCounts []string
	for _, s := range slices.Sorted(func(yield func(string) bool) {
		for s := range counts {
			if !yield(s) {
				return
			}
		}
	}) {
		wantCounts = append(wantCounts, fmt.Sprintf("%s %d", s, counts[s]))
	}
	require.Equal(t, wantCounts, strs("SELECT service, COUNT(*) FROM logs GROUP BY service ORDER BY service"))
	require.Equal(t, []string{"900"}, strs("SELECT COUNT(*) FROM logs"))
	require.Len(t, strs("SELECT message FROM logs WHERE service = 'api'"), counts["api"], "unordered")

	nodes[2].cancel() // n3 stops; its deferred stop waits for it
	require.Eventually(t, func() bool {
		_, err := db.Query("SELECT COUNT(*) FROM logs WHERE level = 'info'")
		return err != nil && strings.Contains(err.Error(), "node n3")
	}, 10*time.Second, 50*time.Millisecond, "a query needing n3 fails naming it")
}
