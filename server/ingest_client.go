package server

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/schollz/progressbar/v3"
)

// stdinName is how the summary names standard input.
const stdinName = "stdin"

// ingestOptions are the parsed flags and arguments of `logq ingest`.
type ingestOptions struct {
	endpoint    string // the ingest URL, query included
	batchBytes  int
	concurrency int
	gzip        bool
	timeout     time.Duration
	inputs      []string
	auth        clientAuth
}

// RunIngest runs `logq ingest [flags] FILE... | -`: it streams JSON-lines
// files (or standard input for "-") to a running server in requests cut at
// line boundaries, shows progress on stderr and prints a summary on stdout.
// It returns the exit code: 0 when every line was accepted, 1 when a line was
// rejected or a request failed, 2 for a usage error (bad flags, no input, an
// input that cannot be opened; nothing is sent then).
func RunIngest(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	opts, err := parseIngestArgs(args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintf(stderr, "logq ingest: %v\n", err)
		return 2
	}
	sources, err := openSources(opts.inputs, stdin)
	if err != nil {
		fmt.Fprintf(stderr, "logq ingest: %v\n", err)
		return 2
	}
	defer closeSources(sources)
	c := newIngestClient(opts, sources)
	defer c.http.CloseIdleConnections()
	start := time.Now()
	stopProgress := c.startProgress(stderr)
	c.run(ctx)
	stopProgress()
	if ctx.Err() != nil {
		c.fail(fmt.Sprintf("cancelled (%v); requests in flight may or may not have been stored", context.Cause(ctx)))
	}
	c.printSummary(stdout, time.Since(start))
	if c.rejected.Load() > 0 || c.failed() {
		return 1
	}
	return 0
}

// parseIngestArgs parses the command line of `logq ingest`.
func parseIngestArgs(args []string, stderr io.Writer) (ingestOptions, error) {
	fs := flag.NewFlagSet("logq ingest", flag.ContinueOnError)
	fs.SetOutput(stderr)
	server := fs.String("server", defaultIngestServer, "base URL of the logq server")
	o := ingestOptions{}
	fs.IntVar(&o.batchBytes, "batch-bytes", defaultClientBatchBytes, "bytes per request (cut at line boundaries; longer lines are rejected)")
	fs.IntVar(&o.concurrency, "concurrency", defaultClientConcurrency, "requests in flight")
	fs.BoolVar(&o.gzip, "gzip", false, "gzip request bodies (saves network, costs client CPU)")
	ingestTime := fs.Bool("ingest-time", false, "let lines without ts take the arrival time")
	fs.DurationVar(&o.timeout, "timeout", defaultClientTimeout, "timeout of one request")
	o.auth.flags(fs)
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "usage: logq ingest [flags] FILE... | -")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	o.inputs = fs.Args()
	if err := o.validate(*server, *ingestTime); err != nil {
		fs.Usage()
		return o, err
	}
	return o, nil
}

// validate checks the options and sets the endpoint from the server URL.
func (o *ingestOptions) validate(server string, ingestTime bool) error {
	switch {
	case len(o.inputs) == 0:
		return errors.New("no input: name files, or - for standard input")
	case countStdin(o.inputs) > 1:
		return errors.New("standard input (-) named more than once")
	case o.batchBytes <= 0:
		return fmt.Errorf("--batch-bytes %d: must be positive", o.batchBytes)
	case o.concurrency <= 0 || o.concurrency > maxClientConcurrency:
		return fmt.Errorf("--concurrency %d: must be 1 to %d", o.concurrency, maxClientConcurrency)
	case o.timeout <= 0:
		return fmt.Errorf("--timeout %v: must be positive", o.timeout)
	}
	u, err := url.Parse(server)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("--server %q: want a URL like %s", server, defaultIngestServer)
	}
	if err := o.auth.load(); err != nil {
		return err
	}
	u.Path = strings.TrimSuffix(u.Path, "/") + ingestPath
	if ingestTime {
		u.RawQuery = "ingest_time=1"
	}
	o.endpoint = u.String()
	return nil
}

// countStdin returns how often standard input ("-") is named.
func countStdin(inputs []string) int {
	n := 0
	for _, in := range inputs {
		if in == "-" {
			n++
		}
	}
	return n
}

// ingestSource is one input: a file or standard input.
type ingestSource struct {
	name string
	r    io.Reader
	size int64    // -1 when unknown
	file *os.File // nil for stdin
}

// openSources opens every input before anything is sent, so that a typo
// fails the command instead of leaving it half done.
func openSources(inputs []string, stdin io.Reader) (sources []ingestSource, err error) {
	defer func() {
		if err != nil {
			closeSources(sources)
		}
	}()
	for _, name := range inputs {
		if name == "-" {
			sources = append(sources, ingestSource{name: stdinName, r: stdin, size: -1})
			continue
		}
		f, err := os.Open(name)
		if err != nil {
			return sources, err
		}
		size := int64(-1)
		if fi, err := f.Stat(); err == nil && fi.Mode().IsRegular() {
			size = fi.Size()
		}
		src := ingestSource{name: name, r: f, size: size, file: f}
		if strings.HasSuffix(name, ".gz") {
			// Rotated logs are usually gzipped: read them as they are. The
			// total is unknown once decompressed, so progress shows no %.
			zr, err := gzip.NewReader(f)
			if err != nil {
				_ = f.Close()
				return sources, fmt.Errorf("%s: %w", name, err)
			}
			src.r, src.size = zr, -1
		}
		sources = append(sources, src)
	}
	return sources, nil
}

// closeSources closes the opened files.
func closeSources(sources []ingestSource) {
	for _, s := range sources {
		if s.file != nil {
			_ = s.file.Close() // Read-only: a close error loses nothing.
		}
	}
}

// ingestJob is one request: lines [firstLine, firstLine+lines) of a source.
type ingestJob struct {
	src       int
	firstLine int64
	data      []byte // the request body, a prefix of buf
	buf       []byte // owned by the job until returned to the free list
}

// clientLineError is a rejected line, by source and line in that source.
type clientLineError struct {
	src    int
	line   int64
	reason string
}

// ingestClient streams sources to the server. The reader goroutine cuts
// requests into buffers from a free list; sender goroutines post them and
// record the answers.
type ingestClient struct {
	opts    ingestOptions
	sources []ingestSource
	http    *http.Client
	free    chan []byte // buffers returned by senders
	nbufs   int         // buffers allocated; only the reader allocates
	stop    context.CancelFunc

	// accepted and rejected count lines, bytesDone the bytes of answered
	// requests (for progress).
	accepted, rejected, bytesDone atomic.Int64
	// overflow and denied count field values the server stored in _extra
	// or dropped by its deny list.
	overflow, denied atomic.Int64

	mu struct {
		sync.Mutex
		errs     []clientLineError
		failures []string
		unsent   int64 // bytes read but not sent after a failure
	}
}

// maxBuffers returns the number of request buffers: one per request in
// flight, one queued and one being filled.
func (c *ingestClient) maxBuffers() int { return c.opts.concurrency + 2 }

// newIngestClient returns a client for opts.
func newIngestClient(opts ingestOptions, sources []ingestSource) *ingestClient {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConnsPerHost = opts.concurrency
	tr.DisableCompression = true
	tr.TLSClientConfig = opts.auth.tlsConfig
	c := &ingestClient{
		opts:    opts,
		sources: sources,
		http:    &http.Client{Transport: tr, Timeout: opts.timeout},
	}
	c.free = make(chan []byte, c.maxBuffers())
	return c
}

// run sends every source and returns when all answers are in. A failed
// request stops the reading of further requests, but lets those in flight
// finish; cancelling ctx aborts everything.
func (c *ingestClient) run(ctx context.Context) {
	readCtx, stop := context.WithCancel(ctx)
	defer stop()
	c.stop = stop
	jobs := make(chan ingestJob)
	var wg sync.WaitGroup
	for range c.opts.concurrency {
		wg.Go(func() { c.sendLoop(ctx, readCtx, jobs) })
	}
	err := c.readAll(readCtx, jobs)
	close(jobs)
	wg.Wait()
	if err != nil && readCtx.Err() == nil {
		c.fail(err.Error())
	}
}

// readAll cuts every source into requests and queues them on jobs.
func (c *ingestClient) readAll(ctx context.Context, jobs chan<- ingestJob) error {
	// The chunk buffer holds one request; a line that does not fit cannot be
	// sent and is rejected here.
	chunks := lineChunker{buf: make([]byte, c.opts.batchBytes)}
	for i := range c.sources {
		chunks.reset(c.sources[i].r)
		if err := c.readSource(ctx, i, &chunks, jobs); err != nil {
			return err
		}
	}
	return nil
}

// readSource queues the requests of source src.
func (c *ingestClient) readSource(ctx context.Context, src int, chunks *lineChunker, jobs chan<- ingestJob) error {
	line := int64(1)
	for {
		data, long, err := chunks.next()
		switch {
		case long:
			c.rejectLine(src, line, fmt.Sprintf("line does not fit in --batch-bytes=%d, not sent", c.opts.batchBytes))
			line++
		case len(data) > 0:
			buf, berr := c.getBuf(ctx)
			if berr != nil {
				return berr
			}
			job := ingestJob{src: src, firstLine: line, data: buf[:copy(buf, data)], buf: buf}
			select {
			case jobs <- job:
			case <-ctx.Done():
				c.free <- buf
				return ctx.Err()
			}
			line += int64(countLines(data))
		}
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("read %s: %w", c.sources[src].name, err)
		}
	}
}

// getBuf returns a free request buffer, allocating up to maxBuffers and then
// waiting for a sender to return one. Only the reader goroutine calls it.
func (c *ingestClient) getBuf(ctx context.Context) ([]byte, error) {
	select {
	case b := <-c.free:
		return b, nil
	default:
	}
	if c.nbufs < c.maxBuffers() {
		c.nbufs++
		return make([]byte, c.opts.batchBytes), nil
	}
	select {
	case b := <-c.free:
		return b, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// sendLoop posts queued requests until jobs is closed. After a failure
// (readCtx done) it drops the queued requests instead of sending them.
func (c *ingestClient) sendLoop(ctx, readCtx context.Context, jobs <-chan ingestJob) {
	var gz *gzipScratch
	if c.opts.gzip {
		gz = newGzipScratch()
	}
	for job := range jobs {
		if readCtx.Err() != nil {
			c.mu.Lock()
			c.mu.unsent += int64(len(job.data))
			c.mu.Unlock()
		} else {
			c.send(ctx, job, gz)
		}
		c.free <- job.buf
	}
}

// send posts one request and records its answer.
func (c *ingestClient) send(ctx context.Context, job ingestJob, gz *gzipScratch) {
	body := job.data
	if gz != nil {
		body = gz.compress(job.data)
	}
	resp, status, err := c.post(ctx, body)
	if resp != nil {
		c.accepted.Add(resp.Accepted)
		c.rejected.Add(resp.Rejected)
		c.overflow.Add(resp.OverflowFields)
		c.denied.Add(resp.DeniedFields)
		c.addErrors(job, resp.Errors)
	}
	c.bytesDone.Add(int64(len(job.data)))
	where := fmt.Sprintf("%s:%d-%d", c.sources[job.src].name, job.firstLine, job.firstLine+int64(countLines(job.data))-1)
	switch {
	case err != nil:
		c.fail(fmt.Sprintf("%s: %v", where, err))
	case status != http.StatusOK:
		c.fail(fmt.Sprintf("%s: HTTP %d: %s", where, status, resp.Error))
	}
}

// post sends body, retrying only when no connection could be made (nothing
// reached the server, so a retry cannot store rows twice).
func (c *ingestClient) post(ctx context.Context, body []byte) (*IngestResponse, int, error) {
	backoff := clientRetryBackoff
	for attempt := 1; ; attempt++ {
		resp, status, err := c.postOnce(ctx, body)
		if err == nil || !notSent(err) || attempt == clientDialAttempts {
			return resp, status, err
		}
		select {
		case <-time.After(backoff):
		case <-ctx.Done():
			return nil, 0, err
		}
		backoff *= 2
	}
}

// postOnce sends one request and decodes the answer. An answer other than
// 200 that is not JSON is returned as its first bytes in Error.
func (c *ingestClient) postOnce(ctx context.Context, body []byte) (*IngestResponse, int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.opts.endpoint, bytes.NewReader(body))
	if err != nil {
		return nil, 0, err
	}
	req.Header.Set("Content-Type", "application/x-ndjson")
	c.opts.auth.set(req)
	if c.opts.gzip {
		req.Header.Set("Content-Encoding", "gzip")
	}
	res, err := c.http.Do(req)
	if err != nil {
		return nil, 0, err
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(res.Body, maxResponseBytes))
	if err != nil {
		return nil, res.StatusCode, fmt.Errorf("read answer (HTTP %d): %w", res.StatusCode, err)
	}
	var out IngestResponse
	if err := json.Unmarshal(raw, &out); err != nil {
		if res.StatusCode == http.StatusOK {
			return nil, res.StatusCode, fmt.Errorf("decode answer: %w", err)
		}
		out = IngestResponse{Error: strings.TrimSpace(string(raw[:min(len(raw), 200)]))}
	}
	return &out, res.StatusCode, nil
}

// notSent reports whether err means the request never left: the connection
// could not be made.
func notSent(err error) bool {
	op, ok := errors.AsType[*net.OpError](err)
	return ok && op.Op == "dial"
}

// addErrors records the line errors of a request, mapped to source lines.
func (c *ingestClient) addErrors(job ingestJob, errs []IngestLineError) {
	if len(errs) == 0 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, e := range errs {
		c.mu.errs = append(c.mu.errs, clientLineError{src: job.src, line: job.firstLine + e.Line - 1, reason: e.Reason})
	}
	c.trimErrorsLocked()
}

// rejectLine records a line rejected by the client itself.
func (c *ingestClient) rejectLine(src int, line int64, reason string) {
	c.rejected.Add(1)
	c.mu.Lock()
	defer c.mu.Unlock()
	c.mu.errs = append(c.mu.errs, clientLineError{src: src, line: line, reason: reason})
	c.trimErrorsLocked()
}

// trimErrorsLocked keeps the first errors by position once many piled up
// (answers arrive out of order, so "first" is known only by sorting).
// REQUIRES: mu held.
func (c *ingestClient) trimErrorsLocked() {
	if len(c.mu.errs) < 8*clientSummaryErrors {
		return
	}
	sortLineErrors(c.mu.errs)
	c.mu.errs = c.mu.errs[:clientSummaryErrors]
}

// sortLineErrors orders errors by source, then line.
func sortLineErrors(errs []clientLineError) {
	slices.SortFunc(errs, func(a, b clientLineError) int {
		if a.src != b.src {
			return a.src - b.src
		}
		return int(a.line - b.line)
	})
}

// fail records a failed request (or read error) and stops reading further
// requests.
func (c *ingestClient) fail(msg string) {
	c.mu.Lock()
	c.mu.failures = append(c.mu.failures, msg)
	c.mu.Unlock()
	if c.stop != nil {
		c.stop()
	}
}

// failed reports whether a request failed.
func (c *ingestClient) failed() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.mu.failures) > 0
}

// gzipScratch compresses request bodies for one sender, reusing its memory.
type gzipScratch struct {
	w   *gzip.Writer
	out bytes.Buffer
}

// newGzipScratch returns a compressor at BestSpeed: the client must leave
// its CPU to reading and the server to parsing.
func newGzipScratch() *gzipScratch {
	g := &gzipScratch{}
	g.w, _ = gzip.NewWriterLevel(&g.out, gzip.BestSpeed) // The level is valid.
	return g
}

// compress returns data gzipped; the result is valid until the next call.
func (g *gzipScratch) compress(data []byte) []byte {
	g.out.Reset()
	g.w.Reset(&g.out)
	_, _ = g.w.Write(data) // Writes to a bytes.Buffer do not fail.
	_ = g.w.Close()
	return g.out.Bytes()
}

// startProgress shows progress on stderr until the returned function is
// called: a progress bar (bytes answered, rows/s) on a terminal, otherwise a
// line every few seconds, so that logs of scripts stay short.
func (c *ingestClient) startProgress(stderr io.Writer) (stop func()) {
	start, total := time.Now(), c.totalBytes()
	tick, show := clientProgressInterval, func(final bool) {
		if !final {
			fmt.Fprintf(stderr, "logq ingest: %s\n", c.progressText(start, total))
		}
	}
	if isTerminal(stderr) {
		bar := progressbar.NewOptions64(total,
			progressbar.OptionSetWriter(stderr),
			progressbar.OptionShowBytes(true),
			progressbar.OptionSetWidth(30),
			progressbar.OptionThrottle(100*time.Millisecond),
			progressbar.OptionSpinnerType(14),
			progressbar.OptionSetRenderBlankState(true),
			progressbar.OptionOnCompletion(func() { fmt.Fprintln(stderr) }))
		tick, show = 200*time.Millisecond, func(final bool) {
			bar.Describe(c.rateText(start))
			_ = bar.Set64(c.bytesDone.Load()) // Errors only for misuse of custom spinners.
			if final {
				_ = bar.Exit()
			}
		}
	}
	done, finished := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(finished)
		t := time.NewTicker(tick)
		defer t.Stop()
		for {
			select {
			case <-t.C:
				show(false)
			case <-done:
				show(true)
				return
			}
		}
	}()
	return func() { close(done); <-finished }
}

// totalBytes returns the size of all sources, or -1 when one is unknown.
func (c *ingestClient) totalBytes() int64 {
	total := int64(0)
	for _, s := range c.sources {
		if s.size < 0 {
			return -1
		}
		total += s.size
	}
	return total
}

// rateText describes the rows done and their rate.
func (c *ingestClient) rateText(start time.Time) string {
	rows := c.accepted.Load() + c.rejected.Load()
	return fmt.Sprintf("%d rows, %.0f rows/s", rows, float64(rows)/max(time.Since(start).Seconds(), 1e-9))
}

// progressText is one progress line for a non-terminal stderr.
func (c *ingestClient) progressText(start time.Time, total int64) string {
	done := c.bytesDone.Load()
	if total <= 0 {
		return fmt.Sprintf("%s sent, %s", formatBytes(done), c.rateText(start))
	}
	return fmt.Sprintf("%s of %s sent (%.0f%%), %s", formatBytes(done), formatBytes(total),
		100*float64(done)/float64(total), c.rateText(start))
}

// isTerminal reports whether w is a character device (a terminal).
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

// printSummary prints the totals, the first line errors (as FILE:LINE) and
// the failed requests.
func (c *ingestClient) printSummary(w io.Writer, elapsed time.Duration) {
	accepted, rejected, sent := c.accepted.Load(), c.rejected.Load(), c.bytesDone.Load()
	secs := max(elapsed.Seconds(), 1e-9)
	fmt.Fprintf(w, "files:    %d\n", len(c.sources))
	fmt.Fprintf(w, "accepted: %d lines\n", accepted)
	fmt.Fprintf(w, "rejected: %d lines\n", rejected)
	if n := c.overflow.Load(); n > 0 {
		fmt.Fprintf(w, "fields:   %d values without a column of their own, stored in the JSON column _extra\n", n)
	}
	if n := c.denied.Load(); n > 0 {
		fmt.Fprintf(w, "fields:   %d values dropped by the server's deny list\n", n)
	}
	fmt.Fprintf(w, "bytes:    %d (%s)\n", sent, formatBytes(sent))
	fmt.Fprintf(w, "elapsed:  %v\n", elapsed.Round(time.Millisecond))
	fmt.Fprintf(w, "rate:     %.0f rows/s, %s/s\n", float64(accepted)/secs, formatBytes(int64(float64(sent)/secs)))
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.mu.errs) > 0 {
		sortLineErrors(c.mu.errs)
		shown := c.mu.errs[:min(len(c.mu.errs), clientSummaryErrors)]
		fmt.Fprintf(w, "first errors (%d of %d rejected lines):\n", len(shown), rejected)
		for _, e := range shown {
			fmt.Fprintf(w, "  %s:%d: %s\n", c.sources[e.src].name, e.line, e.reason)
		}
	}
	if len(c.mu.failures) > 0 {
		fmt.Fprintf(w, "failed requests (%d; lines not reported above were not stored):\n", len(c.mu.failures))
		for _, f := range c.mu.failures {
			fmt.Fprintf(w, "  %s\n", f)
		}
	}
	if c.mu.unsent > 0 {
		fmt.Fprintf(w, "not sent after the failure: %d bytes read\n", c.mu.unsent)
	}
}

// formatBytes formats n in decimal units (MB = 10^6 B), as MEASURED.md does.
func formatBytes(n int64) string {
	const unit = 1000
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	v, exp := float64(n)/unit, 0
	for v >= unit && exp < 4 {
		v /= unit
		exp++
	}
	return fmt.Sprintf("%.1f %cB", v, "kMGTP"[exp])
}
