package bench

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"slices"
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
		{in: defaultQueries, want: []string{"floor", "Q1", "Q2", "Q3", "Q4", "Q5", "Q6", "Q7", "Q8", "Q9", "Q10"}},
		{in: "Q1,Q2,Q6,Q9", want: []string{"floor", "Q1", "Q2", "Q6", "Q9"}},
		{in: "q9, Q1,Q1", want: []string{"floor", "Q1", "Q9"}},
		{in: "floor", want: []string{"floor"}},
		{in: "all", want: []string{"floor", "Q1", "Q2", "Q3", "Q4", "Q5", "Q6", "Q7", "Q8", "Q9", "Q10"}},
		{in: "regexp,G2,grafana,Q5", want: []string{"floor", "Q5", "G1", "G2", "G3", "G4", "G5", "G6", "R1", "R2"}},
		{in: "r2", want: []string{"floor", "R2"}},
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
		{id: "Q1", sql: workloadSQL["Q1"], targetMS: 2, shape: answerShape{order: []int{0}, limited: true}},
		{id: "Q6", sql: "SELECT ts, service, message FROM logs WHERE trace_id = 'ab''cd'", targetMS: 5},
		{id: "Q10", sql: "SELECT COUNT(*) FROM logs", targetMS: 2},
	}, qs)
}

func TestSetRuns(t *testing.T) {
	ms := time.Millisecond
	var q QueryTiming
	q.setRuns([]time.Duration{3 * ms, 1 * ms, 2 * ms})
	require.Equal(t, QueryTiming{MedianMS: 2, MinMS: 1, Runs: 3, RunsMS: []float64{3, 1, 2}}, q)
	q.setRuns([]time.Duration{4 * ms, 1 * ms, 2 * ms, 8 * ms})
	require.Equal(t, QueryTiming{MedianMS: 3, MinMS: 1, Runs: 4, RunsMS: []float64{4, 1, 2, 8}}, q)
}

func TestRunPolicy(t *testing.T) {
	s := time.Second
	for _, tc := range []struct {
		p     runPolicy
		done  int
		spent time.Duration
		want  bool
	}{
		{p: runPolicy{runs: 7}, done: 6, spent: time.Hour, want: true}, // no budget: exactly runs
		{p: runPolicy{runs: 7}, done: 7, want: false},
		{p: runPolicy{runs: 7, budget: 10 * s}, done: 0, spent: 25 * s, want: true}, // at least one run
		{p: runPolicy{runs: 7, budget: 10 * s}, done: 1, spent: 50 * s, want: false},
		{p: runPolicy{runs: 7, budget: 10 * s}, done: 3, spent: 9 * s, want: true},
		{p: runPolicy{runs: 7, budget: 10 * s}, done: 3, spent: 10 * s, want: false},
		{p: runPolicy{runs: 7, budget: 10 * s}, done: 7, spent: s, want: false}, // at most runs
	} {
		require.Equal(t, tc.want, tc.p.more(tc.done, tc.spent), "%+v after %d runs in %s", tc.p, tc.done, tc.spent)
	}
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

	b, err := startBaseline(context.Background(), path, nil)
	require.NoError(t, err)
	defer func() { require.NoError(t, b.close()) }()
	require.EqualValues(t, 5000, b.rows)
	require.Zero(t, b.rejected)

	var log strings.Builder
	logf := func(f string, args ...any) { log.WriteString(strings.TrimSpace(f) + "\n") }
	got, err := runQueries(context.Background(), b.addr, "baseline", qs, runPolicy{runs: 3}, nil, logf)
	require.NoError(t, err)
	require.Len(t, got, len(qs))
	want := referenceCounts(rows, row.TraceID)
	require.Equal(t, int64(1), want["Q6"])
	require.Positive(t, want["Q9"], "the test data must reach Q9's hour")
	for i, q := range qs {
		g := got[i].timing
		require.Empty(t, g.Error, q.id)
		require.Equal(t, want[q.id], g.Rows, "rows of %s", q.id)
		require.Equal(t, 3, g.Runs, q.id)
		require.Len(t, g.RunsMS, 3, q.id)
		for _, ms := range g.RunsMS {
			require.Positive(t, ms, q.id)
		}
		require.Positive(t, g.MinMS, q.id)
		require.Positive(t, g.WarmupMS, q.id)
		require.GreaterOrEqual(t, g.MedianMS, g.MinMS, q.id)
		require.Nil(t, got[i].plan, "no plan figures without a plan source")
		require.Len(t, got[i].answer.rows, int(g.Rows), "the warm-up's answer is captured whole")
		require.Empty(t, sameAnswer(q.shape, got[i].answer, got[i].answer))
	}
	require.Equal(t, len(qs), strings.Count(log.String(), "%s %s: %d rows"))

	// Q9's answer is the generated rows of its hour, in ts order.
	var q9 [][]string
	for _, r := range rows {
		if !r.ts.Before(time.Date(2026, 11, 5, 0, 0, 0, 0, time.UTC)) && r.ts.Before(time.Date(2026, 11, 5, 1, 0, 0, 0, time.UTC)) {
			q9 = append(q9, []string{r.ts.Format(time.RFC3339Nano), r.level, r.service, r.message})
		}
	}
	slices.SortStableFunc(q9, func(a, b []string) int { return strings.Compare(a[0], b[0]) })
	ans := got[slices.IndexFunc(qs, func(q workloadQuery) bool { return q.id == "Q9" })].answer
	require.Equal(t, []string{"ts", "level", "service", "message"}, ans.cols)
	require.Len(t, ans.rows, len(q9))
	for i, r := range ans.rows {
		ts, err := time.Parse("2006-01-02 15:04:05.999999", r[0].s) // go-mysql-server drops trailing zeros
		require.NoError(t, err)
		require.Equal(t, q9[i][0], ts.Format(time.RFC3339Nano), "ts of row %d", i) // ties may differ in the other columns
	}

	// With a budget, a query gets at least one run and at most runs.
	got, err = runQueries(context.Background(), b.addr, "baseline", qs[:2], runPolicy{runs: 4, budget: time.Nanosecond}, nil, logf)
	require.NoError(t, err)
	require.Equal(t, 1, got[1].timing.Runs)
	got, err = runQueries(context.Background(), b.addr, "baseline", qs[:2], runPolicy{runs: 4, budget: time.Hour}, nil, logf)
	require.NoError(t, err)
	require.Equal(t, 4, got[1].timing.Runs)
}

// TestRunQueriesErrors checks that a failing query is recorded and that the
// next one runs on a fresh connection, and that an unreachable server fails
// the phase.
func TestRunQueriesErrors(t *testing.T) {
	path, _ := writeGenFile(t, GenOptions{Rows: 100, Days: 1, Seed: 1, Start: defaultStart})
	b, err := startBaseline(context.Background(), path, nil)
	require.NoError(t, err)
	defer func() { require.NoError(t, b.close()) }()
	qs := []workloadQuery{{id: "bad", sql: "SELECT nope FROM logs"}, {id: "Q10", sql: workloadSQL["Q10"]}}
	got, err := runQueries(context.Background(), b.addr, "baseline", qs, runPolicy{runs: 2}, nil, func(string, ...any) {})
	require.NoError(t, err)
	require.Contains(t, got[0].timing.Error, "warm-up: ")
	require.Contains(t, got[0].timing.Error, "nope")
	require.Nil(t, got[0].answer)
	require.Empty(t, got[1].timing.Error)
	require.EqualValues(t, 1, got[1].timing.Rows)

	_, err = runQueries(context.Background(), "127.0.0.1:1", "logq", qs, runPolicy{runs: 2}, nil, func(string, ...any) {})
	require.ErrorContains(t, err, "logq at 127.0.0.1:1: connect: ")

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err = runQueries(ctx, b.addr, "baseline", qs, runPolicy{runs: 2}, nil, func(string, ...any) {})
	require.ErrorIs(t, err, context.Canceled)
}

func TestCompareResults(t *testing.T) {
	qs := buildQueries([]string{"floor", "Q1", "Q2", "Q10"}, "")
	logq := []queryOutcome{
		{timing: QueryTiming{Rows: 1, MedianMS: 0.2}, answer: textAnswer("1")},
		{timing: QueryTiming{Rows: 2, MedianMS: 1.5}, answer: textAnswer("b", "a"), plan: &PlanFigures{Scans: 1}},
		{timing: QueryTiming{Error: "boom"}},
		{timing: QueryTiming{Rows: 1, MedianMS: 4}, answer: textAnswer("7")},
	}
	base := []queryOutcome{
		{timing: QueryTiming{Rows: 1, MedianMS: 0.1}, answer: textAnswer("1")},
		{timing: QueryTiming{Rows: 2, MedianMS: 300}, answer: textAnswer("c", "a")},
		{timing: QueryTiming{Rows: 100, MedianMS: 90}, answer: textAnswer("x")},
		{timing: QueryTiming{Rows: 1, MedianMS: 8}, answer: textAnswer("8")},
	}
	got := compareResults(qs, logq, base)
	require.InDelta(t, 0.5, got[0].Ratio, 1e-9)
	require.True(t, got[0].Compared)
	require.Empty(t, got[0].Difference)
	require.InDelta(t, 200, got[1].Ratio, 1e-9)
	require.EqualValues(t, 2, got[1].TargetMS)
	require.Same(t, logq[1].plan, got[1].Plan)
	require.Equal(t, `2 rows from logq, 2 from the baseline; first differing row 1: logq ["b"], baseline ["c"]`, got[1].Difference)
	require.False(t, got[2].Compared, "an error is no answer")
	require.Zero(t, got[2].Ratio)
	require.True(t, got[3].Compared)
	require.Contains(t, got[3].Difference, `logq ["7"], baseline ["8"]`)

	qp := &QueryPhase{Results: got}
	var log strings.Builder
	qp.count(func(f string, args ...any) { fmt.Fprintf(&log, f+"\n", args...) })
	require.Equal(t, 2, qp.Mismatches)
	require.Equal(t, 1, qp.Errors)
	require.Contains(t, log.String(), "MISMATCH: Q1: 2 rows from logq")
	err := qp.failure()
	require.ErrorContains(t, err, `Q1: logq and the baseline answer differently: 2 rows from logq, 2 from the baseline; first differing row 1: logq ["b"], baseline ["c"]`)
	require.ErrorContains(t, err, "Q2 failed on logq: boom")
	require.ErrorContains(t, err, "Q10: logq and the baseline answer differently")
	require.NoError(t, (&QueryPhase{Results: got[:1]}).failure())

	for _, r := range compareResults(qs, logq, nil) {
		require.Nil(t, r.Baseline)
		require.False(t, r.Compared)
	}
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

// gcSink makes TestPauseGC's allocations escape to the heap.
var gcSink []byte

func TestPauseGC(t *testing.T) {
	before := debug.SetGCPercent(100)
	defer debug.SetGCPercent(before)
	limit := debug.SetMemoryLimit(-1)
	resume := pauseGC()
	require.Equal(t, -1, debug.SetGCPercent(-1), "paused")
	paused := debug.SetMemoryLimit(-1)
	require.Less(t, paused, int64(math.MaxInt64), "with a limit")
	require.GreaterOrEqual(t, paused, int64(gcPauseHeadroomBytes))
	var n runtime.MemStats
	runtime.ReadMemStats(&n)
	gcs := n.NumGC
	for range 1000 {
		gcSink = make([]byte, 64<<10) // 64 MB of garbage: several collections when on
	}
	runtime.ReadMemStats(&n)
	require.Equal(t, gcs, n.NumGC, "no collection while paused")
	resume()
	require.Equal(t, 100, debug.SetGCPercent(100))
	require.Equal(t, limit, debug.SetMemoryLimit(-1))
}

// TestCompareFresh: the fresh timings join the settled ones, with the
// ratio of their medians, and a fresh answer that differs from the settled
// one fails the run like a mismatch with the baseline.
func TestCompareFresh(t *testing.T) {
	qs := buildQueries([]string{"floor", "Q1", "Q2"}, "")
	settled := []queryOutcome{
		{timing: QueryTiming{Rows: 1, MedianMS: 0.2}, answer: textAnswer("1")},
		{timing: QueryTiming{Rows: 2, MedianMS: 1.5}, answer: textAnswer("a", "b")},
		{timing: QueryTiming{Rows: 1, MedianMS: 2}, answer: textAnswer("x")},
	}
	fresh := []queryOutcome{
		{timing: QueryTiming{Rows: 1, MedianMS: 0.3}, answer: textAnswer("1")},
		{timing: QueryTiming{Rows: 2, MedianMS: 6}, answer: textAnswer("a", "c")},
		{timing: QueryTiming{Error: "boom"}},
	}
	got := compareResults(qs, settled, nil)
	compareFresh(got, qs, fresh, settled)
	require.InDelta(t, 1.5, got[0].FreshRatio, 1e-9)
	require.Empty(t, got[0].FreshDifference)
	require.InDelta(t, 4, got[1].FreshRatio, 1e-9)
	require.Equal(t, `2 rows fresh, 2 settled; first differing row 2: fresh ["c"], settled ["b"]`, got[1].FreshDifference)
	require.Zero(t, got[2].FreshRatio)
	require.Equal(t, "boom", got[2].Fresh.Error)

	qp := &QueryPhase{Results: got}
	qp.count(func(string, ...any) {})
	require.Equal(t, 1, qp.Mismatches)
	require.Equal(t, 1, qp.Errors)
	err := qp.failure()
	require.ErrorContains(t, err, "Q1: logq answers differently right after the ingest and settled")
	require.ErrorContains(t, err, "Q2 failed on logq right after the ingest: boom")
}

// textAnswer is an answer of one text column "ts", a row per value.
func textAnswer(rows ...string) *answer {
	a := &answer{cols: []string{"ts"}, approx: []bool{false}}
	for _, r := range rows {
		a.rows = append(a.rows, []cell{{s: r}})
	}
	return a
}
