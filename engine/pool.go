package engine

import (
	"context"
	"fmt"
	"runtime"
	"runtime/debug"
)

// pool bounds the batch loads (decode and filter) running at once across
// all queries: as many as there are cores, so that a burst of queries
// queues instead of thrashing.
type pool struct {
	slots chan struct{}
}

func newPool(workers int) *pool {
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	return &pool{slots: make(chan struct{}, workers)}
}

// loadResult is one loaded batch, or why it could not be loaded.
type loadResult struct {
	cur batchCursor
	err error
}

// load decodes and filters a batch on the pool and delivers the result on
// the returned channel, which has room for it: a reader that stops early
// (LIMIT, cancellation) leaves nothing blocked. A panic becomes an error
// naming what was being read, never a crash.
func (p *pool) load(ctx context.Context, what string, fn func() (batchCursor, error)) <-chan loadResult {
	ch := make(chan loadResult, 1)
	p.loadInto(ctx, what, fn, ch)
	return ch
}

// loadInto is load delivering on ch, which must have room for the result.
func (p *pool) loadInto(ctx context.Context, what string, fn func() (batchCursor, error), ch chan<- loadResult) {
	go func() {
		select {
		case p.slots <- struct{}{}:
		case <-ctx.Done():
			ch <- loadResult{err: ctx.Err()}
			return
		}
		defer func() { <-p.slots }()
		defer func() {
			if v := recover(); v != nil {
				ch <- loadResult{err: fmt.Errorf("BUG: reading %s panicked: %v\n%s", what, v, debug.Stack())}
			}
		}()
		if err := ctx.Err(); err != nil {
			ch <- loadResult{err: err}
			return
		}
		cur, err := fn()
		ch <- loadResult{cur: cur, err: err}
	}()
}
