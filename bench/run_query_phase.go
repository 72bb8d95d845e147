package bench

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"runtime/debug"
	"strings"
	"time"

	"logq/partitions/columns"
	"logq/partitions/jsonl"
)

// runQueryPhase runs after ingest, on the still-running server: with
// --fresh it times the queries at once, as users see data right after it
// arrived (buffered rows, flushes and compactions under way); it waits
// for the server to settle, closes the ingest figures that the queries must
// not disturb (the server's RSS and CPU so far), times the queries on the
// server (with its CPU profile around them on request) and then on the
// baseline, and compares their answers.
//
// The baseline is loaded while the server settles. The settle wait is
// mostly idle time (the server's age-based flush comes a minute after the
// last row), and the load, 40 s at 10M rows, is serial work inside
// go-mysql-server, so overlapping the two saves the load's time at the
// cost of slowing the server's last flushes and compactions, which the
// wait then waits for. The bench process then holds the table (gigabytes)
// while logq's queries are timed, so its garbage collector is paused for
// them (pauseGC).
func runQueryPhase(ctx context.Context, cfg *benchConfig, srv *server, sampler *rssSampler, ingest *IngestResult, data DataSet, stderr io.Writer) (*QueryPhase, error) {
	addr, err := srv.dialAddr("mysql")
	if err != nil {
		return nil, err
	}
	traceID, err := q6TraceID(cfg, data)
	if err != nil {
		return nil, fmt.Errorf("pick Q6's trace_id: %w", err)
	}
	qs := buildQueries(cfg.queries, traceID)
	log := func(format string, args ...any) { logf(stderr, format, args...) }
	// The fresh timings come before the baseline's load starts, which
	// would take a core from them.
	var fresh []queryOutcome
	if cfg.fresh {
		log("timing logq right after the ingest, before it settles")
		if fresh, err = runQueries(ctx, addr, "logq fresh", qs, runPolicy{runs: cfg.runs}, nil, log); err != nil {
			return nil, err
		}
	}
	var load *baselineLoader
	if cfg.baseline {
		loadCtx, cancelLoad := context.WithCancel(ctx)
		load = startBaselineLoad(loadCtx, data, log)
		defer load.close()
		defer cancelLoad() // first: an early return must not wait for the whole load
	}

	qp := &QueryPhase{Runs: cfg.runs, BudgetSeconds: cfg.baselineBudget.Seconds(), Q6TraceID: traceID}
	if err := settleServer(ctx, cfg, srv, sampler, ingest, qp, log); err != nil {
		return nil, err
	}
	if load != nil {
		if qp.Baseline, err = load.wait(); err != nil {
			return nil, err
		}
	}
	logq, err := runLogqQueries(ctx, cfg, srv, addr, qs, qp, log)
	if err != nil {
		return nil, err
	}
	var base []queryOutcome
	if load != nil {
		log("timing the baseline: warm-up, then runs until %s per query (at least 1, at most %d)", cfg.baselineBudget, cfg.runs)
		base, err = runQueries(ctx, load.b.addr, "baseline", qs, runPolicy{runs: cfg.runs, budget: cfg.baselineBudget}, nil, log)
		if err = errors.Join(err, load.close()); err != nil {
			return nil, err
		}
	}
	qp.Results = compareResults(qs, logq, base)
	qp.queries, qp.outcomes = qs, logq
	if fresh != nil {
		compareFresh(qp.Results, qs, fresh, logq)
	}
	qp.count(log)
	return qp, nil
}

// settleServer waits for the server to settle and closes the ingest
// figures there.
func settleServer(ctx context.Context, cfg *benchConfig, srv *server, sampler *rssSampler, ingest *IngestResult, qp *QueryPhase, log func(string, ...any)) error {
	if cfg.settle.timeout > 0 {
		log("waiting up to %s for the server to flush its buffers and go idle", cfg.settle.timeout)
	}
	stop := settleProgress(ctx, srv.httpURL+"/metrics", settleProgressInterval, log)
	st, err := awaitSettled(ctx, cfg.settle, srv.httpURL+"/metrics", srv.pid())
	stop()
	if err != nil {
		return err
	}
	log("server %s", st.describe())
	qp.SettleSeconds, qp.Settled, qp.SettleNote = st.seconds, st.settled, st.describe()
	ingest.RSS = sampler.stop()
	ingest.PeakRSSBytes = ingest.RSS.peak()
	serverFigures(ctx, srv.httpURL+"/metrics", ingest)
	if cpu, ok := procCPU(srv.pid()); ok {
		ingest.ServerCPUSeconds = cpu.Seconds()
	}
	return nil
}

// serverFigures reads, at the settle, what the server's /metrics say of
// the ingest: the write amplification of its segments and the share of
// its CPU the garbage collector took.
func serverFigures(ctx context.Context, metricsURL string, ingest *IngestResult) {
	v, ok := scrapeGauges(ctx, metricsURL, "logq_store_flush_bytes_written_total", "logq_store_compaction_bytes_written_total",
		"logq_store_segment_bytes", "go_cpu_classes_gc_total_cpu_seconds_total", "go_cpu_classes_total_cpu_seconds_total",
		"go_cpu_classes_idle_cpu_seconds_total")
	if !ok {
		return
	}
	flushed, compacted, stored, gc, total, idle := v[0], v[1], v[2], v[3], v[4], v[5]
	if stored > 0 {
		ingest.FlushBytesWritten, ingest.CompactionBytesWritten = int64(flushed), int64(compacted)
		ingest.WriteAmplification = (flushed + compacted) / stored
	}
	// Of the CPU the server used (all of its time but the idle), the GC's:
	// a heap held near its limit shows here first.
	if total > idle {
		ingest.GCCPUShare = gc / (total - idle)
	}
}

// settleProgress logs the server's buffered rows every interval until the
// returned function is called: the settle wait lasts a minute or more.
func settleProgress(ctx context.Context, metricsURL string, every time.Duration, log func(string, ...any)) (stop func()) {
	done, finished := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(finished)
		t := time.NewTicker(every)
		defer t.Stop()
		for t0 := time.Now(); ; {
			select {
			case <-done:
				return
			case <-t.C:
			}
			if n, ok := bufferedRows(ctx, metricsURL); ok {
				log("still waiting for the server to settle after %.0f s: %s rows buffered", time.Since(t0).Seconds(), group(n))
			}
		}
	}()
	return func() {
		close(done)
		<-finished
	}
}

// runLogqQueries times the queries on the server, with its plan figures,
// its RSS sampled and, on request, its CPU profile around them and its
// heap profile after them.
func runLogqQueries(ctx context.Context, cfg *benchConfig, srv *server, addr string, qs []workloadQuery, qp *QueryPhase, log func(string, ...any)) ([]queryOutcome, error) {
	prof := &profiler{baseURL: srv.httpURL, cpuFile: cfg.cpuProfile, heapFile: cfg.memProfile}
	if err := prof.start(ctx); err != nil {
		return nil, err
	}
	rss := startRSSSampler(srv.pid(), cfg.rssInterval)
	plans := &planSource{metricsURL: srv.httpURL + "/metrics", log: log}
	resumeGC := pauseGC()
	out, err := runQueries(ctx, addr, "logq", qs, runPolicy{runs: cfg.runs}, plans, log)
	resumeGC()
	qp.ServerPeakRSS = rss.stop().SampledPeakBytes
	if err != nil {
		return nil, err
	}
	if err := prof.stop(ctx); err != nil {
		return nil, err
	}
	qp.CPUProfile, qp.HeapProfile = cfg.cpuProfile, cfg.memProfile
	for _, f := range []string{cfg.cpuProfile, cfg.memProfile} {
		if f != "" {
			log("wrote the server's profile %s", f)
		}
	}
	return out, nil
}

// pauseGC turns this process's garbage collector off until the returned
// function is called, unless the heap grows by gcPauseHeadroomBytes. With
// the baseline's table live, one collection marks gigabytes: the runtime
// forces one every two minutes, and its idle-time workers would take a
// core from the server while logq's queries are timed. Those queries
// allocate little here (the captured answers, the driver's buffers).
func pauseGC() (resume func()) {
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	limit := debug.SetMemoryLimit(int64(ms.HeapAlloc) + gcPauseHeadroomBytes)
	percent := debug.SetGCPercent(-1)
	return func() {
		debug.SetGCPercent(percent)
		debug.SetMemoryLimit(limit)
	}
}

// baselineLoader loads the baseline in the background.
type baselineLoader struct {
	done   chan struct{} // closed when the load ended
	b      *baseline     // valid after done, nil on error
	info   *BaselineLoad
	err    error
	closed bool
}

// startBaselineLoad starts loading the data set into the baseline.
func startBaselineLoad(ctx context.Context, data DataSet, log func(string, ...any)) *baselineLoader {
	l := &baselineLoader{done: make(chan struct{})}
	log("loading the baseline in the background: %s into a go-mysql-server memory table (several GB at 10M rows)", data.File)
	go func() {
		defer close(l.done)
		t0 := time.Now()
		if l.b, l.err = startBaseline(ctx, data.File, log); l.err != nil {
			return
		}
		l.info = &BaselineLoad{Rows: l.b.rows, RejectedLines: l.b.rejected, LoadSeconds: time.Since(t0).Seconds()}
		runtime.GC() // the load's garbage goes now, not under the timings
		l.info.BenchRSSBytes = selfRSS()
		log("baseline loaded: %d rows in %.1f s; bench process RSS %s MiB", l.info.Rows, l.info.LoadSeconds, mib(l.info.BenchRSSBytes))
		if l.info.Rows != data.Rows {
			log("WARNING: the baseline holds %d rows, the data set %d (%d lines rejected)", l.info.Rows, data.Rows, l.info.RejectedLines)
		}
	}()
	return l
}

// wait waits for the load to end.
func (l *baselineLoader) wait() (*BaselineLoad, error) {
	<-l.done
	return l.info, l.err
}

// close waits for the load, stops the baseline's server and returns its
// memory to the system. It is idempotent and safe to defer.
func (l *baselineLoader) close() error {
	<-l.done
	if l.closed || l.b == nil {
		return nil
	}
	l.closed = true
	err := l.b.close()
	l.b = nil
	// The client and the server are closed, so this collects the table.
	debug.FreeOSMemory()
	return err
}

// compareResults pairs the outcomes of each query on logq and the
// baseline (nil: not run), computes the ratios and compares the answers.
func compareResults(qs []workloadQuery, logq, base []queryOutcome) []QueryResult {
	out := make([]QueryResult, len(qs))
	for i, q := range qs {
		r := QueryResult{ID: q.id, SQL: q.sql, Logq: logq[i].timing, Plan: logq[i].plan, TargetMS: q.targetMS}
		if base != nil {
			b := base[i].timing
			r.Baseline = &b
			if b.Error == "" && r.Logq.Error == "" && r.Logq.MedianMS > 0 {
				r.Ratio = b.MedianMS / r.Logq.MedianMS
			}
			if logq[i].answer != nil && base[i].answer != nil {
				r.Compared = true
				r.Difference = sameAnswer(q.shape, logq[i].answer, base[i].answer)
			}
		}
		out[i] = r
	}
	return out
}

// compareFresh adds to each result its fresh timing, the ratio of the
// fresh median to the settled one, and whether the fresh answer (before
// the settle) equals the settled one: the same rows must give the same
// answer whether buffered, flushed or compacted.
func compareFresh(results []QueryResult, qs []workloadQuery, fresh, settled []queryOutcome) {
	for i := range results {
		r := &results[i]
		f := fresh[i].timing
		r.Fresh = &f
		if f.Error == "" && r.Logq.Error == "" && r.Logq.MedianMS > 0 {
			r.FreshRatio = f.MedianMS / r.Logq.MedianMS
		}
		if fresh[i].answer != nil && settled[i].answer != nil {
			r.FreshDifference = freshWording.Replace(sameAnswer(qs[i].shape, fresh[i].answer, settled[i].answer))
		}
	}
}

// freshWording rewords sameAnswer's messages, written for logq against the
// baseline, for the fresh answer against the settled one.
var freshWording = strings.NewReplacer("from logq", "fresh", "from the baseline", "settled",
	"logq [", "fresh [", "logq (", "fresh (", "baseline [", "settled [", "baseline (", "settled (")

// count counts the mismatches and errors, and logs each loudly.
func (qp *QueryPhase) count(log func(string, ...any)) {
	for _, r := range qp.Results {
		if r.Difference != "" {
			qp.Mismatches++
			log("MISMATCH: %s: %s", r.ID, r.Difference)
		}
		if r.FreshDifference != "" {
			qp.Mismatches++
			log("MISMATCH: %s right after the ingest and settled: %s", r.ID, r.FreshDifference)
		}
		if r.Logq.Error != "" || (r.Baseline != nil && r.Baseline.Error != "") || (r.Fresh != nil && r.Fresh.Error != "") {
			qp.Errors++ // once per query, whichever run failed
		}
	}
}

// failure returns the error that fails the run when answers differ or
// queries failed, naming each.
func (qp *QueryPhase) failure() error {
	var errs []error
	for _, r := range qp.Results {
		if r.Difference != "" {
			errs = append(errs, fmt.Errorf("%s: logq and the baseline answer differently: %s", r.ID, r.Difference))
		}
		if r.FreshDifference != "" {
			errs = append(errs, fmt.Errorf("%s: logq answers differently right after the ingest and settled: %s", r.ID, r.FreshDifference))
		}
		if r.Fresh != nil && r.Fresh.Error != "" {
			errs = append(errs, fmt.Errorf("%s failed on logq right after the ingest: %s", r.ID, r.Fresh.Error))
		}
		if r.Logq.Error != "" {
			errs = append(errs, fmt.Errorf("%s failed on logq: %s", r.ID, r.Logq.Error))
		}
		if r.Baseline != nil && r.Baseline.Error != "" {
			errs = append(errs, fmt.Errorf("%s failed on the baseline, so its answer is unchecked: %s", r.ID, r.Baseline.Error))
		}
	}
	return errors.Join(errs...)
}

// q6TraceID returns the trace_id Q6 looks up: that of row rows/3 of the
// data set, regenerated, or of that line of a --data-file.
func q6TraceID(cfg *benchConfig, data DataSet) (string, error) {
	i := data.Rows / 3
	if cfg.dataFile == "" {
		r, err := RowAt(cfg.gen, i)
		return r.TraceID, err
	}
	return traceIDAtLine(cfg.dataFile, i)
}

// traceIDAtLine returns the trace_id of line i (from 0) of a JSON-lines
// file, parsed as logq parses it; "" when the line has none.
func traceIDAtLine(path string, i int64) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	r := bufio.NewReaderSize(f, 1<<20)
	for n := int64(0); n < i; {
		_, err := r.ReadSlice('\n')
		switch {
		case err == nil:
			n++
		case errors.Is(err, bufio.ErrBufferFull): // the rest of a long line
		default:
			return "", fmt.Errorf("read line %d of %s: %w", i+1, path, err)
		}
	}
	line, err := r.ReadBytes('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", fmt.Errorf("read line %d of %s: %w", i+1, path, err)
	}
	var b columns.Batch
	if n, _ := jsonl.NewParser(jsonl.Options{}).Parse(line, int(i)+1, &b); n != 1 || b.TraceID.IsNull(0) {
		return "", nil
	}
	return string(b.TraceID.Value(0)), nil
}

// selfRSS returns this process's resident memory, or 0 where /proc does
// not tell.
func selfRSS() int64 {
	data, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	st, _ := parseProcStatus(data)
	return st.rssBytes
}
