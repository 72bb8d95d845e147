package bench

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestParseQueryList(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want []string
		err  string
	}{
		{in: defaultQueries, want: []string{"floor", "Q1", "Q2", "Q6", "Q9"}},
		{in: "q9, Q1,Q1", want: []string{"floor", "Q1", "Q9"}},
		{in: "floor", want: []string{"floor"}},
		{in: "all", want: []string{"floor", "Q1", "Q2", "Q3", "Q4", "Q5", "Q6", "Q7", "Q8", "Q9", "Q10"}},
		{in: "none"},
		{in: " None "},
		{in: "Q11", err: `unknown query "Q11"`},
		{in: "Q1,,Q2", err: `unknown query ""`},
		{in: "SELECT 1", err: `unknown query "SELECT 1"`},
	} {
		t.Run(tc.in, func(t *testing.T) {
			got, err := parseQueryList(tc.in)
			if tc.err != "" {
				require.ErrorContains(t, err, tc.err)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tc.want, got)
		})
	}
}

func TestBuildQueries(t *testing.T) {
	qs := buildQueries([]string{"floor", "Q1", "Q6", "Q10"}, "ab'cd")
	require.Equal(t, []workloadQuery{
		{id: "floor", sql: "SELECT 1"},
		{id: "Q1", sql: workloadSQL["Q1"], targetMS: 2},
		{id: "Q6", sql: "SELECT ts, service, message FROM logs WHERE trace_id = 'ab''cd'", targetMS: 5},
		{id: "Q10", sql: "SELECT COUNT(*) FROM logs"},
	}, qs)
}

func TestSetRuns(t *testing.T) {
	ms := time.Millisecond
	var q QueryTiming
	q.setRuns([]time.Duration{3 * ms, 1 * ms, 2 * ms})
	require.Equal(t, QueryTiming{MedianMS: 2, MinMS: 1, RunsMS: []float64{3, 1, 2}}, q)
	q.setRuns([]time.Duration{4 * ms, 1 * ms, 2 * ms, 8 * ms})
	require.Equal(t, QueryTiming{MedianMS: 3, MinMS: 1, RunsMS: []float64{4, 1, 2, 8}}, q)
}

// genRow is a generated row decoded with encoding/json and time.Parse,
// independently of logq's parser and of the baseline.
type genRow struct {
	ts                                     time.Time // UTC
	level, service, host, traceID, message string
}

// writeGenFile generates o into a file and returns its path and rows.
func writeGenFile(t testing.TB, o GenOptions) (string, []genRow) {
	var buf bytes.Buffer
	require.NoError(t, Generate(&buf, o))
	path := filepath.Join(t.TempDir(), "data.jsonl")
	require.NoError(t, os.WriteFile(path, buf.Bytes(), 0o644))
	var rows []genRow
	sc := bufio.NewScanner(&buf)
	for sc.Scan() {
		var v struct {
			TS, Level, Service, Host, Message string
			TraceID                           string `json:"trace_id"`
		}
		require.NoError(t, json.Unmarshal(sc.Bytes(), &v))
		ts, err := time.Parse(time.RFC3339Nano, v.TS)
		require.NoError(t, err)
		rows = append(rows, genRow{ts.UTC(), v.Level, v.Service, v.Host, v.TraceID, v.Message})
	}
	require.NoError(t, sc.Err())
	return path, rows
}

// referenceCounts returns the rows each workload query must return for
// rows, computed in Go from WORKLOAD.md's definitions.
func referenceCounts(rows []genRow, traceID string) map[string]int64 {
	at := func(s string) time.Time { ts, _ := time.Parse(time.DateTime, s); return ts }
	in := func(r genRow, lo, hi string) bool { return !r.ts.Before(at(lo)) && r.ts.Before(at(hi)) }
	var q1, q6, q9 int64
	levels, services, q4, q7, q8 := map[string]bool{}, map[string]bool{}, map[int64]bool{}, map[string]bool{}, map[string]bool{}
	for _, r := range rows {
		levels[r.level], services[r.service] = true, true
		if in(r, "2026-11-03 10:00:00", "2026-11-03 11:00:00") && r.level == "ERROR" && r.service == "svc-3" {
			q1++
		}
		if s := r.ts.UnixMicro(); s >= 1793836800e6 && s <= 1793923200e6 && (r.level == "ERROR" || r.level == "FATAL") {
			q4[(s+500_000)/1e6/300] = true // GMS rounds the DECIMAL seconds before DIV (GMS-NOTES.md)
		}
		if r.traceID == traceID {
			q6++
		}
		if r.level == "ERROR" {
			q7[r.service] = true
		}
		if in(r, "2026-11-04 00:00:00", "2026-11-05 00:00:00") {
			q8[r.service] = true
		}
		if in(r, "2026-11-05 00:00:00", "2026-11-05 01:00:00") {
			q9++
		}
	}
	return map[string]int64{
		"floor": 1, "Q1": min(q1, 100), "Q2": min(int64(len(rows)), 100), "Q3": int64(len(levels)),
		"Q4": int64(len(q4)), "Q5": 1, "Q6": q6, "Q7": min(int64(len(q7)), 10), "Q8": int64(len(q8)), "Q9": q9, "Q10": 1,
	}
}

// TestRunQueries runs every workload query through the wire against the
// baseline, an in-process go-mysql-server memory table, and checks the
// timings and the row counts against counts computed from the generated
// rows.
func TestRunQueries(t *testing.T) {
	o := GenOptions{Rows: 5000, Days: 7, Seed: 3, Start: defaultStart}
	path, rows := writeGenFile(t, o)
	row, err := RowAt(o, o.Rows/3)
	require.NoError(t, err)
	ids, err := parseQueryList("all")
	require.NoError(t, err)
	qs := buildQueries(ids, row.TraceID)

	b, err := startBaseline(context.Background(), path)
	require.NoError(t, err)
	defer func() { require.NoError(t, b.close()) }()
	require.EqualValues(t, 5000, b.rows)
	require.Zero(t, b.rejected)

	var log strings.Builder
	logf := func(f string, args ...any) { log.WriteString(strings.TrimSpace(f) + "\n") }
	got, err := runQueries(context.Background(), b.addr, "baseline", qs, 3, logf)
	require.NoError(t, err)
	require.Len(t, got, len(qs))
	want := referenceCounts(rows, row.TraceID)
	require.Equal(t, int64(1), want["Q6"])
	require.Positive(t, want["Q9"], "the test data must reach Q9's hour")
	for i, q := range qs {
		g := got[i]
		require.Empty(t, g.Error, q.id)
		require.Equal(t, want[q.id], g.Rows, "rows of %s", q.id)
		require.Len(t, g.RunsMS, 3, q.id)
		for _, ms := range g.RunsMS {
			require.Positive(t, ms, q.id)
		}
		require.Positive(t, g.MinMS, q.id)
		require.GreaterOrEqual(t, g.MedianMS, g.MinMS, q.id)
	}
	require.Equal(t, len(qs), strings.Count(log.String(), "%s %s: %d rows"))
}

// TestRunQueriesErrors checks that a failing query is recorded and that the
// next one runs on a fresh connection, and that an unreachable server fails
// the phase.
func TestRunQueriesErrors(t *testing.T) {
	path, _ := writeGenFile(t, GenOptions{Rows: 100, Days: 1, Seed: 1, Start: defaultStart})
	b, err := startBaseline(context.Background(), path)
	require.NoError(t, err)
	defer func() { require.NoError(t, b.close()) }()
	qs := []workloadQuery{{id: "bad", sql: "SELECT nope FROM logs"}, {id: "Q10", sql: workloadSQL["Q10"]}}
	got, err := runQueries(context.Background(), b.addr, "baseline", qs, 2, func(string, ...any) {})
	require.NoError(t, err)
	require.Contains(t, got[0].Error, "warm-up: ")
	require.Contains(t, got[0].Error, "nope")
	require.Empty(t, got[1].Error)
	require.EqualValues(t, 1, got[1].Rows)

	_, err = runQueries(context.Background(), "127.0.0.1:1", "logq", qs, 2, func(string, ...any) {})
	require.ErrorContains(t, err, "logq at 127.0.0.1:1: connect: ")

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err = runQueries(ctx, b.addr, "baseline", qs, 2, func(string, ...any) {})
	require.ErrorIs(t, err, context.Canceled)
}

func TestCompareResults(t *testing.T) {
	qs := buildQueries([]string{"floor", "Q1", "Q2"}, "")
	logq := []QueryTiming{{Rows: 1, MedianMS: 0.2}, {Rows: 7, MedianMS: 1.5}, {Error: "boom"}}
	base := []QueryTiming{{Rows: 1, MedianMS: 0.1}, {Rows: 8, MedianMS: 300}, {Rows: 100, MedianMS: 90}}
	got := compareResults(qs, logq, base)
	require.InDelta(t, 0.5, got[0].Ratio, 1e-9)
	require.False(t, got[0].Mismatch)
	require.True(t, got[1].Mismatch)
	require.InDelta(t, 200, got[1].Ratio, 1e-9)
	require.EqualValues(t, 2, got[1].TargetMS)
	require.False(t, got[2].Mismatch, "an error is not a row count")
	require.Zero(t, got[2].Ratio)
	require.Nil(t, compareResults(qs, logq, nil)[1].Baseline)
}

func TestQ6TraceID(t *testing.T) {
	o := GenOptions{Rows: 3000, Days: 1, Seed: 9, Start: defaultStart}
	path, rows := writeGenFile(t, o)
	got, err := q6TraceID(&benchConfig{gen: o}, DataSet{Rows: 3000})
	require.NoError(t, err)
	require.Equal(t, rows[1000].traceID, got)

	// A --data-file: line rows/3, read as logq reads it.
	got, err = q6TraceID(&benchConfig{dataFile: path}, DataSet{Rows: 3000})
	require.NoError(t, err)
	require.Equal(t, rows[1000].traceID, got)
	odd := filepath.Join(t.TempDir(), "odd.jsonl")
	long := `{"ts":1,"message":"` + strings.Repeat("x", 3<<20) + `"}`
	require.NoError(t, os.WriteFile(odd, []byte(long+"\n"+`{"ts":2}`+"\n"+`{"ts":3,"trace_id":"t3"}`), 0o644))
	for i, want := range []string{"", "", "t3"} {
		got, err := traceIDAtLine(odd, int64(i))
		require.NoError(t, err)
		require.Equal(t, want, got, "line %d", i)
	}
	_, err = traceIDAtLine(odd, 5)
	require.ErrorContains(t, err, "read line 6 of ")
}
