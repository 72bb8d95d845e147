package bench

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"time"
)

// Paths of the profiling endpoints `logq serve --pprof` adds to its HTTP
// listener (server/pprof.go).
const (
	cpuProfileStartPath = "/debug/pprof/cpu/start"
	cpuProfileStopPath  = "/debug/pprof/cpu/stop"
	heapProfilePath     = "/debug/pprof/heap?gc=1" // gc=1: the live heap as of now, not of the last collection
)

// profiler takes the server's profiles for --cpuprofile and --memprofile:
// a CPU profile from start to stop, bracketing logq's query phase (and
// nothing else: ingest is over, the baseline runs after it), and a heap
// profile at stop. An empty file name skips that profile.
type profiler struct {
	baseURL  string // the server's HTTP address, http://host:port
	cpuFile  string
	heapFile string
}

// start starts the server's CPU profile.
func (p *profiler) start(ctx context.Context) error {
	if p.cpuFile == "" {
		return nil
	}
	if _, err := p.call(ctx, http.MethodPost, cpuProfileStartPath); err != nil {
		return fmt.Errorf("start the server's CPU profile: %w", err)
	}
	return nil
}

// stop stops the server's CPU profile and writes it, then writes the heap
// profile.
func (p *profiler) stop(ctx context.Context) error {
	if p.cpuFile != "" {
		data, err := p.call(ctx, http.MethodPost, cpuProfileStopPath)
		if err != nil {
			return fmt.Errorf("stop the server's CPU profile: %w", err)
		}
		if err := writeProfile(p.cpuFile, data); err != nil {
			return err
		}
	}
	if p.heapFile != "" {
		data, err := p.call(ctx, http.MethodGet, heapProfilePath)
		if err != nil {
			return fmt.Errorf("take the server's heap profile: %w", err)
		}
		if err := writeProfile(p.heapFile, data); err != nil {
			return err
		}
	}
	return nil
}

// call sends one request to the server and returns the body of a 2xx
// answer.
func (p *profiler) call(ctx context.Context, method, path string) ([]byte, error) {
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, p.baseURL+path, nil)
	if err != nil {
		return nil, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxProfileBytes))
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", method, path, err)
	}
	if resp.StatusCode/100 != 2 {
		return nil, fmt.Errorf("%s %s: %s: %s (was the server started with --pprof?)", method, path, resp.Status, firstLine(body))
	}
	return body, nil
}

// writeProfile writes a profile to path, creating its directory.
func writeProfile(path string, data []byte) error {
	if len(data) == 0 {
		return fmt.Errorf("write profile %s: the server sent an empty profile", path)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("write profile: %w", err)
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		return fmt.Errorf("write profile: %w", err)
	}
	return nil
}

// firstLine returns the first line of b, at most 200 bytes of it.
func firstLine(b []byte) string {
	s := string(b[:min(len(b), 200)])
	for i, c := range s {
		if c == '\n' {
			return s[:i]
		}
	}
	return s
}
