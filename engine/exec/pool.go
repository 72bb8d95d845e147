package exec

import (
	"context"
	"fmt"
	"runtime"
	"runtime/debug"
)

// Pool bounds the batch loads (decode and filter) running at once across
// all queries: as many as there are cores, so that a burst of queries
// queues instead of thrashing.
type Pool struct {
	slots chan struct{}
}

func NewPool(workers int) *Pool {
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	return &Pool{slots: make(chan struct{}, workers)}
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
func (p *Pool) load(ctx context.Context, what string, fn func() (batchCursor, error)) <-chan loadResult {
	ch := make(chan loadResult, 1)
	var cur batchCursor
	p.start(ctx, what, func() (err error) {
		cur, err = fn()
		return err
	}, func(err error) { ch <- loadResult{cur: cur, err: err} })
	return ch
}

// start runs fn on the pool when a slot is free, then calls done, on the
// same goroutine, with fn's error, the context's when it ended first, or
// an error naming what was being read when fn panicked: never a crash.
func (p *Pool) start(ctx context.Context, what string, fn func() error, done func(error)) {
	go func() {
		select {
		case p.slots <- struct{}{}:
		case <-ctx.Done():
			done(ctx.Err())
			return
		}
		defer func() { <-p.slots }()
		err := ctx.Err()
		if err == nil {
			err = runRecovered(what, fn)
		}
		done(err)
	}()
}

// runRecovered runs fn, turning a panic into an error.
func runRecovered(what string, fn func() error) (err error) {
	defer func() {
		if v := recover(); v != nil {
			err = fmt.Errorf("BUG: reading %s panicked: %v\n%s", what, v, debug.Stack())
		}
	}()
	return fn()
}
