//go:build linux

package engine

import (
	"crypto/tls"
	"net"
	"testing"
	"time"

	"github.com/dolthub/vitess/go/netutil"
	"github.com/stretchr/testify/require"
)

// TestPeerState reads the state of a connection's client through the
// wrappers vitess puts around it, without reading from it.
func TestPeerState(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()
	client, err := net.Dial("tcp", ln.Addr().String())
	require.NoError(t, err)
	server, err := ln.Accept()
	require.NoError(t, err)
	defer server.Close()
	wrapped := map[string]net.Conn{
		"tcp":      server,
		"tls":      tls.Server(server, &tls.Config{}),
		"timeouts": netutil.NewConnWithTimeouts(server, time.Second, time.Second),
		"both":     tls.Server(netutil.NewConnWithTimeouts(server, time.Second, time.Second), &tls.Config{}),
	}
	for name, c := range wrapped {
		require.Equal(t, peerOpen, peerState(c), name)
	}
	// Unread bytes do not make a client gone.
	_, err = client.Write([]byte("ping"))
	require.NoError(t, err)
	time.Sleep(10 * time.Millisecond)
	require.Equal(t, peerOpen, peerState(server))

	require.NoError(t, client.Close())
	require.Eventually(t, func() bool { return peerState(server) == peerGone }, time.Second, time.Millisecond)
	for name, c := range wrapped {
		require.Equal(t, peerGone, peerState(c), name)
	}
	// Nothing was read: the bytes the client sent are still there.
	buf := make([]byte, 4)
	n, err := server.Read(buf)
	require.NoError(t, err)
	require.Equal(t, "ping", string(buf[:n]))

	require.NoError(t, server.Close())
	require.Equal(t, peerUnknown, peerState(server), "closed here")
	a, b := net.Pipe()
	defer a.Close()
	defer b.Close()
	require.Equal(t, peerUnknown, peerState(a), "not TCP")
}
