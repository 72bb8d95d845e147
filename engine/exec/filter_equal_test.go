package exec

import (
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"

	"logq/partitions/columns"
)

// TestFilterEqual checks the byte-wise equality filter against inPred's
// own matching row by row, over values of few lengths (so that lengths
// often agree), NULLs, and the empty literal, which a NULL must not match.
func TestFilterEqual(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	lengths := []int{0, 1, 2, 8, 9, 16} // short ones, and ones the first word decides
	for range 400 {
		var s columns.Strings
		n := rng.IntN(300)
		for range n {
			if rng.IntN(8) == 0 {
				s.AppendNull()
				continue
			}
			v := make([]byte, lengths[rng.IntN(len(lengths))])
			for k := range v {
				v[k] = "ab"[min(rng.IntN(6), 1)] // mostly a: words often agree
			}
			s.Append(v)
		}
		lit := make([]byte, lengths[rng.IntN(len(lengths))])
		for k := range lit {
			lit[k] = "ab"[min(rng.IntN(6), 1)]
		}
		p := inPred{values: [][]byte{lit}}
		var sel, want []int32
		for i := range n {
			if rng.IntN(4) > 0 {
				sel = append(sel, int32(i))
				if !s.IsNull(i) && p.matches(s.Value(i)) {
					want = append(want, int32(i))
				}
			}
		}
		got := filterIn(&s, p, append([]int32(nil), sel...))
		require.Equal(t, len(want), len(got))
		for k := range want {
			require.Equal(t, want[k], got[k])
		}
	}
}
