package engine_test

import (
	"bufio"
	"bytes"
	"context"
	gosql "database/sql"
	"encoding/json"
	"fmt"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	sqle "github.com/dolthub/go-mysql-server"
	"github.com/dolthub/go-mysql-server/memory"
	gmsserver "github.com/dolthub/go-mysql-server/server"
	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/analyzer"
	"github.com/dolthub/go-mysql-server/sql/types"
	"github.com/dolthub/vitess/go/mysql"
	"github.com/dolthub/vitess/go/sqltypes"
	_ "github.com/go-sql-driver/mysql"
	"github.com/stretchr/testify/require"

	"logq/bench"
	"logq/catalog"
	"logq/engine"
	"logq/engine/compat"
	"logq/partitions"
	"logq/partitions/columns"
	"logq/partitions/jsonl"
)

// dataStart is the start of the generated data, as in WORKLOAD.md.
var dataStart = time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)

// genData returns rows WORKLOAD-like JSON lines over days days.
func genData(t testing.TB, rows int64, days int, seed uint64) []byte {
	var buf bytes.Buffer
	require.NoError(t, bench.Generate(&buf, bench.GenOptions{Rows: rows, Days: days, Seed: seed, Start: dataStart}))
	return buf.Bytes()
}

// refRow is a row decoded independently of logq's parser (encoding/json and
// time.Parse), for the reference table.
type refRow struct {
	TS                                     time.Time
	Level, Service, Host, TraceID, Message string
	Status, Latency                        int64
}

func decodeRef(t testing.TB, data []byte) []refRow {
	var out []refRow
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var v struct {
			TS                            string
			Level, Service, Host, Message string
			TraceID                       string `json:"trace_id"`
			Status                        int64
			Latency                       int64 `json:"latency_ms"`
		}
		require.NoError(t, json.Unmarshal(sc.Bytes(), &v))
		ts, err := time.Parse(time.RFC3339Nano, v.TS)
		require.NoError(t, err, v.TS)
		out = append(out, refRow{TS: ts.UTC().Truncate(time.Microsecond), Level: v.Level, Service: v.Service,
			Host: v.Host, TraceID: v.TraceID, Message: v.Message, Status: v.Status, Latency: v.Latency})
	}
	require.NoError(t, sc.Err())
	return out
}

// logqConfig describes one way of storing the same rows.
type logqConfig struct {
	shards      int
	bucket      time.Duration
	batchRows   int
	unflushed   float64 // share of the rows (the last ones) left in the buffer
	sealed      float64 // share of the rows, the first unflushed ones, sealed in memory (Store.Seal); at most unflushed
	appendLines int     // lines per Append
	workers     int     // engine.Options.Workers; 0: one per core
	noCache     bool    // decode every batch on every read
	flushEvery  int     // 0, or flush after every flushEvery appends too: several segments per partition
	loopback    bool    // engine.Options.PlanLoopback: every query through the plan's encoding
	// limits, when not nil, serves through engine.QueryLimits with these
	// options, as logq serve does.
	limits []engine.LimitsOption
}

func (c logqConfig) String() string {
	return fmt.Sprintf("shards=%d bucket=%s batch=%d unflushed=%.2f sealed=%.2f workers=%d cache=%v",
		c.shards, c.bucket, c.batchRows, c.unflushed, c.sealed, c.workers, !c.noCache)
}

// startLogq stores data under cfg and serves it over the MySQL protocol;
// it returns a client connected with time_zone +00:00.
func startLogq(t testing.TB, data []byte, cfg logqConfig) *gosql.DB {
	db, _ := startLogqStore(t, data, cfg)
	return db
}

// startLogqStore is startLogq that also returns the store.
func startLogqStore(t testing.TB, data []byte, cfg logqConfig) (*gosql.DB, *partitions.Store) {
	db, st, _ := startLogqProvider(t, data, cfg)
	return db, st
}

// startLogqProvider is startLogqStore that also returns the engine's
// provider (its ScanStats).
func startLogqProvider(t testing.TB, data []byte, cfg logqConfig) (*gosql.DB, *partitions.Store, *engine.Provider) {
	cat := catalog.New()
	// The sealer's own rules (a batch of rows, a second, a query's read)
	// would make the tests' states depend on timing: the zero policy seals
	// rows on Store.Seal only.
	st, err := partitions.Open(t.TempDir(), partitions.WithObserver(cat), partitions.WithShards(cfg.shards),
		partitions.WithBucketWidth(cfg.bucket), partitions.WithBatchRows(cfg.batchRows),
		partitions.WithCompactInterval(0), partitions.WithFlushAge(time.Hour), partitions.WithFlushBytes(1<<30),
		partitions.WithSealing(partitions.SealPolicy{}))
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, st.Close()) })

	lines := bytes.SplitAfter(data, []byte("\n"))
	if len(lines[len(lines)-1]) == 0 {
		lines = lines[:len(lines)-1]
	}
	flushAt := int(float64(len(lines)) * (1 - cfg.unflushed))
	sealAt := min(flushAt+int(float64(len(lines))*cfg.sealed), len(lines))
	p := jsonl.NewParser(jsonl.Options{})
	appends := 0
	for lo := 0; lo < len(lines); {
		hi := min(lo+cfg.appendLines, len(lines))
		for _, at := range []int{flushAt, sealAt} {
			if lo < at && hi > at {
				hi = at
			}
		}
		b := &columns.Batch{}
		n, errs := p.Parse(bytes.Join(lines[lo:hi], nil), lo+1, b)
		require.Empty(t, errs)
		require.Equal(t, hi-lo, n)
		require.NoError(t, st.Append(context.Background(), b))
		appends++
		if hi == flushAt || cfg.flushEvery > 0 && appends%cfg.flushEvery == 0 && hi < flushAt {
			require.NoError(t, st.Flush())
		}
		if hi == sealAt && sealAt > flushAt {
			st.Seal()
		}
		lo = hi
	}
	o := engine.Options{Workers: cfg.workers, PlanLoopback: cfg.loopback}
	if cfg.noCache {
		o.CacheBytes = -1
	}
	e, pro := engine.New(st, cat, o)
	if cfg.limits != nil {
		l := engine.NewQueryLimits(e.ProcessList, cfg.limits...)
		return serveSQLWith(t, e, l.SessionBuilder, "", func(h mysql.Handler) (mysql.Handler, error) {
			h, err := compat.MySQLWire(h)
			if err != nil {
				return nil, err
			}
			return l.Wrap(h)
		}), st, pro
	}
	return serveSQL(t, e, engine.SessionBuilder, ""), st, pro
}

// startReference loads rows into a go-mysql-server in-memory table logq.logs
// with logq's columns and serves it over the MySQL protocol.
func startReference(t testing.TB, rows []refRow) *gosql.DB {
	db := memory.NewDatabase("logq")
	pro := memory.NewDBProvider(db)
	varchar := types.MustCreateStringWithDefaults(sqltypes.VarChar, 16383)
	// level, service and host as a MySQL table created with the server's
	// defaults has them: utf8mb4_0900_ai_ci.
	name := types.MustCreateString(sqltypes.VarChar, 16383, sql.Collation_utf8mb4_0900_ai_ci)
	col := func(name string, typ sql.Type) *sql.Column {
		return &sql.Column{Name: name, Type: typ, Nullable: name != "ts", Source: "logs"}
	}
	table := memory.NewTable(db, "logs", sql.NewPrimaryKeySchema(sql.Schema{
		col("ts", types.MustCreateDatetimeType(sqltypes.Datetime, 6)),
		col("level", name), col("service", name), col("host", name), col("trace_id", varchar),
		col("message", types.Text), col("status", types.Int64), col("latency_ms", types.Int64),
	}), db.GetForeignKeyCollection())
	db.AddTable("logs", table)
	ctx := sql.NewContext(context.Background(), sql.WithSession(memory.NewSession(sql.NewBaseSession(), pro)))
	ins := table.Inserter(ctx)
	for _, r := range rows {
		require.NoError(t, ins.Insert(ctx, sql.NewRow(r.TS, r.Level, r.Service, r.Host, r.TraceID, r.Message, r.Status, r.Latency)))
	}
	require.NoError(t, ins.Close(ctx))
	a := compat.WithMySQLSemantics(analyzer.NewBuilder(pro), "ts").Build()
	return serveSQL(t, sqle.New(a, nil), memory.NewSessionBuilder(pro), "logq")
}

// serveSQL serves e on a free port and returns a client.
func serveSQL(t testing.TB, e *sqle.Engine, sb gmsserver.SessionBuilder, dbName string) *gosql.DB {
	return serveSQLWith(t, e, sb, dbName, compat.MySQLWire)
}

// serveSQLWith is serveSQL with the protocol handler wrapped by wrap.
func serveSQLWith(t testing.TB, e *sqle.Engine, sb gmsserver.SessionBuilder, dbName string, wrap gmsserver.HandlerWrapper) *gosql.DB {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	srv, err := gmsserver.NewServerWithHandler(gmsserver.Config{Protocol: "tcp", Listener: ln}, e, sql.NewContext, sb, nil, wrap)
	require.NoError(t, err)
	go srv.Start()
	t.Cleanup(func() { srv.Close() })
	db, err := gosql.Open("mysql", fmt.Sprintf("root@tcp(%s)/%s?time_zone=%%27%%2B00%%3A00%%27", ln.Addr(), dbName))
	require.NoError(t, err)
	t.Cleanup(func() { db.Close() })
	serverAddrs.Store(db, ln.Addr().(*net.TCPAddr))
	return db
}

// serverAddrs maps each client serveSQL returned to its server's address,
// for tests that talk to the server with other clients (the mysql CLI).
var serverAddrs sync.Map

// queryStrings runs q and returns every row as text, NULL as "NULL".
func queryStrings(t testing.TB, db *gosql.DB, q string, args ...any) [][]string {
	rows, err := db.Query(q, args...)
	require.NoError(t, err, q)
	return rowStrings(t, rows, q)
}

// rowStrings reads and closes the rows of q, every row as text, NULL as
// "NULL".
func rowStrings(t testing.TB, rows *gosql.Rows, q string) [][]string {
	out, err := scanRows(rows)
	require.NoError(t, err, q)
	return out
}

// scanRows is rowStrings that returns a failure of the rows instead of
// failing the test: an error may come after the first rows.
func scanRows(rows *gosql.Rows) ([][]string, error) {
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return nil, err
	}
	var out [][]string
	for rows.Next() {
		vals := make([]gosql.NullString, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return nil, err
		}
		row := make([]string, len(cols))
		for i, v := range vals {
			row[i] = "NULL"
			if v.Valid {
				row[i] = v.String
			}
		}
		out = append(out, row)
	}
	return out, rows.Err()
}

// sameAnswer checks that got and want are the same rows; ordered says the
// query fixes their order by column orderCol (-1: unordered), in which case
// the sequence of that column must match and rows may only be permuted
// among equal keys. A LIMIT may cut a run of equal keys differently, so rows
// of the last key are compared by count only when limited is set.
func sameAnswer(t testing.TB, q string, want, got [][]string, orderCol int, limited bool) {
	require.Equal(t, len(want), len(got), "row count of %s", q)
	if orderCol >= 0 {
		for i := range want {
			require.Equal(t, want[i][orderCol], got[i][orderCol], "order key of row %d of %s", i, q)
		}
	}
	last := ""
	if limited && len(want) > 0 && orderCol >= 0 {
		last = want[len(want)-1][orderCol]
	}
	count := map[string]int{}
	for _, r := range want {
		if limited && r[orderCol] == last {
			continue
		}
		count[strings.Join(r, "\x00")]++
	}
	for _, r := range got {
		if limited && r[orderCol] == last {
			continue
		}
		k := strings.Join(r, "\x00")
		count[k]--
		require.GreaterOrEqual(t, count[k], 0, "row %q of %s is not in the reference answer", r, q)
	}
}
