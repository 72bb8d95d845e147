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
