package server

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// syncBuffer is a bytes.Buffer safe for a writer and a reader goroutine.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestServeReadyAndCleanShutdown starts `logq serve` on free ports, checks
// the ready line, the metrics endpoint and that cancellation (SIGTERM in
// main) ends it with status 0.
func TestServeReadyAndCleanShutdown(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	var stdout, stderr syncBuffer
	done := make(chan int, 1)
	go func() {
		done <- RunServe(ctx, []string{"--data", t.TempDir(), "--mysql-addr", "127.0.0.1:0", "--http-addr", "127.0.0.1:0"},
			&stdout, &stderr, nil)
	}()
	var ready string
	require.Eventually(t, func() bool {
		ready = stdout.String()
		return strings.HasPrefix(ready, "ready ")
	}, 20*time.Second, 10*time.Millisecond, "stderr: %s", stderr.String())
	fields := strings.Fields(ready)
	require.Len(t, fields, 3, ready)
	require.True(t, strings.HasPrefix(fields[1], "mysql=127.0.0.1:"), ready)
	require.True(t, strings.HasPrefix(fields[2], "http=127.0.0.1:"), ready)

	res, err := http.Get("http://" + strings.TrimPrefix(fields[2], "http=") + "/metrics")
	require.NoError(t, err)
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	for _, m := range []string{"logq_sql_connections", "logq_sql_query_seconds", "logq_scan_batches_kept_total", "logq_ingest_rows_total", "logq_store_segments"} {
		require.Contains(t, string(body), m)
	}

	cancel()
	select {
	case code := <-done:
		require.Equal(t, 0, code, "stderr: %s", stderr.String())
	case <-time.After(30 * time.Second):
		t.Fatal("serve did not stop")
	}
}
