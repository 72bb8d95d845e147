package engine_test

import (
	"context"
	gosql "database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"runtime"
	"runtime/metrics"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"
	"github.com/stretchr/testify/require"

	"logq/engine"
)

// memBase is the ts of the first row of memRows, in Unix seconds.
const memBase = 1_793_836_800

var memLevels = []string{"ERROR", "INFO", "WARN"}

// memRows makes n rows a second apart: level i%3, host h-(i%4), and every
// message distinct ("request 000042"), so that grouping, sorting or
// deduplicating by message holds n of them.
func memRows(n int) []byte {
	var b strings.Builder
	for i := range n {
		fmt.Fprintf(&b, `{"ts":%d,"level":%q,"service":"svc","host":"h-%d","message":"request %06d"}`+"\n",
			memBase+i, memLevels[i%3], i%4, i)
	}
	return []byte(b.String())
}

// startMemLimited serves n memRows under a per-query memory limit of
// limit bytes, through engine.QueryLimits as logq serve does.
func startMemLimited(t testing.TB, n int, limit int64, noCache bool) *gosql.DB {
	return startLogq(t, memRows(n), logqConfig{shards: 2, bucket: 24 * time.Hour, batchRows: 4096,
		unflushed: 0.1, appendLines: 10000, noCache: noCache,
		limits: []engine.LimitsOption{engine.WithQueryMemoryLimit(limit)}})
}

// mysqlErrorOf returns the MySQL error number and message of err; 0 when
// err is not one.
func mysqlErrorOf(err error) (uint16, string) {
	var me *mysql.MySQLError
	if errors.As(err, &me) {
		return me.Number, me.Message
	}
	return 0, ""
}

// queryOn runs setup and then q on a connection of its own, which it
// closes, and returns q's rows as text, or its error.
func queryOn(t testing.TB, db *gosql.DB, setup []string, q string) ([][]string, error) {
	ctx := context.Background()
	conn, err := db.Conn(ctx)
	require.NoError(t, err)
	defer conn.Close()
	// Not back to the pool: the setup changed the session.
	defer conn.Raw(func(any) error { return driver.ErrBadConn })
	for _, s := range setup {
		_, err := conn.ExecContext(ctx, s)
		require.NoError(t, err, s)
	}
	rows, err := conn.QueryContext(ctx, q)
	if err != nil {
		return nil, err
	}
	return scanRows(rows)
}

// TestQueryMemoryLimit runs, under a 1 MiB per-query limit, statements that
// hold a row, group or key per distinct message of 60,000 (each fails with
// 1041 naming the limit) and statements that hold little however many rows
// they read (each answers right).
func TestQueryMemoryLimit(t *testing.T) {
	const n = 60_000
	db := startMemLimited(t, n, 1<<20, false)
	noPushdown := []string{"SET logq_aggregate_pushdown = 0"}
	ts := func(i int) string { return fmt.Sprintf("FROM_UNIXTIME(%d)", memBase+i) }
	msg := func(i int) string { return fmt.Sprintf("request %06d", i) }

	for _, tc := range []struct {
		name  string
		setup []string
		query string
		// streams: the statement sends rows before it holds too much, and
		// vitess cannot send an error after rows (it closes the
		// connection: the client sees it lost).
		streams bool
	}{
		{"pushed-down GROUP BY message", nil, "SELECT message, COUNT(*) FROM logs GROUP BY message", false},
		{"GROUP BY message", noPushdown, "SELECT message, COUNT(*) FROM logs GROUP BY message", false},
		{"pushed-down COUNT DISTINCT per group", nil, "SELECT level, COUNT(DISTINCT message) FROM logs GROUP BY level", false},
		{"COUNT DISTINCT per group", noPushdown, "SELECT level, COUNT(DISTINCT message) FROM logs GROUP BY level", false},
		{"COUNT DISTINCT", noPushdown, "SELECT COUNT(DISTINCT message) FROM logs", false},
		{"ORDER BY everything", nil, "SELECT * FROM logs ORDER BY message", false},
		{"TopN of everything", nil, "SELECT * FROM logs ORDER BY message LIMIT 100000", false},
		{"self-join", nil, "SELECT COUNT(*) FROM logs a JOIN logs b ON a.host = b.host", false},
		{"DISTINCT", nil, "SELECT DISTINCT message FROM logs", true},
		{"DISTINCT under a collation", nil, "SELECT DISTINCT host, message FROM logs", true},
		{"counted DISTINCT", nil, "SELECT COUNT(*) FROM (SELECT DISTINCT message FROM logs) t", false},
		{"window", nil, "SELECT message, ROW_NUMBER() OVER (ORDER BY message) FROM logs", false},
		{"in a subquery", nil, "SELECT COUNT(*) FROM (SELECT message FROM logs GROUP BY message) t", false},
	} {
		t.Run("fails/"+tc.name, func(t *testing.T) {
			start := time.Now()
			_, err := queryOn(t, db, tc.setup, tc.query)
			code, text := mysqlErrorOf(err)
			if tc.streams && errors.Is(err, mysql.ErrInvalidConn) {
				require.Equal(t, [][]string{{"1"}}, queryStrings(t, db, "SELECT 1"))
				return
			}
			require.Equal(t, uint16(1041), code, "%s: %v", tc.query, err)
			require.Equal(t, "query exceeded the per-query memory limit of 1 MiB (--query-memory-limit)", text)
			t.Logf("failed after %v", time.Since(start))
		})
	}

	perLevel := [][]string{{"ERROR", fmt.Sprint(n / 3)}, {"INFO", fmt.Sprint(n / 3)}, {"WARN", fmt.Sprint(n / 3)}}
	for _, tc := range []struct {
		name  string
		setup []string
		query string
		want  [][]string
	}{
		{"pushed-down GROUP BY level", nil, "SELECT level, COUNT(*) FROM logs GROUP BY level ORDER BY level", perLevel},
		{"GROUP BY level", noPushdown, "SELECT level, COUNT(*) FROM logs GROUP BY level ORDER BY level", perLevel},
		{"GROUP BY host with MIN", noPushdown, "SELECT host, COUNT(*), MIN(message), MAX(message) FROM logs GROUP BY host ORDER BY host",
			[][]string{{"h-0", "15000", msg(0), msg(n - 4)}, {"h-1", "15000", msg(1), msg(n - 3)},
				{"h-2", "15000", msg(2), msg(n - 2)}, {"h-3", "15000", msg(3), msg(n - 1)}}},
		{"COUNT over everything", noPushdown, "SELECT COUNT(*), COUNT(DISTINCT level), MIN(message) FROM logs",
			[][]string{{fmt.Sprint(n), "3", msg(0)}}},
		{"TopN", nil, "SELECT message FROM logs ORDER BY message DESC LIMIT 3",
			[][]string{{msg(n - 1)}, {msg(n - 2)}, {msg(n - 3)}}},
		{"small sort", nil, "SELECT COUNT(*), MIN(m), MAX(m) FROM (SELECT message m FROM logs WHERE ts < " + ts(1000) + " ORDER BY message DESC LIMIT 5000) t",
			[][]string{{"1000", msg(0), msg(999)}}},
		{"DISTINCT level", nil, "SELECT DISTINCT level FROM logs ORDER BY level", [][]string{{"ERROR"}, {"INFO"}, {"WARN"}}},
		{"small join", nil, "SELECT COUNT(*) FROM logs a JOIN logs b ON a.host = b.host WHERE a.ts < " + ts(400) + " AND b.ts < " + ts(400),
			[][]string{{"40000"}}},
	} {
		t.Run("answers/"+tc.name, func(t *testing.T) {
			got, err := queryOn(t, db, tc.setup, tc.query)
			require.NoError(t, err, tc.query)
			require.Equal(t, tc.want, got, tc.query)
		})
	}

	t.Run("session", func(t *testing.T) {
		// A session may lower the limit, and the error names the variable.
		_, err := queryOn(t, db, []string{"SET logq_query_memory_limit = 524288"}, "SELECT level, COUNT(DISTINCT message) FROM logs GROUP BY level")
		code, text := mysqlErrorOf(err)
		require.Equal(t, uint16(1041), code, "%v", err)
		require.Equal(t, "query exceeded the per-query memory limit of 512 KiB (logq_query_memory_limit)", text)
		// It cannot raise it past the server's.
		_, err = queryOn(t, db, []string{"SET logq_query_memory_limit = 1073741824"}, "SELECT message FROM logs ORDER BY message")
		code, text = mysqlErrorOf(err)
		require.Equal(t, uint16(1041), code, "%v", err)
		require.Contains(t, text, "1 MiB (--query-memory-limit)")
		got, err := queryOn(t, db, []string{"SET logq_query_memory_limit = 65536"}, "SELECT level, COUNT(*) FROM logs GROUP BY level ORDER BY level")
		require.NoError(t, err)
		require.Equal(t, perLevel, got)
	})

	t.Run("prepared", func(t *testing.T) {
		// The binary protocol runs the statement through ComStmtExecute.
		conn, err := db.Conn(context.Background())
		require.NoError(t, err)
		defer conn.Close()
		rows, err := conn.QueryContext(context.Background(), "SELECT message FROM logs WHERE host = ? ORDER BY message", "h-1")
		if err == nil {
			for rows.Next() {
			}
			err = rows.Err()
			rows.Close()
		}
		code, _ := mysqlErrorOf(err)
		require.Equal(t, uint16(1041), code, "%v", err)
	})
}

// TestQueryMemoryLimitConcurrent fails statements over their limit on four
// connections at once while a fifth keeps asking SELECT 1 and an aggregate:
// every answer of the fifth is right, and the failures are 1041 only.
func TestQueryMemoryLimitConcurrent(t *testing.T) {
	const n = 60_000
	db := startMemLimited(t, n, 1<<20, false)
	db.SetMaxOpenConns(8)
	var stop atomic.Bool
	var failures atomic.Int64
	var wg sync.WaitGroup
	errs := make(chan error, 4)
	for i, q := range []string{
		"SELECT message, COUNT(*) FROM logs GROUP BY message",
		"SELECT * FROM logs ORDER BY message",
		"SELECT COUNT(*) FROM logs a JOIN logs b ON a.host = b.host",
		"SELECT COUNT(*) FROM (SELECT DISTINCT message FROM logs) t",
	} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for !stop.Load() {
				_, err := queryOn(t, db, nil, q)
				if code, _ := mysqlErrorOf(err); code != 1041 {
					errs <- fmt.Errorf("worker %d, %s: %v", i, q, err)
					return
				}
				failures.Add(1)
			}
		}()
	}
	deadline := time.Now().Add(1500 * time.Millisecond)
	answered := 0
	for time.Now().Before(deadline) {
		require.Equal(t, [][]string{{"1"}}, queryStrings(t, db, "SELECT 1"))
		require.Equal(t, [][]string{{"h-0", "15000"}, {"h-1", "15000"}, {"h-2", "15000"}, {"h-3", "15000"}},
			queryStrings(t, db, "SELECT host, COUNT(*) FROM logs GROUP BY host ORDER BY host"))
		answered++
	}
	stop.Store(true)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	t.Logf("%d statements failed for their limit while %d pairs were answered", failures.Load(), answered)
	require.Positive(t, failures.Load())
}

// TestQueryMemoryLimitReleases checks that the memory of a statement that
// failed for its limit is released: within a second of each failure the
// live heap is back within heapMargin of what it was before. The batch cache is off,
// so that no statement leaves decoded batches behind.
func TestQueryMemoryLimitReleases(t *testing.T) {
	// Each statement holds some 80-400 bytes a row: 16 MiB is reached
	// about halfway through the rows of the smallest.
	n, limit := 200_000, uint64(16<<20)
	if raceEnabled {
		n, limit = 50_000, 4<<20
	}
	// heapMargin covers what the runtime and the driver allocate between
	// two measurements: a few MiB, against the tens of MiB the statements
	// hold before they fail.
	const heapMargin = 6 << 20
	db := startMemLimited(t, n, int64(limit), true)
	queryStrings(t, db, "SELECT COUNT(*) FROM logs WHERE message LIKE '%x%'") // first scan: lazily built state
	base := liveHeap()
	for _, q := range []string{
		"SELECT * FROM logs ORDER BY message",
		"SELECT message, COUNT(*) FROM logs GROUP BY message",
		"SELECT COUNT(*) FROM logs a JOIN logs b ON a.message = b.message",
		"SELECT *, ROW_NUMBER() OVER (ORDER BY message) FROM logs",
	} {
		peak := watchHeap()
		// A statement that did not fail would run into this instead.
		_, err := queryOn(t, db, []string{"SET max_execution_time = 20000"}, q)
		top := peak()
		code, _ := mysqlErrorOf(err)
		require.Equal(t, uint16(1041), code, "%s: %v", q, err)
		// Loads the statement started may still be finishing.
		var after uint64
		for range 10 {
			if after = liveHeap(); after < base+heapMargin {
				break
			}
			time.Sleep(100 * time.Millisecond)
		}
		t.Logf("%s: live heap %d MiB before, %d MiB after; heap objects peaked at %d MiB (limit %d MiB)",
			q, base>>20, after>>20, top>>20, limit>>20)
		require.Less(t, after, base+heapMargin, q)
	}
}

// liveHeap returns the bytes of live heap objects after a collection.
func liveHeap() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

// watchHeap samples the heap's objects (live and not yet collected) every
// millisecond until the returned function is called, which returns the
// largest sample.
func watchHeap() func() uint64 {
	sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	var top atomic.Uint64
	done := make(chan struct{})
	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		tick := time.NewTicker(time.Millisecond)
		defer tick.Stop()
		for {
			metrics.Read(sample)
			if v := sample[0].Value.Uint64(); v > top.Load() {
				top.Store(v)
			}
			select {
			case <-done:
				return
			case <-tick.C:
			}
		}
	}()
	return func() uint64 {
		close(done)
		<-stopped
		return top.Load()
	}
}
