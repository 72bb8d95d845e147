package server

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestDiskFull fills a small tmpfs under a running server, as an operator's
// disk fills: ingest must answer 507 with a reason and a Retry-After, store
// nothing of what it refuses, keep answering queries, and take rows again
// by itself once space is freed; nothing acknowledged is lost across a
// restart. Then the minimum free space refuses ingest before the disk is
// full.
func TestDiskFull(t *testing.T) {
	mnt := mountTmpfs(t, 48<<20)
	data := filepath.Join(mnt, "data")
	args := []string{"--data", data, "--flush-bytes", "1048576", "--flush-age", "200ms", "--compact-interval", "100ms"}
	srv := startServe(t, append(args, "--min-free-bytes", "0")...)

	// Leave about 6 MiB: a few flushes' worth.
	filler := filepath.Join(mnt, "filler")
	fillUpTo(t, filler, 6<<20)

	// The first refusals may be followed by successes while flushes turn
	// WAL files into smaller segments; once segments fill the disk, no
	// flush can free space and every append is refused.
	acked, next, refusedInARow := int64(0), 0, 0
	var first postResult
	for i := 0; refusedInARow < 10; i++ {
		require.Less(t, i, 20000, "the disk never filled")
		res := srv.post(t, incompressibleLines(next, 500))
		next += 500
		acked += res.ans.Accepted
		switch res.status {
		case http.StatusOK:
			refusedInARow = 0
		case http.StatusInsufficientStorage:
			require.Contains(t, res.ans.Error, "no space left on device")
			require.Equal(t, "10", res.retryAfter)
			if first.status == 0 {
				first = res
				t.Logf("first refusal after %d acknowledged lines took %v", acked, res.took)
			}
			refusedInARow++
			time.Sleep(20 * time.Millisecond)
		default:
			t.Fatalf("status %d: %s", res.status, res.ans.Error)
		}
	}
	t.Logf("disk full after %d acknowledged lines", acked)

	// Reads go on and show exactly what was acknowledged, while more
	// ingest is refused.
	require.Equal(t, acked, srv.count(t))
	for i := 0; i < 3; i++ {
		res := srv.post(t, incompressibleLines(next, 500))
		next += 500
		require.Equal(t, http.StatusInsufficientStorage, res.status, res.ans.Error)
		acked += res.ans.Accepted
	}
	require.Equal(t, acked, srv.count(t))
	require.Contains(t, srv.metrics(t), "logq_store_disk_full 1")

	// Space comes back: ingest resumes by itself.
	freed := time.Now()
	require.NoError(t, os.Remove(filler))
	for {
		res := srv.post(t, incompressibleLines(next, 500))
		next += 500
		acked += res.ans.Accepted
		if res.status == http.StatusOK {
			break
		}
		require.Equal(t, http.StatusInsufficientStorage, res.status, res.ans.Error)
		require.Less(t, time.Since(freed), 30*time.Second, "ingest did not resume")
		time.Sleep(50 * time.Millisecond)
	}
	t.Logf("ingest resumed %v after space was freed", time.Since(freed))
	require.Equal(t, acked, srv.count(t))
	require.Eventually(t, func() bool { return strings.Contains(srv.metrics(t), "logq_store_disk_full 0") },
		30*time.Second, 50*time.Millisecond, "flushes did not resume")
	srv.stop(t)

	// A restart holds every acknowledged line and nothing refused.
	srv = startServe(t, append(args, "--min-free-bytes", "0")...)
	require.Equal(t, acked, srv.count(t))
	srv.stop(t)

	// Below the minimum free space, ingest is refused before the disk is
	// full, saying so.
	srv = startServe(t, append(args, "--min-free-bytes", fmt.Sprint(int64(1)<<40))...)
	res := srv.post(t, incompressibleLines(next, 10))
	require.Equal(t, http.StatusInsufficientStorage, res.status)
	require.Contains(t, res.ans.Error, "below the minimum of 1099511627776")
	require.Zero(t, res.ans.Accepted)
	require.Equal(t, acked, srv.count(t))
	srv.stop(t)
}

// mountTmpfs mounts a tmpfs of size bytes for the test, as root can.
func mountTmpfs(t *testing.T, size int) string {
	dir := t.TempDir()
	err := syscall.Mount("tmpfs", dir, "tmpfs", 0, fmt.Sprintf("size=%d", size))
	require.NoError(t, err, "mount a tmpfs (the test needs root, as make test has in CI)")
	t.Cleanup(func() { syscall.Unmount(dir, syscall.MNT_DETACH) })
	return dir
}

// fillUpTo writes path until the file system has about free bytes left.
func fillUpTo(t *testing.T, path string, free int64) {
	f, err := os.Create(path)
	require.NoError(t, err)
	defer f.Close()
	var st syscall.Statfs_t
	require.NoError(t, syscall.Statfs(filepath.Dir(path), &st))
	avail := int64(st.Bavail) * st.Bsize
	require.Greater(t, avail, free)
	require.NoError(t, syscall.Fallocate(int(f.Fd()), 0, 0, avail-free))
}

// incompressibleLines returns n JSON lines numbered from first, with
// messages of hex digests, which compress about 2:1.
func incompressibleLines(first, n int) []byte {
	var b strings.Builder
	for i := first; i < first+n; i++ {
		sum := sha256.Sum256([]byte(fmt.Sprint(i)))
		msg := strings.Repeat(hex.EncodeToString(sum[:]), 3)
		fmt.Fprintf(&b, `{"ts":%d,"level":"info","service":"svc-%d","message":"%s"}`+"\n",
			1_793_836_800+i, i%5, msg)
	}
	return []byte(b.String())
}

// testServer is a RunServe running in the test process.
type testServer struct {
	mysql, web string
	flight     string // the Flight listener, when serving one
	db         *sql.DB
	cancel     context.CancelFunc
	done       chan int
	stderr     *syncBuffer
}

func startServe(t *testing.T, args ...string) *testServer {
	ctx, cancel := context.WithCancel(context.Background())
	s := &testServer{cancel: cancel, done: make(chan int, 1), stderr: &syncBuffer{}}
	var stdout syncBuffer
	go func() {
		s.done <- RunServe(ctx, append([]string{"--mysql-addr", "127.0.0.1:0", "--http-addr", "127.0.0.1:0"}, args...),
			&stdout, s.stderr, nil)
	}()
	require.Eventually(t, func() bool { return strings.HasPrefix(stdout.String(), "ready ") },
		30*time.Second, 10*time.Millisecond, "stderr: %s", s.stderr.String())
	for _, f := range strings.Fields(stdout.String())[1:] {
		if v, ok := strings.CutPrefix(f, "mysql="); ok {
			s.mysql = v
		}
		if v, ok := strings.CutPrefix(f, "http="); ok {
			s.web = v
		}
		if v, ok := strings.CutPrefix(f, "flight="); ok {
			s.flight = v
		}
	}
	var err error
	s.db, err = sql.Open("mysql", "root@tcp("+s.mysql+")/logq")
	require.NoError(t, err)
	return s
}

func (s *testServer) stop(t *testing.T) {
	s.db.Close()
	s.cancel()
	select {
	case code := <-s.done:
		require.Zero(t, code, "stderr: %s", s.stderr.String())
	case <-time.After(60 * time.Second):
		t.Fatal("serve did not stop")
	}
}

// postResult is an ingest answer.
type postResult struct {
	status     int
	ans        IngestResponse
	retryAfter string
	took       time.Duration
}

func (s *testServer) post(t *testing.T, body []byte) postResult {
	start := time.Now()
	res, err := http.Post("http://"+s.web+ingestPath, "application/x-ndjson", strings.NewReader(string(body)))
	require.NoError(t, err)
	defer res.Body.Close()
	r := postResult{status: res.StatusCode, retryAfter: res.Header.Get("Retry-After"), took: time.Since(start)}
	require.NoError(t, json.NewDecoder(res.Body).Decode(&r.ans))
	return r
}

func (s *testServer) count(t *testing.T) int64 {
	var n int64
	require.NoError(t, s.db.QueryRow("SELECT COUNT(*) FROM logs").Scan(&n))
	return n
}

func (s *testServer) metrics(t *testing.T) string {
	res, err := http.Get("http://" + s.web + "/metrics")
	require.NoError(t, err)
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	require.NoError(t, err)
	return string(body)
}
