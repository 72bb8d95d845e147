package exec

import "context"

// loadWindow runs tasks on the pool, a window of them at a time, and hands
// back their results as they complete, in any order: the loop that aggregate
// and unordered scans share. The window is twice the workers, so that
// every worker finds the next task waiting while the caller takes in a
// result, and no more than that runs ahead of a LIMIT or an error. A
// caller that stops early leaves nothing blocked: the channel has room for
// every running task's result.
type loadWindow[T any] struct {
	ctx     context.Context
	pool    *Pool
	tasks   []windowTask[T]
	started int // tasks started
	running int // tasks started whose result was not taken yet
	results chan windowResult[T]
}

type windowTask[T any] struct {
	what string // what the task reads, for the error of a panic
	fn   func() (T, error)
}

type windowResult[T any] struct {
	v   T
	err error
}

func newLoadWindow[T any](ctx context.Context, p *Pool) *loadWindow[T] {
	return &loadWindow[T]{ctx: ctx, pool: p, results: make(chan windowResult[T], 2*cap(p.slots))}
}

// add queues a task. Tasks start in the order added, when next makes room.
func (w *loadWindow[T]) add(what string, fn func() (T, error)) {
	w.tasks = append(w.tasks, windowTask[T]{what: what, fn: fn})
}

// Next keeps the window full and returns the result of the next task to
// complete; ok is false once every task's result has been returned. The
// error is the task's, the context's, or that of a panic (pool.start).
func (w *loadWindow[T]) Next() (v T, ok bool, err error) {
	for w.running < cap(w.results) && w.started < len(w.tasks) {
		tk := w.tasks[w.started]
		w.started++
		w.running++
		var out T
		w.pool.start(w.ctx, tk.what, func() (err error) {
			out, err = tk.fn()
			return err
		}, func(err error) { w.results <- windowResult[T]{out, err} })
	}
	if w.running == 0 {
		return v, false, nil
	}
	r := <-w.results
	w.running--
	return r.v, true, r.err
}
