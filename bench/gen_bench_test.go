package bench

import (
	"context"
	"io"
	"testing"
)

// BenchmarkGenerate measures the generator writing to io.Discard, on one
// worker and on all cores; -benchtime counts chunks of genChunkRows rows.
func BenchmarkGenerate(b *testing.B) {
	for _, bc := range []struct {
		name    string
		workers int
	}{{"workers=1", 1}, {"workers=2", 2}} {
		b.Run(bc.name, func(b *testing.B) {
			o := DefaultGenOptions()
			o.Rows = int64(b.N) * genChunkRows
			b.ReportAllocs()
			st, err := generate(context.Background(), io.Discard, o, bc.workers, nil)
			if err != nil {
				b.Fatal(err)
			}
			b.SetBytes(st.bytes / int64(b.N))
			b.ReportMetric(float64(st.rows)/b.Elapsed().Seconds(), "rows/s")
		})
	}
}
