package engine_test

import (
	gosql "database/sql"
	"net"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestWorkloadQueriesMySQLCLI runs every WORKLOAD.md query through the
// mysql (or mariadb) command-line client against logq and against a
// go-mysql-server in-memory table holding the same rows, and compares the
// printed answers. `make test` installs the client (mariadb-client) when the
// machine has none.
func TestWorkloadQueriesMySQLCLI(t *testing.T) {
	client := mysqlClient(t)
	data := genData(t, 30_000, 7, 21)
	rows := decodeRef(t, data)
	ref := startReference(t, rows)
	lq := startLogq(t, data, logqConfig{shards: 4, bucket: 24 * time.Hour, batchRows: 2048, unflushed: 0.2, appendLines: 4000})
	for _, q := range workloadQueries(rows[len(rows)/2].TraceID) {
		t.Run(q.id, func(t *testing.T) {
			want := runCLI(t, client, ref, "logq", q.sql)
			got := runCLI(t, client, lq, "", q.sql)
			require.NotEmpty(t, want)
			sameAnswer(t, q.sql, want, got, q.orderCol, q.limited)
		})
	}
	// The README's line: no USE, no database on the command line.
	out := runCLI(t, client, lq, "", "SELECT level, COUNT(*) FROM logs GROUP BY level")
	total := 0
	for _, r := range out {
		n, err := strconv.Atoi(r[1])
		require.NoError(t, err)
		total += n
	}
	require.Equal(t, len(rows), total)
}

// mysqlClient finds the mysql or mariadb command-line client.
func mysqlClient(t *testing.T) string {
	for _, name := range []string{"mysql", "mariadb"} {
		if path, err := exec.LookPath(name); err == nil {
			return path
		}
	}
	t.Fatal("no mysql or mariadb client on PATH: `make test` installs mariadb-client (apt-get)")
	return ""
}

// runCLI runs q with the command-line client against db's server, in UTC,
// and returns the rows it prints (tab-separated, header dropped).
func runCLI(t *testing.T, client string, db *gosql.DB, database, q string) [][]string {
	v, ok := serverAddrs.Load(db)
	require.True(t, ok)
	addr := v.(*net.TCPAddr)
	args := []string{"-h", "127.0.0.1", "-P", strconv.Itoa(addr.Port), "-u", "root", "--batch", "--raw",
		"--skip-column-names", "-e", "SET time_zone = '+00:00'; " + q}
	if database != "" {
		args = append(args, database)
	}
	out, err := exec.Command(client, args...).CombinedOutput()
	require.NoError(t, err, "%s: %s", q, out)
	var rows [][]string
	for _, line := range strings.Split(strings.TrimRight(string(out), "\n"), "\n") {
		if line != "" {
			rows = append(rows, strings.Split(line, "\t"))
		}
	}
	return rows
}
