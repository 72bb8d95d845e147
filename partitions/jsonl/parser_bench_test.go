package jsonl

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"logq/partitions/columns"
)

// workloadLines generates n lines shaped like the benchmark data set of
// WORKLOAD.md: six zone offsets, skewed levels, svc-N and host-N, 16-hex-digit
// trace ids, status and latency_ms integers and messages of about 60 bytes.
func workloadLines(n int, seed uint64) []byte {
	r := rand.New(rand.NewPCG(seed, 1))
	zones := []struct {
		name string
		off  time.Duration
	}{{"Z", 0}, {"-08:00", -8 * time.Hour}, {"-05:00", -5 * time.Hour}, {"+01:00", time.Hour},
		{"+05:30", 5*time.Hour + 30*time.Minute}, {"+09:00", 9 * time.Hour}}
	levels := []string{"DEBUG", "DEBUG", "DEBUG", "DEBUG", "DEBUG", "DEBUG", "DEBUG", "DEBUG",
		"INFO", "INFO", "INFO", "INFO", "INFO", "INFO", "INFO", "INFO", "INFO", "WARN", "WARN", "ERROR"}
	templates := []string{
		"GET /api/v1/orders/%d completed status=%d duration=%dms",
		"POST /api/v1/payments/%d completed status=%d duration=%dms",
		"connection to db-primary timed out after %dms (attempt %d of %d)",
		"payment provider returned error %d for order %d after %dms",
		"NullPointerException in handler OrderController.get id=%d code=%d t=%d",
		"cache miss for key user:%d:profile shard=%d took=%dus",
	}
	start := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	var buf bytes.Buffer
	for i := range n {
		ts := start.Add(time.Duration(i)*60*time.Millisecond + time.Duration(r.IntN(4000)-2000)*time.Millisecond)
		ts = ts.Add(time.Duration(r.IntN(1000)) * time.Microsecond)
		svc := min(int(r.ExpFloat64()*8), 49)
		z := zones[svc%len(zones)]
		status := []int{200, 200, 200, 201, 204, 400, 404, 500}[r.IntN(8)]
		latency := int(r.ExpFloat64() * 40)
		msg := fmt.Sprintf(templates[r.IntN(len(templates))], r.IntN(100000), status, latency)
		fmt.Fprintf(&buf, `{"ts":"%s%s","level":"%s","service":"svc-%d","host":"host-%d","trace_id":"%016x",`+
			`"status":%d,"latency_ms":%d,"message":"%s"}`+"\n",
			ts.Add(z.off).Format("2006-01-02T15:04:05.000000"), z.name, levels[r.IntN(len(levels))],
			svc, svc*4+r.IntN(4), r.Uint64(), status, latency, msg)
	}
	return buf.Bytes()
}

// BenchmarkParse parses 10,000 generated lines per iteration into a batch
// reset each time, as an ingest worker does per flushed batch. Shapes:
// workload (the lines of WORKLOAD.md), nested (plus a nested object and an
// array) and unicode (non-ASCII messages with escapes).
func BenchmarkParse(b *testing.B) {
	const lines = 10_000
	workload := workloadLines(lines, 1)
	shapes := []struct {
		name string
		data []byte
	}{
		{"workload", workload},
		{"nested", bytes.ReplaceAll(workload, []byte(`"status":`),
			[]byte(`"http":{"method":"GET","req":{"path":"/api/v1/orders","bytes":1234}},"tags":["a","b"],"status":`))},
		{"unicode", bytes.ReplaceAll(workload, []byte(`completed`), []byte(`abgeschlossen über Straße 完成しました`))},
	}
	for _, shape := range shapes {
		b.Run(shape.name, func(b *testing.B) {
			p := NewParser(Options{})
			var batch columns.Batch
			b.SetBytes(int64(len(shape.data)))
			b.ReportAllocs()
			for b.Loop() {
				batch.Reset()
				n, errs := p.Parse(shape.data, 1, &batch)
				if n != lines || len(errs) != 0 {
					b.Fatalf("accepted %d of %d: %v", n, lines, errs)
				}
			}
			rows := float64(b.N) * lines
			b.ReportMetric(b.Elapsed().Seconds()*1e9/rows, "ns/row")
			b.ReportMetric(rows/b.Elapsed().Seconds(), "rows/s")
		})
	}
}
