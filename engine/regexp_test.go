package engine_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestRegexpSQL runs MySQL's manual's examples, and the collation rule,
// through the whole engine.
func TestRegexpSQL(t *testing.T) {
	data := genData(t, 3000, 1, 5)
	db := startLogq(t, data, logqConfig{shards: 2, bucket: 24 * time.Hour, batchRows: 500, appendLines: 700})
	cases := []struct{ q, want string }{
		// MySQL 8.0 reference manual, 12.8.2 Regular Expressions.
		{"SELECT REGEXP_INSTR('dog cat dog', 'dog')", "1"},
		{"SELECT REGEXP_INSTR('dog cat dog', 'dog', 2)", "9"},
		{"SELECT REGEXP_INSTR('aa aaa aaaa', 'a{2}')", "1"},
		{"SELECT REGEXP_INSTR('aa aaa aaaa', 'a{4}')", "8"},
		// (The manual's REGEXP_LIKE('CamelCase', 'CAMELCASE') is 1 under
		// MySQL's default collation_connection, utf8mb4_0900_ai_ci; string
		// literals in go-mysql-server, and so in logq, are utf8mb4_0900_bin.)
		{"SELECT REGEXP_LIKE('CamelCase', 'CAMELCASE', 'i')", "1"},
		{"SELECT REGEXP_LIKE('CamelCase', 'CAMELCASE' COLLATE utf8mb4_0900_as_cs)", "0"},
		{"SELECT REGEXP_LIKE('abc', 'ABC', 'c')", "0"},
		{"SELECT REGEXP_LIKE('Michael!', '.*')", "1"},
		{"SELECT REGEXP_LIKE('new*\\n*line', 'new\\\\*.\\\\*line')", "0"},
		{"SELECT REGEXP_LIKE('a', '^[a-d]')", "1"},
		{"SELECT REGEXP_REPLACE('a b c', 'b', 'X')", "a X c"},
		{"SELECT REGEXP_REPLACE('abc def ghi', '[a-z]+', 'X', 1, 3)", "abc def X"},
		{"SELECT REGEXP_SUBSTR('abc def ghi', '[a-z]+')", "abc"},
		{"SELECT REGEXP_SUBSTR('abc def ghi', '[a-z]+', 1, 3)", "ghi"},
		{"SELECT 'Michael!' REGEXP '.*'", "1"},
		{"SELECT 'Michael!' RLIKE 'ichae'", "1"},
		{"SELECT 'abc' NOT REGEXP 'b'", "0"},
		{"SELECT REGEXP_LIKE(NULL, 'a')", "NULL"},
		{"SELECT REGEXP_SUBSTR('abc', 'x')", "NULL"},
	}
	// level, service and host compare under utf8mb4_0900_ai_ci, the
	// message is case-sensitive: counts computed from the rows.
	count := func(f func(r refRow) bool) string {
		n := 0
		for _, r := range decodeRef(t, data) {
			if f(r) {
				n++
			}
		}
		return fmt.Sprint(n)
	}
	errors := count(func(r refRow) bool { return strings.EqualFold(r.Level, "error") })
	require.NotEqual(t, "0", errors)
	cases = append(cases, []struct{ q, want string }{
		{"SELECT COUNT(*) FROM logs WHERE level REGEXP '^error$'", errors},
		{"SELECT COUNT(*) FROM logs WHERE service REGEXP '^SVC-1'",
			count(func(r refRow) bool { return strings.HasPrefix(r.Service, "svc-1") })},
		{"SELECT COUNT(*) FROM logs WHERE message REGEXP 'timed out'",
			count(func(r refRow) bool { return strings.Contains(r.Message, "timed out") })},
		{"SELECT COUNT(*) FROM logs WHERE message REGEXP 'TIMED OUT'",
			count(func(r refRow) bool { return strings.Contains(r.Message, "TIMED OUT") })},
		{"SELECT COUNT(*) FROM logs WHERE REGEXP_LIKE(message, 'TIMED OUT', 'i')",
			count(func(r refRow) bool { return strings.Contains(strings.ToLower(r.Message), "timed out") })},
	}...)
	for _, c := range cases {
		require.Equal(t, [][]string{{c.want}}, queryStrings(t, db, c.q), c.q)
	}

	// A REGEXP on a column is claimed by the scan, the Filter above it gone.
	plan := strings.Join(flatten(queryStrings(t, db, "EXPLAIN PLAN SELECT COUNT(*) FROM logs WHERE message REGEXP 'timed out'")), "\n")
	require.Contains(t, plan, "pushed: regexp_like(logs.message,'timed out')", plan)
	require.NotContains(t, plan, "Filter", plan)

	// A construct RE2 cannot express is a clear error.
	_, err := db.Query("SELECT COUNT(*) FROM logs WHERE message REGEXP '(a)\\\\1'")
	require.ErrorContains(t, err, "RE2")
	_, err = db.Query("SELECT REGEXP_LIKE('a', '')")
	require.ErrorContains(t, err, "Illegal argument to regular expression")
}

// TestRegexpNeverFreezes runs the pattern that froze the whole process under
// ICU over every message while another client keeps asking SELECT 1: the
// match must finish with the count of messages holding an 'x' (what the
// pattern means), and SELECT 1 must keep answering fast meanwhile.
func TestRegexpNeverFreezes(t *testing.T) {
	data := genData(t, 20000, 1, 9)
	rows := decodeRef(t, data)
	want := 0
	for _, r := range rows {
		if strings.Contains(r.Message, "x") {
			want++
		}
	}
	db := startLogq(t, data, logqConfig{shards: 2, bucket: 24 * time.Hour, batchRows: 4096, appendLines: 5000})
	db.SetMaxOpenConns(4)

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	var wg sync.WaitGroup
	var slowest time.Duration
	stop := make(chan struct{})
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			select {
			case <-stop:
				return
			default:
			}
			start := time.Now()
			var one int
			if err := db.QueryRowContext(ctx, "SELECT 1").Scan(&one); err != nil {
				return
			}
			slowest = max(slowest, time.Since(start))
			time.Sleep(5 * time.Millisecond)
		}
	}()
	var got int
	for _, q := range []string{
		"SELECT COUNT(*) FROM logs WHERE message REGEXP '(a|aa)*(b|bb)*(.*)*(.*)*x'",
		"SELECT COUNT(*) FROM logs WHERE REGEXP_LIKE(message, '(x+x+)+y|x')",
	} {
		require.NoError(t, db.QueryRowContext(ctx, q).Scan(&got), q)
		require.Equal(t, want, got, q)
	}
	close(stop)
	wg.Wait()
	require.Less(t, slowest, time.Second, "SELECT 1 while the regular expressions ran")
	t.Logf("%d of %d messages match; slowest SELECT 1 meanwhile: %v", want, len(rows), slowest)
}
