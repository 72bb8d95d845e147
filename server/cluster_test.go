package server

import (
	"fmt"
	"maps"
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

	"logq/partitions"
	"logq/server/cluster"
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
// cluster file and sends rows over six days and six services through every
// node, plus one INSERT: each partition ends up on the node the rendezvous
// hash names, and a query at any node answers over every node's rows
// (ordered, limited, aggregate and unordered), checked against the rows the
// test selects itself. With n3 stopped, rows it owns are refused naming it,
// rows of the others still go in, and a query fails naming it.
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
	members, err := cluster.ParseStatic(strings.NewReader(file.String()))
	require.NoError(t, err)

	var nodes []*testServer
	var dataDirs []string
	stopped := make([]bool, 3)
	for k := range flights {
		dataDirs = append(dataDirs, t.TempDir())
		node := startServe(t, "--data", dataDirs[k], "--cluster", clusterFile, "--node-id", fmt.Sprintf("n%d", k+1),
			"--cluster-secret-file", secretFile)
		require.Equal(t, flights[k], node.flight, "the Flight address comes from the cluster file")
		nodes = append(nodes, node)
	}
	defer func() {
		for k, node := range nodes {
			if !stopped[k] {
				node.stop(t)
			}
		}
	}()

	r := rand.New(rand.NewPCG(5, 6))
	start := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	services := []string{"api", "db", "web", "auth", "cache", "queue"}
	var rows []clusterRow
	for i := range 1200 {
		rows = append(rows, clusterRow{ts: start.Add(time.Duration(i)*7*time.Minute + time.Duration(r.IntN(1000))*time.Millisecond),
			level: []string{"error", "info", "warn"}[r.IntN(3)], service: services[r.IntN(len(services))], message: fmt.Sprintf("m%04d", i)})
	}
	lineOf := func(x clusterRow) string {
		return fmt.Sprintf(`{"ts":%q,"level":%q,"service":%q,"message":%q}`+"\n", x.ts.Format(time.RFC3339Nano), x.level, x.service, x.message)
	}
	for k, node := range nodes {
		var body strings.Builder
		for i, x := range rows {
			if i%3 == k && i < len(rows)-1 {
				body.WriteString(lineOf(x))
			}
		}
		res := node.post(t, []byte(body.String()))
		require.Equal(t, http.StatusOK, res.status, "%+v", res.ans)
	}
	last := rows[len(rows)-1] // by INSERT, at the second node
	_, err = nodes[1].db.Exec(fmt.Sprintf("INSERT INTO logs (ts, level, service, message) VALUES ('%s', '%s', '%s', '%s')",
		last.ts.Format("2006-01-02 15:04:05.000000"), last.level, last.service, last.message))
	require.NoError(t, err, "stderr: %s", nodes[1].stderr.String())

	for k, node := range nodes {
		db := node.db
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
		require.Equal(t, errors, strs("SELECT message FROM logs WHERE level = 'ERROR' ORDER BY ts"), "at n%d", k+1)
		require.Equal(t, newest, strs("SELECT message FROM logs ORDER BY ts DESC LIMIT 10"))
		var wantCounts []string
		for _, s := range slices.Sorted(maps.Keys(counts)) {
			wantCounts = append(wantCounts, fmt.Sprintf("%s %d", s, counts[s]))
		}
		require.Equal(t, wantCounts, strs("SELECT service, COUNT(*) FROM logs GROUP BY service ORDER BY service"))
		require.Equal(t, []string{fmt.Sprint(len(rows))}, strs("SELECT COUNT(*) FROM logs"))
		require.Len(t, strs("SELECT message FROM logs WHERE service = 'api'"), counts["api"], "unordered")
	}

	// n3 stops. Rows it owns are refused naming it, the others' go in.
	lay := partitions.Layout{Width: 24 * time.Hour.Microseconds(), Shards: 4}
	owner := func(x clusterRow) string {
		o, _ := members.Owner(lay.KeyOf(x.ts.UnixMicro(), []byte(x.service)))
		return o.ID
	}
	var forN3, forOthers strings.Builder
	late := start.Add(-10 * 24 * time.Hour) // before the others: rows far in the future are refused
	for i := range 200 {
		x := clusterRow{ts: late.Add(time.Duration(i) * 11 * time.Minute), level: "info", service: services[i%len(services)], message: fmt.Sprintf("late%d", i)}
		if owner(x) == "n3" {
			forN3.WriteString(lineOf(x))
		} else {
			forOthers.WriteString(lineOf(x))
		}
	}
	require.NotZero(t, forN3.Len())
	nodes[2].stop(t)
	stopped[2] = true
	res := nodes[0].post(t, []byte(forN3.String()))
	require.Equal(t, http.StatusServiceUnavailable, res.status)
	require.Contains(t, res.ans.Error, "owned by node n3")
	require.Contains(t, res.ans.Error, flights[2])
	res = nodes[0].post(t, []byte(forOthers.String()))
	require.Equal(t, http.StatusOK, res.status, "%+v", res.ans)
	require.EqualValues(t, strings.Count(forOthers.String(), "\n"), res.ans.Accepted)
	_, err = nodes[0].db.Query("SELECT COUNT(*) FROM logs WHERE level = 'info'")
	require.ErrorContains(t, err, "node n3", "a query needing n3 fails naming it")

	// Every partition lies on its owner, and every node has some.
	for k := range nodes {
		if !stopped[k] {
			nodes[k].stop(t)
			stopped[k] = true
		}
		ents, err := os.ReadDir(filepath.Join(dataDirs[k], "parts"))
		require.NoError(t, err)
		require.NotEmpty(t, ents, "n%d holds partitions", k+1)
		for _, e := range ents {
			key, err := partitions.ParseDirName(e.Name())
			require.NoError(t, err)
			o, _ := members.Owner(key)
			require.Equal(t, fmt.Sprintf("n%d", k+1), o.ID, "partition %s on n%d", e.Name(), k+1)
		}
	}
}
