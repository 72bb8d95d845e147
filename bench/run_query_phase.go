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
	"time"

	"logq/partitions/columns"
	"logq/partitions/jsonl"
)

// runQueryPhase runs after ingest, on the still-running server: it waits
// for the server to settle, closes the ingest figures that the queries must
// not disturb (the server's RSS and CPU so far), times the queries on the
// server and then on the baseline, and compares their row counts.
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

	if cfg.settle.timeout > 0 {
		log("waiting up to %s for the server to flush its buffers and go idle", cfg.settle.timeout)
	}
	st, err := awaitSettled(ctx, cfg.settle, srv.httpURL+"/metrics", srv.pid())
	if err != nil {
		return nil, err
	}
	log("server %s", st.describe())
	ingest.RSS = sampler.stop()
	ingest.PeakRSSBytes = ingest.RSS.peak()
	if cpu, ok := procCPU(srv.pid()); ok {
		ingest.ServerCPUSeconds = cpu.Seconds()
	}

	qp := &QueryPhase{Runs: cfg.runs, Q6TraceID: traceID, SettleSeconds: st.seconds, Settled: st.settled, SettleNote: st.describe()}
	rss := startRSSSampler(srv.pid(), cfg.rssInterval)
	logq, err := runQueries(ctx, addr, "logq", qs, cfg.runs, log)
	qp.ServerPeakRSS = rss.stop().SampledPeakBytes
	if err != nil {
		return nil, err
	}
	var base []QueryTiming
	if cfg.baseline {
		if qp.Baseline, base, err = runBaseline(ctx, data, qs, cfg.runs, log); err != nil {
			return nil, err
		}
	}
	qp.Results = compareResults(qs, logq, base)
	for _, r := range qp.Results {
		if r.Mismatch {
			qp.Mismatches++
			log("MISMATCH: %s returned %d rows from logq and %d from the baseline", r.ID, r.Logq.Rows, r.Baseline.Rows)
		}
	}
	return qp, nil
}

// runBaseline loads the data set into the baseline while the server is
// idle, times the queries on it and frees it again.
func runBaseline(ctx context.Context, data DataSet, qs []workloadQuery, runs int, log func(string, ...any)) (*BaselineLoad, []QueryTiming, error) {
	log("loading the baseline: %s into a go-mysql-server memory table (several GB at 10M rows)", data.File)
	t0 := time.Now()
	b, err := startBaseline(ctx, data.File)
	if err != nil {
		return nil, nil, err
	}
	load := &BaselineLoad{Rows: b.rows, RejectedLines: b.rejected, LoadSeconds: time.Since(t0).Seconds()}
	runtime.GC() // the load's garbage goes, so that no collection of it runs under the timings
	load.BenchRSSBytes = selfRSS()
	log("baseline loaded: %d rows in %.1f s; bench process RSS %s MiB", load.Rows, load.LoadSeconds, mib(load.BenchRSSBytes))
	if load.Rows != data.Rows {
		log("WARNING: the baseline holds %d rows, the data set %d (%d lines rejected)", load.Rows, data.Rows, load.RejectedLines)
	}
	timings, err := runQueries(ctx, b.addr, "baseline", qs, runs, log)
	err = errors.Join(err, b.close())
	// b is dead from here on (the client and the server are closed), so
	// this collects the table and returns its memory to the system.
	debug.FreeOSMemory()
	return load, timings, err
}

// compareResults pairs the timings of each query on logq and the baseline
// (nil: not run) and flags row counts that differ.
func compareResults(qs []workloadQuery, logq, base []QueryTiming) []QueryResult {
	out := make([]QueryResult, len(qs))
	for i, q := range qs {
		r := QueryResult{ID: q.id, SQL: q.sql, Logq: logq[i], TargetMS: q.targetMS}
		if base != nil {
			b := base[i]
			r.Baseline = &b
			if b.Error == "" && r.Logq.Error == "" {
				r.Mismatch = b.Rows != r.Logq.Rows
				if r.Logq.MedianMS > 0 {
					r.Ratio = b.MedianMS / r.Logq.MedianMS
				}
			}
		}
		out[i] = r
	}
	return out
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
