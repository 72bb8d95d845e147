package engine_test

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"
	"github.com/stretchr/testify/require"
)

// TestNoFileAccess checks that no statement reads or writes a file of the
// server's machine, whatever the path, with MySQL's error for it, and that
// secure_file_priv names no directory that exists.
func TestNoFileAccess(t *testing.T) {
	db := startLogq(t, genData(t, 100, 1, 1), logqConfig{shards: 1, bucket: 24 * time.Hour, batchRows: 100, appendLines: 100})
	dir := t.TempDir()
	secret := filepath.Join(dir, "secret")
	require.NoError(t, os.WriteFile(secret, []byte("a\tb\n"), 0o600))
	out := filepath.Join(dir, "out")
	for _, q := range []string{
		"SELECT LOAD_FILE('" + secret + "')",
		"SELECT LENGTH(LOAD_FILE('/etc/passwd'))",
		"SELECT message FROM logs WHERE message = LOAD_FILE('" + secret + "')",
		"SELECT (SELECT LOAD_FILE('" + secret + "'))",
		"SELECT 'x' INTO OUTFILE '" + out + "'",
		"SELECT message FROM logs LIMIT 1 INTO DUMPFILE '" + out + "'",
		"LOAD DATA INFILE '" + secret + "' INTO TABLE logs",
		"LOAD DATA LOCAL INFILE '" + secret + "' INTO TABLE logs",
	} {
		_, err := db.Exec(q)
		var me *mysql.MySQLError
		require.True(t, errors.As(err, &me), "%s: %v", q, err)
		require.Equal(t, uint16(1290), me.Number, "%s: %v", q, err)
		require.Contains(t, me.Message, "--secure-file-priv", q)
	}
	_, err := os.Stat(out)
	require.True(t, os.IsNotExist(err), "a file was written")
	priv := queryStrings(t, db, "SELECT @@secure_file_priv")[0][0]
	require.NotEmpty(t, priv)
	_, err = os.Stat(priv)
	require.True(t, os.IsNotExist(err), "secure_file_priv %q exists", priv)
}

// TestUnhonouredGlobalsAreRefused: SET GLOBAL of a server setting logq
// does not act on fails with 1235 and changes nothing shown, while a global
// that sets new sessions' default still works.
func TestUnhonouredGlobalsAreRefused(t *testing.T) {
	db := startLogq(t, genData(t, 10, 1, 1), logqConfig{shards: 1, bucket: 24 * time.Hour, batchRows: 100, appendLines: 100})
	db.SetMaxOpenConns(1)
	before := queryStrings(t, db, "SELECT @@GLOBAL.max_connections, @@GLOBAL.read_only, @@GLOBAL.max_allowed_packet")
	for _, q := range []string{
		"SET GLOBAL max_connections = 1",
		"SET @@global.max_connections = 5",
		"SET GLOBAL read_only = 1",
		"SET GLOBAL max_allowed_packet = 1024",
		"SET PERSIST max_connections = 7",
	} {
		_, err := db.Exec(q)
		var me *mysql.MySQLError
		require.True(t, errors.As(err, &me), "%s: %v", q, err)
		require.Equal(t, uint16(1235), me.Number, "%s: %v", q, err)
		require.Contains(t, me.Message, "logq does not act on it", q)
	}
	require.Equal(t, before, queryStrings(t, db, "SELECT @@GLOBAL.max_connections, @@GLOBAL.read_only, @@GLOBAL.max_allowed_packet"))

	old := queryStrings(t, db, "SELECT @@GLOBAL.max_execution_time")[0][0]
	_, err := db.Exec("SET GLOBAL max_execution_time = 4321")
	require.NoError(t, err)
	defer db.Exec("SET GLOBAL max_execution_time = " + old)
	require.Equal(t, [][]string{{"4321"}}, queryStrings(t, db, "SELECT @@GLOBAL.max_execution_time"))
}
