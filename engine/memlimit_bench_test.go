package engine_test

import (
	gosql "database/sql"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"logq/engine"
)

// BenchmarkQueryMemoryLimit times ordinary statements through the wire
// without QueryLimits, with QueryLimits and no memory limit, and with a
// limit they stay far below: the cost of the per-statement budget, the
// charging and the client check.
func BenchmarkQueryMemoryLimit(b *testing.B) {
	const n = 200_000
	data := memRows(n)
	cfg := logqConfig{shards: 2, bucket: 24 * time.Hour, batchRows: 4096, unflushed: 0.05, appendLines: 10000}
	for _, c := range []struct {
		name   string
		limits []engine.LimitsOption
	}{
		{"no-limits", nil},
		{"limit-none", []engine.LimitsOption{}},
		{"limit-1GiB", []engine.LimitsOption{engine.WithQueryMemoryLimit(1 << 30)}},
	} {
		cfg.limits = c.limits
		db := startLogq(b, data, cfg)
		for _, q := range []struct{ name, sql string }{
			{"select1", "SELECT 1"},
			{"pushed-agg", "SELECT level, COUNT(*) FROM logs GROUP BY level"},
			{"ts-limit", "SELECT * FROM logs ORDER BY ts DESC LIMIT 100"},
			{"topn", "SELECT message FROM logs ORDER BY message LIMIT 10"},
			{"gms-groupby", "SELECT host, COUNT(*), MIN(message) FROM logs GROUP BY host"},
			{"sort-20k", fmt.Sprintf("SELECT message FROM logs WHERE ts < FROM_UNIXTIME(%d) ORDER BY message DESC", memBase+20_000)},
			{"join-small", fmt.Sprintf("SELECT COUNT(*) FROM logs a JOIN logs b ON a.host = b.host WHERE a.ts < FROM_UNIXTIME(%d) AND b.ts < FROM_UNIXTIME(%d)", memBase+400, memBase+400)},
		} {
			setup := []string(nil)
			if q.name == "gms-groupby" {
				setup = []string{"SET logq_aggregate_pushdown = 0"}
			}
			b.Run(q.name+"/"+c.name, func(b *testing.B) {
				conn := db
				if setup != nil {
					conn = startOne(b, db, setup)
				}
				queryStrings(b, conn, q.sql) // warm the cache
				b.ResetTimer()
				for range b.N {
					queryStrings(b, conn, q.sql)
				}
			})
		}
	}
}

// startOne returns a client of db's server with one connection, on which
// setup ran.
func startOne(tb testing.TB, db *gosql.DB, setup []string) *gosql.DB {
	addr, _ := serverAddrs.Load(db)
	one, err := gosql.Open("mysql", fmt.Sprintf("root@tcp(%s)/", addr))
	require.NoError(tb, err)
	tb.Cleanup(func() { one.Close() })
	one.SetMaxOpenConns(1)
	for _, s := range setup {
		_, err := one.Exec(s)
		require.NoError(tb, err, s)
	}
	return one
}
