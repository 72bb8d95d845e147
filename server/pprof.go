package server

import (
	"bytes"
	"fmt"
	"net/http"
	"net/http/pprof"
	rpprof "runtime/pprof"
	"sync"
	"time"
)

// Profiling: with --pprof, `logq serve` serves the Go runtime's profiles
// under /debug/pprof/ on its HTTP listener, so that optimisation work
// starts from a profile of the real server (`logq bench --cpuprofile`,
// `go tool pprof http://127.0.0.1:8080/debug/pprof/heap`).
//
// It is off by default: the HTTP listener is also the ingest endpoint,
// which an operator may open to other hosts, and a profile exposes the
// program's internals and costs CPU while it runs.
//
// Besides net/http/pprof's handlers there is one start/stop pair for the
// CPU profile. net/http/pprof's /debug/pprof/profile?seconds=N profiles
// for a duration fixed when it is requested, and loses the profile when
// the request is cancelled, so it cannot bracket a phase whose length is
// known only at its end, which is what the benchmark needs (its query
// phase): POST /debug/pprof/cpu/start starts a CPU profile into memory,
// POST /debug/pprof/cpu/stop stops it and answers with the profile (the
// usual gzipped protobuf). The runtime runs one CPU profile at a time, so
// a start while any runs, of either kind, is refused with 409 Conflict.

// cpuProfileMaxDuration stops a started CPU profile nobody stopped: the
// profile keeps its first half hour, and the server stops paying for it.
// A benchmark's query phase takes minutes.
const cpuProfileMaxDuration = 30 * time.Minute

// registerProfiling adds the profiling endpoints to mux.
func registerProfiling(mux *http.ServeMux) {
	mux.HandleFunc("GET /debug/pprof/", pprof.Index) // heap, allocs, goroutine, ... by name
	mux.HandleFunc("GET /debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("GET /debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("GET /debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("GET /debug/pprof/trace", pprof.Trace)
	p := &cpuProfiler{}
	mux.HandleFunc("POST /debug/pprof/cpu/start", p.start)
	mux.HandleFunc("POST /debug/pprof/cpu/stop", p.stop)
}

// cpuProfiler holds the CPU profile started through /debug/pprof/cpu/start
// until it is fetched. Its handlers are safe for concurrent requests.
type cpuProfiler struct {
	mu struct {
		sync.Mutex
		buf     *bytes.Buffer // the profile being taken or taken; nil: none
		running bool          // the runtime is profiling into buf
		timer   *time.Timer   // stops a profile left running
	}
}

// start starts a CPU profile: 204 No Content, or 409 Conflict when one is
// already running or waits to be fetched.
func (p *cpuProfiler) start(w http.ResponseWriter, _ *http.Request) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.mu.buf != nil {
		http.Error(w, "a CPU profile was started and not yet stopped (POST /debug/pprof/cpu/stop)", http.StatusConflict)
		return
	}
	buf := &bytes.Buffer{}
	if err := rpprof.StartCPUProfile(buf); err != nil {
		// Another CPU profile runs, e.g. /debug/pprof/profile?seconds=N.
		http.Error(w, fmt.Sprintf("start CPU profile: %v", err), http.StatusConflict)
		return
	}
	p.mu.buf, p.mu.running = buf, true
	p.mu.timer = time.AfterFunc(cpuProfileMaxDuration, p.expire)
	w.WriteHeader(http.StatusNoContent)
}

// expire stops a profile that ran for cpuProfileMaxDuration; a later stop
// still fetches it.
func (p *cpuProfiler) expire() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.stopLocked()
}

// stopLocked stops the runtime's profiling into buf, if it still runs.
// REQUIRES: mu held.
func (p *cpuProfiler) stopLocked() {
	if p.mu.running {
		rpprof.StopCPUProfile() // returns once the profile is written into buf
		p.mu.running = false
	}
}

// stop stops the CPU profile and answers with it, or 409 Conflict when
// none was started.
func (p *cpuProfiler) stop(w http.ResponseWriter, _ *http.Request) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.mu.buf == nil {
		http.Error(w, "no CPU profile was started (POST /debug/pprof/cpu/start)", http.StatusConflict)
		return
	}
	p.mu.timer.Stop()
	p.stopLocked()
	buf := p.mu.buf
	p.mu.buf = nil
	w.Header().Set("Content-Type", "application/octet-stream")
	w.Header().Set("Content-Disposition", `attachment; filename="cpu.pprof"`)
	_, _ = w.Write(buf.Bytes()) // a client gone away loses its profile, nothing more
}
