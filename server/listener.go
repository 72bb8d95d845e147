package server

import (
	"context"
	"encoding/binary"
	"errors"
	"log/slog"
	"net"
	"sync/atomic"
	"time"

	"github.com/dolthub/vitess/go/mysql"
	querypb "github.com/dolthub/vitess/go/vt/proto/query"

	"logq/server/accounts"
)

// mysqlListener refuses MySQL connections past a limit the way MySQL does,
// which go-mysql-server's MaxConnections does not: vitess holds a
// connection past its limit waiting, without an answer. Past maxConns open
// connections a new one gets "Too many connections" (ER_CON_COUNT_ERROR,
// 1040) as its first packet and is closed, and the server keeps serving
// the ones it has.
//
// Past maxPacket bytes in one request a connection is closed
// (packetLimitConn). The count of open connections drops when the handler
// hears a connection closed (countingHandler).
type mysqlListener struct {
	net.Listener
	maxConns  int64 // 0: no limit
	maxPacket int64 // max_allowed_packet; 0: no limit
	log       *slog.Logger

	open     atomic.Int64
	refused  atomic.Int64 // connections refused with 1040 since start
	tooLarge atomic.Int64 // connections closed past max_allowed_packet since start
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
		if l.maxPacket > 0 {
			c = &packetLimitConn{Conn: c, l: l, limit: l.maxPacket + l.maxPacket/64 + 64<<10}
		}
		return c, nil
	}
}

// packetLimitConn enforces max_allowed_packet, which go-mysql-server does
// not (vitess reads a packet of any size into memory): a client may send
// at most limit bytes without the server answering, which bounds one
// request, whatever it is (a statement, a prepared statement's data). The
// bound holds under TLS too, because it counts the bytes on the wire,
// below the encryption: limit is max_allowed_packet plus room for the
// packet headers and TLS records. Past it the connection is closed, as
// MySQL closes a connection that sent a packet too large (the client then
// reports the lost connection).
type packetLimitConn struct {
	net.Conn
	l          *mysqlListener
	limit      int64
	unanswered atomic.Int64 // bytes read since the server last wrote
}

var errPacketTooLarge = errors.New("a packet bigger than max_allowed_packet")

func (c *packetLimitConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	if c.unanswered.Add(int64(n)) > c.limit {
		c.l.tooLarge.Add(1)
		c.l.log.Warn("closing a MySQL connection: it sent a packet bigger than max_allowed_packet",
			"client", c.RemoteAddr().String(), "max_allowed_packet", c.l.maxPacket)
		return 0, errPacketTooLarge
	}
	return n, err
}

func (c *packetLimitConn) Write(p []byte) (int, error) {
	c.unanswered.Store(0)
	return c.Conn.Write(p)
}

// NetConn returns the TCP connection, as tls.Conn's does.
func (c *packetLimitConn) NetConn() net.Conn { return c.Conn }

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
// handles, however it ends. It also refuses statements past
// max_allowed_packet (tooLarge).
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

// erNetPacketTooLarge is MySQL's ER_NET_PACKET_TOO_LARGE.
const erNetPacketTooLarge = 1153

// tooLarge refuses a statement longer than max_allowed_packet, exactly:
// packetLimitConn's bound on the wire leaves room for headers and TLS, so
// a statement a little longer would pass it and cost go-mysql-server
// seconds and several copies of itself in memory.
func (h *countingHandler) tooLarge(query string) error {
	if h.l.maxPacket <= 0 || int64(len(query)) <= h.l.maxPacket {
		return nil
	}
	h.l.tooLarge.Add(1)
	return mysql.NewSQLError(erNetPacketTooLarge, "08S01", "Got a packet bigger than 'max_allowed_packet' bytes")
}

func (h *countingHandler) ComQuery(ctx context.Context, c *mysql.Conn, query string, callback mysql.ResultSpoolFn) error {
	if err := h.tooLarge(query); err != nil {
		return err
	}
	return h.Handler.ComQuery(ctx, c, query, callback)
}

func (h *countingHandler) ComMultiQuery(ctx context.Context, c *mysql.Conn, query string, callback mysql.ResultSpoolFn) (string, error) {
	if err := h.tooLarge(query); err != nil {
		return "", err
	}
	return h.Handler.ComMultiQuery(ctx, c, query, callback)
}

func (h *countingHandler) ComPrepare(ctx context.Context, c *mysql.Conn, query string, prepare *mysql.PrepareData) ([]*querypb.Field, error) {
	if err := h.tooLarge(query); err != nil {
		return nil, err
	}
	return h.Handler.ComPrepare(ctx, c, query, prepare)
}
