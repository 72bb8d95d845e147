package engine

import (
	"crypto/tls"
	"net"
	"time"

	"github.com/dolthub/vitess/go/netutil"

	exec "logq/engine/exec"
)

// The client of a running statement is checked every clientPollInterval
// (consts.go) while the statement runs: go-mysql-server notices a client
// that closed its connection only while it sends the rows of a result of
// many rows, every 5 s, so a statement that returns one row at the end (a
// COUNT(*) over a self-join) ran on to its time limit for nobody. Once the
// connection is found closed by the peer, the statement is killed as KILL
// QUERY kills it, which stops its scan workers. The check reads the
// socket's TCP state (peer_linux.go), never from the connection: the
// protocol handler owns its reads.

// peerStatus is what the socket's state says of the client.
type peerStatus uint8

const (
	// peerUnknown: the state cannot be read (not TCP, not Linux, closed
	// here); the check stops.
	peerUnknown peerStatus = iota
	// peerOpen: the connection is established.
	peerOpen
	// peerGone: the client closed or reset the connection (CLOSE_WAIT,
	// CLOSE), which no MySQL client does while it waits for an answer.
	peerGone
)

// watchClient arms the first check of conn, the statement's connection.
// A statement shorter than clientPollInterval costs a timer, no goroutine
// and no system call.
func (r *limitedRun) watchClient(conn net.Conn) {
	if conn == nil {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.watch = time.AfterFunc(exec.ClientPollInterval, func() { r.checkClient(conn) })
}

// checkClient kills the statement if its client went away, else checks
// again later. It runs on the timer's goroutine.
func (r *limitedRun) checkClient(conn net.Conn) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.done {
		return
	}
	switch peerState(conn) {
	case peerOpen:
		r.watch.Reset(exec.ClientPollInterval)
	case peerGone:
		r.gone = true
		r.l.stats.ClientGoneKills.Add(1)
		r.l.processes.Kill(r.id)
	}
}

// tcpConnOf returns the TCP connection under c: vitess wraps it for
// timeouts, and in a tls.Conn once the client asks for TLS.
func tcpConnOf(c net.Conn) *net.TCPConn {
	for range 4 {
		switch v := c.(type) {
		case *net.TCPConn:
			return v
		case *tls.Conn:
			c = v.NetConn()
		case netutil.ConnWithTimeouts:
			c = v.Conn
		case *netutil.ConnWithTimeouts:
			c = v.Conn
		case interface{ NetConn() net.Conn }:
			c = v.NetConn()
		default:
			return nil
		}
	}
	return nil
}
