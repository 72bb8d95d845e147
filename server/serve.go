package server

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net"
	"net/http"
	"os"
	"runtime/debug"
	"strings"
	"time"

	gmsserver "github.com/dolthub/go-mysql-server/server"
	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/vitess/go/mysql"
	"github.com/sirupsen/logrus"

	"logq/catalog"
	"logq/engine"
	"logq/engine/compat"
	"logq/partitions"
	"logq/server/accounts"
	"logq/server/flightsvc"
	"logq/server/placement"
)

// serveConfig holds the flags of `logq serve`.
type serveConfig struct {
	dataDir      string
	httpAddr     string
	mysqlAddr    string
	bucket       time.Duration
	shards       int
	flushBytes   int64
	flushAge     time.Duration
	minFreeBytes int64
	maxExecTime  time.Duration
	maxConns     int64
	maxPacket    int64
	retention    time.Duration
	compactEvery time.Duration
	walRepair    bool
	scrub        bool
	ingest       IngestConfig
	logLevel     string
	demo         bool
	pprof        bool
	memoryLimit  int64
	queryMemory  int64
	sql          engine.Options
	maxColumns   int
	columnsAllow string
	columnsDeny  string
	httpAuth     string
	tlsCert      string
	tlsKey       string
	requireTLS   bool

	flightAddr        string
	flightAdvertise   string
	clusterSecretFile string
	clusterFile       string
	clusterName       string
	nodeID            string
}

func (c *serveConfig) flags(fs *flag.FlagSet) {
	fs.StringVar(&c.dataDir, "data", "data", "data directory")
	fs.StringVar(&c.mysqlAddr, "mysql-addr", "127.0.0.1:3306", "MySQL protocol listen address; port 0 picks one")
	fs.StringVar(&c.httpAddr, "http-addr", "127.0.0.1:8080", "HTTP listen address (ingest, /healthz, /metrics); port 0 picks one")
	fs.StringVar(&c.flightAddr, "flight-addr", "", "Arrow Flight listen address through which the other nodes of a cluster run plans on this one; empty: none; port 0 picks one")
	fs.StringVar(&c.flightAdvertise, "flight-advertise-addr", "", "the address the other nodes reach --flight-addr at, as recorded in etcd; default: --flight-addr")
	fs.StringVar(&c.clusterFile, "cluster", "", "the cluster this node is part of: etcd://HOST:PORT[,HOST:PORT...], or a static file with one node per line, ID HOST:PORT (its Flight address); rows go to their partitions' owners and every query reads every node (needs --node-id)")
	fs.StringVar(&c.clusterName, "cluster-name", "logq", "with --cluster etcd://...: the cluster's name, under which its keys live in etcd (/logq/NAME/)")
	fs.StringVar(&c.nodeID, "node-id", "", "this node's ID in the cluster, stable across restarts: placement hashes it; in a static file, its address there is the default --flight-addr")
	fs.StringVar(&c.clusterSecretFile, "cluster-secret-file", "", "file holding the secret the nodes of a cluster share: every Flight call must carry it (required when --flight-addr listens beyond this machine, unless etcd keeps the cluster's)")
	fs.DurationVar(&c.bucket, "bucket", 24*time.Hour, "time bucket of new partitions")
	fs.IntVar(&c.shards, "shards", 4, "service shards of new partitions")
	fs.Int64Var(&c.flushBytes, "flush-bytes", 64<<20, "buffered bytes that trigger a flush to a segment")
	fs.DurationVar(&c.flushAge, "flush-age", time.Minute, "age of the oldest buffered row that triggers a flush")
	fs.Int64Var(&c.minFreeBytes, "min-free-bytes", 64<<20, "refuse ingest (HTTP 507) while the data directory's file system has less free space; 0: only when full")
	fs.Int64Var(&c.maxConns, "max-connections", 1000, "open MySQL connections past which a new one gets error 1040; 0: no limit")
	fs.Int64Var(&c.maxPacket, "max-allowed-packet", 64<<20, "largest request a MySQL client may send (a statement with its data), in bytes; past it the connection is closed (MySQL's max_allowed_packet)")
	fs.DurationVar(&c.maxExecTime, "max-execution-time", time.Minute, "default max_execution_time of SELECTs (a session may SET its own, 0 for none); past it a query fails with error 3024")
	fs.DurationVar(&c.retention, "retention", 0, "drop partitions older than this (0 keeps everything)")
	fs.DurationVar(&c.compactEvery, "compact-interval", 10*time.Second, "how often compaction and retention run (0 disables)")
	fs.BoolVar(&c.scrub, "scrub", true, "after start, verify every segment's checksums in the background and quarantine damaged ones")
	fs.BoolVar(&c.walRepair, "wal-repair", false, "drop damaged WAL records before the tail instead of refusing to start")
	fs.DurationVar(&c.ingest.AcceptPast, "accept-past", 0, "reject ts older than now minus this (0: back to 1970-01-01 00:00:01 UTC)")
	fs.DurationVar(&c.ingest.AcceptFuture, "accept-future", 24*time.Hour, "reject ts later than now plus this")
	fs.BoolVar(&c.ingest.IngestTime, "ingest-time", false, "give rows without ts the arrival time instead of rejecting them")
	fs.Int64Var(&c.ingest.MinBodyRate, "min-body-rate", defaultMinBodyRate, "after 10 s an ingest body must have averaged this many bytes/s, or it is cut with 408; negative: no minimum")
	fs.Int64Var(&c.ingest.MaxBodyBytes, "max-body-bytes", defaultMaxBodyBytes, "largest ingest request body, as sent")
	fs.Int64Var(&c.ingest.MaxDecompressedBytes, "max-decompressed-bytes", defaultMaxDecompressedBytes, "largest JSON a gzip ingest body may expand to")
	fs.IntVar(&c.ingest.MaxLineBytes, "max-line-bytes", defaultMaxLineBytes, "longest JSON line")
	fs.IntVar(&c.ingest.MaxFields, "max-fields", defaultMaxFields, "most fields in one line, after flattening")
	fs.IntVar(&c.maxColumns, "max-columns", 1000, "most dynamic columns; fields past it go to the catch-all JSON column _extra")
	fs.IntVar(&c.ingest.MaxNewColumns, "max-new-columns", defaultMaxNewColumns, "most columns one ingest request may create; its further new fields go to _extra (negative: none)")
	fs.StringVar(&c.columnsAllow, "columns-allow", "", "comma-separated field name patterns ('*' matches anything, e.g. 'http.*,user_id') that get columns; other fields go to _extra (empty: all)")
	fs.StringVar(&c.columnsDeny, "columns-deny", "", "comma-separated field name patterns whose fields are dropped, never stored (wins over --columns-allow)")
	fs.Int64Var(&c.memoryLimit, "memory-limit", defaultMemoryLimit, "soft memory limit of the Go heap in bytes (GC works harder near it); 0: none; the GOMEMLIMIT variable wins")
	fs.Int64Var(&c.queryMemory, "query-memory-limit", -1, "bytes one SQL statement may hold in sorts, groups, DISTINCT keys and join tables; past it the statement fails with error 1041 (a session may lower it: SET logq_query_memory_limit); 0: none; negative: a quarter of the Go memory limit (192 MiB at the default --memory-limit)")
	fs.IntVar(&c.sql.Workers, "scan-workers", 0, "batch loads (decode and filter) running at once across queries; 0: one per core")
	fs.Int64Var(&c.sql.CacheBytes, "cache-bytes", 0, "decoded batches kept between queries, in bytes; 0: 256 MiB, negative: none")
	fs.StringVar(&c.httpAuth, "http-auth", httpAuthAuto, "HTTP credentials (Authorization: Bearer NAME:PASSWORD, see `logq user token`): auto requires them unless --http-addr is loopback-only, required always")
	fs.StringVar(&c.tlsCert, "tls-cert", "", "PEM certificate (chain) for TLS on both listeners: MySQL sessions that ask for it, and HTTPS; reread on SIGHUP")
	fs.StringVar(&c.tlsKey, "tls-key", "", "PEM private key of --tls-cert")
	fs.BoolVar(&c.requireTLS, "require-secure-transport", false, "refuse MySQL sessions without TLS (error 3159); needs --tls-cert")
	fs.BoolVar(&c.demo, "demo", false, "load a demo data set (the last two days) when the data directory is empty")
	fs.BoolVar(&c.pprof, "pprof", false, "serve Go profiles under /debug/pprof/ on the HTTP listener (logq bench --cpuprofile uses them)")
	fs.StringVar(&c.logLevel, "log-level", "info", "log level: debug, info, warn, error")
}

// RunServe runs `logq serve` until ctx is done (SIGTERM/SIGINT), then shuts
// down gracefully: stop accepting, finish requests, flush buffers. It prints
// "ready http=ADDR" on stdout once the listeners accept connections.
// demo provides the data set --demo loads.
func RunServe(ctx context.Context, args []string, stdout, stderr io.Writer, demo DemoData) int {
	var cfg serveConfig
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	cfg.flags(fs)
	configFile := fs.String("config", "", "JSON file of flag values, e.g. {\"data\": \"/var/lib/logq\"}; command-line flags win")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *configFile != "" {
		if err := applyConfigFile(fs, *configFile); err != nil {
			fmt.Fprintf(stderr, "logq serve: %v\n", err)
			return 2
		}
	}
	log := newLogger(stderr, cfg.logLevel)
	// go-mysql-server logs every connection at info level through logrus.
	if cfg.logLevel != "debug" {
		logrus.SetLevel(logrus.WarnLevel)
	}
	if os.Getenv("GOMEMLIMIT") == "" && cfg.memoryLimit > 0 {
		debug.SetMemoryLimit(cfg.memoryLimit)
	}
	if err := serve(ctx, cfg, stdout, log, demo); err != nil {
		log.Error("serve", "err", err)
		return 1
	}
	return 0
}

// applyConfigFile sets every flag named in the JSON object of path that was
// not given on the command line.
func applyConfigFile(fs *flag.FlagSet, path string) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	var values map[string]any
	if err := json.Unmarshal(data, &values); err != nil {
		return fmt.Errorf("config %s: %w", path, err)
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	for name, v := range values {
		if fs.Lookup(name) == nil {
			return fmt.Errorf("config %s: unknown setting %q", path, name)
		}
		if set[name] {
			continue
		}
		if err := fs.Set(name, fmt.Sprint(v)); err != nil {
			return fmt.Errorf("config %s: %s: %w", path, name, err)
		}
	}
	return nil
}

func newLogger(w io.Writer, level string) *slog.Logger {
	var l slog.Level
	if err := l.UnmarshalText([]byte(level)); err != nil {
		l = slog.LevelInfo
	}
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: l}))
}

func serve(ctx context.Context, cfg serveConfig, stdout io.Writer, log *slog.Logger, demo DemoData) error {
	// The cluster's flags are checked before the store opens: a wrong
	// one costs no WAL replay.
	secret, err := readClusterSecret(cfg.clusterSecretFile)
	if err != nil {
		return err
	}
	cl, err := joinCluster(ctx, &cfg, secret, log)
	if err != nil {
		return err
	}
	defer cl.Close()
	secret = cl.secret // etcd's, when no file gives it
	if cfg.flightAddr != "" && secret == "" && !loopbackOnly(cfg.flightAddr) {
		return fmt.Errorf("--flight-addr %s listens beyond this machine: give the nodes a shared secret with --cluster-secret-file", cfg.flightAddr)
	}
	var pool *flightsvc.Pool
	if cl.view != nil {
		pool = flightsvc.NewPool(cl.view, secret)
		defer pool.Close()
		cfg.sql.Nodes = pool
	}
	cat := catalog.New()
	store, err := partitions.Open(cfg.dataDir,
		partitions.WithObserver(cat),
		partitions.WithLogger(log),
		partitions.WithBucketWidth(cfg.bucket),
		partitions.WithShards(cfg.shards),
		partitions.WithFlushBytes(cfg.flushBytes),
		partitions.WithFlushAge(cfg.flushAge),
		partitions.WithMinFreeBytes(cfg.minFreeBytes),
		partitions.WithRetention(cfg.retention),
		partitions.WithCompactInterval(cfg.compactEvery),
		partitions.WithWALRepair(cfg.walRepair),
		partitions.WithScrub(cfg.scrub),
		partitions.WithMaxColumns(cfg.maxColumns),
		partitions.WithColumnPolicy(partitions.ColumnPolicy{
			Allow: partitions.ParsePatterns(cfg.columnsAllow), Deny: partitions.ParsePatterns(cfg.columnsDeny)}),
		partitions.WithFatalHandler(func(err error) {
			// A failed fsync may have lost acknowledged-looking data and a
			// retry can lie: stop at once and let the restart replay the WAL.
			log.Error("fatal storage error; exiting", "err", err)
			os.Exit(1)
		}),
	)
	if err != nil {
		return err
	}
	var app appender = store
	var local flightsvc.Store = store // where this node's own rows go
	var known *knownStore
	if cl.etcd != nil {
		known = newKnownStore(store, cat, cl.etcd)
		local = known
	}
	if cl.view != nil {
		// Rows go to their partitions' owners, whichever node takes them.
		app = placement.New(cl.view, local, poolNodes{pool})
		cfg.sql.Appender = app
	}
	mux := http.NewServeMux()
	ingest := NewIngestHandler(app, cfg.ingest, log)
	if limit := debug.SetMemoryLimit(-1); limit > 0 && limit < math.MaxInt64 {
		cfg.sql.MemoryLimit = limit // the batch cache yields to the other users
	}
	sqlEngine, pro := engine.New(store, cat, cfg.sql)
	acc, err := accounts.Open(cfg.dataDir, sqlEngine.Analyzer.Catalog.MySQLDb, log)
	if err == nil {
		err = checkExposure(cfg, acc)
	}
	auth, authErr := httpAuthorizer(cfg, acc)
	cert, certErr := loadCertificate(cfg.tlsCert, cfg.tlsKey, log)
	if err = errors.Join(err, authErr, certErr); err == nil && cfg.requireTLS && cert == nil {
		err = errors.New("--require-secure-transport needs --tls-cert and --tls-key")
	}
	if err != nil {
		return errors.Join(err, store.Close())
	}
	var tlsConfig *tls.Config
	if cert != nil {
		tlsConfig = cert.config()
		defer cert.reloadOnHangup()()
	}
	m := newMetrics(store, cat, ingest.Stats(), pro)
	m.watchAccounts(acc)
	if pool != nil {
		m.watchCluster(pool)
	}
	if cfg.demo && demo != nil {
		if err := loadDemo(ctx, store, ingest, demo, log); err != nil {
			return errors.Join(err, store.Close())
		}
	}
	mux.Handle("/api/v1/ingest", auth(accounts.Insert, m.instrumentIngest(ingest)))
	registerColumns(mux, store, cat, log, auth)
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok\n") })
	mux.Handle("/metrics", m.handler())
	if cfg.pprof {
		registerProfiling(mux)
	}

	ln, err := net.Listen("tcp", cfg.mysqlAddr)
	if err != nil {
		return errors.Join(fmt.Errorf("MySQL listener: %w", err), store.Close())
	}
	mysqlLn := &mysqlListener{Listener: ln, maxConns: cfg.maxConns, maxPacket: cfg.maxPacket, log: log}
	m.watchConnections(mysqlLn)
	if err := errors.Join(engine.SetDefaultExecutionTime(cfg.maxExecTime), engine.SetMaxAllowedPacket(cfg.maxPacket)); err != nil {
		return errors.Join(err, mysqlLn.Close(), store.Close())
	}
	limits := engine.NewQueryLimits(sqlEngine.ProcessList, engine.WithQueryMemoryLimit(queryMemoryLimit(cfg.queryMemory)))
	m.watchLimits(limits)
	m.watchMemory(store, cat, pro, limits)
	mysqlCfg := gmsserver.Config{Protocol: "tcp", Listener: mysqlLn, Version: mysqlVersion, TLSConfig: tlsConfig,
		ProtocolListenerFactory: mysqlListenerFactory(acc, cfg.requireTLS)}
	mysqlSrv, err := gmsserver.NewServerWithHandler(mysqlCfg,
		sqlEngine, sql.NewContext, limits.SessionBuilder, m.queries, func(h mysql.Handler) (mysql.Handler, error) {
			h, err := compat.MySQLWire(h)
			if err != nil {
				return nil, err
			}
			if h, err = engine.AccountsWire(h); err != nil {
				return nil, err
			}
			h, err = limits.Wrap(h)
			return &countingHandler{Handler: h, l: mysqlLn}, err
		})
	if err != nil {
		return errors.Join(err, mysqlLn.Close(), store.Close())
	}
	httpLn, err := net.Listen("tcp", cfg.httpAddr)
	if err != nil {
		return errors.Join(fmt.Errorf("HTTP listener: %w", err), mysqlSrv.Close(), store.Close())
	}
	var flightSrv *flightsvc.Server
	summaries := nodeSummaries(cat, store, known)
	if cl.flightLn != nil {
		svc := flightsvc.NewService(pro.Executor(), local, log)
		svc.SetSummaries(summaries)
		flightSrv = flightsvc.Serve(cl.flightLn, svc, secret)
		cl.flightLn = nil // the server's now: it closes it
	}
	if err := cl.announce(ctx, summaries); err != nil {
		return errors.Join(err, flightSrv.Stop(), httpLn.Close(), mysqlSrv.Close(), store.Close())
	}
	// Idle keep-alive connections close after two minutes; a slow body is
	// the ingest handler's (min body rate).
	httpSrv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 2 * time.Minute, TLSConfig: tlsConfig}
	errc := make(chan error, 2)
	go func() {
		if tlsConfig != nil {
			errc <- httpSrv.ServeTLS(httpLn, "", "")
			return
		}
		errc <- httpSrv.Serve(httpLn)
	}()
	go func() { errc <- mysqlSrv.Start() }()
	ready := fmt.Sprintf("ready mysql=%s http=%s", mysqlLn.Addr(), httpLn.Addr())
	if flightSrv != nil {
		ready += fmt.Sprintf(" flight=%s", flightSrv.Addr())
	}
	fmt.Fprintln(stdout, ready)
	log.Info("serving", "mysql", mysqlLn.Addr().String(), "http", httpLn.Addr().String(), "data", cfg.dataDir)

	select {
	case <-ctx.Done():
	case err = <-errc:
	}
	log.Info("shutting down")
	shutCtx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cl.Close() // first: the other nodes stop sending queries and rows here
	// Stop taking writes from both front ends, then flush.
	return errors.Join(err, httpSrv.Shutdown(shutCtx), mysqlSrv.Close(), flightSrv.Stop(), closeEngine(sqlEngine), store.Close())
}

// minClusterSecret is the shortest cluster secret accepted: 128 bits of
// hex, as `openssl rand -hex 16` gives.
const minClusterSecret = 32

// readClusterSecret returns the secret in path, without surrounding white
// space; "" when path is empty.
func readClusterSecret(path string) (string, error) {
	if path == "" {
		return "", nil
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("--cluster-secret-file: %w", err)
	}
	secret := strings.TrimSpace(string(b))
	if len(secret) < minClusterSecret {
		return "", fmt.Errorf("--cluster-secret-file %s: the secret has %d characters; give at least %d (e.g. openssl rand -hex 16)", path, len(secret), minClusterSecret)
	}
	return secret, nil
}

// queryMemoryLimit returns the per-statement memory limit of flag value
// flag: itself when not negative, else the default: a quarter of the Go
// runtime's memory limit (--memory-limit or GOMEMLIMIT), or
// fallbackQueryMemoryLimit when there is none (consts.go says why).
func queryMemoryLimit(flag int64) int64 {
	if flag >= 0 {
		return flag
	}
	if limit := debug.SetMemoryLimit(-1); limit > 0 && limit < math.MaxInt64 {
		return limit / queryMemoryShare
	}
	return fallbackQueryMemoryLimit
}

// closeEngine closes the SQL engine. go-mysql-server's Engine.Close always
// reports context.Canceled (it cancels its own background context), which
// is the expected outcome of a shutdown, not a failure.
func closeEngine(e interface{ Close() error }) error {
	if err := e.Close(); err != nil && !errors.Is(err, context.Canceled) {
		return err
	}
	return nil
}
