package bench

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"sync/atomic"
	"time"

	sqle "github.com/dolthub/go-mysql-server"
	"github.com/dolthub/go-mysql-server/memory"
	gmsserver "github.com/dolthub/go-mysql-server/server"
	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/analyzer"
	"github.com/dolthub/go-mysql-server/sql/types"
	"github.com/dolthub/vitess/go/sqltypes"
	"golang.org/x/sync/errgroup"

	"logq/engine/compat"
	"logq/partitions/columns"
	"logq/partitions/jsonl"
)

// baseline is the data set in a plain go-mysql-server memory table (what a
// naive implementation gets), served over the MySQL protocol from this
// process. It holds every row as a sql.Row: about 300 bytes a row, several
// GB at 10M rows, until close.
//
// Its engine takes logq's rules for MySQL's semantics where
// go-mysql-server v0.20.0 answers differently (compat.WithMySQLSemantics:
// DIV over DECIMAL, which Q4 uses; compat.MySQLWire: DATETIME fractions
// with all their digits, which Q9 returns), as the engine tests' reference does:
// the baseline stands for what MySQL answers, so that an answer of logq
// that differs from it is wrong. The rules rewrite a plan once per query
// and cost nothing measurable per row.
type baseline struct {
	addr     string // the MySQL listener, 127.0.0.1:port
	rows     int64  // rows loaded
	rejected int64  // lines the parser refused (logq refuses them too)
	srv      *gmsserver.Server
	engine   *sqle.Engine
	served   chan error // Start's result
}

// baselineColumns is the number of columns of the baseline's logs table.
const baselineColumns = 8

// baselineSchema returns logq's columns for the WORKLOAD.md data set: the
// core columns with logq's types and the two dynamic ones as BIGINT.
func baselineSchema() sql.PrimaryKeySchema {
	varchar := types.MustCreateStringWithDefaults(sqltypes.VarChar, 16383)
	// level, service and host as a MySQL table created with the server's
	// defaults has them: utf8mb4_0900_ai_ci.
	name := types.MustCreateString(sqltypes.VarChar, 16383, sql.Collation_utf8mb4_0900_ai_ci)
	col := func(name string, typ sql.Type) *sql.Column {
		return &sql.Column{Name: name, Type: typ, Nullable: name != "ts", Source: "logs", DatabaseSource: "logq"}
	}
	return sql.NewPrimaryKeySchema(sql.Schema{
		col("ts", types.MustCreateDatetimeType(sqltypes.Datetime, 6)),
		col("level", name), col("service", name), col("host", name), col("trace_id", varchar),
		col("message", types.Text), col("status", types.Int64), col("latency_ms", types.Int64),
	})
}

// startBaseline loads the JSON-lines file into a memory table logq.logs and
// serves it on 127.0.0.1 with an ephemeral port; log, when not nil,
// receives progress lines. The caller must close it.
func startBaseline(ctx context.Context, file string, log func(string, ...any)) (*baseline, error) {
	db := memory.NewDatabase("logq")
	pro := memory.NewDBProvider(db)
	table := memory.NewTable(db, "logs", baselineSchema(), db.GetForeignKeyCollection())
	db.AddTable("logs", table)
	b := &baseline{served: make(chan error, 1)}
	var err error
	if b.rows, b.rejected, err = loadBaseline(ctx, pro, table, file, log); err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("baseline listener: %w", err)
	}
	b.engine = sqle.New(compat.WithMySQLSemantics(analyzer.NewBuilder(pro), "ts").Build(), nil)
	b.srv, err = gmsserver.NewServerWithHandler(gmsserver.Config{Protocol: "tcp", Listener: ln}, b.engine,
		sql.NewContext, memory.NewSessionBuilder(pro), nil, compat.MySQLWire)
	if err != nil {
		return nil, errors.Join(fmt.Errorf("baseline server: %w", err), ln.Close(), closeEngine(b.engine))
	}
	b.addr = ln.Addr().String()
	go func() { b.served <- b.srv.Start() }()
	return b, nil
}

// close stops the server and waits for it; the table is garbage once the
// caller drops b. It is not idempotent.
func (b *baseline) close() error {
	err := b.srv.Close()
	if serr := <-b.served; serr != nil && !errors.Is(serr, net.ErrClosed) {
		err = errors.Join(err, serr)
	}
	return errors.Join(err, closeEngine(b.engine))
}

// closeEngine closes e. Engine.Close reports the context.Canceled of its
// own background threads' shutdown, which is no failure.
func closeEngine(e *sqle.Engine) error {
	if err := e.Close(); err != nil && !errors.Is(err, context.Canceled) {
		return err
	}
	return nil
}

// loadBaseline parses file with logq's own JSON-lines parser on one
// goroutine and inserts the rows through one table inserter on another
// (Table.Insert would copy the table per row). It returns the rows loaded
// and the lines rejected.
//
// The load runs at the speed of go-mysql-server's insert path, which is
// serial: about 4 us a row here, 40 s at 10M rows, half of it in the
// inserter's Close, which hashes every column of every row to pick the
// row's partition (memory.TableData.partition), and most of the rest in
// its per-value type checks. Parsing takes a sixth of that on the other
// core, and garbage collection little (GOGC=300 saved 4 %). So rather than
// being made faster, the load overlaps the server's settle wait (see
// runQueryPhase).
func loadBaseline(ctx context.Context, pro *memory.DbProvider, table *memory.Table, file string, log func(string, ...any)) (rows, rejected int64, err error) {
	f, err := os.Open(file)
	if err != nil {
		return 0, 0, err
	}
	defer f.Close()
	chunks := make(chan []sql.Row, 2)
	var progress loadProgress
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error {
		defer close(chunks)
		var perr error
		rejected, perr = parseRows(gctx, f, chunks)
		return perr
	})
	g.Go(func() error {
		var ierr error
		rows, ierr = insertRows(gctx, pro, table, chunks, &progress)
		return ierr
	})
	stop := reportProgress(log, &progress, progressInterval)
	err = g.Wait()
	stop()
	if err != nil {
		return 0, 0, fmt.Errorf("load the baseline from %s: %w", file, err)
	}
	return rows, rejected, nil
}

// loadProgress is how far the insert has come; safe for concurrent use.
type loadProgress struct {
	inserted atomic.Int64
	filing   atomic.Bool // every row is inserted; go-mysql-server files them into the table
}

// String says in a progress line how far the load has come.
func (p *loadProgress) String() string {
	if p.filing.Load() {
		return fmt.Sprintf("baseline: %s rows inserted; go-mysql-server is filing them into its table (about half of the load)", group(p.inserted.Load()))
	}
	return fmt.Sprintf("baseline: %s rows inserted", group(p.inserted.Load()))
}

// reportProgress logs the progress every interval until the returned
// function is called, the filing phase once; log may be nil.
func reportProgress(log func(string, ...any), p *loadProgress, every time.Duration) (stop func()) {
	if log == nil {
		return func() {}
	}
	done := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		t := time.NewTicker(every)
		defer t.Stop()
		filing := false
		for {
			select {
			case <-done:
				return
			case <-t.C:
			}
			if f := p.filing.Load(); !f || !filing { // the filing phase is said once
				log("%s", p)
				filing = f
			}
		}
	}()
	return func() {
		close(done)
		<-finished
	}
}

// insertRows inserts the chunks into table until chunks is closed,
// counting the rows in p. On error it drains chunks, so that the producer
// never blocks.
func insertRows(ctx context.Context, pro *memory.DbProvider, table *memory.Table, chunks <-chan []sql.Row, p *loadProgress) (int64, error) {
	defer func() {
		for range chunks {
		}
	}()
	sctx := sql.NewContext(ctx, sql.WithSession(memory.NewSession(sql.NewBaseSession(), pro)))
	ins := table.Inserter(sctx)
	var n int64
	for chunk := range chunks {
		if err := ctx.Err(); err != nil {
			return n, errors.Join(err, ins.Close(sctx))
		}
		for _, r := range chunk {
			if err := ins.Insert(sctx, r); err != nil {
				return n, errors.Join(fmt.Errorf("insert row %d: %w", n+1, err), ins.Close(sctx))
			}
			n++
		}
		p.inserted.Store(n)
	}
	p.filing.Store(true) // Close does the filing: half the load's time
	return n, ins.Close(sctx)
}

// parseRows reads r in pieces cut at line ends, parses each with logq's
// JSON-lines parser and sends its rows. It returns the lines rejected.
func parseRows(ctx context.Context, r io.Reader, out chan<- []sql.Row) (int64, error) {
	p := jsonl.NewParser(jsonl.Options{})
	conv := newRowConverter()
	var batch columns.Batch
	var rejected int64
	buf := make([]byte, baselineReadBytes)
	have, line := 0, 1
	for {
		n, err := io.ReadFull(r, buf[have:])
		have += n
		eof := errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF)
		if err != nil && !eof {
			return rejected, err
		}
		cut := have // the last line may lack its newline
		if !eof {
			if cut = bytes.LastIndexByte(buf[:have], '\n') + 1; cut == 0 {
				// One line longer than buf: read more of it.
				buf = append(buf, make([]byte, len(buf))...)
				continue
			}
		}
		if cut == 0 {
			return rejected, nil
		}
		batch.Reset()
		_, errs := p.Parse(buf[:cut], line, &batch)
		rejected += int64(len(errs))
		line += bytes.Count(buf[:cut], []byte{'\n'})
		select {
		case out <- conv.rows(&batch):
		case <-ctx.Done():
			return rejected, ctx.Err()
		}
		have = copy(buf, buf[cut:have])
		if eof {
			return rejected, nil
		}
	}
}

// rowConverter turns batches into rows of the baseline's schema. level,
// service and host hold few distinct values, so it boxes each once and
// shares it between rows; trace_id and message point into one string per
// batch. Not safe for concurrent use.
type rowConverter struct {
	interned map[string]any
}

func newRowConverter() *rowConverter { return &rowConverter{interned: map[string]any{}} }

// rows converts b; the rows share one backing array, each capped to its
// own columns.
func (c *rowConverter) rows(b *columns.Batch) []sql.Row {
	n := b.Len()
	cells := make([]any, n*baselineColumns)
	out := make([]sql.Row, n)
	traces, msgs := string(b.TraceID.Data), string(b.Message.Data)
	status, latency := b.Column("status"), b.Column("latency_ms")
	for i := range n {
		r := cells[i*baselineColumns : (i+1)*baselineColumns : (i+1)*baselineColumns]
		r[0] = time.UnixMicro(b.TS[i]).UTC()
		r[1], r[2], r[3] = c.intern(&b.Level, i), c.intern(&b.Service, i), c.intern(&b.Host, i)
		r[4], r[5] = substring(&b.TraceID, traces, i), substring(&b.Message, msgs, i)
		r[6], r[7] = intValue(status, i), intValue(latency, i)
		out[i] = sql.Row(r)
	}
	return out
}

// intern returns value i of s as a shared boxed string, or nil for NULL.
func (c *rowConverter) intern(s *columns.Strings, i int) any {
	if s.IsNull(i) {
		return nil
	}
	v := s.Value(i)
	if boxed, ok := c.interned[string(v)]; ok {
		return boxed
	}
	var boxed any = string(v)
	if len(c.interned) < baselineInternMax {
		c.interned[string(v)] = boxed
	}
	return boxed
}

// substring returns value i of s as a slice of data (s's arena as a
// string), or nil for NULL.
func substring(s *columns.Strings, data string, i int) any {
	if s.IsNull(i) {
		return nil
	}
	start := uint32(0)
	if i > 0 {
		start = s.Ends[i-1]
	}
	return data[start:s.Ends[i]]
}

// intValue returns row i of an integer column, or nil for NULL, an absent
// column or another type (logq would not make that column a BIGINT either,
// and the WORKLOAD.md data never has one).
func intValue(d *columns.Dynamic, i int) any {
	if d == nil || d.Type != columns.TypeInt64 || i >= d.Len() || d.IsNull(i) {
		return nil
	}
	return d.Ints[i]
}
