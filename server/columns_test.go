package server

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	_ "github.com/go-sql-driver/mysql"
	"github.com/stretchr/testify/require"
)

// columnsServer is `logq serve` running in the test's process.
type columnsServer struct {
	web    string // base URL of the HTTP listener
	db     *sql.DB
	stop   func()
	stderr *syncBuffer
}

// startColumnsServe runs RunServe on dir with args added, waits for its
// ready line and connects as root.
func startColumnsServe(t *testing.T, dir string, args ...string) *columnsServer {
	srv := startSecureServe(t, dir, args...)
	db, err := sql.Open("mysql", "root@tcp("+srv.mysqlAddr+")/logq?time_zone=%27%2B00%3A00%27")
	require.NoError(t, err)
	t.Cleanup(func() { db.Close() })
	return &columnsServer{web: "http://" + srv.httpAddr, db: db, stderr: srv.stderr, stop: func() {
		db.Close()
		srv.stop()
	}}
}

// ingest posts lines and returns the answer, which must be a 200.
func (s *columnsServer) ingest(t *testing.T, lines []string) IngestResponse {
	res, err := http.Post(s.web+ingestPath, "application/x-ndjson", strings.NewReader(strings.Join(lines, "\n")))
	require.NoError(t, err)
	defer res.Body.Close()
	var resp IngestResponse
	require.NoError(t, json.NewDecoder(res.Body).Decode(&resp))
	require.Equal(t, http.StatusOK, res.StatusCode, "answer: %+v", resp)
	return resp
}

// query returns the rows of q as text, NULL as "NULL".
func (s *columnsServer) query(t *testing.T, q string) [][]string {
	out, err := queryText(s.db, q)
	require.NoError(t, err, q)
	return out
}

// dynamicColumns returns the names of the dynamic columns DESCRIBE shows.
func (s *columnsServer) dynamicColumns(t *testing.T) []string {
	var names []string
	for _, r := range s.query(t, "DESCRIBE logs")[6:] {
		names = append(names, r[0])
	}
	return names
}

// metric returns the value of an unlabelled metric.
func (s *columnsServer) metric(t *testing.T, name string) string {
	res, err := http.Get(s.web + "/metrics")
	require.NoError(t, err)
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	require.NoError(t, err)
	for _, l := range strings.Split(string(body), "\n") {
		if v, ok := strings.CutPrefix(l, name+" "); ok {
			return v
		}
	}
	t.Fatalf("no metric %s", name)
	return ""
}

// colLine is line n: ts 2026-11-03 + n seconds, message "m<n>", and the
// members given.
func colLine(n int, members string) string {
	if members != "" {
		members = "," + members
	}
	return fmt.Sprintf(`{"ts":%d,"level":"info","service":"svc","message":"m%d"%s}`, 1_793_750_400+n, n, members)
}

// TestIngestPastColumnLimit is probe C5: a sender invents field names past
// the column limit. Every line must be stored, the fields past the limit
// must be readable with JSON functions over _extra, and a later request of
// core-only lines with one new field must be stored whole too.
func TestIngestPastColumnLimit(t *testing.T) {
	s := startColumnsServe(t, t.TempDir(), "--max-columns", "50", "--max-new-columns", "20")
	const requests, perRequest = 4, 30
	for r := range requests {
		var lines []string
		for i := range perRequest {
			n := r*perRequest + i
			lines = append(lines, colLine(n, fmt.Sprintf(`"junk_%d":%d`, n, n)))
		}
		resp := s.ingest(t, lines)
		wantNew := newColumnsOf(r)
		require.Equal(t, IngestResponse{Accepted: perRequest, Errors: []IngestLineError{}, NewColumns: int64(wantNew),
			OverflowFields: int64(perRequest - wantNew)}, resp, "request %d", r)
	}
	last := s.ingest(t, []string{colLine(1000, ""), colLine(1001, `"brand_new":"x"`), colLine(1002, `"level":"error"`)})
	require.Equal(t, int64(3), last.Accepted)
	require.Equal(t, int64(1), last.OverflowFields)

	require.Equal(t, [][]string{{fmt.Sprint(requests*perRequest + 3)}}, s.query(t, "SELECT COUNT(*) FROM logs"))
	require.Len(t, s.dynamicColumns(t), 51, "50 columns and _extra")
	// Every junk value, from its own column or from _extra.
	for n := range requests * perRequest {
		col := fmt.Sprintf("junk_%d", n)
		q := fmt.Sprintf("SELECT JSON_EXTRACT(_extra, '$.%s') FROM logs WHERE message = 'm%d'", col, n)
		if n%perRequest < newColumnsOf(n/perRequest) {
			q = fmt.Sprintf("SELECT %s FROM logs WHERE message = 'm%d'", col, n)
		}
		require.Equal(t, [][]string{{fmt.Sprint(n)}}, s.query(t, q), q)
	}
	require.Equal(t, [][]string{{"m1001", "x"}}, s.query(t, "SELECT message, _extra->>'$.brand_new' FROM logs WHERE _extra->>'$.brand_new' IS NOT NULL"))
	require.Equal(t, "71", s.metric(t, "logq_ingest_overflow_fields_total"))
	require.Equal(t, "50", s.metric(t, "logq_ingest_new_columns_total"))
	require.Equal(t, "50", s.metric(t, "logq_store_columns"))
	require.Equal(t, "50", s.metric(t, "logq_store_max_columns"))
}

// newColumnsOf is the number of columns request r of
// TestIngestPastColumnLimit creates: the first ones of its new names, as
// many as its budget of 20 and the store's limit of 50 allow (20, 20, 10,
// then none).
func newColumnsOf(r int) int { return max(0, min(20, 50-20*r)) }

// TestIngestColumnPolicyAndDuplicates checks the allow and deny flags, that
// core fields are never subject to them, and the duplicate-key metric.
func TestIngestColumnPolicyAndDuplicates(t *testing.T) {
	s := startColumnsServe(t, t.TempDir(), "--columns-allow", "http.*, user_id", "--columns-deny", "*password*,http.secret")
	resp := s.ingest(t, []string{
		colLine(1, `"http":{"status":200,"secret":"s"},"user_id":7,"other":"o","db_password":"p","message":"dup","Level":"warn"`),
		colLine(2, `"user_id":8,"user_id":9,"x":{"y":1},"x.y":2`),
	})
	require.Equal(t, int64(2), resp.Accepted)
	require.Equal(t, int64(2), resp.DeniedFields)
	require.Equal(t, []string{"http.status", "user_id", "_extra"}, s.dynamicColumns(t))
	require.Equal(t, [][]string{
		{"dup", "WARN", "200", "7", `{"other": "o"}`},
		{"m2", "INFO", "NULL", "9", `{"x.y": 2}`},
	}, s.query(t, "SELECT message, level, `http.status`, user_id, _extra FROM logs ORDER BY ts"))
	// Line 1 repeats message and level, line 2 user_id and x.y.
	require.Equal(t, "4", s.metric(t, "logq_ingest_duplicate_keys_total"))
	require.Equal(t, "2", s.metric(t, "logq_ingest_denied_fields_total"))
}

// runColumns runs `logq columns args...` and returns its exit code and
// output.
func runColumns(args ...string) (int, string) {
	var out bytes.Buffer
	code := RunColumns(context.Background(), args, &out, &out)
	return code, out.String()
}

// TestDropColumns drops columns online and offline and checks that they stay
// dropped across restarts and that a re-created name starts empty.
func TestDropColumns(t *testing.T) {
	dir := t.TempDir()
	s := startColumnsServe(t, dir)
	s.ingest(t, []string{colLine(1, `"a":1,"b":"one","c":true`), colLine(2, `"a":2,"b":"two","_extra":0`)})

	code, out := runColumns("list", "--server", s.web)
	require.Equal(t, 0, code, out)
	require.Equal(t, "a\tBIGINT\nb\tVARCHAR\nc\tBOOLEAN\n_extra\tJSON\n", out)
	code, out = runColumns("drop", "a", "--server", s.web)
	require.Equal(t, 0, code, out)
	require.Equal(t, []string{"b", "c", "_extra"}, s.dynamicColumns(t))
	code, out = runColumns("drop", "--server", s.web, "a")
	require.Equal(t, 1, code)
	require.Contains(t, out, "404")
	code, out = runColumns("drop", "ts", "--server", s.web)
	require.Equal(t, 1, code)
	require.Contains(t, out, "core column")
	code, out = runColumns("list", "--data", filepath.Join(dir, "typo"))
	require.Equal(t, 1, code)
	require.Contains(t, out, "not a logq data directory")
	require.NoDirExists(t, filepath.Join(dir, "typo"))
	code, out = runColumns("drop", "b", "--data", dir)
	require.Equal(t, 1, code, "the running server holds the data directory")
	require.Contains(t, out, "use --server")

	s.ingest(t, []string{colLine(3, `"a":"three"`)})
	s.stop()
	code, out = runColumns("drop", "b", "--data", dir)
	require.Equal(t, 0, code, out)
	code, out = runColumns("list", "--data", dir)
	require.Equal(t, 0, code, out)
	require.Equal(t, "c\tBOOLEAN\n_extra\tJSON\na\tVARCHAR\n", out)

	s = startColumnsServe(t, dir)
	require.Equal(t, []string{"c", "_extra", "a"}, s.dynamicColumns(t))
	s.ingest(t, []string{colLine(4, `"b":4`)})
	require.Equal(t, [][]string{{"m1", "NULL", "NULL"}, {"m2", "NULL", "NULL"}, {"m3", "three", "NULL"}, {"m4", "NULL", "4"}},
		s.query(t, "SELECT message, a, b FROM logs ORDER BY ts"))
}

// TestIngestClientReportsOverflow checks that `logq ingest` tells how many
// field values went to _extra or were dropped.
func TestIngestClientReportsOverflow(t *testing.T) {
	s := startColumnsServe(t, t.TempDir(), "--max-columns", "1", "--columns-deny", "secret")
	path := filepath.Join(t.TempDir(), "in.jsonl")
	require.NoError(t, os.WriteFile(path, []byte(colLine(1, `"a":1,"b":2,"secret":"x"`)+"\n"+colLine(2, `"b":3,"c":4`)+"\n"), 0o644))
	var stdout, stderr bytes.Buffer
	require.Equal(t, 0, RunIngest(context.Background(), []string{"--server", s.web, path}, nil, &stdout, &stderr), stderr.String())
	require.Contains(t, stdout.String(), "fields:   3 values without a column of their own, stored in the JSON column _extra\n")
	require.Contains(t, stdout.String(), "fields:   1 values dropped by the server's deny list\n")
	require.Equal(t, [][]string{{"m1", "1", `{"b": 2}`}, {"m2", "NULL", `{"b": 3, "c": 4}`}}, s.query(t, "SELECT message, a, _extra FROM logs ORDER BY ts"))
}

// TestProbeC5 replays probe C5 at the default limits: 2,000 invented field
// names, a hundred per request, then a request of valid lines carrying one
// new field. Every line is stored; the first 1,000 names get columns.
func TestProbeC5(t *testing.T) {
	s := startColumnsServe(t, t.TempDir())
	n := 0
	for r := range 20 {
		var lines []string
		for range 100 {
			lines = append(lines, colLine(n, fmt.Sprintf(`"junk_%04d":%d`, n, n)))
			n++
		}
		resp := s.ingest(t, lines)
		require.Equal(t, int64(100), resp.Accepted, "request %d", r)
		require.Equal(t, int64(max(0, min(100, 1000-100*r))), resp.NewColumns, "request %d", r)
	}
	resp := s.ingest(t, []string{colLine(n, ""), colLine(n+1, `"status":200`), colLine(n+2, `"level":"warn"`)})
	require.Equal(t, IngestResponse{Accepted: 3, Errors: []IngestLineError{}, OverflowFields: 1}, resp)
	require.Equal(t, [][]string{{"2003"}}, s.query(t, "SELECT COUNT(*) FROM logs"))
	require.Equal(t, [][]string{{"999", "NULL", "NULL"}, {"NULL", "1000", "NULL"}, {"NULL", "NULL", "1999"}}, s.query(t,
		"SELECT junk_0999, JSON_EXTRACT(_extra, '$.junk_1000'), JSON_EXTRACT(_extra, '$.junk_1999') FROM logs WHERE message IN ('m999', 'm1000', 'm1999') ORDER BY ts"))
	require.Equal(t, [][]string{{"200"}}, s.query(t, "SELECT _extra->>'$.status' FROM logs WHERE message = 'm2001'"))
}
