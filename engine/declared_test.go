package engine_test

import (
	gosql "database/sql"
	"fmt"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// declaredRows are rows for the TIMESTAMP(6) tests: fractions of every
// length, a whole second, the same Berlin wall clock twice (the repeated
// hour) and the two ends of MySQL's TIMESTAMP range.
var declaredRows = []time.Time{
	time.Date(2026, 11, 1, 0, 4, 59, 999999000, time.UTC),
	time.Date(2026, 11, 1, 0, 5, 0, 0, time.UTC),
	time.Date(2026, 10, 25, 0, 30, 0, 250000000, time.UTC),
	time.Date(2026, 10, 25, 1, 30, 0, 1000, time.UTC),
	time.Unix(1, 0).UTC(),
	time.UnixMicro(2_147_483_647_999_999).UTC(),
}

func startDeclared(t *testing.T) *gosql.DB {
	var data strings.Builder
	for i, ts := range declaredRows {
		fmt.Fprintf(&data, `{"ts":%q,"service":"s","message":"r%d"}`+"\n", ts.Format(time.RFC3339Nano), i)
	}
	return startLogq(t, []byte(data.String()), logqConfig{shards: 1, bucket: 24 * time.Hour, batchRows: 4, unflushed: 0.3, appendLines: 2})
}

// columnTypes runs q, as text or as a server-side prepared statement, and
// returns each result column's type name and fraction digits as
// go-sql-driver reads them from the column definitions.
func columnTypes(t *testing.T, db *gosql.DB, q string, prepared bool) []string {
	var rows *gosql.Rows
	var err error
	if prepared {
		stmt, err := db.Prepare(q)
		require.NoError(t, err, q)
		defer stmt.Close()
		rows, err = stmt.Query()
		require.NoError(t, err, q)
	} else {
		rows, err = db.Query(q)
		require.NoError(t, err, q)
	}
	defer rows.Close()
	cts, err := rows.ColumnTypes()
	require.NoError(t, err, q)
	var out []string
	for _, ct := range cts {
		s := ct.DatabaseTypeName()
		if _, scale, ok := ct.DecimalSize(); ok {
			s += "(" + strconv.FormatInt(scale, 10) + ")"
		}
		out = append(out, s)
	}
	return out
}

// TestTsIsTimestampOnTheWire checks the column definitions of results, as
// go-sql-driver reads them in the text and the binary protocol, against
// MySQL 8's for a TIMESTAMP(6) column: ts itself, under an alias, through
// a table alias, a derived table, a CTE, a UNION or a scalar subquery, and
// its MIN and MAX are TIMESTAMP with 6 decimals; an expression over it is
// what the expression gives (DATETIME(6), DATE), as are NOW(6) and
// FROM_UNIXTIME.
func TestTsIsTimestampOnTheWire(t *testing.T) {
	db := startDeclared(t)
	const ts6, dt6 = "TIMESTAMP(6)", "DATETIME(6)"
	for _, tc := range []struct {
		sql  string
		want []string
	}{
		{"SELECT ts FROM logs", []string{ts6}},
		{"SELECT * FROM logs WHERE message = 'r0'", []string{ts6, "VARCHAR", "VARCHAR", "VARCHAR", "VARCHAR", "TEXT"}},
		{"SELECT ts AS time, message FROM logs ORDER BY ts", []string{ts6, "TEXT"}},
		{"SELECT l.ts FROM logs AS l WHERE l.ts > '2000-01-01' LIMIT 2", []string{ts6}},
		{"SELECT MIN(ts), MAX(ts), COUNT(*) FROM logs", []string{ts6, ts6, "BIGINT"}},
		{"SELECT service, MAX(ts) AS last FROM logs GROUP BY service", []string{"VARCHAR", ts6}},
		{"SELECT t FROM (SELECT ts AS t FROM logs) AS x", []string{ts6}},
		{"WITH c AS (SELECT ts FROM logs) SELECT ts FROM c", []string{ts6}},
		{"SELECT ts FROM logs UNION ALL SELECT ts FROM logs", []string{ts6}},
		{"SELECT (SELECT MAX(ts) FROM logs)", []string{ts6}},
		{"SELECT min_ts, max_ts FROM logq.damaged", []string{ts6, ts6}},
		{"SELECT ts + INTERVAL 1 SECOND, DATE(ts), NOW(6), FROM_UNIXTIME(1.5) FROM logs", []string{dt6, "DATE", dt6, "DATETIME(1)"}},
		{"SELECT UNIX_TIMESTAMP(ts) DIV 300 * 300 AS time, COUNT(*) FROM logs GROUP BY 1", []string{"BIGINT", "BIGINT"}},
	} {
		for _, prepared := range []bool{false, true} {
			require.Equal(t, tc.want, columnTypes(t, db, tc.sql, prepared), "%s (prepared %v)", tc.sql, prepared)
		}
	}
}

// TestTsKeepsMicroseconds reads ts in several session zones through
// go-sql-driver, as text and through the binary protocol, as strings and
// (parseTime) as time.Time: every value is the wall clock Go's time
// package gives for the stored instant in the session's zone, to the
// microsecond, including the ends of the TIMESTAMP range, which a zone
// east or west of UTC shows outside 1970-2038.
func TestTsKeepsMicroseconds(t *testing.T) {
	db := startDeclared(t)
	const layout = "2006-01-02 15:04:05.000000"
	q := "SELECT ts, MAX(ts) FROM logs WHERE message = ? GROUP BY message"
	for _, zone := range []string{"+00:00", "+05:30", "-08:00", "+14:00", "Europe/Berlin"} {
		loc, err := time.LoadLocation(zone)
		if err != nil {
			loc = fixedZone(t, zone)
		}
		for _, parseTime := range []bool{false, true} {
			for _, prepared := range []bool{false, true} {
				conn := reconnect(t, db, "time_zone", "'"+zone+"'", "parseTime", strconv.FormatBool(parseTime),
					"interpolateParams", strconv.FormatBool(!prepared))
				for i, ts := range declaredRows {
					what := fmt.Sprintf("row %d, zone %s, parseTime %v, prepared %v", i, zone, parseTime, prepared)
					want := ts.In(loc).Format(layout)
					row := conn.QueryRow(q, fmt.Sprintf("r%d", i))
					if parseTime {
						var a, b time.Time
						require.NoError(t, row.Scan(&a, &b), what)
						require.Equal(t, []string{want, want}, []string{a.Format(layout), b.Format(layout)}, what)
					} else {
						var a, b string
						require.NoError(t, row.Scan(&a, &b), what)
						require.Equal(t, []string{want, want}, []string{a, b}, what)
					}
				}
			}
		}
	}
}

// TestTsColumnTypeInfo reads the column definitions with the mysql
// command-line client's --column-type-info: ts is a TIMESTAMP with 6
// decimals, ts + INTERVAL 1 SECOND a DATETIME with 6.
func TestTsColumnTypeInfo(t *testing.T) {
	db := startDeclared(t)
	addr := mustAddr(t, db)
	out, err := exec.Command(mysqlClient(t), "-h", "127.0.0.1", "-P", strconv.Itoa(addr.Port), "-u", "root",
		"--column-type-info", "--table", "logq", "-e", "SELECT ts, ts + INTERVAL 1 SECOND FROM logs LIMIT 1").CombinedOutput()
	require.NoError(t, err, "%s", out)
	field := regexp.MustCompile(`(?m)^Field +\d+: +` + "`" + `([^` + "`" + `]*)` + "`" + `$`)
	typ := regexp.MustCompile(`(?m)^Type: +(\S+)$`)
	dec := regexp.MustCompile(`(?m)^Decimals: +(\d+)$`)
	names, types, decimals := field.FindAllStringSubmatch(string(out), -1), typ.FindAllStringSubmatch(string(out), -1), dec.FindAllStringSubmatch(string(out), -1)
	require.Len(t, names, 2, "%s", out)
	require.Len(t, types, 2, "%s", out)
	require.Len(t, decimals, 2, "%s", out)
	got := [][]string{{names[0][1], types[0][1], decimals[0][1]}, {names[1][1], types[1][1], decimals[1][1]}}
	require.Equal(t, [][]string{{"ts", "TIMESTAMP", "6"}, {"ts + INTERVAL 1 SECOND", "DATETIME", "6"}}, got, "%s", out)
}
