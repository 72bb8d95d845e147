package bench

import (
	"context"
	"fmt"
	"io"
	"runtime"
	"sync"
	"time"
)

// GenOptions selects a data set. The zero value of Rows, Days and Start
// selects the WORKLOAD.md default (10M rows, 7 days from
// 2026-11-01T00:00:00Z); Seed is used as given, and the default data set uses
// DefaultSeed.
type GenOptions struct {
	Rows  int64
	Days  int
	Seed  uint64
	Start time.Time
}

// DefaultGenOptions returns the options of the WORKLOAD.md data set.
func DefaultGenOptions() GenOptions {
	return GenOptions{Rows: DefaultRows, Days: DefaultDays, Seed: DefaultSeed, Start: defaultStart}
}

// Row is one generated log row, as written in its JSON line.
type Row struct {
	TS        time.Time // in the emitting service's zone (a fixed offset)
	Level     string
	Service   string
	Host      string
	TraceID   string
	Status    int
	LatencyMS int
	Message   string
}

// plan validates o and returns its integer form.
func (o GenOptions) plan() (*plan, error) {
	if o.Rows == 0 {
		o.Rows = DefaultRows
	}
	if o.Days == 0 {
		o.Days = DefaultDays
	}
	if o.Start.IsZero() {
		o.Start = defaultStart
	}
	if o.Rows < 0 {
		return nil, fmt.Errorf("rows %d: must be positive", o.Rows)
	}
	// 100 years of days keeps the span in int64 microseconds with room.
	if o.Days < 0 || o.Days > 36500 {
		return nil, fmt.Errorf("days %d: must be between 1 and 36500", o.Days)
	}
	// Four-digit years before and after the jitter and the zone offsets.
	if y := o.Start.Year(); y < 1 || y+o.Days/365+2 > 9999 {
		return nil, fmt.Errorf("start %s: year must be between 1 and 9998 minus the span", o.Start.Format(time.RFC3339))
	}
	return &plan{
		rows:        o.Rows,
		seed:        o.Seed,
		startMicros: o.Start.UnixMicro(),
		spanMicros:  int64(o.Days) * 86400e6,
	}, nil
}

// Generate writes the data set o describes to w as JSON lines (WORKLOAD.md).
// The bytes depend only on o and genVersion: the same options always give
// the same bytes, whatever the number of cores. It uses all cores
// (GOMAXPROCS) and writes to w from the calling goroutine only.
func Generate(w io.Writer, o GenOptions) error {
	_, err := generate(context.Background(), w, o, runtime.GOMAXPROCS(0), nil)
	return err
}

// RowAt returns row i (counting from 0) of the data set o describes, without
// generating more than the rows of its chunk. The benchmark uses it to pick
// values that exist in the data, such as a trace_id to look up.
func RowAt(o GenOptions, i int64) (Row, error) {
	p, err := o.plan()
	if err != nil {
		return Row{}, err
	}
	if i < 0 || i >= p.rows {
		return Row{}, fmt.Errorf("row %d: out of range [0, %d)", i, p.rows)
	}
	g := newChunkGen(p, i/genChunkRows)
	for g.next <= i {
		g.step()
	}
	v := &g.v
	z := zones[services.zone[v.service]]
	loc := time.FixedZone(z.suffix, int(z.offsetMicros/1e6))
	return Row{
		TS:        time.UnixMicro(v.tsMicros).In(loc),
		Level:     levelNames[v.level],
		Service:   services.names[v.service],
		Host:      services.host[v.host],
		TraceID:   string(appendHex16(nil, v.traceID)),
		Status:    v.status,
		LatencyMS: v.latencyMS,
		Message:   string(v.msg),
	}, nil
}

// genStats summarises one generation.
type genStats struct {
	rows  int64
	bytes int64
}

// progressFunc is told the rows and bytes written so far, from the
// goroutine that writes, after each chunk.
type progressFunc func(rows, bytes int64)

// chunkOut is one formatted chunk on its way to the writer.
type chunkOut struct {
	buf  []byte
	rows int64
}

// generate writes the data set with workers goroutines formatting chunks
// (chunk c on worker c mod workers) and the caller writing them in order.
// It stops at the first write error or when ctx is done.
func generate(ctx context.Context, w io.Writer, o GenOptions, workers int, progress progressFunc) (genStats, error) {
	p, err := o.plan()
	if err != nil {
		return genStats{}, err
	}
	workers = max(1, min(workers, int(p.chunks())))
	ctx, cancel := context.WithCancel(ctx)
	outs := make([]chan chunkOut, workers)
	free := make([]chan []byte, workers)
	var wg sync.WaitGroup
	for k := range workers {
		outs[k] = make(chan chunkOut, 1)
		free[k] = make(chan []byte, 2)
		free[k] <- nil
		free[k] <- nil
		wg.Go(func() { formatChunks(ctx, p, k, workers, free[k], outs[k]) })
	}
	defer func() {
		cancel() // unblock the workers before waiting for them
		wg.Wait()
	}()
	var st genStats
	for c := range p.chunks() {
		k := c % int64(workers)
		var out chunkOut
		select {
		case out = <-outs[k]:
		case <-ctx.Done():
			return st, ctx.Err()
		}
		if err := writeChunk(w, out.buf); err != nil {
			return st, err
		}
		st.rows += out.rows
		st.bytes += int64(len(out.buf))
		free[k] <- out.buf
		if progress != nil {
			progress(st.rows, st.bytes)
		}
	}
	return st, nil
}

// formatChunks formats the chunks of worker k into buffers taken from free
// and sends them on out, until the chunks run out or ctx is done.
func formatChunks(ctx context.Context, p *plan, k, workers int, free <-chan []byte, out chan<- chunkOut) {
	for c := int64(k); c < p.chunks(); c += int64(workers) {
		var buf []byte
		select {
		case buf = <-free:
		case <-ctx.Done():
			return
		}
		g := newChunkGen(p, c)
		buf = buf[:0]
		var n int64
		for g.step() {
			buf = g.appendLine(buf)
			n++
		}
		select {
		case out <- chunkOut{buf: buf, rows: n}:
		case <-ctx.Done():
			return
		}
	}
}

// writeChunk writes buf in pieces of genWriteBytes, so that a pipe or a
// slow writer sees steady writes rather than one of several MB.
func writeChunk(w io.Writer, buf []byte) error {
	for len(buf) > 0 {
		n := min(len(buf), genWriteBytes)
		if _, err := w.Write(buf[:n]); err != nil {
			return fmt.Errorf("write data: %w", err)
		}
		buf = buf[n:]
	}
	return nil
}
