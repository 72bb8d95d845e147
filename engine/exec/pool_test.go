package exec

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestPoolLoad checks the three outcomes of a load: a result, a panic
// turned into an error naming what was read, and a cancelled query that
// stops waiting for a worker.
func TestPoolLoad(t *testing.T) {
	p := NewPool(1)
	ctx := context.Background()

	r := <-p.load(ctx, "seg-a", func() (batchCursor, error) { return batchCursor{sel: []int32{7}}, nil })
	require.NoError(t, r.err)
	require.Equal(t, []int32{7}, r.cur.sel)

	r = <-p.load(ctx, "parts/x/0001-0000.seg", func() (batchCursor, error) { panic("boom") })
	require.ErrorContains(t, r.err, "parts/x/0001-0000.seg")
	require.ErrorContains(t, r.err, "boom")

	// Hold the only worker; a cancelled load gives up instead of waiting.
	release := make(chan struct{})
	started := make(chan struct{})
	held := p.load(ctx, "held", func() (batchCursor, error) {
		close(started)
		<-release
		return batchCursor{}, nil
	})
	<-started
	cctx, cancel := context.WithCancel(ctx)
	ran := false
	waiting := p.load(cctx, "waiting", func() (batchCursor, error) { ran = true; return batchCursor{}, nil })
	cancel()
	select {
	case r := <-waiting:
		require.True(t, errors.Is(r.err, context.Canceled), "%v", r.err)
	case <-time.After(10 * time.Second):
		t.Fatal("a cancelled load kept waiting for a worker")
	}
	close(release)
	require.NoError(t, (<-held).err)
	require.False(t, ran)
}
