package exec

import (
	"regexp"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestRequiredLiteral(t *testing.T) {
	cases := map[string]string{
		"timed out":                     "timed out",
		"timed out after [0-9]+ms":      "timed out after ",
		"[0-9]+ms":                      "ms",
		"(a|aa)*(b|bb)*(.*)*(.*)*x":     "x",
		"(?i)timed out":                 "",
		"a|b":                           "",
		"(abc)+d":                       "abc",
		"x*y":                           "y",
		"(?:error){2,}":                 "error",
		"err(or)?":                      "err",
		"^GET /api/v[0-9]/users/[0-9]+": "GET /api/v",
	}
	for expr, want := range cases {
		got := requiredLiteral(expr)
		require.Equal(t, want, string(got), expr)
		re := regexp.MustCompile(expr)
		// Every match holds the literal: a sample of texts that match.
		for _, s := range []string{"timed out after 350ms", "aabx", "abcabcd", "xxy", "errorerror", "err", "GET /api/v1/users/42", "a", "b"} {
			if m := re.FindString(s); m != "" {
				require.Contains(t, m, string(got), "%s on %q", expr, s)
			}
		}
	}
}
