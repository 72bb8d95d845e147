package engine_test

import (
	"os"
	"strconv"
	"testing"
	"time"
)

// BenchmarkWorkloadQueries times WORKLOAD.md queries through the wire over
// LOGQ_BENCH_ROWS generated rows (default 1M) stored with the server's
// default layout. `make bench` measures the 10M-row figures end to end.
func BenchmarkWorkloadQueries(b *testing.B) {
	rows := int64(1_000_000)
	if v, err := strconv.ParseInt(os.Getenv("LOGQ_BENCH_ROWS"), 10, 64); err == nil {
		rows = v
	}
	data := genData(b, rows, 7, 1)
	lq := startLogq(b, data, logqConfig{shards: 4, bucket: 24 * time.Hour, batchRows: 1 << 16, unflushed: 0.05, appendLines: 10000})
	for _, q := range workloadQueries("3c2e5b1a9f0d4e7b") {
		b.Run(q.id, func(b *testing.B) {
			queryStrings(b, lq, q.sql) // warm the cache
			b.ResetTimer()
			for range b.N {
				queryStrings(b, lq, q.sql)
			}
		})
	}
}
