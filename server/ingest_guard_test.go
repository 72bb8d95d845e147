package server

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// guardLine is a valid line of the test clock's day.
func guardLine(i int) string {
	return fmt.Sprintf(`{"ts":"2026-11-25T11:00:%02dZ","service":"s","message":"line %d padded to sixty bytes"}`+"\n", i%60, i)
}

// TestIngestRefusesOtherOrigins: a request a web page makes (its Origin
// names another site) is refused and stores nothing; requests without
// Origin (curl, logq ingest, shippers) or from the server's own origin
// are taken.
func TestIngestRefusesOtherOrigins(t *testing.T) {
	h, app := newTestHandler(nil)
	srv := httptest.NewServer(h)
	defer srv.Close()
	host := strings.TrimPrefix(srv.URL, "http://")
	for _, tc := range []struct {
		origin string
		want   int
	}{
		{"", http.StatusOK},
		{"http://" + host, http.StatusOK},
		{"https://" + strings.ToUpper(host), http.StatusOK},
		{"http://evil.example", http.StatusForbidden},
		{"http://" + host + ".evil.example", http.StatusForbidden},
		{"null", http.StatusForbidden},
	} {
		before := len(app.stored())
		req, err := http.NewRequest(http.MethodPost, srv.URL+ingestPath, strings.NewReader(guardLine(1)))
		require.NoError(t, err)
		req.Header.Set("Content-Type", "text/plain") // what a form can send
		if tc.origin != "" {
			req.Header.Set("Origin", tc.origin)
		}
		res, err := srv.Client().Do(req)
		require.NoError(t, err)
		var ans IngestResponse
		require.NoError(t, json.NewDecoder(res.Body).Decode(&ans))
		res.Body.Close()
		require.Equal(t, tc.want, res.StatusCode, "Origin %q: %s", tc.origin, ans.Error)
		stored := len(app.stored()) - before
		if tc.want == http.StatusOK {
			require.Equal(t, 1, stored, tc.origin)
		} else {
			require.Zero(t, stored, tc.origin)
			require.Contains(t, ans.Error, "cross-origin ingest refused")
		}
	}
}

// TestIngestCutsSlowBody: a body trickling below the minimum rate is cut
// with 408 once the grace has passed, saying why, instead of holding its
// connection for as long as the sender likes.
func TestIngestCutsSlowBody(t *testing.T) {
	h, app := newTestHandler(func(c *IngestConfig) {
		c.MinBodyRate = 1000 // bytes/s; the sender below manages about 600
		c.BodyGrace = 300 * time.Millisecond
	})
	srv := httptest.NewServer(h)
	defer srv.Close()
	pr, pw := io.Pipe()
	go func() {
		defer pw.Close()
		for i := 0; i < 100; i++ { // 10 s if never cut
			if _, err := io.WriteString(pw, guardLine(i)); err != nil {
				return
			}
			time.Sleep(100 * time.Millisecond)
		}
	}()
	start := time.Now()
	res, err := srv.Client().Post(srv.URL+ingestPath, "application/x-ndjson", pr)
	require.NoError(t, err)
	defer res.Body.Close()
	took := time.Since(start)
	var ans IngestResponse
	require.NoError(t, json.NewDecoder(res.Body).Decode(&ans))
	require.Equal(t, http.StatusRequestTimeout, res.StatusCode, ans.Error)
	require.Contains(t, ans.Error, "slower than 1000 bytes/s after 300ms (min body rate)")
	require.Less(t, took, 5*time.Second)
	require.Equal(t, int(ans.Accepted), len(app.stored()), "the answer counts what was stored")
	pr.CloseWithError(io.ErrClosedPipe)
}
