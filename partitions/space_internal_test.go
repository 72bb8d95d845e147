package partitions

import (
	"context"
	"errors"
	"fmt"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"logq/partitions/columns"
)

func TestBackoff(t *testing.T) {
	b := backoff{base: time.Second, max: 5 * time.Second}
	t0 := time.Unix(1000, 0)
	require.True(t, b.due(t0))
	full := fmt.Errorf("write: %w", syscall.ENOSPC)
	var delays []time.Duration
	for i := 0; i < 5; i++ {
		b.done(t0, full)
		delays = append(delays, b.delay)
	}
	require.Equal(t, []time.Duration{1, 2, 4, 5, 5}, scale(delays, time.Second))
	require.False(t, b.due(t0.Add(4*time.Second)))
	require.True(t, b.due(t0.Add(5*time.Second)))
	b.done(t0, errors.New("another error"))
	require.True(t, b.due(t0), "only a full disk backs off")
	b.done(t0, full)
	b.done(t0, nil)
	require.True(t, b.due(t0))
	require.Zero(t, b.delay)
}

func scale(ds []time.Duration, unit time.Duration) []time.Duration {
	out := make([]time.Duration, len(ds))
	for i, d := range ds {
		out[i] = d / unit
	}
	return out
}

// TestMinFreeBytes: below the minimum free space Append stores nothing and
// says why; above it, it stores again.
func TestMinFreeBytes(t *testing.T) {
	free := int64(10 << 20)
	defer func(f func(string) (int64, error)) { statFree = f }(statFree)
	statFree = func(string) (int64, error) { return free, nil }

	st, err := Open(t.TempDir(), WithMinFreeBytes(20<<20), WithCompactInterval(0), WithScrub(false))
	require.NoError(t, err)
	defer st.Close()
	b := &columns.Batch{}
	b.TS = append(b.TS, 1_793_836_800_000_000)
	for _, c := range []*columns.Strings{&b.Level, &b.Service, &b.Host, &b.TraceID, &b.Message} {
		c.AppendString("x")
	}
	err = st.Append(context.Background(), b)
	require.ErrorIs(t, err, ErrNoSpace)
	require.ErrorContains(t, err, "10485760 bytes free")
	require.ErrorContains(t, err, "below the minimum of 20971520")
	stats := st.Stats()
	require.Zero(t, stats.BufferedRows)
	require.Equal(t, int64(1), stats.NoSpaceRefusals)
	require.False(t, stats.DiskFullSince.IsZero())

	free = 30 << 20
	time.Sleep(freeSpaceCheckEvery)
	require.NoError(t, st.Append(context.Background(), b))
	stats = st.Stats()
	require.Equal(t, int64(1), stats.BufferedRows)
	require.True(t, stats.DiskFullSince.IsZero())
}
