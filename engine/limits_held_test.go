package engine

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// TestMemoryHeld sums the charges of the running statements' budgets, and
// a statement's charge leaves the sum with the statement, given back or not.
func TestMemoryHeld(t *testing.T) {
	l := NewQueryLimits(nil, WithQueryMemoryLimit(1<<20))
	a, b := newMemBudget(1<<20, "test"), newMemBudget(1<<20, "test")
	l.running.Store(a, struct{}{})
	l.running.Store(b, struct{}{})
	require.NoError(t, a.grow(1000))
	require.NoError(t, b.grow(300))
	require.Equal(t, int64(1300), l.MemoryHeld())
	require.NoError(t, b.grow(-300))
	require.Equal(t, int64(1000), l.MemoryHeld())
	(&limitedRun{l: l, budget: a}).finish(nil) // ends without giving its charge back
	require.Zero(t, l.MemoryHeld())
}
