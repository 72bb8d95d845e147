package bench

import (
	"context"
	gosql "database/sql"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/stretchr/testify/require"

	"logq/partitions/columns"
	"logq/partitions/jsonl"
)

// TestBaselineRow reads one row back through the wire and compares it with
// the generator's row: ts in UTC with microseconds, every column in place.
func TestBaselineRow(t *testing.T) {
	o := GenOptions{Rows: 2000, Days: 2, Seed: 4, Start: defaultStart}
	path, _ := writeGenFile(t, o)
	b, err := startBaseline(context.Background(), path, nil)
	require.NoError(t, err)
	defer func() { require.NoError(t, b.close()) }()
	db, err := gosql.Open("mysql", clientDSN(b.addr))
	require.NoError(t, err)
	defer db.Close()

	want, err := RowAt(o, 1234)
	require.NoError(t, err)
	var ts, level, service, host, trace, msg string
	var status, latency int
	require.NoError(t, db.QueryRow("SELECT ts, level, service, host, trace_id, message, status, latency_ms FROM logs WHERE trace_id = ?",
		want.TraceID).Scan(&ts, &level, &service, &host, &trace, &msg, &status, &latency))
	require.Equal(t, want.TS.UTC().Format("2006-01-02 15:04:05.000000"), ts)
	require.Equal(t, []string{want.Level, want.Service, want.Host, want.TraceID, want.Message}, []string{level, service, host, trace, msg})
	require.Equal(t, []int{want.Status, want.LatencyMS}, []int{status, latency})

	var n int
	require.NoError(t, db.QueryRow("SELECT COUNT(*) FROM logs WHERE ts < '2026-11-02 00:00:00'").Scan(&n))
	require.InDelta(t, 1000, n, 2, "half the rows fall on the first day, in UTC")
}

func TestParseRows(t *testing.T) {
	long := `{"ts":1,"message":"` + strings.Repeat("x", baselineReadBytes) + `"}`
	for _, tc := range []struct {
		name           string
		in             string
		rows, rejected int
	}{
		{name: "empty", in: ""},
		{name: "no final newline", in: "{\"ts\":1}\n{\"ts\":2}", rows: 2},
		{name: "blank and bad lines", in: "{\"ts\":1}\n\n  \nnope\n{\"ts\":\"x\"}\n{\"ts\":3}\n", rows: 2, rejected: 2},
		{name: "a line longer than a read", in: "{\"ts\":1}\n" + long + "\n{\"ts\":3}\n", rows: 2, rejected: 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out := make(chan []sql.Row, 100)
			rejected, err := parseRows(context.Background(), strings.NewReader(tc.in), out)
			require.NoError(t, err)
			close(out)
			rows := 0
			for c := range out {
				rows += len(c)
			}
			require.Equal(t, tc.rows, rows)
			require.EqualValues(t, tc.rejected, rejected)
		})
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := parseRows(ctx, strings.NewReader("{\"ts\":1}\n"), make(chan []sql.Row))
	require.ErrorIs(t, err, context.Canceled)
}

func TestRowConverter(t *testing.T) {
	in := `{"ts":"2026-11-03T13:30:00.371001+05:30","level":"warning","service":"svc-1","host":"h","trace_id":"t1","message":"m1","status":200,"latency_ms":7}
{"ts":1793836800,"service":"svc-1","status":2.5,"latency_ms":"slow"}
{"ts":1793836801,"level":"WARN","service":"svc-2","message":"m3","status":404}
`
	var b columns.Batch
	n, errs := jsonl.NewParser(jsonl.Options{}).Parse([]byte(in), 1, &b)
	require.Empty(t, errs)
	require.Equal(t, 3, n)
	rows := newRowConverter().rows(&b)
	// The second line widens status to DOUBLE and latency_ms to VARCHAR for
	// the whole batch, which a BIGINT column cannot hold: NULL throughout
	// (TestBaselineRow reads integers back).
	require.Equal(t, []sql.Row{
		{time.Date(2026, 11, 3, 8, 0, 0, 371001000, time.UTC), "WARN", "svc-1", "h", "t1", "m1", nil, nil},
		{time.Date(2026, 11, 5, 0, 0, 0, 0, time.UTC), nil, "svc-1", nil, nil, nil, nil, nil},
		{time.Date(2026, 11, 5, 0, 0, 1, 0, time.UTC), "WARN", "svc-2", nil, nil, "m3", nil, nil},
	}, rows)
	require.Len(t, rows[0], baselineColumns)
	require.Equal(t, baselineColumns, cap(rows[0]), "a row's append must not write into the next")
}

// TestBaselineMySQLSemantics checks that the baseline answers DIV as MySQL
// does (Q4's time buckets), not as go-mysql-server v0.20.0, which rounds
// the DECIMAL quotient first and would put the row at 00:04:59.999999 into
// the 00:05 bucket.
func TestBaselineMySQLSemantics(t *testing.T) {
	path := filepath.Join(t.TempDir(), "edge.jsonl")
	require.NoError(t, os.WriteFile(path, []byte(`{"ts":"2026-11-05T00:04:59.999999Z","level":"ERROR"}
{"ts":"2026-11-05T00:05:00Z","level":"ERROR"}
{"ts":"2026-11-05T00:09:59.6Z","level":"FATAL"}
`), 0o644))
	b, err := startBaseline(context.Background(), path, func(string, ...any) {})
	require.NoError(t, err)
	defer func() { require.NoError(t, b.close()) }()
	db, err := gosql.Open("mysql", clientDSN(b.addr))
	require.NoError(t, err)
	defer db.Close()
	rows, err := db.Query(workloadSQL["Q4"])
	require.NoError(t, err)
	defer rows.Close()
	var got []string
	for rows.Next() {
		var bucket, n string
		require.NoError(t, rows.Scan(&bucket, &n))
		got = append(got, bucket+":"+n)
	}
	require.NoError(t, rows.Err())
	// 2026-11-05T00:00:00Z is 1793836800.
	require.Equal(t, []string{"1793836800:1", "1793837100:2"}, got)
}

func TestLoadProgress(t *testing.T) {
	const every = 5 * time.Millisecond
	var p loadProgress
	var mu sync.Mutex
	var lines []string
	count := func(line string) int {
		mu.Lock()
		defer mu.Unlock()
		n := 0
		for _, l := range lines {
			if l == line {
				n++
			}
		}
		return n
	}
	p.inserted.Store(12345)
	stop := reportProgress(func(f string, args ...any) {
		mu.Lock()
		defer mu.Unlock()
		lines = append(lines, fmt.Sprintf(f, args...))
	}, &p, every)
	inserting := "baseline: 12,345 rows inserted"
	require.Eventually(t, func() bool { return count(inserting) >= 2 }, 5*time.Second, every)
	p.filing.Store(true)
	filing := "baseline: 12,345 rows inserted; go-mysql-server is filing them into its table (about half of the load)"
	require.Eventually(t, func() bool { return count(filing) == 1 }, 5*time.Second, every)
	time.Sleep(10 * every)
	stop()
	require.Equal(t, 1, count(filing), "the filing phase is said once: %q", lines)
	require.Equal(t, filing, lines[len(lines)-1])
	reportProgress(nil, &p, every)() // no log, no goroutine
}
