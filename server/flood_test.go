package server

import (
	"database/sql"
	"errors"
	"fmt"
	"net"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"
	"github.com/stretchr/testify/require"
)

// TestConnectionFlood: a flood of connections that never log in fills the
// slots up to --max-connections; past it a client gets 1040 at once, the
// sessions already open keep answering, and once connect_timeout has
// closed the silent ones, new clients get in again.
func TestConnectionFlood(t *testing.T) {
	defer accountsConnectTimeout(accountsConnectTimeout(time.Second))
	srv := startSecureServe(t, t.TempDir(), "--max-connections", "20")
	held, err := sql.Open("mysql", "root@tcp("+srv.mysqlAddr+")/logq")
	require.NoError(t, err)
	defer held.Close()
	held.SetMaxOpenConns(2)
	require.NoError(t, held.Ping())

	const flood = 300
	var conns []net.Conn
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()
	for range flood {
		c, err := net.Dial("tcp", srv.mysqlAddr)
		require.NoError(t, err)
		conns = append(conns, c)
	}
	fresh, err := sql.Open("mysql", "root@tcp("+srv.mysqlAddr+")/logq?timeout=5s")
	require.NoError(t, err)
	defer fresh.Close()
	start := time.Now()
	err = fresh.Ping()
	var me *mysql.MySQLError
	require.True(t, errors.As(err, &me), "%v", err)
	require.Equal(t, uint16(1040), me.Number)
	require.Less(t, time.Since(start), 2*time.Second)

	var one int
	for range 10 {
		require.NoError(t, held.QueryRow("SELECT 1").Scan(&one), "an open session keeps answering")
	}
	// connect_timeout frees the slots the silent connections held.
	require.Eventually(t, func() bool { return fresh.Ping() == nil }, 10*time.Second, 50*time.Millisecond)
}

// TestSlowHeaderFlood: connections that send a request header a byte at a
// time do not stop ingest meanwhile.
func TestSlowHeaderFlood(t *testing.T) {
	srv := startSecureServe(t, t.TempDir())
	const flood = 200
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for range flood {
		c, err := net.Dial("tcp", srv.httpAddr)
		require.NoError(t, err)
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer c.Close()
			fmt.Fprintf(c, "POST %s HTTP/1.1\r\nHost: x\r\n", ingestPath)
			for {
				select {
				case <-stop:
					return
				case <-time.After(200 * time.Millisecond):
					if _, err := c.Write([]byte("X")); err != nil {
						return
					}
				}
			}
		}()
	}
	defer func() { close(stop); wg.Wait() }()
	time.Sleep(300 * time.Millisecond)
	for i := range 5 {
		start := time.Now()
		body := fmt.Sprintf(`{"ts":"2026-12-01T10:00:0%dZ","message":"during the flood"}`, i)
		postIngest(t, "http://"+srv.httpAddr, "", body, http.StatusOK)
		require.Less(t, time.Since(start), 2*time.Second)
	}
	db, err := sql.Open("mysql", "root@tcp("+srv.mysqlAddr+")/logq")
	require.NoError(t, err)
	defer db.Close()
	var n int
	require.NoError(t, db.QueryRow("SELECT COUNT(*) FROM logs WHERE message = 'during the flood'").Scan(&n))
	require.Equal(t, 5, n)
}
