package engine_test

import (
	gosql "database/sql"
	"net"
	"os/exec"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

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
