package segment

import (
	"bytes"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestStatsMemoryBytes compares the estimate with what the Go heap retains
// for the statistics of a WORKLOAD segment (every trace_id distinct, so
// its bloom filters are full size), read back from the file as the catalog
// reads them at start-up.
func TestStatsMemoryBytes(t *testing.T) {
	var buf bytes.Buffer
	_, err := Encode(&buf, genWorkload(rand.New(rand.NewPCG(7, 8)), 4<<16), WriteOptions{})
	require.NoError(t, err)
	path := filepath.Join(t.TempDir(), "w.seg")
	require.NoError(t, os.WriteFile(path, buf.Bytes(), 0o600))

	const copies = 20 // many, so that the heap's noise is small beside them
	held := make([]*Stats, copies)
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	for i := range held {
		held[i], err = ReadStats(path)
		require.NoError(t, err)
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	retained := float64(after.HeapAlloc-before.HeapAlloc) / copies
	estimate := float64(held[0].MemoryBytes())
	t.Logf("stats of %d rows: %.0f bytes retained, %.0f estimated (%.2f B/row)", held[0].Rows, retained, estimate, estimate/float64(held[0].Rows))
	require.InDelta(t, 1, estimate/retained, 0.25, "estimate %.0f, heap %.0f", estimate, retained)
	runtime.KeepAlive(held)
}
