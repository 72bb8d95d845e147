package server

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"testing/iotest"
	"time"

	"github.com/stretchr/testify/require"

	"logq/partitions"
	"logq/partitions/columns"
)

// testNow is the clock of the tests' handlers: after the benchmark data
// (November 2026), so that it lies inside the default accept window.
var testNow = time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)

// testRow is one stored row as the tests compare it.
type testRow struct {
	TS                                     int64
	Level, Service, Host, TraceID, Message string
	Status, Latency                        int64
}

// logLine is a WORKLOAD.md-like log line the tests write as JSON.
type logLine struct {
	ts                                     time.Time
	level, service, host, traceID, message string
	status, latency                        int64
}

// zones are the offsets the benchmark data is written with.
var zones = []*time.Location{
	time.UTC, time.FixedZone("", -8*3600), time.FixedZone("", -5*3600),
	time.FixedZone("", 3600), time.FixedZone("", 5*3600+1800), time.FixedZone("", 9*3600),
}

// goodLine returns the i-th line of a deterministic WORKLOAD-like stream.
func goodLine(i int) logLine {
	levels := []string{"DEBUG", "INFO", "INFO", "WARN", "ERROR"}
	svc := i * 7 % 50
	ts := time.Date(2026, 11, 3, 13, 30, 0, 0, time.UTC).Add(time.Duration(i)*37*time.Millisecond + time.Duration(i%1000)*time.Microsecond)
	return logLine{
		ts:      ts.In(zones[svc%len(zones)]),
		level:   levels[i%len(levels)],
		service: fmt.Sprintf("svc-%d", svc),
		host:    fmt.Sprintf("host-%d", svc*4+i%4),
		traceID: fmt.Sprintf("%016x", uint64(i)*0x9e3779b97f4a7c15),
		message: fmt.Sprintf("GET /api/v1/orders/%d completed status=200 duration=%dms", 40000+i, i%97),
		status:  200 + int64(i%3)*100,
		latency: int64(i % 97),
	}
}

// json returns the line as one JSON object, without newline.
func (l logLine) json() string {
	return fmt.Sprintf(`{"ts":%q,"level":%q,"service":%q,"host":%q,"trace_id":%q,"status":%d,"latency_ms":%d,"message":%q}`,
		l.ts.Format("2006-01-02T15:04:05.000000Z07:00"), l.level, l.service, l.host, l.traceID, l.status, l.latency, l.message)
}

// row returns the row the line must be stored as.
func (l logLine) row() testRow {
	return testRow{TS: l.ts.UnixMicro(), Level: l.level, Service: l.service, Host: l.host,
		TraceID: l.traceID, Message: l.message, Status: l.status, Latency: l.latency}
}

// goodLines returns n good lines starting at index from, as JSON and rows.
func goodLines(from, n int) ([]string, []testRow) {
	var js []string
	var rows []testRow
	for i := from; i < from+n; i++ {
		js = append(js, goodLine(i).json())
		rows = append(rows, goodLine(i).row())
	}
	return js, rows
}

// batchRows converts a batch to test rows. Rows without status or
// latency_ms read as 0 there; a column of the wrong type reads as -1, which no
// expectation holds.
func batchRows(b *columns.Batch) []testRow {
	var rows []testRow
	num := func(name string, i int) int64 {
		switch d := b.Column(name); {
		case d == nil || d.IsNull(i):
			return 0
		case d.Type != columns.TypeInt64:
			return -1
		default:
			return d.Ints[i]
		}
	}
	for i := 0; i < b.Len(); i++ {
		rows = append(rows, testRow{
			TS: b.TS[i], Level: string(b.Level.Value(i)), Service: string(b.Service.Value(i)),
			Host: string(b.Host.Value(i)), TraceID: string(b.TraceID.Value(i)), Message: string(b.Message.Value(i)),
			Status: num("status", i), Latency: num("latency_ms", i),
		})
	}
	return rows
}

// fakeAppender records appended rows. failAt > 0 makes the failAt-th call
// fail.
type fakeAppender struct {
	mu     sync.Mutex
	calls  int
	failAt int
	rows   []testRow
}

// AppendWith implements appender; it copies the rows.
func (f *fakeAppender) AppendWith(_ context.Context, b *columns.Batch, _ partitions.AppendOptions) (partitions.AppendResult, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls++
	if f.calls == f.failAt {
		return partitions.AppendResult{}, errors.New("disk on fire")
	}
	f.rows = append(f.rows, batchRows(b)...)
	return partitions.AppendResult{}, nil
}

// stored returns the rows appended so far.
func (f *fakeAppender) stored() []testRow {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]testRow(nil), f.rows...)
}

// callCount returns the number of Append calls.
func (f *fakeAppender) callCount() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls
}

// jsonDecode decodes one JSON value from r into v.
func jsonDecode(r io.Reader, v any) error { return json.NewDecoder(r).Decode(v) }

// gz returns data gzip-compressed.
func gz(tb testing.TB, data []byte) []byte {
	tb.Helper()
	var out bytes.Buffer
	w := gzip.NewWriter(&out)
	_, err := w.Write(data)
	require.NoError(tb, err)
	require.NoError(tb, w.Close())
	return out.Bytes()
}

// body joins lines with newlines, ending with one.
func body(lines ...string) []byte {
	if len(lines) == 0 {
		return nil
	}
	return []byte(strings.Join(lines, "\n") + "\n")
}

// wantErr is an expected line error: its line and a part of its reason.
type wantErr struct {
	line   int64
	reason string
}

// ingestCase is one request of the malformed-input table.
type ingestCase struct {
	name     string
	cfg      func(*IngestConfig)
	method   string
	body     []byte
	chunked  bool // hide the length, so that the body is sent chunked
	encoding string
	query    string
	status   int
	accepted int64
	errs     []wantErr // every rejected line, when rejected <= 100
	rejected int64     // when more lines are rejected than listed in errs
	errText  []string  // parts of the answer's error
	rows     []testRow // rows that must be stored, in order
	lines    int64     // lines sent, when the body was read whole (non-blank)
}

// ingestCases returns the malformed-input table of issue 2.
func ingestCases(tb testing.TB) []ingestCase {
	good, goodRows := goodLines(0, 8)
	huge := `{"ts":"2026-11-03T10:00:00Z","message":"` + strings.Repeat("x", 5<<20) + `"}`
	long := `{"ts":"2026-11-03T10:00:00Z","message":"` + strings.Repeat("y", 3<<19) + `"}`
	var fields strings.Builder
	fields.WriteString(`{"ts":"2026-11-03T10:00:00Z"`)
	for i := range 2000 {
		fmt.Fprintf(&fields, `,"f%d":%d`, i, i)
	}
	fields.WriteString("}")
	noTS := logLine{level: "INFO", service: "svc-1", host: "host-4", traceID: "00000000000000aa", message: "no ts", status: 200, latency: 3}
	noTSJSON := fmt.Sprintf(`{"level":"INFO","service":"svc-1","host":"host-4","trace_id":"00000000000000aa","status":200,"latency_ms":3,"message":"no ts"}`)
	noTSRow := noTS.row()
	noTSRow.TS = testNow.UnixMicro()
	at := func(ts string) string {
		return `{"ts":"` + ts + `","level":"INFO","service":"svc-1","host":"host-4","trace_id":"00000000000000bb","status":200,"latency_ms":1,"message":"m"}`
	}
	atRow := func(ts time.Time) testRow {
		return testRow{TS: ts.UnixMicro(), Level: "INFO", Service: "svc-1", Host: "host-4", TraceID: "00000000000000bb", Message: "m", Status: 200, Latency: 1}
	}
	// A core string field given another JSON type keeps its JSON text.
	levelNumber := `{"ts":"2026-11-03T10:00:00Z","level":5,"service":"svc-1","message":{"a":[1, 2]}}`
	levelNumberRow := testRow{TS: time.Date(2026, 11, 3, 10, 0, 0, 0, time.UTC).UnixMicro(), Level: "5", Service: "svc-1", Message: `{"a":[1,2]}`}
	future23h, future25h := testNow.Add(23*time.Hour), testNow.Add(25*time.Hour)
	bomb := append(body(good[:3]...), bytes.Repeat([]byte("\n"), 64<<20)...)
	badGzip := append(gz(tb, body(good[:4]...)), gz(tb, body(good[4:]...))[:10]...)
	badGzip = append(badGzip, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff)
	chunkedLimit := 1000 // bytes; good lines are about 230 bytes
	chunkedFit := linesWithin(good, chunkedLimit)
	return []ingestCase{
		{name: "good lines", body: body(good...), status: 200, accepted: 8, rows: goodRows, lines: 8},
		{name: "empty body", body: nil, status: 200},
		{name: "blank lines are skipped but numbered", body: body(good[0], "", "  \t", good[1], "{bad", good[2]),
			status: 200, accepted: 3, errs: []wantErr{{5, "JSON"}}, rows: goodRows[:3], lines: 4},
		{name: "invalid JSON", body: body(good[0], `{"ts":"2026-11-03T10:00:00Z","level":}`, "not json", good[1], `{"a":1}}`),
			status: 200, accepted: 2, errs: []wantErr{{2, "JSON"}, {3, "JSON"}, {5, "JSON"}}, rows: goodRows[:2], lines: 5},
		{name: "truncated last line", body: append(body(good[:2]...), good[2][:50]...),
			status: 200, accepted: 2, errs: []wantErr{{3, "JSON"}}, rows: goodRows[:2], lines: 3},
		{name: "last line without newline", body: []byte(strings.Join(good[:3], "\n")),
			status: 200, accepted: 3, rows: goodRows[:3], lines: 3},
		{name: "invalid UTF-8", body: body(good[0], `{"ts":"2026-11-03T10:00:00Z","message":"bad `+"\xff\xfe"+` bytes"}`, good[1]),
			status: 200, accepted: 2, errs: []wantErr{{2, "invalid UTF-8"}}, rows: goodRows[:2], lines: 3},
		{name: "huge line skipped while streaming", body: body(good[0], huge, good[1]),
			status: 200, accepted: 2, errs: []wantErr{{2, "longer than the limit"}}, rows: goodRows[:2], lines: 3},
		{name: "long line inside a chunk", body: body(good[0], long, good[1]),
			status: 200, accepted: 2, errs: []wantErr{{2, "longer than the limit"}}, rows: goodRows[:2], lines: 3},
		{name: "huge last line without newline", body: append(body(good[:2]...), huge...),
			status: 200, accepted: 2, errs: []wantErr{{3, "longer than the limit"}}, rows: goodRows[:2], lines: 3},
		{name: "too many fields", body: body(good[0], fields.String(), good[1]),
			status: 200, accepted: 2, errs: []wantErr{{2, "more than 1000 fields"}}, rows: goodRows[:2], lines: 3},
		{name: "bad ts", body: body(at("yesterday"), good[0], at("2026-13-45T99:00:00Z"), at("")),
			status: 200, accepted: 1, errs: []wantErr{{1, `ts "yesterday"`}, {3, "month 13 out of range"}, {4, `ts ""`}}, rows: goodRows[:1], lines: 4},
		{name: "missing ts", body: body(good[0], noTSJSON),
			status: 200, accepted: 1, errs: []wantErr{{2, "missing ts"}}, rows: goodRows[:1], lines: 2},
		{name: "missing ts with ingest_time=1", body: body(good[0], noTSJSON), query: "ingest_time=1",
			status: 200, accepted: 2, rows: []testRow{goodRows[0], noTSRow}, lines: 2},
		{name: "missing ts with IngestTime config", body: body(noTSJSON), cfg: func(c *IngestConfig) { c.IngestTime = true },
			status: 200, accepted: 1, rows: []testRow{noTSRow}, lines: 1},
		{name: "ingest_time=0 overrides config", body: body(noTSJSON), query: "ingest_time=0",
			cfg: func(c *IngestConfig) { c.IngestTime = true }, status: 200, errs: []wantErr{{1, "missing ts"}}, lines: 1},
		{name: "ts far in the past", body: body(at("1960-01-01T00:00:00Z"), at("1970-01-01T00:00:00Z"), at("1970-01-01T00:00:01Z"), good[0]),
			status: 200, accepted: 2, errs: []wantErr{{1, "outside the accepted window"}, {2, "outside the accepted window"}},
			rows: []testRow{atRow(time.Unix(1, 0)), goodRows[0]}, lines: 4},
		{name: "ts before AcceptPast", body: body(good[0], at(testNow.Add(-47*time.Hour).Format(time.RFC3339))),
			cfg: func(c *IngestConfig) { c.AcceptPast = 48 * time.Hour }, status: 200, accepted: 1, errs: []wantErr{{1, "outside the accepted window"}},
			rows: []testRow{atRow(testNow.Add(-47 * time.Hour))}, lines: 2},
		{name: "ts far in the future", body: body(at(future23h.Format(time.RFC3339)), at(future25h.Format(time.RFC3339)), at("2040-01-01T00:00:00Z")),
			status: 200, accepted: 1, errs: []wantErr{{2, "outside the accepted window"}, {3, "outside the accepted window"}}, rows: []testRow{atRow(future23h)}, lines: 3},
		{name: "wrong types", body: body(`{"ts":true,"message":"m"}`, `{"ts":{"s":1},"message":"m"}`, `[1,2,3]`, `"just a string"`, `42`, good[0], levelNumber),
			status: 200, accepted: 2, errs: []wantErr{{1, "ts must be a string or a number"}, {2, "ts must be a string or a number"},
				{3, "not a JSON object"}, {4, "not a JSON object"}, {5, "not a JSON object"}},
			rows: []testRow{goodRows[0], levelNumberRow}, lines: 7},
		{name: "gzip", body: gz(tb, body(good[0], "{bad", good[1])), encoding: "gzip",
			status: 200, accepted: 2, errs: []wantErr{{2, "JSON"}}, rows: goodRows[:2], lines: 3},
		{name: "gzip bomb past the decompressed limit", body: gz(tb, append(body(good[:3]...), bytes.Repeat([]byte(" "), 4<<20)...)),
			encoding: "gzip", cfg: func(c *IngestConfig) { c.MaxDecompressedBytes = 1 << 20 },
			status: 413, accepted: 3, rows: goodRows[:3], errText: []string{"max decompressed bytes", "lines from 4 on were not read"}},
		{name: "gzip bomb past the ratio", body: gz(tb, bomb), encoding: "gzip",
			status: 413, accepted: 3, rows: goodRows[:3], errText: []string{"max gzip ratio", "were not read"}},
		{name: "invalid gzip header", body: body(good...), encoding: "gzip", status: 400, errText: []string{"invalid gzip header"}},
		{name: "invalid gzip midway", body: badGzip, encoding: "gzip",
			status: 200, accepted: 4, errs: []wantErr{{5, "invalid gzip data"}}, rows: goodRows[:4]},
		{name: "unsupported Content-Encoding", body: body(good...), encoding: "br", status: 400, errText: []string{"unsupported Content-Encoding"}},
		{name: "wrong method", method: http.MethodGet, status: 405, errText: []string{"use POST"}},
		{name: "bad ingest_time", body: body(good...), query: "ingest_time=maybe", status: 400, errText: []string{"ingest_time"}},
		{name: "oversized body by Content-Length", body: body(good...), cfg: func(c *IngestConfig) { c.MaxBodyBytes = 1000 },
			status: 413, errText: []string{"Content-Length", "max body bytes"}},
		{name: "oversized chunked body", body: body(good...), chunked: true, cfg: func(c *IngestConfig) { c.MaxBodyBytes = int64(chunkedLimit) },
			status: 413, accepted: int64(chunkedFit), rows: goodRows[:chunkedFit],
			errText: []string{"max body bytes", fmt.Sprintf("lines from %d on were not read", chunkedFit+1)}},
		{name: "oversized gzip body", body: gz(tb, body(good...)), encoding: "gzip", chunked: true,
			cfg: func(c *IngestConfig) { c.MaxBodyBytes = 100 }, status: 413, errText: []string{"max body bytes"}},
	}
}

// linesWithin returns how many of lines (each followed by a newline) end
// within the first limit bytes.
func linesWithin(lines []string, limit int) int {
	n, size := 0, 0
	for _, l := range lines {
		size += len(l) + 1
		if size > limit {
			break
		}
		n++
	}
	return n
}

// newTestHandler returns a handler over a fake appender with the test clock.
func newTestHandler(edit func(*IngestConfig)) (*IngestHandler, *fakeAppender) {
	cfg := IngestConfig{Now: func() time.Time { return testNow }}
	if edit != nil {
		edit(&cfg)
	}
	app := &fakeAppender{}
	return NewIngestHandler(app, cfg, nil), app
}

// doIngest sends one request to srv and decodes the answer.
func doIngest(tb testing.TB, srv *httptest.Server, method, query, encoding string, data []byte, chunked bool) (int, IngestResponse) {
	tb.Helper()
	var r io.Reader = bytes.NewReader(data)
	if chunked {
		r = io.MultiReader(r) // Hides the length: sent with chunked encoding.
	}
	if method == "" {
		method = http.MethodPost
	}
	req, err := http.NewRequest(method, srv.URL+ingestPath+"?"+query, r)
	require.NoError(tb, err)
	if encoding != "" {
		req.Header.Set("Content-Encoding", encoding)
	}
	res, err := srv.Client().Do(req)
	require.NoError(tb, err)
	defer res.Body.Close()
	require.Equal(tb, "application/json", res.Header.Get("Content-Type"))
	var out IngestResponse
	require.NoError(tb, jsonDecode(res.Body, &out))
	return res.StatusCode, out
}

func TestIngestMalformedInput(t *testing.T) {
	for _, tc := range ingestCases(t) {
		t.Run(tc.name, func(t *testing.T) {
			h, app := newTestHandler(tc.cfg)
			srv := httptest.NewServer(h)
			defer srv.Close()
			status, resp := doIngest(t, srv, tc.method, tc.query, tc.encoding, tc.body, tc.chunked)
			require.Equal(t, tc.status, status, "answer: %+v", resp)
			require.Equal(t, tc.accepted, resp.Accepted, "answer: %+v", resp)
			rejected := tc.rejected
			if rejected == 0 {
				rejected = int64(len(tc.errs))
			}
			require.Equal(t, rejected, resp.Rejected, "answer: %+v", resp)
			require.Len(t, resp.Errors, len(tc.errs), "answer: %+v", resp)
			for i, e := range tc.errs {
				require.Equal(t, e.line, resp.Errors[i].Line, "error %d: %+v", i, resp.Errors[i])
				require.Contains(t, resp.Errors[i].Reason, e.reason, "error %d", i)
			}
			for _, s := range tc.errText {
				require.Contains(t, resp.Error, s)
			}
			if len(tc.errText) == 0 {
				require.Empty(t, resp.Error)
			}
			if tc.lines > 0 {
				require.Equal(t, tc.lines, resp.Accepted+resp.Rejected, "accepted + rejected = lines sent")
			}
			require.Equal(t, tc.rows, app.stored())
			require.Equal(t, resp.Accepted, h.Stats().Rows.Load())
			require.Equal(t, resp.Rejected, h.Stats().Rejected.Load())
			require.Equal(t, int64(1), h.Stats().Requests.Load())
			require.Equal(t, tc.status != 200, h.Stats().Failed.Load() == 1)
		})
	}
}

// TestIngestManyChunks cuts a body into many small chunks, so that chunk
// boundaries, line numbers across chunks and the pipelined appends are
// exercised, with bad lines, blank lines and long lines sprinkled in.
func TestIngestManyChunks(t *testing.T) {
	var lines []string
	var want []testRow
	var wantErrs []int64
	nonBlank := int64(0)
	for i := range 3000 {
		line := int64(len(lines) + 1)
		switch {
		case i%97 == 5:
			lines = append(lines, `{"ts":"2026-11-03T10:00:00Z","level":`)
			wantErrs = append(wantErrs, line)
		case i%211 == 7:
			lines = append(lines, `{"ts":"2026-11-03T10:00:00Z","message":"`+strings.Repeat("z", 3000)+`"}`)
			wantErrs = append(wantErrs, line)
		case i%13 == 0:
			lines = append(lines, "")
			continue
		default:
			lines = append(lines, goodLine(i).json())
			want = append(want, goodLine(i).row())
		}
		nonBlank++
	}
	for _, enc := range []string{"", "gzip"} {
		t.Run("encoding="+enc, func(t *testing.T) {
			h, app := newTestHandler(func(c *IngestConfig) {
				c.ChunkBytes, c.MaxLineBytes, c.MaxReportedErrors = 4096, 1024, 1000
			})
			srv := httptest.NewServer(h)
			defer srv.Close()
			data := body(lines...)
			if enc != "" {
				data = gz(t, data)
			}
			status, resp := doIngest(t, srv, "", "", enc, data, true)
			require.Equal(t, 200, status, "answer: %+v", resp)
			require.Equal(t, int64(len(want)), resp.Accepted)
			require.Equal(t, nonBlank, resp.Accepted+resp.Rejected)
			var got []int64
			for _, e := range resp.Errors {
				got = append(got, e.Line)
			}
			require.Equal(t, wantErrs, got)
			require.Equal(t, want, app.stored())
			require.Greater(t, app.callCount(), 100, "appends: one per chunk")
		})
	}
}

func TestIngestReportedErrorsAreCapped(t *testing.T) {
	h, app := newTestHandler(nil)
	srv := httptest.NewServer(h)
	defer srv.Close()
	var lines []string
	for range 250 {
		lines = append(lines, "bad")
	}
	good, rows := goodLines(0, 1)
	lines = append(lines, good...)
	status, resp := doIngest(t, srv, "", "", "", body(lines...), false)
	require.Equal(t, 200, status)
	require.Equal(t, int64(1), resp.Accepted)
	require.Equal(t, int64(250), resp.Rejected)
	require.Len(t, resp.Errors, defaultMaxReportedErrors)
	for i, e := range resp.Errors {
		require.Equal(t, int64(i+1), e.Line)
	}
	require.Equal(t, rows, app.stored())
}

func TestIngestAppendFailure(t *testing.T) {
	lines, rows := goodLines(0, 200)
	for _, failAt := range []int{1, 2, 5} {
		t.Run(fmt.Sprintf("fail append %d", failAt), func(t *testing.T) {
			h, app := newTestHandler(func(c *IngestConfig) { c.ChunkBytes, c.MaxLineBytes = 2048, 1024 })
			app.failAt = failAt
			srv := httptest.NewServer(h)
			defer srv.Close()
			status, resp := doIngest(t, srv, "", "", "", body(lines...), false)
			require.Equal(t, http.StatusServiceUnavailable, status)
			stored := app.stored()
			// Only the appends before the failed one count, and they hold
			// the first lines in order.
			require.Equal(t, int64(len(stored)), resp.Accepted)
			require.Equal(t, rows[:len(stored)], append([]testRow{}, stored...))
			require.Zero(t, resp.Rejected)
			require.Equal(t, failAt, app.callCount(), "no append after the failure")
			if failAt == 1 {
				require.Zero(t, resp.Accepted)
			} else {
				require.Positive(t, resp.Accepted)
			}
			require.Contains(t, resp.Error, "store append: disk on fire")
			require.Contains(t, resp.Error, fmt.Sprintf("lines from %d on were not stored", resp.Accepted+1))
			require.Equal(t, resp.Accepted, h.Stats().Rows.Load())
		})
	}
}

// panicAppender panics on every append.
type panicAppender struct{}

func (panicAppender) AppendWith(context.Context, *columns.Batch, partitions.AppendOptions) (partitions.AppendResult, error) {
	panic("boom")
}

func TestIngestAppendPanicIsAnError(t *testing.T) {
	h := NewIngestHandler(panicAppender{}, IngestConfig{Now: func() time.Time { return testNow }}, nil)
	srv := httptest.NewServer(h)
	defer srv.Close()
	lines, _ := goodLines(0, 3)
	status, resp := doIngest(t, srv, "", "", "", body(lines...), false)
	require.Equal(t, http.StatusServiceUnavailable, status)
	require.Contains(t, resp.Error, "panicked: boom")
}

// TestLineChunker checks the chunker alone with tiny buffers and one-byte
// reads: the chunks concatenate to the input minus the skipped long lines,
// every chunk but the last ends with a newline, and each long line is
// reported once.
func TestLineChunker(t *testing.T) {
	for _, tc := range []struct {
		name     string
		in       string
		bufSize  int
		wantData string
		wantLong int
	}{
		{"empty", "", 8, "", 0},
		{"lines", "a\nbb\nccc\n", 8, "a\nbb\nccc\n", 0},
		{"no final newline", "a\nbb", 8, "a\nbb", 0},
		{"long line in the middle", "a\n0123456789abc\nb\n", 8, "a\nb\n", 1},
		{"long line at the end", "a\n0123456789abc", 8, "a\n", 1},
		{"two long lines", "0123456789\n0123456789\nz", 8, "z", 2},
		{"line filling the buffer exactly is long", "01234567\nz\n", 8, "z\n", 1},
		{"line one short of the buffer fits", "0123456\nz\n", 8, "0123456\nz\n", 0},
		{"blank lines", "\n\n\n", 2, "\n\n\n", 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, oneByte := range []bool{false, true} {
				var r io.Reader = strings.NewReader(tc.in)
				if oneByte {
					r = iotest.OneByteReader(r)
				}
				c := lineChunker{r: r, buf: make([]byte, tc.bufSize)}
				var got strings.Builder
				long := 0
				for {
					data, isLong, err := c.next()
					if isLong {
						long++
					}
					if len(data) > 0 {
						got.Write(data)
					}
					if err != nil {
						require.ErrorIs(t, err, io.EOF)
						break
					}
				}
				require.Equal(t, tc.wantData, got.String())
				require.Equal(t, tc.wantLong, long)
				require.Equal(t, int64(len(tc.in)), c.read)
			}
		})
	}
}

func TestLineChunkerReadError(t *testing.T) {
	broken := errors.New("connection reset")
	r := io.MultiReader(strings.NewReader("a\nbb\npartial"), iotest.ErrReader(broken))
	c := lineChunker{r: r, buf: make([]byte, 64)}
	data, long, err := c.next()
	require.NoError(t, err)
	require.False(t, long)
	require.Equal(t, "a\nbb\n", string(data))
	data, _, err = c.next()
	require.ErrorIs(t, err, broken)
	require.Empty(t, data, "the partial line before a read error is dropped")
}

func TestIngestConfigDefaults(t *testing.T) {
	c := IngestConfig{}.withDefaults()
	require.Equal(t, int64(256<<20), c.MaxBodyBytes)
	require.Equal(t, int64(1<<30), c.MaxDecompressedBytes)
	require.Equal(t, 24*time.Hour, c.AcceptFuture)
	require.Zero(t, c.AcceptPast)
	require.Equal(t, 100, c.MaxReportedErrors)
	require.NotNil(t, c.Now)

	// The default window accepts the benchmark data and any backfill to
	// MySQL's minimum TIMESTAMP.
	h, _ := newTestHandler(nil)
	o, err := h.parserOptions(httptest.NewRequest(http.MethodPost, ingestPath, nil))
	require.NoError(t, err)
	require.Equal(t, time.Date(1970, 1, 1, 0, 0, 1, 0, time.UTC).UnixMicro(), o.MinTS)
	require.Equal(t, testNow.Add(24*time.Hour).UnixMicro(), o.MaxTS)
	require.Less(t, o.MinTS, time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC).UnixMicro())
	require.Zero(t, o.IngestTime)

	h, _ = newTestHandler(func(c *IngestConfig) { c.AcceptFuture = 100 * 365 * 24 * time.Hour })
	o, err = h.parserOptions(httptest.NewRequest(http.MethodPost, ingestPath+"?ingest_time=true", nil))
	require.NoError(t, err)
	require.Equal(t, time.Date(2038, 1, 19, 3, 14, 7, 999999000, time.UTC).UnixMicro(), o.MaxTS)
	require.Equal(t, testNow.UnixMicro(), o.IngestTime)
}

// nopAppender accepts every batch without storing it.
type nopAppender struct{}

// AppendWith implements appender.
func (nopAppender) AppendWith(context.Context, *columns.Batch, partitions.AppendOptions) (partitions.AppendResult, error) {
	return partitions.AppendResult{}, nil
}

// BenchmarkIngestHandler measures the handler (chunking, parsing, answer)
// on 8 MiB requests of WORKLOAD-like lines, with an appender that does
// nothing: the ceiling the HTTP front end puts on ingest.
func BenchmarkIngestHandler(b *testing.B) {
	lines, _ := goodLines(0, 36_000)
	plain := body(lines...)
	for _, tc := range []struct {
		name     string
		encoding string
		parallel bool
	}{{"plain", "", false}, {"gzip", "gzip", false}, {"plain-parallel", "", true}} {
		b.Run(tc.name, func(b *testing.B) {
			data := plain
			if tc.encoding != "" {
				data = gz(b, plain)
			}
			h := NewIngestHandler(nopAppender{}, IngestConfig{Now: func() time.Time { return testNow }}, nil)
			serve := func() {
				req := httptest.NewRequest(http.MethodPost, ingestPath, bytes.NewReader(data))
				if tc.encoding != "" {
					req.Header.Set("Content-Encoding", tc.encoding)
				}
				w := httptest.NewRecorder()
				h.ServeHTTP(w, req)
				if w.Code != http.StatusOK {
					panic(w.Body.String())
				}
			}
			b.SetBytes(int64(len(plain)))
			b.ReportAllocs()
			if tc.parallel {
				b.RunParallel(func(pb *testing.PB) {
					for pb.Next() {
						serve()
					}
				})
			} else {
				for b.Loop() {
					serve()
				}
			}
			b.ReportMetric(float64(h.Stats().Rows.Load())/b.Elapsed().Seconds(), "rows/s")
		})
	}
}

// retainingAppender keeps the batches it is given, as a store buffering rows
// does.
type retainingAppender struct {
	mu      sync.Mutex
	batches []*columns.Batch
}

// AppendWith implements appender.
func (r *retainingAppender) AppendWith(_ context.Context, b *columns.Batch, _ partitions.AppendOptions) (partitions.AppendResult, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.batches = append(r.batches, b)
	return partitions.AppendResult{}, nil
}

// TestIngestAppenderOwnsBatches checks that the handler never reuses a batch
// it handed to the appender: rows kept by the appender stay intact.
func TestIngestAppenderOwnsBatches(t *testing.T) {
	lines, want := goodLines(0, 2000)
	app := &retainingAppender{}
	h := NewIngestHandler(app, IngestConfig{Now: func() time.Time { return testNow }, ChunkBytes: 8192, MaxLineBytes: 1024}, nil)
	srv := httptest.NewServer(h)
	defer srv.Close()
	status, resp := doIngest(t, srv, "", "", "", body(lines...), false)
	require.Equal(t, 200, status, "answer: %+v", resp)
	app.mu.Lock()
	defer app.mu.Unlock()
	require.Greater(t, len(app.batches), 10)
	var got []testRow
	for _, b := range app.batches {
		got = append(got, batchRows(b)...)
	}
	require.Equal(t, want, got)
}
