package server

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"logq/partitions"
	"logq/partitions/columns"
	"logq/partitions/jsonl"
)

// appender stores parsed rows durably.
type appender interface {
	// AppendWith stores the rows of b, giving at most o.MaxNewColumns new
	// columns to its fields (the others go to the catch-all column) and
	// reporting where the fields went. The ingest handler calls it from one
	// goroutine per request, so calls for different requests run
	// concurrently; within one request the calls are sequential and in body
	// order. A nil error means every row of b is durable: it survives a crash
	// and the handler reports it as accepted. An error means no row of b may
	// be considered stored. The handler never touches b again: the appender
	// may keep it.
	AppendWith(ctx context.Context, b *columns.Batch, o partitions.AppendOptions) (partitions.AppendResult, error)
}

// IngestConfig holds the limits and options of the ingest handler. The zero
// value of a field selects its default (see consts.go); AcceptPast keeps 0 as
// its meaning "no lower bound but MySQL's".
type IngestConfig struct {
	// MaxBodyBytes bounds the body as sent (compressed when gzip). A larger
	// Content-Length is refused before reading; a chunked body is cut off at
	// the limit, keeping the lines stored until then.
	MaxBodyBytes int64
	// MaxDecompressedBytes bounds the JSON bytes a gzip body may expand to
	// (a plain body is bounded by MaxBodyBytes).
	MaxDecompressedBytes int64
	// MaxGzipRatio bounds decompressed/compressed bytes once the output
	// passes 16 MiB.
	MaxGzipRatio int64
	// MaxLineBytes bounds one line, newline excluded. A longer line is
	// rejected and skipped without being buffered whole.
	MaxLineBytes int
	// MaxFields bounds the fields of one line, after flattening.
	MaxFields int
	// MaxDepth bounds the nesting of objects in one line.
	MaxDepth int
	// AcceptPast is how far before the request's arrival a ts may lie; 0
	// accepts anything from MySQL's minimum TIMESTAMP, 1970-01-01 00:00:01
	// UTC, so that every backfill is accepted.
	AcceptPast time.Duration
	// AcceptFuture is how far after the request's arrival a ts may lie
	// (default 24h). The window never extends past MySQL's maximum
	// TIMESTAMP, 2038-01-19 03:14:07.999999 UTC.
	AcceptFuture time.Duration
	// IngestTime lets rows without ts take the request's arrival time. The
	// query parameter ingest_time=1 (or 0) overrides it per request.
	IngestTime bool
	// MaxNewColumns bounds the columns one request may create; fields of
	// further new names go to the catch-all column, so that one request
	// cannot take every free column. Negative: a request creates none.
	MaxNewColumns int
	// MinBodyRate is the slowest average, in bytes per second, at which a
	// body may arrive once BodyGrace has passed: a client trickling bytes
	// would otherwise hold a connection and a request for ever. Batching
	// senders send whole bodies at once. Zero selects the default (64 KiB/s),
	// negative none.
	MinBodyRate int64
	// BodyGrace is how long a body may take before MinBodyRate applies
	// (default 10 s).
	BodyGrace time.Duration
	// ChunkBytes is the target size of the chunks parsed and appended.
	ChunkBytes int
	// MaxReportedErrors bounds the line errors listed in one answer.
	MaxReportedErrors int
	// Now returns the current time; nil means time.Now.
	Now func() time.Time
}

// withDefaults returns c with every zero field replaced by its default.
func (c IngestConfig) withDefaults() IngestConfig {
	setDefault(&c.MaxBodyBytes, defaultMaxBodyBytes)
	setDefault(&c.MaxDecompressedBytes, defaultMaxDecompressedBytes)
	setDefault(&c.MaxGzipRatio, defaultMaxGzipRatio)
	setDefault(&c.MaxLineBytes, defaultMaxLineBytes)
	setDefault(&c.MaxFields, defaultMaxFields)
	setDefault(&c.MaxDepth, defaultMaxDepth)
	setDefault(&c.AcceptFuture, defaultAcceptFuture)
	setDefault(&c.ChunkBytes, defaultIngestChunkBytes)
	setDefault(&c.BodyGrace, defaultBodyGrace)
	if c.MinBodyRate == 0 {
		c.MinBodyRate = defaultMinBodyRate
	}
	setDefault(&c.MaxReportedErrors, defaultMaxReportedErrors)
	if c.MaxNewColumns == 0 {
		c.MaxNewColumns = defaultMaxNewColumns
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	return c
}

// setDefault stores def in *v when *v is zero or negative.
func setDefault[T int | int64 | time.Duration](v *T, def T) {
	if *v <= 0 {
		*v = def
	}
}

// IngestStats counts the handler's work for metrics. The handler updates the
// fields atomically; they may be read at any time from any goroutine.
type IngestStats struct {
	// Requests counts requests received, Failed those answered with a
	// status other than 200.
	Requests, Failed atomic.Int64
	// Rows counts rows stored (acknowledged by the appender), Rejected the
	// lines refused.
	Rows, Rejected atomic.Int64
	// Bytes counts body bytes after decompression, WireBytes as sent.
	Bytes, WireBytes atomic.Int64
	// DuplicateKeys counts fields of accepted lines overwritten by a later
	// field of the same name (jsonl.Parser.DuplicateKeys).
	DuplicateKeys atomic.Int64
	// NewColumns counts the columns ingest created, OverflowFields the
	// values stored in the catch-all column instead, DeniedFields the
	// values dropped by the deny list.
	NewColumns, OverflowFields, DeniedFields atomic.Int64
}

// IngestResponse is the JSON answer of the ingest endpoint.
type IngestResponse struct {
	// Accepted counts the lines stored durably, Rejected the lines refused.
	Accepted int64 `json:"accepted"`
	Rejected int64 `json:"rejected"`
	// Errors lists the first rejected lines with their reasons.
	Errors []IngestLineError `json:"errors"`
	// NewColumns counts the columns the stored lines created;
	// OverflowFields counts their values stored in the catch-all column
	// _extra because they could not have a column of their own (column
	// limit, the request's new-column budget, the allow list), and
	// DeniedFields the values the deny list dropped.
	NewColumns     int64 `json:"new_columns,omitempty"`
	OverflowFields int64 `json:"overflow_fields,omitempty"`
	DeniedFields   int64 `json:"denied_fields,omitempty"`
	// Error explains a status other than 200; when the body was cut short it
	// names the limit and the first line not read.
	Error string `json:"error,omitempty"`
}

// IngestLineError is one rejected line: its 1-based number in the body and
// why it was refused.
type IngestLineError struct {
	Line   int64  `json:"line"`
	Reason string `json:"reason"`
}

// IngestHandler serves POST /api/v1/ingest: JSON lines, plain or gzip, parsed
// in chunks and handed to an appender. It is safe for concurrent use.
type IngestHandler struct {
	app     appender
	cfg     IngestConfig
	log     *slog.Logger
	stats   IngestStats
	scratch sync.Pool // of *ingestScratch

	// fullLog keeps a full disk from flooding the log (perhaps on that
	// very disk) with one line per refused request.
	fullLog logLimiter
}

// NewIngestHandler returns a handler storing rows through app, with the
// limits of cfg (zero fields take their defaults) and logging to log (nil
// discards).
func NewIngestHandler(app appender, cfg IngestConfig, log *slog.Logger) *IngestHandler {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &IngestHandler{app: app, cfg: cfg.withDefaults(), log: log}
}

// Stats returns the handler's counters.
func (h *IngestHandler) Stats() *IngestStats { return &h.stats }

// ingestScratch is the memory one request needs, pooled across requests: the
// chunk buffer and the gzip decoder. Batches are not pooled: the appender
// owns them once appended.
type ingestScratch struct {
	buf []byte
	gz  gzip.Reader
}

// ServeHTTP implements http.Handler.
func (h *IngestHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h.stats.Requests.Add(1)
	status, resp := h.serve(w, r)
	if status != http.StatusOK {
		h.stats.Failed.Add(1)
		if status != http.StatusInsufficientStorage {
			h.log.Warn("ingest request refused", "status", status, "error", resp.Error,
				"accepted", resp.Accepted, "rejected", resp.Rejected, "remote", r.RemoteAddr)
		} else if n, ok := h.fullLog.allow(time.Now()); ok {
			h.log.Warn("ingest refused for lack of space", "error", resp.Error, "refused_since_last_line", n)
		}
	}
	if resp.Errors == nil {
		resp.Errors = []IngestLineError{}
	}
	w.Header().Set("Content-Type", "application/json")
	if status == http.StatusInsufficientStorage || status == http.StatusServiceUnavailable {
		w.Header().Set("Retry-After", strconv.Itoa(int(retryAfter/time.Second)))
	}
	w.WriteHeader(status)
	if err := json.NewEncoder(w).Encode(resp); err != nil {
		h.log.Debug("write ingest answer", "error", err, "remote", r.RemoteAddr)
	}
}

// serve handles one request and returns the status and answer to send.
func (h *IngestHandler) serve(w http.ResponseWriter, r *http.Request) (int, *IngestResponse) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		return http.StatusMethodNotAllowed, &IngestResponse{Error: fmt.Sprintf("method %s not allowed, use POST", r.Method)}
	}
	if origin := r.Header.Get("Origin"); origin != "" && !sameOrigin(origin, r.Host) {
		// A web page's request: browsers send Origin, curl, logq ingest and
		// log shippers do not. Without it any page open on this host could
		// post log lines here (a form or fetch with any content type).
		return http.StatusForbidden, &IngestResponse{Error: fmt.Sprintf(
			"cross-origin ingest refused: Origin %q is not this server (%s); clients that are not browsers send no Origin", origin, r.Host)}
	}
	if r.ContentLength > h.cfg.MaxBodyBytes {
		return http.StatusRequestEntityTooLarge, &IngestResponse{Error: fmt.Sprintf(
			"%v: Content-Length %d exceeds the limit of %d bytes (max body bytes)",
			ErrTooLarge, r.ContentLength, h.cfg.MaxBodyBytes)}
	}
	opts, err := h.parserOptions(r)
	if err != nil {
		return http.StatusBadRequest, &IngestResponse{Error: err.Error()}
	}
	s := h.getScratch()
	defer h.scratch.Put(s)
	wire := &wireReader{r: http.MaxBytesReader(w, r.Body, h.cfg.MaxBodyBytes)}
	if h.cfg.MinBodyRate > 0 {
		wire.pace = bodyPace{rc: http.NewResponseController(w), start: time.Now(), grace: h.cfg.BodyGrace, rate: h.cfg.MinBodyRate}
	}
	defer func() { h.stats.WireBytes.Add(wire.n) }()
	body, err := h.openBody(r, wire, s)
	if err != nil {
		status := http.StatusBadRequest
		if errors.Is(err, ErrTooLarge) {
			status = http.StatusRequestEntityTooLarge
		}
		return status, &IngestResponse{Error: err.Error()}
	}
	q := &ingestRequest{
		h: h, ctx: r.Context(), s: s, wire: wire, line: 1,
		parser: jsonl.NewParser(opts),
		chunks: lineChunker{r: body, buf: s.buf},
	}
	status := q.run()
	h.stats.Bytes.Add(q.chunks.read)
	h.stats.DuplicateKeys.Add(q.parser.DuplicateKeys())
	return status, &q.resp
}

// getScratch returns pooled request memory.
func (h *IngestHandler) getScratch() *ingestScratch {
	if s, ok := h.scratch.Get().(*ingestScratch); ok {
		return s
	}
	// The buffer holds a chunk plus a partial line of up to MaxLineBytes, so
	// that a full buffer without a newline proves the line too long.
	return &ingestScratch{buf: make([]byte, h.cfg.ChunkBytes+h.cfg.MaxLineBytes+1)}
}

// parserOptions returns the parser's limits for a request arriving now,
// including its accept window for ts.
func (h *IngestHandler) parserOptions(r *http.Request) (jsonl.Options, error) {
	ingestTime := h.cfg.IngestTime
	if v := r.URL.Query().Get("ingest_time"); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return jsonl.Options{}, fmt.Errorf("query parameter ingest_time=%q: want 1 or 0", v)
		}
		ingestTime = b
	}
	now := h.cfg.Now().UnixMicro()
	o := jsonl.Options{
		MaxLineBytes: h.cfg.MaxLineBytes,
		MaxFields:    h.cfg.MaxFields,
		MaxDepth:     h.cfg.MaxDepth,
		MinTS:        jsonl.MinTimestampMicros,
		MaxTS:        min(now+h.cfg.AcceptFuture.Microseconds(), jsonl.MaxTimestampMicros),
	}
	if h.cfg.AcceptPast > 0 {
		o.MinTS = max(now-h.cfg.AcceptPast.Microseconds(), jsonl.MinTimestampMicros)
	}
	if ingestTime {
		o.IngestTime = now
	}
	return o, nil
}

// openBody returns the decoded body of r read through wire, with the
// decompression limits applied. Its errors are answered with 400, or 413 when
// they wrap ErrTooLarge.
func (h *IngestHandler) openBody(r *http.Request, wire *wireReader, s *ingestScratch) (io.Reader, error) {
	enc := strings.ToLower(strings.TrimSpace(strings.Join(r.Header.Values("Content-Encoding"), ",")))
	switch enc {
	case "", "identity":
		return wire, nil
	case "gzip", "x-gzip":
		if err := s.gz.Reset(wire); err != nil {
			if wire.err != nil {
				return nil, wire.err
			}
			return nil, fmt.Errorf("invalid gzip header: %w", err)
		}
		s.gz.Multistream(true)
		return &limitedReader{r: &s.gz, wire: wire, ratio: h.cfg.MaxGzipRatio, max: h.cfg.MaxDecompressedBytes}, nil
	}
	return nil, fmt.Errorf("unsupported Content-Encoding %q (supported: gzip, identity)", enc)
}

// ingestRequest is the state of one request being ingested.
type ingestRequest struct {
	h       *IngestHandler
	ctx     context.Context
	s       *ingestScratch
	wire    *wireReader
	parser  *jsonl.Parser
	chunks  lineChunker
	sizes   batchSizes     // of the last batch parsed, to size the next one
	line    int64          // number of the next line to read, 1-based
	pending *pendingAppend // the append in flight, if any
	resp    IngestResponse
}

// chunkResult is what parsing one chunk produced; it counts in the answer only
// once its rows are appended.
type chunkResult struct {
	firstLine          int64
	accepted, rejected int
	errs               []IngestLineError
	batch              *columns.Batch
}

// pendingAppend is an append running while the next chunk is parsed.
type pendingAppend struct {
	res  chunkResult
	done chan appendDone
}

// appendDone is the outcome of one append.
type appendDone struct {
	res partitions.AppendResult
	err error
}

// run reads, parses and appends the body chunk by chunk and returns the
// status to answer. Parsing of a chunk overlaps the append of the one before,
// so the wait for the store's fsync does not idle the request.
func (q *ingestRequest) run() int {
	for {
		data, long, err := q.chunks.next()
		var aerr error
		switch {
		case long:
			aerr = q.start(q.longLine())
		case len(data) > 0:
			aerr = q.start(q.parse(data))
		case err != nil:
			aerr = q.wait()
		}
		if aerr != nil {
			return q.appendFailed(aerr)
		}
		if err != nil {
			return q.finish(err)
		}
	}
}

// parse parses one chunk of complete lines into a new batch.
func (q *ingestRequest) parse(data []byte) chunkResult {
	b := q.sizes.newBatch()
	lines := int64(countLines(data))
	accepted, errs := q.parser.Parse(data, int(q.line), b)
	if accepted > 0 {
		q.sizes.measure(b)
	}
	res := chunkResult{firstLine: q.line, accepted: accepted, rejected: len(errs), batch: b}
	for _, e := range errs[:min(len(errs), q.h.cfg.MaxReportedErrors)] {
		res.errs = append(res.errs, IngestLineError{Line: int64(e.Line), Reason: e.Reason})
	}
	q.line += lines
	return res
}

// batchSizes records the rows and string bytes of a batch, so that the next
// one can be allocated with room for as many: a request's chunks are of
// similar size and then fill their batches without growing them. (The batch
// itself belongs to the appender once appended, so only sizes are kept.)
type batchSizes struct {
	rows int
	data [5]int // Level, Service, Host, TraceID, Message
}

// coreStrings returns the core string columns of b, in batchSizes order.
func coreStrings(b *columns.Batch) [5]*columns.Strings {
	return [5]*columns.Strings{&b.Level, &b.Service, &b.Host, &b.TraceID, &b.Message}
}

// measure records the sizes of b.
func (s *batchSizes) measure(b *columns.Batch) {
	s.rows = b.Len()
	for i, c := range coreStrings(b) {
		s.data[i] = len(c.Data)
	}
}

// newBatch returns an empty batch with room for the recorded sizes.
func (s *batchSizes) newBatch() *columns.Batch {
	b := &columns.Batch{}
	if s.rows == 0 {
		return b
	}
	b.TS = make([]int64, 0, s.rows)
	for i, c := range coreStrings(b) {
		c.Data = make([]byte, 0, s.data[i])
		c.Ends = make([]uint32, 0, s.rows)
	}
	return b
}

// longLine rejects the line the chunker is skipping because it is too long.
func (q *ingestRequest) longLine() chunkResult {
	res := chunkResult{firstLine: q.line, rejected: 1, errs: []IngestLineError{{
		Line:   q.line,
		Reason: fmt.Sprintf("line is longer than the limit of %d bytes (skipped unread)", q.h.cfg.MaxLineBytes),
	}}}
	q.line++
	return res
}

// start waits for the append in flight, then starts appending res's rows in
// the background (or commits res at once when it has none).
func (q *ingestRequest) start(res chunkResult) error {
	if err := q.wait(); err != nil {
		return err
	}
	if res.accepted == 0 {
		q.commit(res)
		return nil
	}
	p := &pendingAppend{res: res, done: make(chan appendDone, 1)}
	go q.h.appendBatch(q.ctx, res.batch, q.columnBudget(), p.done)
	q.pending = p
	return nil
}

// columnBudget is what is left of the request's new-column budget, as
// AppendOptions takes it: appends run one after another within a request,
// so the previous one has counted its columns.
func (q *ingestRequest) columnBudget() partitions.AppendOptions {
	left := int64(q.h.cfg.MaxNewColumns) - q.resp.NewColumns
	if q.h.cfg.MaxNewColumns < 0 || left <= 0 {
		return partitions.AppendOptions{MaxNewColumns: -1}
	}
	return partitions.AppendOptions{MaxNewColumns: int(left)}
}

// appendBatch runs one append and sends its result on done. A panic in the
// store becomes an error, so that it fails this request, not the process.
func (h *IngestHandler) appendBatch(ctx context.Context, b *columns.Batch, o partitions.AppendOptions, done chan<- appendDone) {
	defer func() {
		if v := recover(); v != nil {
			h.log.Error("BUG: store append panicked", "panic", v, "stack", string(debug.Stack()))
			done <- appendDone{err: fmt.Errorf("store append panicked: %v", v)}
		}
	}()
	res, err := h.app.AppendWith(ctx, b, o)
	done <- appendDone{res: res, err: err}
}

// wait waits for the append in flight, if any, and commits its result. On an
// error the chunk stays uncommitted and q.pending keeps it for the answer.
func (q *ingestRequest) wait() error {
	p := q.pending
	if p == nil {
		return nil
	}
	d := <-p.done
	if d.err != nil {
		return d.err
	}
	q.pending = nil
	q.commit(p.res)
	q.resp.NewColumns += int64(d.res.NewColumns)
	q.resp.OverflowFields += d.res.OverflowFields
	q.resp.DeniedFields += d.res.DeniedFields
	q.h.stats.NewColumns.Add(int64(d.res.NewColumns))
	q.h.stats.OverflowFields.Add(d.res.OverflowFields)
	q.h.stats.DeniedFields.Add(d.res.DeniedFields)
	return nil
}

// commit counts a chunk whose rows are stored in the answer and the stats.
func (q *ingestRequest) commit(res chunkResult) {
	q.resp.Accepted += int64(res.accepted)
	q.resp.Rejected += int64(res.rejected)
	room := q.h.cfg.MaxReportedErrors - len(q.resp.Errors)
	q.resp.Errors = append(q.resp.Errors, res.errs[:min(room, len(res.errs))]...)
	q.h.stats.Rows.Add(int64(res.accepted))
	q.h.stats.Rejected.Add(int64(res.rejected))
}

// appendFailed answers a failed append: the lines of earlier chunks are
// stored, the failed chunk and everything after it are not.
func (q *ingestRequest) appendFailed(err error) int {
	if !errors.Is(err, partitions.ErrNoSpace) { // ServeHTTP logs those, sparingly
		q.h.log.Error("ingest append", "error", err, "first_line_not_stored", q.pending.res.firstLine)
	}
	q.resp.Error = fmt.Sprintf("store append: %v; lines from %d on were not stored, the %d lines accepted before them were",
		err, q.pending.res.firstLine, q.resp.Accepted)
	if errors.Is(err, partitions.ErrNoSpace) {
		return http.StatusInsufficientStorage // until an operator frees space
	}
	return http.StatusServiceUnavailable
}

// finish answers the end of the body: io.EOF is success, a limit is 413, a
// broken connection 400, and corrupt gzip data one more rejected line after
// those accepted.
func (q *ingestRequest) finish(err error) int {
	if q.wire.err != nil {
		// The connection's error explains whatever the decoder made of it.
		err = q.wire.err
	}
	switch {
	case errors.Is(err, io.EOF):
		return http.StatusOK
	case errors.Is(err, ErrTooLarge):
		q.resp.Error = fmt.Sprintf("%v; lines from %d on were not read", err, q.line)
		return http.StatusRequestEntityTooLarge
	case errors.Is(err, errTooSlow):
		q.resp.Error = fmt.Sprintf("%v; lines from %d on were not read", err, q.line)
		return http.StatusRequestTimeout
	case q.wire.err != nil:
		q.resp.Error = fmt.Sprintf("read request body: %v; lines from %d on were not read", q.wire.err, q.line)
		return http.StatusBadRequest
	}
	res := chunkResult{rejected: 1, errs: []IngestLineError{{
		Line:   q.line,
		Reason: fmt.Sprintf("invalid gzip data: %v; the rest of the body was not read", err),
	}}}
	q.commit(res)
	return http.StatusOK
}

// countLines returns the number of lines in data: its newlines, plus one
// for a last line without newline.
func countLines(data []byte) int {
	n := countNewlines(data)
	if len(data) > 0 && data[len(data)-1] != '\n' {
		n++
	}
	return n
}

// newline is the separator of JSON lines, as a slice for bytes.Count.
var newline = []byte{'\n'}

// countNewlines returns the number of newlines in data (vectorised by the
// standard library, so counting costs far less than parsing).
func countNewlines(data []byte) int { return bytes.Count(data, newline) }

// wireReader counts the body bytes as sent and keeps the first error of the
// connection, turning the body limit into an ErrTooLarge naming it.
type wireReader struct {
	r    io.Reader
	n    int64
	err  error
	pace bodyPace
}

// bodyPace holds a body to its minimum average rate: before each read the
// connection's read deadline moves to when the bytes read so far would be
// too few.
type bodyPace struct {
	rc          *http.ResponseController // nil: no minimum
	start       time.Time
	grace       time.Duration
	rate        int64 // bytes per second
	unsupported bool
}

// arm sets the read deadline for a body of which n bytes have arrived.
func (p *bodyPace) arm(n int64) {
	if p.rc == nil || p.unsupported {
		return
	}
	due := p.start.Add(p.grace + time.Duration(float64(n)/float64(p.rate)*float64(time.Second)))
	if err := p.rc.SetReadDeadline(due); err != nil {
		p.unsupported = true // a ResponseWriter without deadlines (tests' recorders)
	}
}

// Read implements io.Reader.
func (w *wireReader) Read(p []byte) (int, error) {
	w.pace.arm(w.n)
	n, err := w.r.Read(p)
	w.n += int64(n)
	if err != nil && !errors.Is(err, io.EOF) {
		if mbe, ok := errors.AsType[*http.MaxBytesError](err); ok {
			err = fmt.Errorf("%w: request body exceeds the limit of %d bytes (max body bytes)", ErrTooLarge, mbe.Limit)
		} else if errors.Is(err, os.ErrDeadlineExceeded) && w.pace.rc != nil {
			err = fmt.Errorf("%w: the body arrived slower than %d bytes/s after %v (min body rate)", errTooSlow, w.pace.rate, w.pace.grace)
		}
		if w.err == nil {
			w.err = err
		}
	}
	return n, err
}

// limitedReader enforces the decompressed-size limit and the expansion ratio
// of a gzip body against the bytes read from wire. Like
// http.MaxBytesReader it delivers every byte up to the limit, then an error.
type limitedReader struct {
	r     io.Reader
	wire  *wireReader
	ratio int64
	n     int64
	max   int64
	err   error
}

// Read implements io.Reader.
func (l *limitedReader) Read(p []byte) (int, error) {
	if l.err != nil {
		return 0, l.err
	}
	if rest := l.max - l.n + 1; int64(len(p)) > rest {
		p = p[:rest]
	}
	n, err := l.r.Read(p)
	l.n += int64(n)
	switch {
	case l.n > l.max:
		n -= int(l.n - l.max)
		l.n = l.max
		l.err = fmt.Errorf("%w: decompressed body exceeds the limit of %d bytes (max decompressed bytes)", ErrTooLarge, l.max)
	case l.n > gzipRatioFloorBytes && l.n > l.ratio*l.wire.n:
		l.err = fmt.Errorf("%w: gzip body expands more than %d times (max gzip ratio: %d bytes from %d)",
			ErrTooLarge, l.ratio, l.n, l.wire.n)
	default:
		return n, err
	}
	return n, l.err
}

// lineChunker cuts a stream into runs of complete lines inside one reused
// buffer. A line that does not fit the buffer is reported once and its bytes
// are dropped as they arrive, so it is never held whole; the owner sizes the
// buffer so that such a line is too long anyway.
type lineChunker struct {
	r        io.Reader
	buf      []byte
	n        int   // bytes of buf holding data
	start    int   // bytes at the front of buf handed out by the last next
	skipping bool  // dropping the bytes of a too long line up to its newline
	err      error // first read error; io.EOF at the end of the stream
	read     int64 // bytes read from r
}

// next returns the next run of complete lines (with the last line of the
// stream even without newline), or long = true when a too long line was
// found and is being skipped, or the stream's error (io.EOF at its end) once
// every line was returned. data is valid until the next call. A partial line
// left at a read error other than io.EOF is dropped.
func (c *lineChunker) next() (data []byte, long bool, err error) {
	c.n = copy(c.buf, c.buf[c.start:c.n])
	c.start = 0
	for {
		if c.err == nil && c.n < len(c.buf) {
			m, err := readFull(c.r, c.buf[c.n:])
			c.n += m
			c.read += int64(m)
			c.err = err
		}
		if c.skipping && !c.skipLine() {
			if c.err != nil {
				return nil, false, c.err
			}
			continue
		}
		end := bytes.LastIndexByte(c.buf[:c.n], '\n') + 1
		if errors.Is(c.err, io.EOF) {
			end = c.n
		}
		if end > 0 {
			c.start = end
			return c.buf[:end], false, nil
		}
		if c.err != nil {
			c.n = 0
			return nil, false, c.err
		}
		// The buffer is full and holds no newline: the line is too long.
		c.n, c.skipping = 0, true
		return nil, true, nil
	}
}

// reset makes c read r from its start, keeping the buffer.
func (c *lineChunker) reset(r io.Reader) {
	*c = lineChunker{r: r, buf: c.buf, read: c.read}
}

// skipLine drops the bytes of the line being skipped up to and including its
// newline, and reports whether the newline was found.
func (c *lineChunker) skipLine() bool {
	i := bytes.IndexByte(c.buf[:c.n], '\n')
	if i < 0 {
		c.n = 0
		return false
	}
	c.n = copy(c.buf, c.buf[i+1:c.n])
	c.skipping = false
	return true
}

// readFull reads until p is full or r fails, returning r's error unchanged
// (io.ReadFull would turn a short read into io.ErrUnexpectedEOF, which gzip
// also uses for a truncated stream).
func readFull(r io.Reader, p []byte) (int, error) {
	n := 0
	for n < len(p) {
		m, err := r.Read(p[n:])
		n += m
		if err != nil {
			return n, err
		}
	}
	return n, nil
}

// logLimiter lets one log line through per logEvery and counts the events
// it held back.
type logLimiter struct {
	mu   sync.Mutex
	last time.Time
	held int64
}

// allow reports whether to log an event at now, and how many events since
// the last logged one it stands for.
func (l *logLimiter) allow(now time.Time) (int64, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.held++
	if !l.last.IsZero() && now.Sub(l.last) < logEvery {
		return 0, false
	}
	n := l.held
	l.last, l.held = now, 0
	return n, true
}

// errTooSlow ends a body that arrives below the minimum rate.
var errTooSlow = errors.New("request body too slow")

// sameOrigin reports whether the Origin header origin names host, the
// request's Host: the scheme is not compared, since a proxy may end TLS.
func sameOrigin(origin, host string) bool {
	u, err := url.Parse(origin)
	return err == nil && u.Host != "" && strings.EqualFold(u.Host, host)
}
