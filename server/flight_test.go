package server

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"logq/engine/exec"
	"logq/engine/plan"
	"logq/server/flightsvc"
)

// TestServeFlight starts `logq serve --flight-addr` with a cluster secret,
// ingests rows over HTTP and reads them back through Flight as a
// coordinator would; calls without the secret, or with another, are
// refused.
func TestServeFlight(t *testing.T) {
	secret := strings.Repeat("0123456789abcdef", 2)
	secretFile := filepath.Join(t.TempDir(), "secret")
	require.NoError(t, os.WriteFile(secretFile, []byte(secret+"\n"), 0o600))
	srv := startServe(t, "--data", t.TempDir(), "--flight-addr", "127.0.0.1:0", "--cluster-secret-file", secretFile)
	defer srv.stop(t)
	require.Contains(t, srv.flight, "127.0.0.1:")

	var body strings.Builder
	for i := range 500 {
		fmt.Fprintf(&body, `{"ts":"2026-12-01T00:%02d:%02dZ","level":"info","service":"api","message":"m%d"}`+"\n", i/60, i%60, i)
	}
	require.Equal(t, http.StatusOK, srv.post(t, []byte(body.String())).status)

	p := &plan.Plan{Order: plan.Order_ORDER_DESCENDING, AllColumns: true}
	c, err := flightsvc.Dial(srv.flight, secret)
	require.NoError(t, err)
	defer c.Close()
	s, err := c.Stream(context.Background(), p)
	require.NoError(t, err)
	rows := exec.MergeRecords([]exec.RecordStream{s}, true, true)
	for i := 499; i >= 0; i-- {
		b, k, err := rows.Next()
		require.NoError(t, err)
		require.NotNil(t, b, "row %d", i)
		require.Equal(t, fmt.Sprintf("m%d", i), string(b.Message.Value(k)))
	}
	b, _, err := rows.Next()
	require.NoError(t, err)
	require.Nil(t, b)

	for _, wrong := range []string{"", strings.Repeat("x", 32)} {
		c, err := flightsvc.Dial(srv.flight, wrong)
		require.NoError(t, err)
		s, err := c.Stream(context.Background(), p)
		if err == nil {
			_, err = s.Next()
		}
		require.Equal(t, codes.Unauthenticated, status.Code(errorsCause(err)), "secret %q: %v", wrong, err)
		require.NoError(t, c.Close())
	}
}

// errorsCause unwraps err to the gRPC status error inside it.
func errorsCause(err error) error {
	for err != nil {
		if _, ok := status.FromError(err); ok {
			return err
		}
		u, ok := err.(interface{ Unwrap() error })
		if !ok {
			return err
		}
		err = u.Unwrap()
	}
	return err
}

// TestServeFlightRefusesAnOpenListenerWithoutSecret: a Flight listener
// beyond loopback without a cluster secret would let anyone read the logs
// with a ticket of their own; serve refuses to start.
func TestServeFlightRefusesAnOpenListenerWithoutSecret(t *testing.T) {
	var stdout, stderr syncBuffer
	code := RunServe(context.Background(), []string{"--data", t.TempDir(), "--mysql-addr", "127.0.0.1:0", "--http-addr", "127.0.0.1:0",
		"--flight-addr", "0.0.0.0:0"}, &stdout, &stderr, nil)
	require.NotEqual(t, 0, code)
	require.Contains(t, stderr.String(), "--cluster-secret-file")
	require.NotContains(t, stdout.String(), "ready")

	short := filepath.Join(t.TempDir(), "secret")
	require.NoError(t, os.WriteFile(short, []byte("short"), 0o600))
	code = RunServe(context.Background(), []string{"--data", t.TempDir(), "--mysql-addr", "127.0.0.1:0", "--http-addr", "127.0.0.1:0",
		"--flight-addr", "127.0.0.1:0", "--cluster-secret-file", short}, &stdout, &stderr, nil)
	require.NotEqual(t, 0, code)
	require.Contains(t, stderr.String(), "at least 32")
}
