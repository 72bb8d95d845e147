package server

import (
	"context"
	"fmt"
	"maps"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"logq/engine/exec"
	"logq/partitions"
	"logq/server/cluster"
	"logq/server/cluster/clustertest"
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

// TestStaticCluster runs the cluster scenario on three `logq serve` nodes
// of one static cluster file.
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
	runClusterScenario(t, members, func(k int, data string) *testServer {
		node := startServe(t, "--data", data, "--cluster", clusterFile, "--node-id", fmt.Sprintf("n%d", k+1),
			"--cluster-secret-file", secretFile)
		require.Equal(t, flights[k], node.flight, "the Flight address comes from the cluster file")
		return node
	})
}

// TestEtcdCluster runs the cluster scenario on three nodes that meet in a
// real etcd, with no secret file (the first node generates the cluster's),
// and then restarts the stopped node: it rejoins, at a new Flight address,
// and its partitions answer again.
func TestEtcdCluster(t *testing.T) {
	etcd := clustertest.StartEtcd(t)
	start := func(k int, data string) *testServer {
		return startServe(t, "--data", data, "--cluster", etcd.URL(), "--node-id", fmt.Sprintf("n%d", k+1),
			"--flight-addr", "127.0.0.1:0")
	}
	nodes, total := runClusterScenario(t, cluster.Members{}, start)
	back := start(2, nodes.dataDirs[2])
	defer back.stop(t)
	require.NotEqual(t, nodes.servers[2].flight, back.flight)
	require.Eventually(t, func() bool {
		var n int
		err := nodes.servers[0].db.QueryRow("SELECT COUNT(*) FROM logs").Scan(&n)
		return err == nil && n == total
	}, 10*time.Second, 50*time.Millisecond, "n3 rejoined: every row answers again")

	// Routing: a query over one partition opens a stream to its owner
	// only (none when the coordinator owns it); one over everything, to
	// both other nodes.
	n1 := nodes.servers[0]
	streams := func() int {
		for _, line := range strings.Split(n1.metrics(t), "\n") {
			if v, ok := strings.CutPrefix(line, "logq_cluster_node_streams_total "); ok {
				n, err := strconv.Atoi(v)
				require.NoError(t, err)
				return n
			}
		}
		t.Fatal("no logq_cluster_node_streams_total")
		return 0
	}
	lay := partitions.Layout{Width: 24 * time.Hour.Microseconds(), Shards: 4}
	for _, service := range []string{"api", "db", "web", "auth"} {
		day := time.Date(2026, 12, 2, 0, 0, 0, 0, time.UTC)
		owner, _ := nodes.members.Owner(lay.KeyOf(day.UnixMicro(), []byte(service)))
		before := streams()
		var n int
		require.NoError(t, n1.db.QueryRow(fmt.Sprintf("SELECT COUNT(*) FROM logs WHERE service = '%s' AND ts >= '2026-12-02 10:00:00' AND ts < '2026-12-02 11:00:00'", service)).Scan(&n))
		want := 1
		if owner.ID == "n1" {
			want = 0
		}
		require.Equal(t, want, streams()-before, "service %s, owned by %s", service, owner.ID)

		// EXPLAIN says the same of every other node.
		plan, err := queryText(n1.db, fmt.Sprintf("EXPLAIN PLAN SELECT COUNT(*) FROM logs WHERE service = '%s' AND ts >= '2026-12-02 10:00:00' AND ts < '2026-12-02 11:00:00'", service))
		require.NoError(t, err)
		var text strings.Builder
		for _, r := range plan {
			text.WriteString(strings.Join(r, " "))
		}
		for _, id := range []string{"n2", "n3"} {
			state := "not asked, partitions 0/"
			if owner.ID == id {
				state = "asked, partitions 1/"
			}
			require.Regexp(t, id+` \([^)]*\) `+regexp.QuoteMeta(state), text.String(), "EXPLAIN of %s", service)
		}
	}
	before := streams()
	var n int
	require.NoError(t, n1.db.QueryRow("SELECT COUNT(*) FROM logs").Scan(&n))
	require.Equal(t, 2, streams()-before)
}

// clusterNodes are the nodes of a scenario.
type clusterNodes struct {
	servers  []*testServer
	dataDirs []string
	members  cluster.Members
}

// runClusterScenario starts three nodes (start starts node k on a data
// directory) and sends rows over six days and six services through every
// node, plus one INSERT: each partition ends up on the node the rendezvous
// hash names, and a query at any node answers over every node's rows
// (ordered, limited, aggregate and unordered), checked against the rows the
// test selects itself. With n3 stopped, rows it owns are refused naming it,
// rows of the others still go in, and a query fails naming it. members is
// the cluster's (empty: learnt from the nodes' Flight addresses). It
// returns with n3 stopped, the others running, and the number of rows
// stored.
func runClusterScenario(t *testing.T, members cluster.Members, start func(k int, data string) *testServer) (*clusterNodes, int) {
	nodes := &clusterNodes{}
	stopped := make([]bool, 3)
	for k := range 3 {
		nodes.dataDirs = append(nodes.dataDirs, t.TempDir())
		nodes.servers = append(nodes.servers, start(k, nodes.dataDirs[k]))
	}
	t.Cleanup(func() {
		for k, node := range nodes.servers {
			if !stopped[k] {
				node.stop(t)
			}
		}
	})
	// The nodes started one by one: wait until each reaches the others.
	for _, node := range nodes.servers {
		require.Eventually(t, func() bool {
			_, err := node.db.Exec("SELECT COUNT(*) FROM logs")
			return err == nil
		}, 10*time.Second, 20*time.Millisecond)
	}
	if members.Len() == 0 {
		var ms []cluster.Member
		for k, node := range nodes.servers {
			ms = append(ms, cluster.Member{ID: fmt.Sprintf("n%d", k+1), FlightAddr: node.flight})
		}
		var err error
		members, err = cluster.NewMembers(ms)
		require.NoError(t, err)
	}
	nodes.members = members
	flights := []string{}
	for _, m := range members.List() {
		flights = append(flights, m.FlightAddr)
	}

	r := rand.New(rand.NewPCG(5, 6))
	begin := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	services := []string{"api", "db", "web", "auth", "cache", "queue"}
	var rows []clusterRow
	for i := range 1200 {
		rows = append(rows, clusterRow{ts: begin.Add(time.Duration(i)*7*time.Minute + time.Duration(r.IntN(1000))*time.Millisecond),
			level: []string{"error", "info", "warn"}[r.IntN(3)], service: services[r.IntN(len(services))], message: fmt.Sprintf("m%04d", i)})
	}
	lineOf := func(x clusterRow) string {
		return fmt.Sprintf(`{"ts":%q,"level":%q,"service":%q,"message":%q}`+"\n", x.ts.Format(time.RFC3339Nano), x.level, x.service, x.message)
	}
	for k, node := range nodes.servers {
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
	_, err := nodes.servers[1].db.Exec(fmt.Sprintf("INSERT INTO logs (ts, level, service, message) VALUES ('%s', '%s', '%s', '%s')",
		last.ts.Format("2006-01-02 15:04:05.000000"), last.level, last.service, last.message))
	require.NoError(t, err, "stderr: %s", nodes.servers[1].stderr.String())

	for k, node := range nodes.servers {
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
	late := begin.Add(-10 * 24 * time.Hour) // before the others: rows far in the future are refused
	for i := range 200 {
		x := clusterRow{ts: late.Add(time.Duration(i) * 11 * time.Minute), level: "info", service: services[i%len(services)], message: fmt.Sprintf("late%d", i)}
		if owner(x) == "n3" {
			forN3.WriteString(lineOf(x))
		} else {
			forOthers.WriteString(lineOf(x))
		}
	}
	require.NotZero(t, forN3.Len())
	// Summaries reach the other nodes within a second (etcd's publish,
	// the static cluster's poll): wait that long, so that what n3 holds
	// is known when it is gone.
	time.Sleep(1500 * time.Millisecond)
	nodes.servers[2].stop(t)
	stopped[2] = true
	res := nodes.servers[0].post(t, []byte(forN3.String()))
	require.Equal(t, http.StatusServiceUnavailable, res.status)
	require.Contains(t, res.ans.Error, "owned by node n3")
	require.Contains(t, res.ans.Error, flights[2])
	res = nodes.servers[0].post(t, []byte(forOthers.String()))
	require.Equal(t, http.StatusOK, res.status, "%+v", res.ans)
	stored := len(rows) + strings.Count(forOthers.String(), "\n")
	require.EqualValues(t, strings.Count(forOthers.String(), "\n"), res.ans.Accepted)
	_, err = nodes.servers[0].db.Query("SELECT COUNT(*) FROM logs WHERE level = 'info'")
	require.ErrorContains(t, err, "node n3", "a query needing n3 fails naming it")
	n3Parts := map[string]bool{}
	wantPartial := strings.Count(forOthers.String(), "\n")
	for _, x := range rows {
		if owner(x) == "n3" {
			n3Parts[exec.DescribePartition(lay.KeyOf(x.ts.UnixMicro(), []byte(x.service)))] = true
		} else {
			wantPartial++
		}
	}
	for _, want := range slices.Sorted(maps.Keys(n3Parts)) {
		require.ErrorContains(t, err, want, "the error names n3's partitions")
		break // it lists a few of them
	}

	// With partial results on, the rows of n1 and n2, and a warning per
	// partition of n3's.
	conn, err := nodes.servers[0].db.Conn(context.Background())
	require.NoError(t, err)
	defer conn.Close()
	_, err = conn.ExecContext(context.Background(), "SET logq_partial_results = ON")
	require.NoError(t, err)
	var partial int
	require.NoError(t, conn.QueryRowContext(context.Background(), "SELECT COUNT(*) FROM logs").Scan(&partial))
	require.Equal(t, wantPartial, partial)
	warnings, err := conn.QueryContext(context.Background(), "SHOW WARNINGS")
	require.NoError(t, err)
	named := map[string]bool{}
	for warnings.Next() {
		var level, msg string
		var code int
		require.NoError(t, warnings.Scan(&level, &code, &msg))
		require.Contains(t, msg, "node n3")
		part, _, ok := strings.Cut(strings.TrimPrefix(msg, "partial result: partition "), " (")
		require.True(t, ok, msg)
		named[part] = true
	}
	require.NoError(t, warnings.Err())
	require.Equal(t, n3Parts, named, "one warning per partition n3 holds")

	// Every partition lies on its owner, and every node has some. (A
	// node's partition directories are written by its flushes: stopped
	// nodes have flushed everything.)
	checkDirs := func(k int) {
		ents, err := os.ReadDir(filepath.Join(nodes.dataDirs[k], "parts"))
		require.NoError(t, err)
		require.NotEmpty(t, ents, "n%d holds partitions", k+1)
		for _, e := range ents {
			key, err := partitions.ParseDirName(e.Name())
			require.NoError(t, err)
			o, _ := members.Owner(key)
			require.Equal(t, fmt.Sprintf("n%d", k+1), o.ID, "partition %s on n%d", e.Name(), k+1)
		}
	}
	checkDirs(2)
	for k := range 2 {
		nodes.servers[k].stop(t)
		checkDirs(k)
		nodes.servers[k] = start(k, nodes.dataDirs[k])
	}
	return nodes, stored
}
