package segment

import (
	"fmt"
	"math"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestBloomFalsePositiveRate(t *testing.T) {
	cases := []struct {
		keys, bitsPerKey int
		maxRate          float64 // measured rate must stay below
	}{
		{keys: 1000, bitsPerKey: 10, maxRate: 0.02},
		{keys: 65536, bitsPerKey: 10, maxRate: 0.015},
		{keys: 65536, bitsPerKey: 16, maxRate: 0.002},
		{keys: 10000, bitsPerKey: 5, maxRate: 0.20}, // 8 bits set per key is too many for 5 bits
	}
	for _, tc := range cases {
		t.Run(fmt.Sprintf("%d keys %d bits", tc.keys, tc.bitsPerKey), func(t *testing.T) {
			f := NewBloom(tc.keys, tc.bitsPerKey)
			require.Len(t, f.Blocks, (tc.keys*tc.bitsPerKey+255)/256)
			for i := range tc.keys {
				f.Add(fmt.Sprintf("%016x", uint64(i)*0x9e3779b97f4a7c15))
			}
			for i := range tc.keys {
				require.True(t, f.MayContain(fmt.Sprintf("%016x", uint64(i)*0x9e3779b97f4a7c15)), "false negative")
			}
			const probes = 200000
			fp := 0
			for i := range probes {
				if f.MayContain(fmt.Sprintf("absent-%d", i)) {
					fp++
				}
			}
			rate := float64(fp) / probes
			t.Logf("false-positive rate %.4f", rate)
			require.Less(t, rate, tc.maxRate)
		})
	}
}

func TestBloomBlockRange(t *testing.T) {
	for _, n := range []int{1, 2, 3, 255, 1000} {
		f := &Bloom{Blocks: make([][8]uint32, n)}
		seen := make(map[int]bool)
		for _, h := range []uint64{0, 1, math.MaxUint32, 1 << 32, math.MaxUint64, math.MaxUint64 - 1<<32} {
			b := f.block(h)
			require.GreaterOrEqual(t, b, 0)
			require.Less(t, b, n)
		}
		// The block is the high 32 bits scaled onto [0, n): spread evenly.
		for k := range n {
			h := (uint64(k)*(1<<32) + (1 << 31)) / uint64(n) << 32
			seen[f.block(h)] = true
		}
		require.Len(t, seen, n, "every block is reachable")
		require.Equal(t, n-1, f.block(math.MaxUint64))
	}
}

func TestBloomMinimumSize(t *testing.T) {
	require.Len(t, NewBloom(0, 10).Blocks, 1)
	f := NewBloom(1, 1)
	require.False(t, f.MayContain("x"))
	f.Add("x")
	require.True(t, f.MayContain("x"))
}
