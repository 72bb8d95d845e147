package bench

import (
	"context"
	"sync"
	"time"
)

// rateSpans is how many spans the ingest rate over time is reported in.
const rateSpans = 10

// ingestedRowsMetric is the server's count of rows stored by ingest.
const ingestedRowsMetric = "logq_ingest_rows_total"

// rowSample is the server's count of ingested rows at one moment.
type rowSample struct {
	at   time.Duration // since the ingest started
	rows float64
}

// rateSampler reads the server's count of ingested rows every interval
// while the ingest runs, so that a rate falling as the data grows shows
// (a steady average can hide it).
type rateSampler struct {
	stop    chan struct{}
	done    sync.WaitGroup
	samples []rowSample
	// peaks holds the largest value seen of each of memoryGauges.
	peaks []float64
}

// memoryGauges are the server's memory figures whose peaks over the ingest
// are reported: the Go heap in use and its users (logq_memory_bytes).
var memoryGauges = []string{
	"go_memstats_heap_inuse_bytes",
	`logq_memory_bytes{part="buffers"}`,
	`logq_memory_bytes{part="catalog"}`,
	`logq_memory_bytes{part="compaction"}`,
}

// memoryEvery is how many row samples go by between two samples of the
// memory gauges.
const memoryEvery = 10

func startRateSampler(ctx context.Context, metricsURL string, every time.Duration) *rateSampler {
	s := &rateSampler{stop: make(chan struct{})}
	start := time.Now()
	s.samples = append(s.samples, rowSample{})
	s.done.Add(1)
	go func() {
		defer s.done.Done()
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			select {
			case <-s.stop:
				return
			case <-ctx.Done():
				return
			case <-t.C:
			}
			if v, ok := scrapeGauges(ctx, metricsURL, ingestedRowsMetric); ok {
				s.samples = append(s.samples, rowSample{at: time.Since(start), rows: v[0]})
			}
			if len(s.samples)%memoryEvery == 2 { // from the first tick on
				if v, ok := scrapeGauges(ctx, metricsURL, memoryGauges...); ok {
					if s.peaks == nil {
						s.peaks = make([]float64, len(v))
					}
					for i := range v {
						s.peaks[i] = max(s.peaks[i], v[i])
					}
				}
			}
		}
	}()
	return s
}

// finish stops the sampling at the end of an ingest of rows rows that
// took total, and returns the rate in rateSpans spans and the peaks of
// memoryGauges (nil when the server did not report them).
func (s *rateSampler) finish(total time.Duration, rows int64) ([]RateSpan, *MemoryPeaks) {
	close(s.stop)
	s.done.Wait()
	var peaks *MemoryPeaks
	if s.peaks != nil {
		peaks = &MemoryPeaks{HeapInuse: int64(s.peaks[0]), Buffers: int64(s.peaks[1]),
			Catalog: int64(s.peaks[2]), Compaction: int64(s.peaks[3])}
	}
	return rateOverTime(append(s.samples, rowSample{at: total, rows: float64(rows)}), total, rateSpans), peaks
}

// rateOverTime splits [0, total] into n equal spans and returns the rate
// in each, from the samples (by time, the first at 0) interpolated at the
// spans' ends. Spans shorter than the sampling give no figure: nil when
// there are fewer samples than spans.
func rateOverTime(samples []rowSample, total time.Duration, n int) []RateSpan {
	if total <= 0 || len(samples) < n+1 {
		return nil
	}
	rowsAt := func(t time.Duration) float64 {
		for i := 1; i < len(samples); i++ {
			a, b := samples[i-1], samples[i]
			if t <= b.at {
				if b.at == a.at {
					return b.rows
				}
				return a.rows + (b.rows-a.rows)*float64(t-a.at)/float64(b.at-a.at)
			}
		}
		return samples[len(samples)-1].rows
	}
	out := make([]RateSpan, n)
	for k := range n {
		from, to := total*time.Duration(k)/time.Duration(n), total*time.Duration(k+1)/time.Duration(n)
		out[k] = RateSpan{EndSeconds: to.Seconds(), RowsPerSecond: (rowsAt(to) - rowsAt(from)) / (to - from).Seconds()}
	}
	return out
}
