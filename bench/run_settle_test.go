package bench

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestParseGauge(t *testing.T) {
	text := `# HELP logq_store_buffered_rows Rows acknowledged but not yet in segments.
# TYPE logq_store_buffered_rows gauge
logq_store_buffered_rows_total 9
logq_store_buffered_rows{shard="1"} 8
logq_store_buffered_rows 1.234567e+06
`
	n, ok := parseGauge(strings.NewReader(text), bufferedRowsMetric)
	require.True(t, ok)
	require.EqualValues(t, 1234567, n)
	_, ok = parseGauge(strings.NewReader("logq_store_segments 3\n"), bufferedRowsMetric)
	require.False(t, ok)
	_, ok = parseGauge(strings.NewReader("logq_store_buffered_rows NaNx\n"), bufferedRowsMetric)
	require.False(t, ok)
}

func TestParseProcStatCPU(t *testing.T) {
	line := "4242 (logq (serve) x) S 1 4242 4242 0 -1 4194560 1200 0 0 0 250 75 0 0 20 0 9 0 123 456 789\n"
	d, ok := parseProcStatCPU([]byte(line))
	require.True(t, ok)
	require.Equal(t, 3250*time.Millisecond, d)
	_, ok = parseProcStatCPU([]byte("4242 (x) S 1 2"))
	require.False(t, ok)
	if runtime.GOOS == "linux" {
		_, ok = procCPU(os.Getpid())
		require.True(t, ok)
	}
}

// metricsServer serves the buffered-rows gauge, which reads left until it
// has been scraped drainAfter times and 0 afterwards.
func metricsServer(t *testing.T, left int64, drainAfter int32) (string, *atomic.Int32) {
	var scrapes atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/metrics" {
			http.NotFound(w, r)
			return
		}
		n := left
		if scrapes.Add(1) > drainAfter {
			n = 0
		}
		fmt.Fprintf(w, "logq_store_segments 3\n%s %d\n", bufferedRowsMetric, n)
	}))
	t.Cleanup(srv.Close)
	return srv.URL, &scrapes
}

func TestAwaitSettled(t *testing.T) {
	ctx := context.Background()
	sc := settleConfig{timeout: 5 * time.Second, quiet: 100 * time.Millisecond, poll: 10 * time.Millisecond}
	url, scrapes := metricsServer(t, 500, 5)

	// pid -1 has no /proc entry: only the buffered rows count.
	t0 := time.Now()
	res, err := awaitSettled(ctx, sc, url+"/metrics", -1)
	require.NoError(t, err)
	require.True(t, res.settled)
	require.Zero(t, res.left)
	require.GreaterOrEqual(t, scrapes.Load(), int32(6))
	require.GreaterOrEqual(t, time.Since(t0), sc.quiet)
	require.Contains(t, res.describe(), "settled after ")

	// No gauge (an older server, the fake) or --settle 0: no wait.
	for _, tc := range []struct {
		url     string
		timeout time.Duration
	}{{url + "/nothing", sc.timeout}, {url + "/metrics", 0}} {
		res, err = awaitSettled(ctx, settleConfig{timeout: tc.timeout, quiet: time.Hour, poll: time.Hour}, tc.url, -1)
		require.NoError(t, err)
		require.Equal(t, settleResult{skipped: true}, res)
		require.Contains(t, res.describe(), "not waited for")
	}

	// Rows that stay buffered: the wait ends at the timeout, unsettled.
	url, _ = metricsServer(t, 500, 1<<30)
	res, err = awaitSettled(ctx, settleConfig{timeout: 200 * time.Millisecond, quiet: 10 * time.Millisecond, poll: 10 * time.Millisecond}, url+"/metrics", -1)
	require.NoError(t, err)
	require.False(t, res.settled)
	require.EqualValues(t, 500, res.left)
	require.Contains(t, res.describe(), "NOT settled after 0.2 s (500 rows still buffered")

	cctx, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	defer cancel()
	_, err = awaitSettled(cctx, settleConfig{timeout: time.Minute, quiet: time.Minute, poll: 10 * time.Millisecond}, url+"/metrics", -1)
	require.ErrorIs(t, err, context.DeadlineExceeded)
}

// TestAwaitSettledBusy checks that a busy process never counts as settled.
func TestAwaitSettledBusy(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("CPU time comes from /proc")
	}
	url, _ := metricsServer(t, 0, 0)
	var stop atomic.Bool
	done := make(chan struct{})
	go func() { // one core's worth of work in this process
		defer close(done)
		for x := 0; !stop.Load(); x++ {
			_ = x * x
		}
	}()
	defer func() { stop.Store(true); <-done }()
	res, err := awaitSettled(context.Background(), settleConfig{timeout: 400 * time.Millisecond, quiet: 150 * time.Millisecond, poll: 50 * time.Millisecond},
		url+"/metrics", os.Getpid())
	require.NoError(t, err)
	require.False(t, res.settled)
}

// TestAwaitSettledRareBursts: a server that is idle but for a short burst
// now and then (a garbage collection, a scrape) settles: idleness is the
// CPU over the quiet window, not over every poll, where each burst is far
// above the share.
func TestAwaitSettledRareBursts(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("CPU time comes from /proc")
	}
	url, _ := metricsServer(t, 0, 0)
	var stop atomic.Bool
	done := make(chan struct{})
	go func() { // 15 ms of work every 700 ms: about 2% of a core
		defer close(done)
		for !stop.Load() {
			for end := time.Now().Add(15 * time.Millisecond); time.Now().Before(end); {
			}
			time.Sleep(700 * time.Millisecond)
		}
	}()
	defer func() { stop.Store(true); <-done }()
	res, err := awaitSettled(context.Background(), settleConfig{timeout: 10 * time.Second, quiet: 1500 * time.Millisecond, poll: 50 * time.Millisecond},
		url+"/metrics", os.Getpid())
	require.NoError(t, err)
	require.True(t, res.settled, "settled: %s", res.describe())
}

func TestSettleProgress(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintln(w, "logq_store_buffered_rows 12345")
	}))
	defer srv.Close()
	var mu sync.Mutex
	var lines []string
	stop := settleProgress(context.Background(), srv.URL, 5*time.Millisecond, func(f string, args ...any) {
		mu.Lock()
		defer mu.Unlock()
		lines = append(lines, fmt.Sprintf(f, args...))
	})
	require.Eventually(t, func() bool { mu.Lock(); defer mu.Unlock(); return len(lines) >= 2 }, 5*time.Second, time.Millisecond)
	stop()
	mu.Lock()
	n := len(lines)
	mu.Unlock()
	time.Sleep(20 * time.Millisecond)
	require.Len(t, lines, n, "nothing after stop")
	require.Regexp(t, `^still waiting for the server to settle after \d+ s: 12,345 rows buffered$`, lines[0])
}

// TestScrapeGauges reads several samples from one scrape, and fails when
// one is missing.
func TestScrapeGauges(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "# HELP x\nlogq_store_flush_bytes_written_total 1.5e+06\nlogq_store_compaction_bytes_written_total 250\nlogq_store_segment_bytes 1e+06\n")
	}))
	defer srv.Close()
	v, ok := scrapeGauges(context.Background(), srv.URL, "logq_store_flush_bytes_written_total", "logq_store_compaction_bytes_written_total", "logq_store_segment_bytes")
	require.True(t, ok)
	require.Equal(t, []float64{1_500_000, 250, 1_000_000}, v)
	_, ok = scrapeGauges(context.Background(), srv.URL, "logq_store_segment_bytes", "logq_nope")
	require.False(t, ok)
}
