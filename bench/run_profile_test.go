package bench

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestProfiler drives the profiler against a stand-in for the server's
// profiling endpoints and checks the calls and the files; the real server
// is profiled in TestBenchSmoke.
func TestProfiler(t *testing.T) {
	var mu sync.Mutex
	var calls []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		calls = append(calls, r.Method+" "+r.URL.RequestURI())
		mu.Unlock()
		switch r.Method + " " + r.URL.Path {
		case "POST /debug/pprof/cpu/start":
			w.WriteHeader(http.StatusNoContent)
		case "POST /debug/pprof/cpu/stop":
			w.Write([]byte("cpu profile"))
		case "GET /debug/pprof/heap":
			w.Write([]byte("heap profile"))
		default:
			http.NotFound(w, r)
		}
	}))
	defer srv.Close()
	dir := t.TempDir()
	p := &profiler{baseURL: srv.URL, cpuFile: filepath.Join(dir, "a", "cpu.pprof"), heapFile: filepath.Join(dir, "heap.pprof")}
	require.NoError(t, p.start(context.Background()))
	require.NoError(t, p.stop(context.Background()))
	require.Equal(t, []string{"POST /debug/pprof/cpu/start", "POST /debug/pprof/cpu/stop", "GET /debug/pprof/heap?gc=1"}, calls)
	require.Equal(t, "cpu profile", string(mustRead(t, p.cpuFile)))
	require.Equal(t, "heap profile", string(mustRead(t, p.heapFile)))

	// Without file names nothing is asked.
	calls = nil
	none := &profiler{baseURL: srv.URL}
	require.NoError(t, none.start(context.Background()))
	require.NoError(t, none.stop(context.Background()))
	require.Empty(t, calls)

	// Only the heap profile.
	calls = nil
	heap := &profiler{baseURL: srv.URL, heapFile: filepath.Join(dir, "heap2.pprof")}
	require.NoError(t, heap.start(context.Background()))
	require.NoError(t, heap.stop(context.Background()))
	require.Equal(t, []string{"GET /debug/pprof/heap?gc=1"}, calls)
}

func TestProfilerErrors(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler()) // a server started without --pprof
	defer srv.Close()
	p := &profiler{baseURL: srv.URL, cpuFile: filepath.Join(t.TempDir(), "cpu.pprof")}
	err := p.start(context.Background())
	require.ErrorContains(t, err, "start the server's CPU profile: POST /debug/pprof/cpu/start: 404 Not Found: 404 page not found (was the server started with --pprof?)")

	empty := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer empty.Close()
	p = &profiler{baseURL: empty.URL, heapFile: filepath.Join(t.TempDir(), "heap.pprof")}
	require.ErrorContains(t, p.stop(context.Background()), "the server sent an empty profile")
	_, err = os.Stat(p.heapFile)
	require.ErrorIs(t, err, os.ErrNotExist)

	blocker := filepath.Join(t.TempDir(), "file")
	require.NoError(t, os.WriteFile(blocker, nil, 0o644))
	require.ErrorContains(t, writeProfile(filepath.Join(blocker, "cpu.pprof"), []byte("x")), "write profile: ")
	require.Equal(t, "first", firstLine([]byte("first\nsecond")))
	require.Len(t, firstLine([]byte(strings.Repeat("x", 500))), 200)
}
