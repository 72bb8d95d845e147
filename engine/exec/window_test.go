package exec

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestLoadWindow: every task's result comes back once; no more than the
// window (twice the workers) runs ahead of the caller, and no more than the
// workers at once; a panic is an error naming the task.
func TestLoadWindow(t *testing.T) {
	p := NewPool(3)
	w := newLoadWindow[int](context.Background(), p)
	var running, most, started atomic.Int64
	for i := range 50 {
		w.add("task", func() (int, error) {
			started.Add(1)
			n := running.Add(1)
			for {
				m := most.Load()
				if n <= m || most.CompareAndSwap(m, n) {
					break
				}
			}
			time.Sleep(time.Millisecond)
			running.Add(-1)
			if i == 7 {
				panic("boom")
			}
			return i, nil
		})
	}
	seen := map[int]bool{}
	var panics int
	for {
		v, ok, err := w.Next()
		if !ok {
			break
		}
		// The caller holds one result; the window lets at most 6 more start.
		require.LessOrEqual(t, started.Load(), int64(len(seen)+panics+2*cap(p.slots)))
		if err != nil {
			require.Contains(t, err.Error(), "reading task panicked")
			panics++
			continue
		}
		require.False(t, seen[v], "result %d twice", v)
		seen[v] = true
	}
	require.Len(t, seen, 49)
	require.Equal(t, 1, panics)
	require.LessOrEqual(t, most.Load(), int64(3), "tasks running at once")
}

// TestLoadWindowCancelled: tasks not started when the context ends return
// its error, and the window drains.
func TestLoadWindowCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	w := newLoadWindow[int](ctx, NewPool(2))
	for range 10 {
		w.add("task", func() (int, error) { return 1, nil })
	}
	n := 0
	for {
		_, ok, err := w.Next()
		if !ok {
			break
		}
		require.True(t, errors.Is(err, context.Canceled))
		n++
	}
	require.Equal(t, 10, n)
}
