//go:build linux

package engine

import (
	"net"

	"golang.org/x/sys/unix"
)

// TCP states of include/net/tcp_states.h.
const (
	tcpEstablished = 1
	tcpSynRecv     = 3
)

// peerState reads the TCP state of conn's socket (getsockopt TCP_INFO,
// about a microsecond) without reading from it. Any state past ESTABLISHED
// means the connection is closing: CLOSE_WAIT when the client closed it
// (a FIN, also what the kernel sends for a killed process), CLOSE after a
// reset.
func peerState(conn net.Conn) peerStatus {
	tcp := tcpConnOf(conn)
	if tcp == nil {
		return peerUnknown
	}
	raw, err := tcp.SyscallConn()
	if err != nil {
		return peerUnknown
	}
	var info *unix.TCPInfo
	var serr error
	err = raw.Control(func(fd uintptr) {
		info, serr = unix.GetsockoptTCPInfo(int(fd), unix.IPPROTO_TCP, unix.TCP_INFO)
	})
	if err != nil || serr != nil {
		return peerUnknown
	}
	switch info.State {
	case tcpEstablished, tcpSynRecv:
		return peerOpen
	}
	return peerGone
}
