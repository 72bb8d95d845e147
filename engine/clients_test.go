package engine_test

import (
	"bytes"
	gosql "database/sql"
	"encoding/json"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// clientCase is one query of the client conformance test, with the rows
// MySQL 8 gives for it, as text.
type clientCase struct {
	name   string
	zone   string
	sql    string
	params []any
	want   [][]string // nil: only that the statement succeeds
	// contains: the rows must include these (server-wide listings).
	contains [][]string
}

// conformanceRows are the rows the cases read: timestamps on a 5-minute
// bucket's last microsecond and the next bucket's first, and the same wall
// clock twice in Berlin's repeated hour (02:30:00.25 CEST, then CET).
var conformanceRows = []struct {
	ts  time.Time
	msg string
}{
	{time.Date(2026, 11, 1, 0, 4, 59, 999999000, time.UTC), "edge-a"},
	{time.Date(2026, 11, 1, 0, 5, 0, 0, time.UTC), "edge-b"},
	{time.Date(2026, 10, 25, 0, 30, 0, 250000000, time.UTC), "fold-1"},
	{time.Date(2026, 10, 25, 1, 30, 0, 250000000, time.UTC), "fold-2"},
	{time.Date(2026, 11, 2, 10, 0, 0, 0, time.UTC), "whole"},
}

// conformanceCases returns the cases in zone, with expected values
// computed here from conformanceRows and the zone's rules.
func conformanceCases(t *testing.T, zone string) []clientCase {
	loc, err := time.LoadLocation(zone)
	if err != nil {
		loc = fixedZone(t, zone)
	}
	local := func(ts time.Time, layout string) string { return ts.In(loc).Format(layout) }
	const us6 = "2006-01-02 15:04:05.000000"
	var all [][]string // message, ts shown in the zone; in conformanceRows' order
	for _, r := range conformanceRows {
		all = append(all, []string{r.msg, local(r.ts, us6)})
	}
	edgeA, edgeB := conformanceRows[0].ts, conformanceRows[1].ts
	since := time.Date(2026, 11, 1, 0, 5, 0, 0, loc) // a wall clock in the session's zone
	n := 0
	for _, ts := range []time.Time{edgeA, edgeB} {
		if !ts.Before(since) {
			n++
		}
	}
	sumMod7 := 0
	for i := range 500 {
		sumMod7 += i % 7
	}
	foldFrom := time.Date(2026, 10, 25, 0, 0, 0, 0, time.UTC).Unix()
	foldTo := time.Date(2026, 10, 25, 1, 45, 0, 0, time.UTC).Unix()
	return []clientCase{
		{name: "ts in the session's zone", zone: zone,
			sql:  "SELECT message, ts FROM logs WHERE message IN ('edge-a', 'edge-b', 'fold-1', 'fold-2', 'whole') ORDER BY ts",
			want: [][]string{all[2], all[3], all[0], all[1], all[4]}}, // in ts order
		{name: "Grafana's $__timeGroup on a bucket edge", zone: zone,
			sql:  "SELECT UNIX_TIMESTAMP(ts) DIV 300 * 300 AS time, COUNT(*) AS n FROM logs WHERE message LIKE 'edge-%' GROUP BY 1 ORDER BY 1",
			want: [][]string{{strconv.FormatInt(edgeA.Unix()/300*300, 10), "1"}, {strconv.FormatInt(edgeB.Unix(), 10), "1"}}},
		{name: "UNIX_TIMESTAMP of ts in the repeated hour", zone: zone,
			sql:  "SELECT UNIX_TIMESTAMP(ts) FROM logs WHERE message LIKE 'fold-%' ORDER BY ts",
			want: [][]string{{fmt.Sprintf("%d.250000", conformanceRows[2].ts.Unix())}, {fmt.Sprintf("%d.250000", conformanceRows[3].ts.Unix())}}},
		{name: "$__timeFilter across the repeated hour", zone: zone,
			sql:  fmt.Sprintf("SELECT COUNT(*) FROM logs WHERE ts BETWEEN FROM_UNIXTIME(%d) AND FROM_UNIXTIME(%d)", foldFrom, foldTo),
			want: [][]string{{"2"}}},
		{name: "FROM_UNIXTIME with a fraction", zone: zone,
			sql:  "SELECT FROM_UNIXTIME(1893459600.5), FROM_UNIXTIME(1893459600)",
			want: [][]string{{time.UnixMicro(1893459600_500000).In(loc).Format("2006-01-02 15:04:05.0"), time.Unix(1893459600, 0).In(loc).Format("2006-01-02 15:04:05")}}},
		{name: "ts + INTERVAL keeps the fraction", zone: zone,
			sql:  "SELECT ts + INTERVAL 1 SECOND FROM logs WHERE message = 'edge-a'",
			want: [][]string{{edgeA.In(loc).Add(time.Second).Format(us6)}}},
		{name: "DATE_FORMAT in the session's zone", zone: zone,
			sql:  "SELECT DATE_FORMAT(ts, '%Y-%m-%d %H:%i') FROM logs WHERE message = 'whole'",
			want: [][]string{{local(conformanceRows[4].ts, "2006-01-02 15:04")}}},
		{name: "a parameter as a wall clock in the session's zone", zone: zone,
			sql: "SELECT COUNT(*) FROM logs WHERE ts >= ? AND message LIKE ?", params: []any{"2026-11-01 00:05:00", "edge-%"},
			want: [][]string{{strconv.Itoa(n)}}},
		{name: "SUM and AVG of an integer are DECIMAL", zone: zone,
			// n is 0..499 in the 500 filler rows: sum 124,750, mean 249.5.
			sql:  "SELECT SUM(n), AVG(n), AVG(n) * 2, MIN(n), MAX(n) FROM logs",
			want: [][]string{{"124750", "249.5000", "499.0000", "0", "499"}}},
		{name: "level and service compare case-insensitively", zone: zone,
			// The 500 filler rows have level DEBUG and service c.
			sql:  "SELECT COUNT(*), COUNT(DISTINCT level), MIN(service) FROM logs WHERE level = 'debug' AND service IN ('C', 'x')",
			want: [][]string{{"500", "1", "c"}}},
		{name: "SUM and AVG of DISTINCT integers are DECIMAL", zone: zone,
			// d is n % 7: distinct values 0..6.
			sql:  "SELECT SUM(DISTINCT d), AVG(DISTINCT d), SUM(d), AVG(d) FROM logs",
			want: [][]string{{"21", "3.0000", strconv.Itoa(sumMod7), fmt.Sprintf("%.4f", float64(sumMod7)/500)}}},
		{name: "NOW() is one instant per statement", zone: zone,
			sql:  "SELECT COUNT(DISTINCT NOW(6)), COUNT(DISTINCT UTC_TIMESTAMP(6)), COUNT(DISTINCT CURRENT_TIMESTAMP(6)) FROM logs",
			want: [][]string{{"1", "1", "1"}}},
		{name: "@@time_zone", zone: zone, sql: "SELECT @@time_zone, @@session.time_zone", want: [][]string{{zone, zone}}},
		{name: "SHOW VARIABLES", zone: zone, sql: "SHOW VARIABLES LIKE 'time_zone'", want: [][]string{{"time_zone", zone}}},
		{name: "DATABASE()", zone: zone, sql: "SELECT DATABASE()", want: [][]string{{"logq"}}},
		{name: "SHOW FULL TABLES", zone: zone, sql: "SHOW FULL TABLES", want: [][]string{{"logs", "BASE TABLE"}}},
		{name: "SHOW DATABASES", zone: zone, sql: "SHOW DATABASES", contains: [][]string{{"logq"}, {"information_schema"}}},
		{name: "information_schema.COLUMNS of ts", zone: zone,
			sql:  "SELECT COLUMN_NAME, DATA_TYPE, COLUMN_TYPE, DATETIME_PRECISION FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = 'logq' AND TABLE_NAME = 'logs' AND COLUMN_NAME IN ('ts', 'level') ORDER BY ORDINAL_POSITION",
			want: [][]string{{"ts", "timestamp", "timestamp(6)", "6"}, {"level", "varchar", "varchar(16383)", "NULL"}}},
		{name: "SHOW COLUMNS of ts", zone: zone, sql: "SHOW COLUMNS FROM logs LIKE 'ts'",
			want: [][]string{{"ts", "timestamp(6)", "NO", "MUL", "NULL", ""}}},
		{name: "TIMESTAMPDIFF of UTC_TIMESTAMP() and NOW()", zone: zone,
			sql:  "SELECT TIMESTAMPDIFF(MINUTE, UTC_TIMESTAMP(), NOW())",
			want: [][]string{{strconv.Itoa(offsetNow(loc) / 60)}}},
		{name: "SHOW WARNINGS", zone: zone, sql: "SHOW WARNINGS"},
		{name: "SET NAMES", zone: zone, sql: "SET NAMES utf8mb4"},
	}
}

// offsetNow is loc's offset from UTC now, in seconds.
func offsetNow(loc *time.Location) int {
	_, off := time.Now().In(loc).Zone()
	return off
}

// clientResult is what a client script reports for one case.
type clientResult struct {
	Rows  [][]*string `json:"rows"`
	Error string      `json:"error"`
}

// TestClientConformance runs the cases in four session zones (one of them
// across a daylight-saving switch) through each common client: the
// mariadb CLI, go-sql-driver/mysql with text and with server-side prepared
// statements, Node's mysql2 with query and execute, and Python's PyMySQL;
// each must read exactly the values MySQL 8 gives, from a server that runs
// its queries directly and from one that runs them through the plan's
// encoding. `make test` installs the clients (test-deps).
func TestClientConformance(t *testing.T) {
	var data strings.Builder
	for _, r := range conformanceRows {
		fmt.Fprintf(&data, `{"ts":%q,"level":"INFO","service":"c","message":%q}`+"\n", r.ts.Format(time.RFC3339Nano), r.msg)
	}
	for i := range 500 {
		fmt.Fprintf(&data, `{"ts":"2026-11-01T12:%02d:%02dZ","level":"DEBUG","service":"c","message":"filler %d","n":%d,"d":%d}`+"\n", i/60%60, i%60, i, i, i%7)
	}
	for _, loopback := range []bool{false, true} {
		name := "direct"
		if loopback {
			name = "plan loopback" // every query through the plan's encoding
		}
		t.Run(name, func(t *testing.T) {
			db, _, pro := startLogqProvider(t, []byte(data.String()), logqConfig{shards: 2, bucket: 24 * time.Hour, batchRows: 64, unflushed: 0.3, appendLines: 100, loopback: loopback})
			clientConformance(t, mustAddr(t, db))
			require.Equal(t, loopback, pro.Stats().PlansRoundTripped.Load() > 0, "plans run through the loopback")
			require.Equal(t, loopback, pro.Stats().RowStreamsRoundTripped.Load() > 0, "rows sent as Arrow record streams")
		})
	}
}

// clientConformance runs the conformance cases through every client
// against the server at addr.
func clientConformance(t *testing.T, addr *net.TCPAddr) {
	zones := []string{"+00:00", "+05:30", "-08:00", "Europe/Berlin"}

	type client struct {
		name string
		run  func(t *testing.T, cases []clientCase) []clientResult
	}
	clients := []client{
		{"go-sql-driver text", func(t *testing.T, cases []clientCase) []clientResult { return runGoDriver(t, addr, cases, false) }},
		{"go-sql-driver prepared", func(t *testing.T, cases []clientCase) []clientResult { return runGoDriver(t, addr, cases, true) }},
		{"mariadb CLI", func(t *testing.T, cases []clientCase) []clientResult {
			return runCLICases(t, mysqlClient(t), addr, cases)
		}},
		{"mysql2 query", func(t *testing.T, cases []clientCase) []clientResult {
			return runScript(t, addr, cases, false, nodeCommand(t))
		}},
		{"mysql2 execute", func(t *testing.T, cases []clientCase) []clientResult {
			return runScript(t, addr, cases, true, nodeCommand(t))
		}},
		{"PyMySQL", func(t *testing.T, cases []clientCase) []clientResult {
			return runScript(t, addr, cases, false, pythonCommand(t))
		}},
	}
	t.Run("mariadb CLI status", func(t *testing.T) {
		// The CLI's status command: the session's database and character
		// sets, from its connect-time queries.
		out, err := exec.Command(mysqlClient(t), "-h", "127.0.0.1", "-P", strconv.Itoa(addr.Port), "-u", "root", "logq", "-e", "status").CombinedOutput()
		require.NoError(t, err, "%s", out)
		for _, line := range []string{"Current database:\tlogq", "Current user:\t\troot@", "Server characterset:\tutf8mb4", "Conn.  characterset:\tutf8mb4"} {
			require.Contains(t, string(out), line)
		}
	})
	for _, c := range clients {
		t.Run(c.name, func(t *testing.T) {
			var cases []clientCase
			for _, z := range zones {
				cases = append(cases, conformanceCases(t, z)...)
			}
			results := c.run(t, cases)
			require.Len(t, results, len(cases))
			for i, tc := range cases {
				res := results[i]
				what := fmt.Sprintf("%s, zone %s: %s", tc.name, tc.zone, tc.sql)
				require.Empty(t, res.Error, what)
				got := make([][]string, 0, len(res.Rows))
				for _, row := range res.Rows {
					var r []string
					for _, v := range row {
						if v == nil {
							r = append(r, "NULL")
						} else {
							r = append(r, *v)
						}
					}
					got = append(got, r)
				}
				switch {
				case tc.contains != nil:
					for _, w := range tc.contains {
						require.Contains(t, got, w, what)
					}
				case tc.want != nil:
					want := tc.want
					if c.name == "mysql2 execute" && !strings.HasPrefix(tc.sql, "SHOW") {
						want = binaryDates(want)
					}
					require.Equal(t, want, got, what)
				}
			}
		})
	}
}

// binaryDates is how mysql2 shows DATETIME values that come in the binary
// protocol, as MySQL 8 sends them: a value whose microseconds are 0 comes
// without them (a 7-byte value), and mysql2's dateStrings then has no
// fraction. The value is the same; only the client's text differs.
func binaryDates(rows [][]string) [][]string {
	out := make([][]string, len(rows))
	for i, r := range rows {
		out[i] = make([]string, len(r))
		for k, v := range r {
			if len(v) == len("2006-01-02 15:04:05.000000") && strings.HasSuffix(v, ".000000") && v[4] == '-' && v[13] == ':' {
				v = strings.TrimSuffix(v, ".000000")
			}
			out[i][k] = v
		}
	}
	return out
}

func mustAddr(t *testing.T, db *gosql.DB) *net.TCPAddr {
	v, ok := serverAddrs.Load(db)
	require.True(t, ok)
	return v.(*net.TCPAddr)
}

// runGoDriver runs the cases with go-sql-driver/mysql: parameters
// interpolated into the text, or every statement prepared on the server.
func runGoDriver(t *testing.T, addr *net.TCPAddr, cases []clientCase, prepared bool) []clientResult {
	conns := map[string]*gosql.DB{}
	var out []clientResult
	for _, tc := range cases {
		db := conns[tc.zone]
		if db == nil {
			var err error
			db, err = gosql.Open("mysql", fmt.Sprintf("root@tcp(%s)/logq?interpolateParams=%v&time_zone=%s",
				addr, !prepared, url.QueryEscape("'"+tc.zone+"'")))
			require.NoError(t, err)
			db.SetMaxOpenConns(1)
			t.Cleanup(func() { db.Close() })
			conns[tc.zone] = db
		}
		var rows *gosql.Rows
		var err error
		if prepared && !strings.HasPrefix(tc.sql, "SET") && !strings.HasPrefix(tc.sql, "SHOW") {
			var stmt *gosql.Stmt
			if stmt, err = db.Prepare(tc.sql); err == nil {
				defer stmt.Close()
				rows, err = stmt.Query(tc.params...)
			}
		} else {
			rows, err = db.Query(tc.sql, tc.params...)
		}
		if err != nil {
			out = append(out, clientResult{Error: err.Error()})
			continue
		}
		var res clientResult
		cols, _ := rows.Columns()
		for rows.Next() {
			vals := make([]gosql.RawBytes, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			require.NoError(t, rows.Scan(ptrs...))
			row := make([]*string, len(cols))
			for i, v := range vals {
				if v != nil {
					s := string(v)
					row[i] = &s
				}
			}
			res.Rows = append(res.Rows, row)
		}
		if err := rows.Err(); err != nil {
			res.Error = err.Error()
		}
		rows.Close()
		out = append(out, res)
	}
	return out
}

// runCLICases runs each case with the command-line client, parameters
// written into the statement as literals.
func runCLICases(t *testing.T, cli string, addr *net.TCPAddr, cases []clientCase) []clientResult {
	var out []clientResult
	for _, tc := range cases {
		q := tc.sql
		for _, p := range tc.params {
			q = strings.Replace(q, "?", "'"+strings.ReplaceAll(fmt.Sprint(p), "'", "''")+"'", 1)
		}
		cmd := exec.Command(cli, "-h", "127.0.0.1", "-P", strconv.Itoa(addr.Port), "-u", "root", "--batch", "--raw",
			"--skip-column-names", "logq", "-e", "SET time_zone = '"+tc.zone+"'; "+q)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		stdout, err := cmd.Output()
		if err != nil {
			out = append(out, clientResult{Error: err.Error() + ": " + stderr.String()})
			continue
		}
		var res clientResult
		for _, line := range strings.Split(strings.TrimRight(string(stdout), "\n"), "\n") {
			if line == "" {
				continue
			}
			var row []*string
			for _, f := range strings.Split(line, "\t") {
				s := f
				row = append(row, &s)
			}
			res.Rows = append(res.Rows, row)
		}
		out = append(out, res)
	}
	return out
}

// runScript runs a client script of testdata/clients: the cases as JSON
// on its stdin, its results as JSON on its stdout.
func runScript(t *testing.T, addr *net.TCPAddr, cases []clientCase, prepared bool, command []string) []clientResult {
	type jsonCase struct {
		Zone     string `json:"zone"`
		SQL      string `json:"sql"`
		Params   []any  `json:"params"`
		Prepared bool   `json:"prepared"`
	}
	req := struct {
		Host  string     `json:"host"`
		Port  int        `json:"port"`
		Cases []jsonCase `json:"cases"`
	}{Host: "127.0.0.1", Port: addr.Port}
	for _, tc := range cases {
		// SHOW and SET are not preparable in MySQL either; they go as text.
		p := prepared && !strings.HasPrefix(tc.sql, "SET") && !strings.HasPrefix(tc.sql, "SHOW")
		req.Cases = append(req.Cases, jsonCase{Zone: tc.zone, SQL: tc.sql, Params: tc.params, Prepared: p})
	}
	in, err := json.Marshal(req)
	require.NoError(t, err)
	cmd := exec.Command(command[0], command[1:]...)
	cmd.Stdin = bytes.NewReader(in)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	stdout, err := cmd.Output()
	require.NoError(t, err, "%v: %s", command, stderr.String())
	var out []clientResult
	require.NoError(t, json.Unmarshal(stdout, &out), "%s", stdout)
	return out
}

// nodeCommand is node running client.js with mysql2 from testdata/clients
// (make test-deps runs npm ci there).
func nodeCommand(t *testing.T) []string {
	dir, err := filepath.Abs("testdata/clients")
	require.NoError(t, err)
	if _, err := os.Stat(filepath.Join(dir, "node_modules", "mysql2")); err != nil {
		t.Fatalf("mysql2 is not installed in %s: run make test-deps (npm ci there)", dir)
	}
	node, err := exec.LookPath("node")
	require.NoError(t, err, "node is needed: make test-deps")
	return []string{node, filepath.Join(dir, "client.js")}
}

// pythonCommand is Debian's python3 (where python3-pymysql installs)
// running client.py.
func pythonCommand(t *testing.T) []string {
	dir, err := filepath.Abs("testdata/clients")
	require.NoError(t, err)
	for _, py := range []string{"/usr/bin/python3", "python3"} {
		if path, err := exec.LookPath(py); err == nil && exec.Command(path, "-c", "import pymysql").Run() == nil {
			return []string{path, filepath.Join(dir, "client.py")}
		}
	}
	t.Fatal("no python3 with pymysql: make test-deps installs python3-pymysql")
	return nil
}
