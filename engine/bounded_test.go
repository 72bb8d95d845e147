package engine_test

import (
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"
	"github.com/stretchr/testify/require"

	"logq/engine"
)

// TestStringResultsBoundedByMaxAllowedPacket checks MySQL's rule for the
// string functions that can build results far larger than their
// arguments: a result longer than max_allowed_packet is NULL with warning
// 1301, one of exactly that length is not, and ordinary results are
// unchanged. Expected values are computed here with Go's strings package.
func TestStringResultsBoundedByMaxAllowedPacket(t *testing.T) {
	const limit = 1 << 20
	require.NoError(t, engine.SetMaxAllowedPacket(limit))
	t.Cleanup(func() { engine.SetMaxAllowedPacket(1 << 30) })
	db := startLogq(t, genData(t, 200, 1, 3), logqConfig{shards: 2, bucket: 24 * time.Hour, batchRows: 50, appendLines: 100})
	db.SetMaxOpenConns(1) // SHOW WARNINGS reads the same session

	n := strconv.Itoa
	for _, c := range []struct {
		sql  string
		want string // "NULL": refused with warning 1301 naming fn
		fn   string
	}{
		{"SELECT REPEAT('ab', 1000)", strings.Repeat("ab", 1000), ""},
		{"SELECT LENGTH(REPEAT('ab', " + n(limit/2) + "))", n(limit), ""},
		{"SELECT REPEAT('ab', " + n(limit/2+1) + ")", "NULL", "repeat"},
		{"SELECT REPEAT('x', 10000000000)", "NULL", "repeat"},
		{"SELECT LENGTH(SPACE(" + n(limit) + "))", n(limit), ""},
		{"SELECT SPACE(" + n(limit+1) + ")", "NULL", "space"},
		{"SELECT RPAD('a', 5, 'xy')", "axyxy", ""},
		{"SELECT CONCAT('<', SPACE(3), '>')", "<   >", ""},
		{"SELECT SPACE(-2)", "", ""},
		{"SELECT LPAD('a', 5, 'xy')", "xyxya", ""},
		{"SELECT LPAD('a', " + n(limit+1) + ", 'x')", "NULL", "lpad"},
		{"SELECT RPAD('a', 20000000000, 'x')", "NULL", "rpad"},
		{"SELECT REPLACE('abcb', 'b', 'xx')", strings.ReplaceAll("abcb", "b", "xx"), ""},
		{"SELECT REPLACE(REPEAT('x', 1000), 'x', REPEAT('y', 2000))", "NULL", "replace"},
		{"SELECT LENGTH(REPLACE(REPEAT('x', 1000), 'x', REPEAT('y', 1000)))", n(1000 * 1000), ""},
		{"SELECT CONCAT('a', 1, 2.5, 'é')", "a12.5é", ""},
		{"SELECT CONCAT('a', NULL)", "NULL", ""},
		{"SELECT CONCAT_WS('-', 'a', NULL, 'b')", "a-b", ""},
		{"SELECT CONCAT(REPEAT('x', 600000), REPEAT('y', 600000))", "NULL", "concat"},
		{"SELECT CONCAT_WS(',', REPEAT('x', 600000), REPEAT('y', 600000))", "NULL", "concat_ws"},
		{"SELECT LENGTH(CONCAT(REPEAT('x', 500000), REPEAT('y', 500000)))", n(1000000), ""},
	} {
		got := queryStrings(t, db, c.sql)
		require.Equal(t, [][]string{{c.want}}, got, c.sql)
		warnings := queryStrings(t, db, "SHOW WARNINGS")
		if c.fn == "" {
			require.Empty(t, warnings, c.sql)
			continue
		}
		require.Len(t, warnings, 1, c.sql)
		require.Equal(t, "1301", warnings[0][1], c.sql)
		require.Equal(t, "Result of "+c.fn+"() was larger than max_allowed_packet ("+n(limit)+") - truncated", warnings[0][2], c.sql)
	}

	// Over the rows of logs, CONCAT answers what the columns hold.
	var want [][]string
	for _, r := range queryStrings(t, db, "SELECT service, host, level FROM logs ORDER BY ts, host") {
		want = append(want, []string{r[0] + "/" + r[1], r[2] + "|" + r[0]})
	}
	require.Equal(t, want, queryStrings(t, db, "SELECT CONCAT(service, '/', host), CONCAT_WS('|', level, service) FROM logs ORDER BY ts, host"))

	// As in MySQL, a session cannot raise its own limit.
	_, err := db.Exec("SET max_allowed_packet = 1073741824")
	var me *mysql.MySQLError
	require.True(t, errors.As(err, &me), "%v", err)
	require.Equal(t, uint16(1621), me.Number)
}
