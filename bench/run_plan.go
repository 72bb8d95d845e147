package bench

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// PlanFigures says what logq's pruning kept for one query and what the
// query read. The kept/total figures and the reads come from the server's
// scan counters (/metrics, logq_scan_*) just before and after the query's
// warm-up run: they are the plan the query actually ran with, for every
// query, including those EXPLAIN PLAN cannot show. The bytes to read come
// from EXPLAIN PLAN, run once before the warm-up, where it shows them.
type PlanFigures struct {
	Scans           int64 `json:"scans"` // scans of logs the query made
	PartitionsKept  int64 `json:"partitions_kept"`
	PartitionsTotal int64 `json:"partitions_total"`
	SegmentsKept    int64 `json:"segments_kept"`
	SegmentsTotal   int64 `json:"segments_total"`
	BatchesKept     int64 `json:"batches_kept"`
	BatchesTotal    int64 `json:"batches_total"`
	// BatchesDecoded and BatchCacheHits split the batches the warm-up
	// touched (a top-k scan stops early) into decoded from disk and found
	// in the server's cache of decoded batches; BytesRead are the
	// compressed bytes decoded. Earlier queries warm the cache, so these
	// depend on the order of the queries.
	BatchesDecoded   int64 `json:"batches_decoded"`
	BatchCacheHits   int64 `json:"batch_cache_hits"`
	BytesRead        int64 `json:"bytes_read"`
	BufferedRowsRead int64 `json:"buffered_rows_read"`
	// BytesToRead is the compressed size of the batches the plan keeps,
	// out of BytesTotal (every segment file), both from EXPLAIN PLAN, and
	// independent of the cache; Explained is false (and ExplainNote says
	// why) when EXPLAIN PLAN did not show them.
	BytesToRead int64  `json:"bytes_to_read"`
	BytesTotal  int64  `json:"bytes_total"`
	Explained   bool   `json:"explained"`
	ExplainNote string `json:"explain_note,omitempty"`
}

// scanCounters are the server's logq_scan_* counters at one moment.
type scanCounters map[string]int64

// scanCounterPrefix starts the names of the engine's scan counters
// (server/metrics.go scanMetricDefs).
const scanCounterPrefix = "logq_scan_"

// readScanCounters scrapes the logq_scan_* counters from the server's
// /metrics; it fails when the scrape fails or has none of them.
func readScanCounters(ctx context.Context, metricsURL string) (scanCounters, error) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, metricsURL, nil)
	if err != nil {
		return nil, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, fmt.Errorf("scrape %s: %w", metricsURL, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("scrape %s: %s", metricsURL, resp.Status)
	}
	c := parseScanCounters(io.LimitReader(resp.Body, 16<<20))
	if len(c) == 0 {
		return nil, fmt.Errorf("scrape %s: no %s* counters", metricsURL, scanCounterPrefix)
	}
	return c, nil
}

// parseScanCounters reads the unlabelled logq_scan_* samples of a
// Prometheus text exposition.
func parseScanCounters(r io.Reader) scanCounters {
	c := scanCounters{}
	sc := bufio.NewScanner(r)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		name, value, ok := strings.Cut(sc.Text(), " ")
		if !ok || !strings.HasPrefix(name, scanCounterPrefix) || strings.Contains(name, "{") {
			continue
		}
		if f, err := strconv.ParseFloat(strings.TrimSpace(value), 64); err == nil {
			c[strings.TrimPrefix(name, scanCounterPrefix)] = int64(f)
		}
	}
	return c
}

// planFromCounters returns the plan figures of what happened between two
// scrapes.
func planFromCounters(before, after scanCounters) *PlanFigures {
	d := func(name string) int64 { return after[name] - before[name] }
	return &PlanFigures{
		Scans:          d("total"),
		PartitionsKept: d("partitions_kept_total"), PartitionsTotal: d("partitions_total"),
		SegmentsKept: d("segments_kept_total"), SegmentsTotal: d("segments_total"),
		BatchesKept: d("batches_kept_total"), BatchesTotal: d("batches_total"),
		BatchesDecoded: d("batches_decoded_total"), BatchCacheHits: d("batch_cache_hits_total"),
		BytesRead: d("bytes_read_total"), BufferedRowsRead: d("buffered_rows_read_total"),
	}
}

// pruningRe matches the figures of one indexed read in EXPLAIN PLAN's
// output (engine/explain.go).
var pruningRe = regexp.MustCompile(`pruning: partitions \d+/\d+, segments \d+/\d+, batches \d+/\d+, bytes to read (\d+)/(\d+)`)

// explainBytes runs EXPLAIN PLAN q on conn and fills in the bytes to read,
// summed over the plan's indexed reads of logs. A failing EXPLAIN is no
// error of the benchmark: the note says what happened.
func (c *queryClient) explainBytes(ctx context.Context, q string, p *PlanFigures) error {
	ctx, cancel := context.WithTimeout(ctx, queryRunTimeout)
	defer cancel()
	rows, err := c.conn.QueryContext(ctx, "EXPLAIN PLAN "+q)
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		p.ExplainNote = "EXPLAIN PLAN failed: " + err.Error()
		return c.reconnect(ctx)
	}
	defer rows.Close()
	var text strings.Builder
	for rows.Next() {
		var line string
		if err := rows.Scan(&line); err != nil {
			p.ExplainNote = "EXPLAIN PLAN: " + err.Error()
			return nil
		}
		text.WriteString(line + "\n")
	}
	if err := rows.Err(); err != nil {
		p.ExplainNote = "EXPLAIN PLAN: " + err.Error()
		return nil
	}
	p.Explained, p.ExplainNote = explainedBytes(text.String(), p)
	return nil
}

// explainedBytes parses EXPLAIN PLAN's text into p's bytes figures; it
// reports false and why when the plan shows no indexed read.
func explainedBytes(plan string, p *PlanFigures) (bool, string) {
	ms := pruningRe.FindAllStringSubmatch(plan, -1)
	if len(ms) == 0 {
		return false, "EXPLAIN PLAN shows no pruning (no indexed read of logs)"
	}
	p.BytesToRead, p.BytesTotal = 0, 0
	for _, m := range ms {
		n, _ := strconv.ParseInt(m[1], 10, 64)
		total, _ := strconv.ParseInt(m[2], 10, 64)
		p.BytesToRead += n
		p.BytesTotal = max(p.BytesTotal, total) // every read names the same total
	}
	return true, ""
}

// planSource collects logq's plan figures around each query's warm-up:
// EXPLAIN PLAN, a scrape of the scan counters, the warm-up, another
// scrape. The scrapes are only the query's when nothing else queries the
// server meanwhile, which holds during the query phase: the bench is its
// only client, and flushes, compaction and the scrub do not scan. Not safe
// for concurrent use.
type planSource struct {
	metricsURL string
	log        func(string, ...any)
	before     scanCounters // the scrape before the current warm-up
	off        bool         // a scrape failed: no more figures this run
}

// start runs EXPLAIN PLAN q and the first scrape. It returns nil figures
// when they are not collected; only ctx's end (or a broken connection
// that cannot be replaced) is an error.
func (s *planSource) start(ctx context.Context, c *queryClient, q string) (*PlanFigures, error) {
	if s.off {
		return nil, nil
	}
	p := &PlanFigures{}
	if err := c.explainBytes(ctx, q, p); err != nil {
		return nil, err
	}
	var err error
	if s.before, err = readScanCounters(ctx, s.metricsURL); err != nil {
		return nil, s.fail(ctx, err)
	}
	return p, nil
}

// finish takes the second scrape and returns p completed, or nil when the
// scrape failed.
func (s *planSource) finish(ctx context.Context, p *PlanFigures) *PlanFigures {
	after, err := readScanCounters(ctx, s.metricsURL)
	if err != nil {
		_ = s.fail(ctx, err) // ctx's end surfaces at the next query
		return nil
	}
	c := planFromCounters(s.before, after)
	c.BytesToRead, c.BytesTotal, c.Explained, c.ExplainNote = p.BytesToRead, p.BytesTotal, p.Explained, p.ExplainNote
	return c
}

// fail turns the figures off for the rest of the run, saying why once. It
// returns ctx's error when ctx is done.
func (s *planSource) fail(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	s.off = true
	s.log("plan figures not collected: %v", err)
	return nil
}
