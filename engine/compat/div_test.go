package compat

import (
	"math/rand/v2"
	"strconv"
	"testing"

	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/require"
)

// TestSmallIntDivIsQuoRem checks the int64 path of DIV against the exact
// DECIMAL division it replaces, on random operands of every scale it takes,
// negative ones included.
func TestSmallIntDivIsQuoRem(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	checked := 0
	for range 20000 {
		l := decimal.New(r.Int64N(2_000_000_000_000_000)-1_000_000_000_000_000, -int32(r.IntN(10)))
		d := decimal.New(r.Int64N(200_000)-100_000, int32(r.IntN(3)))
		if d.IsZero() {
			continue
		}
		q, ok := smallIntDiv(l, d)
		if !ok {
			continue
		}
		want, _ := l.QuoRem(d, 0)
		require.Equal(t, want.String(), strconv.FormatInt(q, 10), "%s DIV %s", l, d)
		checked++
	}
	require.Greater(t, checked, 10000)
}
