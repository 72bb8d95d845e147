package engine_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestInsertAndReadOnlyStatements inserts rows over the wire and reads them
// back, and checks that statements changing stored rows or the schema are
// refused with a clear error.
func TestInsertAndReadOnlyStatements(t *testing.T) {
	data := genData(t, 100, 1, 3)
	lq := startLogq(t, data, logqConfig{shards: 2, bucket: 24 * time.Hour, batchRows: 64, unflushed: 0.5, appendLines: 50})
	lq.SetMaxOpenConns(1) // one connection: session variables stick

	_, err := lq.Exec("INSERT INTO logs (ts, level, service, message, status) VALUES ('2026-11-02 03:04:05.123456', 'warning', 'ins', 'one', 500), ('2026-11-02 03:04:06', 'INFO', 'ins', 'two', NULL)")
	require.NoError(t, err)
	_, err = lq.Exec("INSERT INTO logs (ts, service, message) VALUES ('2026-11-02 03:04:07', 'ins', 'three')")
	require.NoError(t, err)
	got := queryStrings(t, lq, "SELECT ts, level, service, host, message, status FROM logs WHERE service = 'ins' ORDER BY ts")
	require.Equal(t, [][]string{
		{"2026-11-02 03:04:05.123456", "WARN", "ins", "NULL", "one", "500"},
		{"2026-11-02 03:04:06.000000", "INFO", "ins", "NULL", "two", "NULL"},
		{"2026-11-02 03:04:07.000000", "NULL", "ins", "NULL", "three", "NULL"},
	}, got)

	// A session in another zone writes its local time: the row lands at the
	// UTC instant and reads back in each session's zone.
	_, err = lq.Exec("SET time_zone = '+05:30'")
	require.NoError(t, err)
	_, err = lq.Exec("INSERT INTO logs (ts, service, message) VALUES ('2026-11-02 10:00:00', 'tz', 'zoned')")
	require.NoError(t, err)
	require.Equal(t, [][]string{{"2026-11-02 10:00:00.000000"}}, queryStrings(t, lq, "SELECT ts FROM logs WHERE service = 'tz'"))
	_, err = lq.Exec("SET time_zone = '+00:00'")
	require.NoError(t, err)
	require.Equal(t, [][]string{{"2026-11-02 04:30:00.000000"}}, queryStrings(t, lq, "SELECT ts FROM logs WHERE service = 'tz'"))

	for q, msg := range map[string]string{
		"UPDATE logs SET message = 'x'":     "doesn't support UPDATE",
		"DELETE FROM logs":                  "doesn't support DELETE",
		"DROP TABLE logs":                   "cannot be dropped",
		"CREATE TABLE other (a INT)":        "cannot be created",
		"ALTER TABLE logs ADD COLUMN z INT": "cannot be altered",
		"TRUNCATE TABLE logs":               "doesn't support TRUNCATE",
	} {
		_, err := lq.Exec(q)
		require.ErrorContains(t, err, msg, q)
	}
	_, err = lq.Exec("INSERT INTO logs (service) VALUES ('no ts')")
	require.Error(t, err)
}
