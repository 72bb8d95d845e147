package bench

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// child is a process the benchmark started. The last lines of its output
// are kept to explain a failure. Its methods are safe for one goroutine.
type child struct {
	name    string
	cmd     *exec.Cmd
	done    chan struct{} // closed once Wait returned
	waitErr error         // valid after done
	tail    *lineTail
}

// startChild starts bin with args. Its stdout and stderr lines go to onOut
// and onErr (from the copying goroutines of os/exec) after being kept in the
// tail. The process is killed when ctx is done, and (on Linux) when this
// process dies.
func startChild(ctx context.Context, name, bin string, args []string, onOut, onErr func(string)) (*child, error) {
	c := &child{name: name, done: make(chan struct{}), tail: newLineTail(stderrTailLines)}
	c.cmd = exec.CommandContext(ctx, bin, args...)
	c.cmd.Stdout = &lineWriter{fn: func(l string) { c.tail.add(l); onOut(l) }}
	c.cmd.Stderr = &lineWriter{fn: func(l string) { c.tail.add(l); onErr(l) }}
	c.cmd.SysProcAttr = childSysProcAttr()
	// A grandchild holding the pipes open must not hang Wait.
	c.cmd.WaitDelay = 5 * time.Second
	if err := c.cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	go func() {
		c.waitErr = c.cmd.Wait()
		close(c.done)
	}()
	return c, nil
}

func (c *child) pid() int { return c.cmd.Process.Pid }

// exited reports whether the process has exited and been waited for.
func (c *child) exited() bool {
	select {
	case <-c.done:
		return true
	default:
		return false
	}
}

// kill kills the process unless it has exited, and waits for it. It is
// idempotent and safe to defer.
func (c *child) kill() {
	if !c.exited() {
		_ = c.cmd.Process.Kill() // it may have exited meanwhile
	}
	<-c.done
}

// stop sends SIGTERM and waits up to timeout for a clean exit, then kills.
// It returns an error unless the process exited with status 0.
func (c *child) stop(timeout time.Duration) error {
	if !c.exited() {
		if err := c.cmd.Process.Signal(syscall.SIGTERM); err != nil && !errors.Is(err, os.ErrProcessDone) {
			return fmt.Errorf("signal %s: %w", c.name, err)
		}
		t := time.NewTimer(timeout)
		defer t.Stop()
		select {
		case <-c.done:
		case <-t.C:
			c.kill()
			return fmt.Errorf("%s did not exit within %s of SIGTERM; killed%s", c.name, timeout, c.tail.text())
		}
	}
	if c.waitErr != nil {
		return fmt.Errorf("%s: %w%s", c.name, c.waitErr, c.tail.text())
	}
	return nil
}

// failure returns an error describing an early exit, or nil if the process
// is still running.
func (c *child) failure() error {
	if !c.exited() {
		return nil
	}
	return fmt.Errorf("%s exited: %v%s", c.name, c.waitErr, c.tail.text())
}

// cpu returns the user and system CPU time of the exited process.
func (c *child) cpu() time.Duration {
	ps := c.cmd.ProcessState
	if ps == nil {
		return 0
	}
	return ps.UserTime() + ps.SystemTime()
}

// server is a running `logq serve`.
type server struct {
	*child
	readyLine string
	addrs     map[string]string // the key=value pairs of the ready line
	httpURL   string
}

// startServer starts `logq serve` on dir with ephemeral ports and waits for
// its ready line. On error the process is killed before it returns.
func startServer(ctx context.Context, cfg *benchConfig, dir string, stderr io.Writer) (*server, error) {
	ready := make(chan string, 1)
	onOut := func(l string) {
		if strings.HasPrefix(l, "ready ") {
			select {
			case ready <- l:
			default: // only the first ready line counts
			}
		}
	}
	var sinks []func(string)
	var logFile *os.File
	if cfg.verbose {
		sinks = append(sinks, func(l string) { fmt.Fprintf(stderr, "  serve| %s\n", l) })
	}
	if cfg.serverLog != "" {
		f, err := os.OpenFile(cfg.serverLog, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
		if err != nil {
			return nil, fmt.Errorf("server log: %w", err)
		}
		logFile = f
		sinks = append(sinks, func(l string) { fmt.Fprintln(f, l) })
	}
	onErr := func(l string) {
		for _, sink := range sinks {
			sink(l)
		}
	}
	args := []string{"serve", "--data", dir, "--http-addr", "127.0.0.1:0", "--mysql-addr", "127.0.0.1:0"}
	if cfg.cpuProfile != "" || cfg.memProfile != "" {
		args = append(args, "--pprof") // the profiling endpoints, off by default
	}
	args = append(args, cfg.serveArgs...)
	c, err := startChild(ctx, "logq serve", cfg.bin, args, onOut, onErr)
	if logFile != nil {
		if err != nil {
			logFile.Close()
		} else {
			// Wait has returned once done is closed, and with it the
			// goroutines copying the output.
			go func() { <-c.done; logFile.Close() }()
		}
	}
	if err != nil {
		return nil, err
	}
	s := &server{child: c}
	if err := s.awaitReady(ctx, ready, cfg.readyTimeout); err != nil {
		c.kill()
		return nil, err
	}
	return s, nil
}

// awaitReady waits for the ready line and parses it.
func (s *server) awaitReady(ctx context.Context, ready <-chan string, timeout time.Duration) error {
	t := time.NewTimer(timeout)
	defer t.Stop()
	select {
	case s.readyLine = <-ready:
	case <-s.done:
		return fmt.Errorf("logq serve exited before it was ready: %v%s", s.waitErr, s.tail.text())
	case <-t.C:
		return fmt.Errorf("logq serve printed no ready line within %s%s", timeout, s.tail.text())
	case <-ctx.Done():
		return ctx.Err()
	}
	s.addrs = parseReady(s.readyLine)
	addr, err := s.dialAddr("http")
	if err != nil {
		return err
	}
	s.httpURL = "http://" + addr
	return nil
}

// dialAddr returns the address to connect to for the ready line's key=ADDR
// (http or mysql).
func (s *server) dialAddr(key string) (string, error) {
	addr, ok := s.addrs[key]
	if !ok {
		return "", fmt.Errorf("logq serve ready line %q has no %s=ADDR", s.readyLine, key)
	}
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "", fmt.Errorf("logq serve ready line %q: %w", s.readyLine, err)
	}
	if ip := net.ParseIP(host); host == "" || (ip != nil && ip.IsUnspecified()) {
		host = "127.0.0.1" // listening on all addresses: connect locally
	}
	return net.JoinHostPort(host, port), nil
}

// parseReady returns the key=value fields of a line such as
// "ready mysql=127.0.0.1:3306 http=127.0.0.1:8080". Fields without '=' are
// ignored, so later additions to the line do not break the benchmark.
func parseReady(line string) map[string]string {
	kv := map[string]string{}
	for _, f := range strings.Fields(strings.TrimPrefix(line, "ready")) {
		if k, v, ok := strings.Cut(f, "="); ok && k != "" {
			kv[k] = v
		}
	}
	return kv
}

// ingestRun is the outcome of one `logq ingest`.
type ingestRun struct {
	elapsed  time.Duration // wall clock from start to exit
	cpu      time.Duration
	accepted int64
	rejected int64
	counted  bool // the client's output named the accepted count
}

// runIngest runs `logq ingest` of file against url, forwarding its output to
// stderr, and times it.
func runIngest(ctx context.Context, cfg *benchConfig, url, file string, stderr io.Writer) (ingestRun, error) {
	var mu sync.Mutex
	var out []string
	keep := func(l string) {
		fmt.Fprintf(stderr, "  ingest| %s\n", l)
		mu.Lock()
		out = append(out, l)
		if len(out) > 4*stderrTailLines {
			out = append(out[:0], out[len(out)-stderrTailLines:]...)
		}
		mu.Unlock()
	}
	t0 := time.Now()
	c, err := startChild(ctx, "logq ingest", cfg.bin, []string{"ingest", "--server", url, file}, keep, keep)
	if err != nil {
		return ingestRun{}, err
	}
	defer c.kill()
	<-c.done
	run := ingestRun{elapsed: time.Since(t0), cpu: c.cpu()}
	if c.waitErr != nil {
		if ctx.Err() != nil {
			return run, ctx.Err()
		}
		return run, fmt.Errorf("logq ingest: %w%s", c.waitErr, c.tail.text())
	}
	run.accepted, run.rejected, run.counted = parseIngestCounts(out)
	return run, nil
}

var (
	countAfterRe  = regexp.MustCompile(`(?i)\b(accepted|rejected)\b"?\s*[=:]?\s*([0-9][0-9,_]*)`)
	countBeforeRe = regexp.MustCompile(`(?i)\b([0-9][0-9,_]*)\s+(?:rows?\s+|lines?\s+)?(accepted|rejected)\b`)
)

// parseIngestCounts finds the accepted and rejected row counts in the
// client's output ("accepted=N", "accepted: N", "N rows accepted", JSON
// "accepted":N); the last mention wins, since the summary comes last. counted
// is false when no accepted count was found.
func parseIngestCounts(lines []string) (accepted, rejected int64, counted bool) {
	for _, l := range lines {
		// A line uses one style; "accepted=5 rejected=0" must not be read
		// as "5 rejected".
		if ms := countAfterRe.FindAllStringSubmatch(l, -1); ms != nil {
			for _, m := range ms {
				counted = setCount(strings.ToLower(m[1]), m[2], &accepted, &rejected) || counted
			}
			continue
		}
		for _, m := range countBeforeRe.FindAllStringSubmatch(l, -1) {
			counted = setCount(strings.ToLower(m[2]), m[1], &accepted, &rejected) || counted
		}
	}
	return accepted, rejected, counted
}

// setCount stores number into the count named by key; it reports whether
// it stored an accepted count.
func setCount(key, number string, accepted, rejected *int64) bool {
	n, err := strconv.ParseInt(strings.NewReplacer(",", "", "_", "").Replace(number), 10, 64)
	if err != nil {
		return false
	}
	if key == "accepted" {
		*accepted = n
		return true
	}
	*rejected = n
	return false
}

// lineWriter calls fn with every complete line written to it, without the
// line end; carriage returns (progress bars) also end a line. Overlong lines
// are cut at maxLine bytes. Not safe for concurrent writes (os/exec uses one
// goroutine per stream).
type lineWriter struct {
	fn  func(string)
	buf []byte
}

const maxLine = 64 << 10

func (w *lineWriter) Write(p []byte) (int, error) {
	n := len(p)
	for len(p) > 0 {
		i := bytes.IndexAny(p, "\r\n")
		if i < 0 {
			w.buf = append(w.buf, p[:min(len(p), max(0, maxLine-len(w.buf)))]...)
			break
		}
		w.buf = append(w.buf, p[:min(i, max(0, maxLine-len(w.buf)))]...)
		if len(w.buf) > 0 {
			w.fn(string(w.buf))
		}
		w.buf = w.buf[:0]
		p = p[i+1:]
	}
	return n, nil
}

// lineTail keeps the last lines written to it; safe for concurrent use.
type lineTail struct {
	mu    sync.Mutex
	lines []string
	max   int
}

func newLineTail(n int) *lineTail { return &lineTail{max: n} }

func (t *lineTail) add(l string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if len(t.lines) == t.max {
		copy(t.lines, t.lines[1:])
		t.lines = t.lines[:t.max-1]
	}
	t.lines = append(t.lines, l)
}

// text returns the kept lines as an indented block starting with a newline,
// or "" when there are none; it is appended to error messages.
func (t *lineTail) text() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	if len(t.lines) == 0 {
		return ""
	}
	return "; last output:\n    " + strings.Join(t.lines, "\n    ")
}
