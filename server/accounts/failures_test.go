package accounts

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestFailedLoginsSlowDown(t *testing.T) {
	now := time.Date(2026, 12, 7, 8, 0, 0, 0, time.UTC)
	f := newFailures()
	f.now = func() time.Time { return now }

	// The delays MySQL's connection_control gives with a threshold of 3,
	// steps of 1 s and a 5 s cap.
	want := []time.Duration{0, 0, 0, 1 * time.Second, 2 * time.Second, 3 * time.Second, 4 * time.Second, 5 * time.Second, 5 * time.Second}
	for i, d := range want {
		n, delay := f.failed("10.0.0.1")
		require.Equal(t, i+1, n)
		require.Equal(t, d, delay, "failure %d", i+1)
	}
	// Another address is counted apart.
	n, delay := f.failed("10.0.0.2")
	require.Equal(t, 1, n)
	require.Zero(t, delay)

	// A success starts the address over.
	f.succeeded("10.0.0.1")
	n, delay = f.failed("10.0.0.1")
	require.Equal(t, 1, n)
	require.Zero(t, delay)

	// So does a quiet spell.
	for range 5 {
		f.failed("10.0.0.2")
	}
	now = now.Add(forgetAfter + time.Second)
	n, _ = f.failed("10.0.0.2")
	require.Equal(t, 1, n)
}

func TestFailuresTableIsBounded(t *testing.T) {
	now := time.Date(2026, 12, 7, 8, 0, 0, 0, time.UTC)
	f := newFailures()
	f.now = func() time.Time { return now }
	for i := range maxTracked + 10 {
		f.failed(time.Duration(i).String())
	}
	require.LessOrEqual(t, len(f.byHost), maxTracked)
}

func TestPasswordMatches(t *testing.T) {
	// mysql_native_password's stored form of "secret" as MySQL computes
	// it: SELECT CONCAT('*', UPPER(SHA1(UNHEX(SHA1('secret'))))).
	const native = "*14E65567ABDB5135D0CFD9A70B3032C179A49EE7"
	require.True(t, passwordMatches(native, "secret"))
	require.False(t, passwordMatches(native, "Secret"))
	require.False(t, passwordMatches(native, ""))
	require.True(t, passwordMatches("", ""))
	require.False(t, passwordMatches("", "x"))
}
