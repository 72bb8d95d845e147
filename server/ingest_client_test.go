package server

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// testFile is the content of one input file and the rows it must store.
type testFile struct {
	name    string
	content string
	rows    []testRow
}

// makeFile returns n WORKLOAD-like lines starting at index from, with the
// lines numbered in bad (1-based) replaced by their value, and the rows of
// the good ones.
func makeFile(name string, from, n int, bad map[int]string, finalNewline bool) testFile {
	f := testFile{name: name}
	var lines []string
	for i := range n {
		if b, ok := bad[i+1]; ok {
			lines = append(lines, b)
			continue
		}
		lines = append(lines, goodLine(from+i).json())
		f.rows = append(f.rows, goodLine(from+i).row())
	}
	f.content = strings.Join(lines, "\n")
	if finalNewline && n > 0 {
		f.content += "\n"
	}
	return f
}

// sortRows orders rows by ts, then trace_id, so that rows stored by
// concurrent requests compare as multisets.
func sortRows(rows []testRow) []testRow {
	rows = slices.Clone(rows)
	slices.SortFunc(rows, func(a, b testRow) int {
		if a.TS != b.TS {
			return int(a.TS - b.TS)
		}
		return strings.Compare(a.TraceID, b.TraceID)
	})
	return rows
}

// newIngestServer returns a test server running the real handler over a
// fake appender.
func newIngestServer(tb testing.TB, edit func(*IngestConfig)) (*httptest.Server, *fakeAppender) {
	tb.Helper()
	h, app := newTestHandler(edit)
	mux := http.NewServeMux()
	mux.Handle(ingestPath, h)
	srv := httptest.NewServer(mux)
	tb.Cleanup(srv.Close)
	return srv, app
}

// runIngest runs RunIngest and returns its exit code, stdout and stderr.
func runIngest(tb testing.TB, args []string, stdin io.Reader) (int, string, string) {
	tb.Helper()
	var stdout, stderr bytes.Buffer
	code := RunIngest(context.Background(), args, stdin, &stdout, &stderr)
	return code, stdout.String(), stderr.String()
}

// summaryCount returns the number the summary prints after label.
func summaryCount(tb testing.TB, summary, label string) int64 {
	tb.Helper()
	m := regexp.MustCompile(`(?m)^` + label + `:\s+(\d+) lines$`).FindStringSubmatch(summary)
	require.NotNil(tb, m, "no %q in summary:\n%s", label, summary)
	n, err := strconv.ParseInt(m[1], 10, 64)
	require.NoError(tb, err)
	return n
}

func TestRunIngestFiles(t *testing.T) {
	long := `{"ts":"2026-11-03T10:00:00Z","message":"` + strings.Repeat("x", 2000) + `"}`
	for _, tc := range []struct {
		name      string
		files     []testFile
		flags     []string
		serverCfg func(*IngestConfig)
		code      int
		rejected  int64
		errLines  []string // FILE:LINE: prefixes in the summary, in order
	}{
		{name: "two files, all good",
			files: []testFile{makeFile("a.jsonl", 0, 50, nil, true), makeFile("b.jsonl", 50, 30, nil, true)}},
		{name: "bad lines map to FILE:LINE across requests", flags: []string{"--batch-bytes", "1000"},
			files: []testFile{
				makeFile("a.jsonl", 0, 60, map[int]string{3: "{bad", 17: `{"ts":"nope"}`, 42: "[]"}, true),
				makeFile("b.jsonl", 60, 20, map[int]string{1: "bad", 20: `{"message":"no ts"}`}, false),
			},
			code: 1, rejected: 5, errLines: []string{"a.jsonl:3: ", "a.jsonl:17: ", "a.jsonl:42: ", "b.jsonl:1: ", "b.jsonl:20: "}},
		{name: "file size not a multiple of the request size", flags: []string{"--batch-bytes", "1000", "--concurrency", "3"},
			files: []testFile{makeFile("a.jsonl", 0, 37, nil, true)}},
		{name: "last line without newline", flags: []string{"--batch-bytes", "700"},
			files: []testFile{makeFile("a.jsonl", 0, 9, nil, false), makeFile("b.jsonl", 9, 1, nil, false)}},
		{name: "gzip", flags: []string{"--gzip", "--batch-bytes", "2000"},
			files: []testFile{makeFile("a.jsonl", 0, 40, map[int]string{33: "{"}, true)},
			code:  1, rejected: 1, errLines: []string{"a.jsonl:33: "}},
		{name: "gzipped input files", flags: []string{"--batch-bytes", "1500"},
			files: []testFile{makeFile("a.jsonl.gz", 0, 40, map[int]string{5: "{"}, true), makeFile("b.jsonl", 40, 3, nil, true)},
			code:  1, rejected: 1, errLines: []string{"a.jsonl.gz:5: "}},
		{name: "empty file", files: []testFile{makeFile("a.jsonl", 0, 0, nil, true), makeFile("b.jsonl", 0, 2, nil, true)}},
		{name: "line too long for a request is rejected by the client", flags: []string{"--batch-bytes", "1000"},
			files: []testFile{makeFile("a.jsonl", 0, 10, map[int]string{4: long}, true)},
			code:  1, rejected: 1, errLines: []string{"a.jsonl:4: line does not fit in --batch-bytes=1000"}},
		{name: "line too long for the server", serverCfg: func(c *IngestConfig) { c.MaxLineBytes = 1000 },
			files: []testFile{makeFile("a.jsonl", 0, 10, map[int]string{6: long}, true)},
			code:  1, rejected: 1, errLines: []string{"a.jsonl:6: "}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv, app := newIngestServer(t, tc.serverCfg)
			dir := t.TempDir()
			args := append([]string{"--server", srv.URL}, tc.flags...)
			var want []testRow
			for _, f := range tc.files {
				path := filepath.Join(dir, f.name)
				content := []byte(f.content)
				if strings.HasSuffix(f.name, ".gz") {
					content = gz(t, content)
				}
				require.NoError(t, os.WriteFile(path, content, 0o644))
				args = append(args, path)
				want = append(want, f.rows...)
			}
			code, stdout, stderr := runIngest(t, args, nil)
			require.Equal(t, tc.code, code, "stdout:\n%s\nstderr:\n%s", stdout, stderr)
			require.Equal(t, sortRows(want), sortRows(app.stored()))
			require.Equal(t, int64(len(want)), summaryCount(t, stdout, "accepted"))
			require.Equal(t, tc.rejected, summaryCount(t, stdout, "rejected"))
			require.Contains(t, stdout, fmt.Sprintf("files:    %d\n", len(tc.files)))
			last := -1
			for _, e := range tc.errLines {
				i := strings.Index(stdout, filepath.Join(dir, e))
				require.Greater(t, i, last, "%q missing or out of order in:\n%s", e, stdout)
				last = i
			}
			require.NotContains(t, stdout, "failed requests")
		})
	}
}

func TestRunIngestStdin(t *testing.T) {
	srv, app := newIngestServer(t, nil)
	f := makeFile("", 0, 25, map[int]string{2: "oops"}, true)
	code, stdout, _ := runIngest(t, []string{"--server", srv.URL, "--batch-bytes", "1500", "-"}, strings.NewReader(f.content))
	require.Equal(t, 1, code)
	require.Equal(t, sortRows(f.rows), sortRows(app.stored()))
	require.Equal(t, int64(24), summaryCount(t, stdout, "accepted"))
	require.Contains(t, stdout, "\n  stdin:2: ")
}

func TestRunIngestStdinAndFileOrder(t *testing.T) {
	srv, app := newIngestServer(t, nil)
	a := makeFile("a.jsonl", 0, 10, nil, true)
	in := makeFile("", 10, 10, nil, false)
	path := filepath.Join(t.TempDir(), a.name)
	require.NoError(t, os.WriteFile(path, []byte(a.content), 0o644))
	code, stdout, _ := runIngest(t, []string{"--server", srv.URL, "--concurrency", "1", path, "-"}, strings.NewReader(in.content))
	require.Equal(t, 0, code, stdout)
	// With one request in flight the rows arrive in input order.
	require.Equal(t, append(a.rows, in.rows...), app.stored())
}

func TestRunIngestUsage(t *testing.T) {
	srv, _ := newIngestServer(t, nil)
	file := filepath.Join(t.TempDir(), "a.jsonl")
	require.NoError(t, os.WriteFile(file, []byte(goodLine(0).json()+"\n"), 0o644))
	for _, tc := range []struct {
		name   string
		args   []string
		code   int
		stderr string
	}{
		{"no input", []string{"--server", srv.URL}, 2, "no input"},
		{"unknown flag", []string{"--bogus", file}, 2, "flag provided but not defined"},
		{"zero concurrency", []string{"--concurrency", "0", file}, 2, "--concurrency 0"},
		{"zero batch", []string{"--batch-bytes", "0", file}, 2, "--batch-bytes 0"},
		{"bad server URL", []string{"--server", "ftp://x", file}, 2, "--server"},
		{"stdin twice", []string{"-", "-"}, 2, "more than once"},
		{"missing file", []string{"--server", srv.URL, file, file + ".missing"}, 2, "no such file"},
		{"help", []string{"-h"}, 0, "usage: logq ingest"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, stdout, stderr := runIngest(t, tc.args, strings.NewReader(""))
			require.Equal(t, tc.code, code)
			require.Contains(t, stderr, tc.stderr)
			require.Empty(t, stdout, "nothing sent, no summary")
		})
	}
}

func TestRunIngestFailedRequests(t *testing.T) {
	f := makeFile("a.jsonl", 0, 200, nil, true)
	path := filepath.Join(t.TempDir(), f.name)
	require.NoError(t, os.WriteFile(path, []byte(f.content), 0o644))

	t.Run("413 from the server", func(t *testing.T) {
		srv, app := newIngestServer(t, func(c *IngestConfig) { c.MaxBodyBytes = 1000 })
		code, stdout, _ := runIngest(t, []string{"--server", srv.URL, "--batch-bytes", "4000", path}, nil)
		require.Equal(t, 1, code)
		require.Contains(t, stdout, "HTTP 413")
		require.Contains(t, stdout, path+":1-")
		require.Empty(t, app.stored())
	})
	t.Run("503 stops sending", func(t *testing.T) {
		srv, app := newIngestServer(t, func(c *IngestConfig) { c.ChunkBytes, c.MaxLineBytes = 2048, 1024 })
		app.failAt = 3
		code, stdout, _ := runIngest(t, []string{"--server", srv.URL, "--batch-bytes", "4000", "--concurrency", "1", path}, nil)
		require.Equal(t, 1, code)
		require.Contains(t, stdout, "HTTP 503")
		require.Contains(t, stdout, "store append: disk on fire")
		stored := app.stored()
		require.Equal(t, int64(len(stored)), summaryCount(t, stdout, "accepted"))
		require.Equal(t, f.rows[:len(stored)], stored)
		require.Less(t, app.callCount(), 10, "no requests after the failure but those in flight")
	})
}

// freeAddr returns a local address nothing listens on.
func freeAddr(tb testing.TB) string {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(tb, err)
	addr := ln.Addr().String()
	require.NoError(tb, ln.Close())
	return addr
}

func TestRunIngestConnectionRefused(t *testing.T) {
	f := makeFile("a.jsonl", 0, 5, nil, true)
	path := filepath.Join(t.TempDir(), f.name)
	require.NoError(t, os.WriteFile(path, []byte(f.content), 0o644))
	start := time.Now()
	code, stdout, _ := runIngest(t, []string{"--server", "http://" + freeAddr(t), path}, nil)
	require.Equal(t, 1, code)
	require.Contains(t, stdout, "connection refused")
	require.GreaterOrEqual(t, time.Since(start), clientRetryBackoff*(1<<(clientDialAttempts-1)-1), "retried with backoff")
}

func TestRunIngestRetriesUntilServerStarts(t *testing.T) {
	f := makeFile("a.jsonl", 0, 5, nil, true)
	path := filepath.Join(t.TempDir(), f.name)
	require.NoError(t, os.WriteFile(path, []byte(f.content), 0o644))
	addr := freeAddr(t)
	h, app := newTestHandler(nil)
	srv := &http.Server{Handler: h, ReadHeaderTimeout: time.Second}
	errc := make(chan error, 1)
	go func() {
		time.Sleep(300 * time.Millisecond)
		ln, err := net.Listen("tcp", addr)
		if err != nil {
			errc <- err
			return
		}
		errc <- srv.Serve(ln)
	}()
	code, stdout, _ := runIngest(t, []string{"--server", "http://" + addr, path}, nil)
	require.NoError(t, srv.Close())
	require.ErrorIs(t, <-errc, http.ErrServerClosed)
	require.Equal(t, 0, code, stdout)
	require.Equal(t, f.rows, app.stored())
}

func TestFormatBytes(t *testing.T) {
	for _, tc := range []struct {
		n    int64
		want string
	}{{0, "0 B"}, {999, "999 B"}, {1000, "1.0 kB"}, {2_229_446_788, "2.2 GB"}, {1_500_000, "1.5 MB"}} {
		require.Equal(t, tc.want, formatBytes(tc.n))
	}
}

// BenchmarkRunIngest measures `logq ingest` end to end in one process: the
// client reading a file and posting 8 MiB requests over loopback to the real
// handler, with an appender that stores nothing.
func BenchmarkRunIngest(b *testing.B) {
	f := makeFile("a.jsonl", 0, 200_000, nil, true)
	path := filepath.Join(b.TempDir(), f.name)
	require.NoError(b, os.WriteFile(path, []byte(f.content), 0o644))
	h := NewIngestHandler(nopAppender{}, IngestConfig{Now: func() time.Time { return testNow }}, nil)
	srv := httptest.NewServer(h)
	defer srv.Close()
	b.SetBytes(int64(len(f.content)))
	b.ReportAllocs()
	for b.Loop() {
		if code := RunIngest(context.Background(), []string{"--server", srv.URL, path}, nil, io.Discard, io.Discard); code != 0 {
			b.Fatalf("exit code %d", code)
		}
	}
	b.ReportMetric(float64(h.Stats().Rows.Load())/b.Elapsed().Seconds(), "rows/s")
}

func TestRunIngestCancelled(t *testing.T) {
	f := makeFile("a.jsonl", 0, 50, nil, true)
	path := filepath.Join(t.TempDir(), f.name)
	require.NoError(t, os.WriteFile(path, []byte(f.content), 0o644))
	arrived := make(chan struct{}, 8)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body) // Then the server notices a closed connection.
		arrived <- struct{}{}
		<-r.Context().Done() // A server that never answers.
	}))
	defer srv.Close()
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		<-arrived
		cancel()
	}()
	var stdout bytes.Buffer
	code := RunIngest(ctx, []string{"--server", srv.URL, "--batch-bytes", "1000", path}, nil, &stdout, io.Discard)
	require.Equal(t, 1, code)
	require.Contains(t, stdout.String(), "cancelled")
	require.Contains(t, stdout.String(), "may or may not have been stored")
}

// TestRunIngestFirstErrors sends many bad lines in many concurrent requests:
// the summary lists the first ones by position, whatever order the answers
// came in.
func TestRunIngestFirstErrors(t *testing.T) {
	bad := map[int]string{}
	for i := 1; i <= 400; i += 2 {
		bad[i] = fmt.Sprintf(`{"bad":%d`, i)
	}
	f := makeFile("a.jsonl", 0, 400, bad, true)
	path := filepath.Join(t.TempDir(), f.name)
	require.NoError(t, os.WriteFile(path, []byte(f.content), 0o644))
	srv, app := newIngestServer(t, nil)
	code, stdout, _ := runIngest(t, []string{"--server", srv.URL, "--batch-bytes", "700", "--concurrency", "4", path}, nil)
	require.Equal(t, 1, code)
	require.Equal(t, sortRows(f.rows), sortRows(app.stored()))
	require.Equal(t, int64(200), summaryCount(t, stdout, "rejected"))
	require.Contains(t, stdout, fmt.Sprintf("first errors (%d of 200 rejected lines):\n", clientSummaryErrors))
	last := -1
	for i := range clientSummaryErrors {
		want := fmt.Sprintf("  %s:%d: ", path, 2*i+1)
		pos := strings.Index(stdout, want)
		require.Greater(t, pos, last, "%q missing or out of order in:\n%s", want, stdout)
		last = pos
	}
	require.Equal(t, clientSummaryErrors, strings.Count(stdout, "\n  "+path+":"))
}

func TestProgressText(t *testing.T) {
	c := &ingestClient{}
	c.bytesDone.Store(1_500_000)
	c.accepted.Store(900)
	c.rejected.Store(100)
	start := time.Now().Add(-2 * time.Second)
	require.Regexp(t, `^1\.5 MB of 3\.0 MB sent \(50%\), 1000 rows, \d+ rows/s$`, c.progressText(start, 3_000_000))
	require.Regexp(t, `^1\.5 MB sent, 1000 rows, \d+ rows/s$`, c.progressText(start, -1))
}
