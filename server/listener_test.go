package server

import (
	"database/sql"
	"errors"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"
	"github.com/stretchr/testify/require"
)

// TestMaxConnections: past --max-connections a new client gets MySQL's
// error 1040, the open connections keep working, and a slot freed by a
// closed connection is taken again.
func TestMaxConnections(t *testing.T) {
	srv := startServe(t, "--data", t.TempDir(), "--max-connections", "5")
	defer srv.stop(t)
	var held []*sql.DB
	for i := 0; i < 5; i++ {
		db, err := sql.Open("mysql", "root@tcp("+srv.mysql+")/logq")
		require.NoError(t, err)
		db.SetMaxOpenConns(1)
		require.NoError(t, db.Ping())
		held = append(held, db)
	}
	// srv.db opened no connection yet: it is the sixth.
	err := srv.db.Ping()
	var me *mysql.MySQLError
	require.True(t, errors.As(err, &me), "%v", err)
	require.Equal(t, uint16(1040), me.Number)
	require.Equal(t, "Too many connections", me.Message)
	for _, db := range held {
		var one int
		require.NoError(t, db.QueryRow("SELECT 1").Scan(&one))
	}
	require.Contains(t, srv.metrics(t), "logq_sql_connections_refused_total 1")

	require.NoError(t, held[0].Close())
	require.Eventually(t, func() bool { return srv.db.Ping() == nil }, 10*time.Second, 20*time.Millisecond)
	for _, db := range held[1:] {
		db.Close()
	}
}
