package server

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"math/rand/v2"
	"net/http"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"logq/bench"
	"logq/server/cluster/clustertest"
)

// TestClusterDifferential stores the same rows in one node and in a
// three-node cluster (separate processes in a real etcd, hour buckets and
// three shards, so that the rows spread over every node) and requires the
// same answer to every query, in several session time zones: ordered
// exports (including rows of several services, so of several nodes,
// sharing one instant, whose order is the total order), LIMITs, aggregates
// grouped by time in the session's zone, LIKE, DISTINCT, a trace lookup and
// an unordered projection (compared as a multiset).
func TestClusterDifferential(t *testing.T) {
	etcd := clustertest.StartEtcd(t)
	dir := t.TempDir()
	common := []string{"--mysql-addr", "127.0.0.1:0", "--http-addr", "127.0.0.1:0", "--log-level", "warn",
		"--bucket", "1h", "--shards", "3"}
	single := startServeChild(t, append([]string{"--data", filepath.Join(dir, "single")}, common...), filepath.Join(dir, "single.log"))
	t.Cleanup(single.kill)
	var nodes []*crashServer
	for k := range 3 {
		n := startServeChild(t, append([]string{"--data", filepath.Join(dir, fmt.Sprintf("n%d", k+1)),
			"--cluster", etcd.URL(), "--node-id", fmt.Sprintf("n%d", k+1), "--flight-addr", "127.0.0.1:0"}, common...),
			filepath.Join(dir, fmt.Sprintf("n%d.log", k+1)))
		t.Cleanup(n.kill)
		nodes = append(nodes, n)
	}
	for _, n := range nodes {
		require.Eventually(t, func() bool {
			_, err := n.db.Exec("SELECT COUNT(*) FROM logs")
			return err == nil
		}, 15*time.Second, 20*time.Millisecond)
	}

	// The WORKLOAD generator's rows over two days, and rows of twelve
	// services sharing each of a few instants.
	start := time.Date(2026, 11, 2, 0, 0, 0, 0, time.UTC)
	var data bytes.Buffer
	require.NoError(t, bench.Generate(&data, bench.GenOptions{Rows: 30000, Days: 2, Seed: 11, Start: start}))
	r := rand.New(rand.NewPCG(9, 10))
	for _, at := range []time.Duration{0, 3 * time.Hour, 13*time.Hour + 17*time.Minute, 24 * time.Hour, 36*time.Hour - time.Microsecond} {
		ts := start.Add(at)
		for k := range 12 {
			fmt.Fprintf(&data, `{"ts":%q,"level":%q,"service":"tie-%d","host":"host-%d","message":"tie %d at %s","latency_ms":%d}`+"\n",
				ts.Format(time.RFC3339Nano), []string{"INFO", "ERROR"}[r.IntN(2)], k, r.IntN(5), k, ts.Format(time.RFC3339Nano), r.IntN(500))
		}
	}
	lines := bytes.SplitAfter(data.Bytes(), []byte("\n"))
	for i, n := range append([]*crashServer{single}, nodes...) {
		// The cluster takes its rows at every node, a third each.
		if i > 0 {
			var part bytes.Buffer
			for j, l := range lines {
				if j%3 == i-1 {
					part.Write(l)
				}
			}
			require.Equal(t, http.StatusOK, postStatus(t, n, part.Bytes()))
			continue
		}
		require.Equal(t, http.StatusOK, postStatus(t, n, data.Bytes()))
	}
	var traceID string
	require.NoError(t, single.db.QueryRow("SELECT trace_id FROM logs WHERE trace_id IS NOT NULL ORDER BY ts LIMIT 1 OFFSET 777").Scan(&traceID))

	queries := []string{
		"SELECT ts, service, level, message FROM logs WHERE ts >= '2026-11-02 12:30:00' AND ts < '2026-11-02 14:00:00' ORDER BY ts",
		"SELECT ts, service, message FROM logs WHERE ts >= '2026-11-02 12:00:00' AND ts < '2026-11-03 02:00:00' AND level = 'ERROR' ORDER BY ts DESC",
		"SELECT * FROM logs ORDER BY ts LIMIT 40",
		"SELECT ts, service FROM logs ORDER BY ts DESC LIMIT 40",
		"SELECT level, COUNT(*) FROM logs GROUP BY level ORDER BY level",
		"SELECT service, COUNT(*), MIN(ts), MAX(ts) FROM logs GROUP BY service ORDER BY service",
		"SELECT DATE(ts), COUNT(*) FROM logs GROUP BY 1 ORDER BY 1",
		"SELECT HOUR(ts) AS h, COUNT(*) FROM logs WHERE level = 'ERROR' GROUP BY h ORDER BY h",
		"SELECT UNIX_TIMESTAMP(ts) DIV 300 * 300 AS time, COUNT(*) AS n FROM logs WHERE ts BETWEEN FROM_UNIXTIME(1793606400) AND FROM_UNIXTIME(1793692800) AND level IN ('ERROR','FATAL') GROUP BY 1 ORDER BY 1",
		"SELECT COUNT(*) FROM logs WHERE message LIKE '%timed out%' AND ts >= '2026-11-02 00:00:00' AND ts < '2026-11-03 00:00:00'",
		"SELECT service, AVG(latency_ms), MAX(latency_ms) FROM logs WHERE ts >= '2026-11-03 00:00:00' GROUP BY service ORDER BY service",
		"SELECT service, COUNT(*) AS n FROM logs WHERE level = 'ERROR' GROUP BY service ORDER BY n DESC, service LIMIT 10",
		"SELECT COUNT(DISTINCT host), COUNT(DISTINCT service) FROM logs",
		"SELECT COUNT(*) FROM logs",
		fmt.Sprintf("SELECT ts, service, message FROM logs WHERE trace_id = '%s'", traceID),
		"SELECT ts, message FROM logs WHERE service LIKE 'tie-%' AND ts >= '2026-11-03 00:00:00' ORDER BY ts DESC LIMIT 15",
	}
	unordered := "SELECT service, message FROM logs WHERE host = 'host-3' AND ts < '2026-11-02 06:00:00'"
	for _, zone := range []string{"+00:00", "+05:30", "-08:00"} {
		ref := sessionIn(t, single.db, zone)
		for k, n := range nodes {
			got := sessionIn(t, n.db, zone)
			for _, q := range queries {
				want := answer(t, ref, q)
				if zone == "+00:00" {
					require.NotEmpty(t, want, q) // the windows are of UTC days
				}
				require.Equal(t, want, answer(t, got, q), "at n%d, time_zone %s: %s", k+1, zone, q)
			}
			want, have := answer(t, ref, unordered), answer(t, got, unordered)
			slices.Sort(want)
			slices.Sort(have)
			require.Equal(t, want, have, "at n%d, time_zone %s: %s", k+1, zone, unordered)
			require.NoError(t, got.Close())
		}
		require.NoError(t, ref.Close())
	}
}

// sessionIn returns a connection of db whose session time zone is zone.
func sessionIn(t *testing.T, db *sql.DB, zone string) *sql.Conn {
	t.Helper()
	c, err := db.Conn(context.Background())
	require.NoError(t, err)
	_, err = c.ExecContext(context.Background(), fmt.Sprintf("SET time_zone = '%s'", zone))
	require.NoError(t, err)
	return c
}

// answer returns the rows of q, each as one line of text.
func answer(t *testing.T, c *sql.Conn, q string) []string {
	t.Helper()
	rows, err := c.QueryContext(context.Background(), q)
	require.NoError(t, err, q)
	text, err := rowsText(rows)
	require.NoError(t, err, q)
	out := make([]string, len(text))
	for i, r := range text {
		out[i] = strings.Join(r, "|")
	}
	return out
}

// postStatus sends body to n's ingest endpoint and returns the status.
func postStatus(t *testing.T, n *crashServer, body []byte) int {
	t.Helper()
	res, err := http.Post("http://"+n.web+ingestPath, "application/x-ndjson", bytes.NewReader(body))
	require.NoError(t, err)
	defer res.Body.Close()
	return res.StatusCode
}
