package catalog

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"logq/partitions"
	"logq/partitions/segment"
)

// benchCatalog builds the statistics of WORKLOAD.md's data set: 10M rows in
// 153 batches of 65,536 rows over 7 days × 4 shards, services svc-0…svc-49
// skewed (weight 1/(i+1)) with 4 hosts each, exact service and host sets,
// and a trace_id bloom filter of 65,536 keys per batch. It returns the
// catalog and one trace_id present in the data.
func benchCatalog(tb testing.TB) (*Catalog, string) {
	const days, shards, batches, batchRows, segmentBatches = 7, 4, 153, 65536, 4
	weights, services, hosts := make([]float64, shards), make([][]string, shards), make([][]string, shards)
	for i := range 50 {
		svc := fmt.Sprintf("svc-%d", i)
		sh := partitions.ShardOf([]byte(svc), shards)
		weights[sh] += 1 / float64(i+1)
		services[sh] = append(services[sh], svc)
		for h := range 4 {
			hosts[sh] = append(hosts[sh], fmt.Sprintf("host-%d", i*4+h))
		}
	}
	partWeights := make([]float64, 0, days*shards)
	for range days {
		partWeights = append(partWeights, weights...)
	}
	perPartition := largestRemainder(batches, partWeights)
	rng := rand.New(rand.NewPCG(1, 2))
	c := New()
	trace := "45e1107f8b92357a"
	for d := range int64(days) {
		for sh := range shards {
			k := dayKey(d, sh)
			n := perPartition[int(d)*shards+sh]
			var segs []*partitions.Segment
			for first := 0; first < n; first += segmentBatches {
				var bs []segment.BatchStats
				for i := first; i < min(n, first+segmentBatches); i++ {
					bs = append(bs, benchBatch(rng, k, i, n, batchRows, services[sh], hosts[sh]))
				}
				segs = append(segs, segmentOf(k, uint64(len(segs)+1), bs...))
			}
			if d == 2 && sh == 1 {
				segs[0].Stats.Batches[0].TraceIDs.Bloom.Add(trace)
			}
			c.SegmentsChanged(k, segs, nil)
		}
	}
	if got := c.Plan(Predicate{MinTS: math.MinInt64, MaxTS: math.MaxInt64}).Stats.BatchesTotal; got != batches {
		tb.Fatalf("bench catalog has %d batches, want %d", got, batches)
	}
	return c, trace
}

// benchBatch returns batch i of n evenly covering partition k's day.
func benchBatch(rng *rand.Rand, k partitions.Key, i, n, rows int, services, hosts []string) segment.BatchStats {
	span := k.Width / int64(n)
	f := segment.NewBloom(rows, 10)
	for range rows {
		f.AddHash(rng.Uint64())
	}
	return segment.BatchStats{
		Rows: rows, MinTS: k.Start + int64(i)*span, MaxTS: k.Start + int64(i+1)*span - 1,
		CompressedBytes: 2_400_000, RawBytes: 5_500_000,
		Levels: []segment.ValueCount{
			{Value: "DEBUG", Count: rows * 40 / 100}, {Value: "ERROR", Count: rows * 45 / 1000},
			{Value: "FATAL", Count: rows * 5 / 1000}, {Value: "INFO", Count: rows * 45 / 100}, {Value: "WARN", Count: rows / 10},
		},
		Services: segment.ValueSet{Values: dedup(services)},
		Hosts:    segment.ValueSet{Values: dedup(hosts)},
		TraceIDs: segment.ValueSet{Bloom: f},
	}
}

// largestRemainder splits total (rounded down) over weights proportionally.
func largestRemainder(total float64, weights []float64) []int {
	var sum float64
	for _, w := range weights {
		sum += w
	}
	out, left := make([]int, len(weights)), int(total)
	rem := make([]float64, len(weights))
	for i, w := range weights {
		exact := total * w / sum
		out[i] = int(exact)
		rem[i] = exact - float64(out[i])
		left -= out[i]
	}
	for ; left > 0; left-- {
		best := 0
		for i := range rem {
			if rem[i] > rem[best] {
				best = i
			}
		}
		out[best]++
		rem[best] = -1
	}
	return out
}

func BenchmarkPlan(b *testing.B) {
	c, trace := benchCatalog(b)
	nov3 := nov1 + 2*dayMicros
	all := Predicate{MinTS: math.MinInt64, MaxTS: math.MaxInt64}
	benches := []struct {
		name string
		p    Predicate
	}{
		{"Q1-hour-error-one-service", Predicate{MinTS: nov3 + 10*hourMicros, MaxTS: nov3 + 11*hourMicros - 1,
			Levels: []string{"ERROR"}, Services: []string{"svc-3"}}},
		{"Q6-trace-id", Predicate{MinTS: math.MinInt64, MaxTS: math.MaxInt64, TraceIDs: []string{trace}}},
		{"Q4-day-error-fatal", Predicate{MinTS: nov3, MaxTS: nov3 + dayMicros, Levels: []string{"ERROR", "FATAL"}}},
		{"Q10-unconstrained", all},
	}
	for _, bb := range benches {
		b.Run(bb.name, func(b *testing.B) {
			b.ReportAllocs()
			var st PlanStats
			for b.Loop() {
				pl := c.Plan(bb.p)
				st = pl.Stats
				pl.Release()
			}
			b.ReportMetric(float64(st.PartitionsKept), "partitions")
			b.ReportMetric(float64(st.BatchesKept), "batches")
		})
	}
}
