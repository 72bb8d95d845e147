package bench

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestRateOverTime: the rate in each span, from samples interpolated at
// the spans' ends; a rate that halves halfway shows.
func TestRateOverTime(t *testing.T) {
	s := func(sec float64, rows float64) rowSample {
		return rowSample{at: time.Duration(sec * float64(time.Second)), rows: rows}
	}
	// 1,000 rows/s for 10 s, then 500 rows/s for 10 s, sampled every 3 s.
	var samples []rowSample
	rowsAt := func(sec float64) float64 {
		if sec <= 10 {
			return 1000 * sec
		}
		return 10000 + 500*(sec-10)
	}
	for sec := 0.0; sec < 20; sec += 3 {
		samples = append(samples, s(sec, rowsAt(sec)))
	}
	samples = append(samples, s(20, rowsAt(20)))
	got := rateOverTime(samples, 20*time.Second, 4)
	require.Len(t, got, 4)
	want := []float64{1000, 1000, 500, 500}
	for i, sp := range got {
		require.InDelta(t, float64(5*(i+1)), sp.EndSeconds, 1e-9)
		// Interpolation blurs the span around the change by at most one
		// sample interval's worth.
		require.InDelta(t, want[i], sp.RowsPerSecond, 120, "span %d", i)
	}
	require.InDelta(t, 1000, got[0].RowsPerSecond, 1e-6, "no change within the first span")

	require.Nil(t, rateOverTime(samples[:3], 20*time.Second, 4), "fewer samples than spans")
	require.Nil(t, rateOverTime(samples, 0, 4))
}
