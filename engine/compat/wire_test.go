package compat

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// TestPadFraction checks the text MySQL sends for DATETIME(n) values.
func TestPadFraction(t *testing.T) {
	for _, tc := range []struct {
		in       string
		decimals int
		want     string // "" when unchanged
	}{
		{"2026-11-01 10:00:00", 6, "2026-11-01 10:00:00.000000"},
		{"2026-11-01 10:00:00.12", 6, "2026-11-01 10:00:00.120000"},
		{"2026-11-01 10:00:00.123456", 6, ""},
		{"2026-11-01 10:00:00.5", 3, "2026-11-01 10:00:00.500"},
		{"2026-11-01 10:00:00", 1, "2026-11-01 10:00:00.0"},
	} {
		got, changed := padFraction([]byte(tc.in), tc.decimals)
		require.Equal(t, tc.want != "", changed, tc.in)
		if changed {
			require.Equal(t, tc.want, string(got), tc.in)
		}
	}
}
