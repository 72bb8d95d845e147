package bench

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"
)

// bufferedRowsMetric is the server's gauge of rows acknowledged but not yet
// in segments (server/metrics.go).
const bufferedRowsMetric = "logq_store_buffered_rows"

// settleResult says how the wait for the server to settle went.
type settleResult struct {
	seconds float64
	settled bool  // buffers empty and CPU idle for the quiet period
	skipped bool  // the server does not report its buffered rows
	left    int64 // buffered rows when the wait ended
}

// settleConfig holds the settle timings; tests shorten them.
type settleConfig struct {
	timeout time.Duration // 0: do not wait
	quiet   time.Duration
	poll    time.Duration
}

// awaitSettled waits, before the queries, until the server has flushed
// every buffered row and stayed idle (under settleIdleCPUShare of a core)
// for the quiet period, or the timeout passes. Timings taken while the
// server flushes and compacts on a 2-core machine measure the background
// work, and rows answered from buffers rather than segments are another
// workload. A server that does not report its buffered rows is not waited
// for. Only ctx's end is an error.
func awaitSettled(ctx context.Context, sc settleConfig, metricsURL string, pid int) (settleResult, error) {
	var res settleResult
	if sc.timeout <= 0 {
		res.skipped = true
		return res, nil
	}
	left, ok := bufferedRows(ctx, metricsURL)
	if !ok {
		res.skipped = true
		return res, nil
	}
	t0 := time.Now()
	tick := time.NewTicker(sc.poll)
	defer tick.Stop()
	// CPU samples since the buffers last emptied: the server is idle when
	// its CPU over the whole quiet window is under the share, not in every
	// poll. A 100M-row server's garbage collection of its half-gigabyte
	// heap, or the poll's own scrape, takes more than 5% of one poll now
	// and then; judged per poll, it never settled.
	type sample struct {
		at  time.Time
		cpu time.Duration
	}
	var window []sample
	quietSince := time.Time{}
	for {
		res.left, res.seconds = left, time.Since(t0).Seconds()
		if !quietSince.IsZero() && time.Since(quietSince) >= sc.quiet {
			res.settled = true
			return res, nil
		}
		if time.Since(t0) >= sc.timeout {
			return res, nil
		}
		select {
		case <-ctx.Done():
			return res, ctx.Err()
		case <-tick.C:
		}
		left, ok = bufferedRows(ctx, metricsURL)
		now := time.Now()
		if !ok || left > 0 {
			window, quietSince = window[:0], time.Time{}
			continue
		}
		cpu, cpuOK := procCPU(pid)
		if !cpuOK { // no /proc entry: only the buffered rows count
			if quietSince.IsZero() {
				quietSince = now
			}
			continue
		}
		window = append(window, sample{now, cpu})
		for len(window) > 1 && now.Sub(window[1].at) >= sc.quiet {
			window = window[1:] // keep one sample at least sc.quiet old
		}
		first := window[0]
		span := now.Sub(first.at)
		switch {
		case span < sc.quiet:
			quietSince = time.Time{} // not a whole window seen yet
		case float64(cpu-first.cpu) < settleIdleCPUShare*float64(span): // both in ns
			quietSince = first.at
		default:
			quietSince = time.Time{}
		}
	}
}

// bufferedRows scrapes the server's /metrics for its buffered rows; ok is
// false when the scrape fails or lacks the gauge.
func bufferedRows(ctx context.Context, metricsURL string) (int64, bool) {
	v, ok := scrapeGauges(ctx, metricsURL, bufferedRowsMetric)
	return int64(v[0]), ok
}

// scrapeGauges reads the unlabelled samples of names from the server's
// /metrics; ok is false unless it found them all.
func scrapeGauges(ctx context.Context, metricsURL string, names ...string) ([]float64, bool) {
	out := make([]float64, len(names))
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, metricsURL, nil)
	if err != nil {
		return out, false
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return out, false
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return out, false
	}
	text, err := io.ReadAll(io.LimitReader(resp.Body, 16<<20))
	if err != nil {
		return out, false
	}
	for i, name := range names {
		v, ok := parseSample(bytes.NewReader(text), name)
		if !ok {
			return out, false
		}
		out[i] = v
	}
	return out, true
}

// parseGauge finds an unlabelled sample of name in a Prometheus text
// exposition ("logq_store_buffered_rows 1234" or "... 1.234e+06").
func parseGauge(r io.Reader, name string) (int64, bool) {
	f, ok := parseSample(r, name)
	return int64(f), ok
}

// parseSample is parseGauge's value as it is written, fractions kept.
func parseSample(r io.Reader, name string) (float64, bool) {
	sc := bufio.NewScanner(r)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		rest, ok := strings.CutPrefix(sc.Text(), name+" ")
		if !ok {
			continue
		}
		f, err := strconv.ParseFloat(strings.Fields(rest + " x")[0], 64)
		if err != nil {
			return 0, false
		}
		return f, true
	}
	return 0, false
}

// procCPU returns the user and system CPU time of process pid so far, from
// /proc/PID/stat; ok is false where that cannot be read.
func procCPU(pid int) (time.Duration, bool) {
	data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0, false
	}
	return parseProcStatCPU(data)
}

// parseProcStatCPU reads utime and stime (fields 14 and 15, in clock ticks)
// from a /proc/PID/stat line. The command name (field 2) may hold spaces
// and parentheses, so fields are counted after its last ')'.
func parseProcStatCPU(data []byte) (time.Duration, bool) {
	i := bytes.LastIndexByte(data, ')')
	if i < 0 {
		return 0, false
	}
	f := strings.Fields(string(data[i+1:])) // f[0] is field 3 (state)
	if len(f) < 13 {
		return 0, false
	}
	utime, err1 := strconv.ParseInt(f[11], 10, 64)
	stime, err2 := strconv.ParseInt(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return 0, false
	}
	return time.Duration(utime+stime) * time.Second / procClockTicks, true
}

// describe says in one line how the wait went.
func (r settleResult) describe() string {
	switch {
	case r.skipped:
		return "not waited for (no buffered-rows metric, or --settle 0)"
	case r.settled:
		return fmt.Sprintf("settled after %.1f s (buffers flushed, idle)", r.seconds)
	}
	return fmt.Sprintf("NOT settled after %.1f s (%d rows still buffered or CPU busy); queries ran anyway", r.seconds, r.left)
}
