package server

import (
	"encoding/binary"
	"net"
	"sync/atomic"
	"time"

	"github.com/dolthub/vitess/go/mysql"

	"logq/server/accounts"
)

// mysqlListener refuses MySQL connections past a limit the way MySQL does,
// which go-mysql-server's MaxConnections does not: vitess holds a
// connection past its limit waiting, without an answer. Past maxConns open
// connections a new one gets "Too many connections" (ER_CON_COUNT_ERROR,
// 1040) as its first packet and is closed, and the server keeps serving
// the ones it has.
//
// Accepted connections go to vitess as they are: go-mysql-server notices
// a client that went away mid-query only on a *net.TCPConn, so the count
// drops when the handler hears the connection closed (countingHandler),
// not through a wrapper of the connection.
type mysqlListener struct {
	net.Listener
	maxConns int64 // 0: no limit

	open    atomic.Int64
	refused atomic.Int64 // connections refused with 1040 since start
}

// Accept implements net.Listener.
func (l *mysqlListener) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		if l.maxConns > 0 && l.open.Load() >= l.maxConns {
			l.refused.Add(1)
			go refuseTooMany(c)
			continue
		}
		l.open.Add(1)
		return c, nil
	}
}

// refuseTooMany sends MySQL's answer to a connection past the limit. Before
// the handshake there are no capabilities, so the error packet carries no
// SQL state, as MySQL's own.
func refuseTooMany(c net.Conn) {
	defer c.Close()
	msg := "Too many connections"
	payload := make([]byte, 0, 3+len(msg))
	payload = append(payload, 0xff)
	payload = binary.LittleEndian.AppendUint16(payload, mysql.ERConCount)
	payload = append(payload, msg...)
	packet := []byte{byte(len(payload)), byte(len(payload) >> 8), byte(len(payload) >> 16), 0}
	c.SetWriteDeadline(time.Now().Add(time.Second))
	c.Write(append(packet, payload...))
}

// countingHandler tells the listener when a connection it accepted is
// closed: vitess calls ConnectionClosed once for every connection it
// handles, however it ends.
type countingHandler struct {
	mysql.Handler
	l *mysqlListener
}

// NewConnection starts the handshake's connect_timeout (accounts.go ends it
// at a successful login).
func (h *countingHandler) NewConnection(c *mysql.Conn) {
	accounts.StartHandshake(c)
	h.Handler.NewConnection(c)
}

func (h *countingHandler) ConnectionClosed(c *mysql.Conn) {
	h.l.open.Add(-1)
	h.Handler.ConnectionClosed(c)
}
