package compat

import (
	"fmt"
	"math/rand/v2"
	"regexp"
	"strings"
	"testing"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/expression"
	"github.com/dolthub/go-mysql-server/sql/expression/function"
	"github.com/dolthub/go-mysql-server/sql/types"
	"github.com/stretchr/testify/require"
)

// TestRegexpMatchesICU compares logq's regular expression functions with
// go-mysql-server's, which run ICU (MySQL's engine), on patterns both
// engines accept and texts with case, accents, digits and line breaks.
// go-mysql-server's functions are built and evaluated directly, outside
// any engine; logq's come from the rule that replaces them.
func TestRegexpMatchesICU(t *testing.T) {
	texts := []string{"", "abc", "ABC def", "dog cat dog", "aa aaa aaaa", "Timed out after 350ms",
		"line one\nline two", "café CAFÉ", "x=1, y=22, z=333", "GET /api/v1/users/42 200", "ümlaut Über"}
	patterns := []string{"a", "abc", "^a", "c$", "[a-z]+", "[[:digit:]]+", "\\d{2,}", "\\bdog\\b", "(a|b)c",
		"o.t", "^line", "two$", "time[ds]? ?out", "CAF.", "é", "\\w+", "a{2}", "(\\d+)ms", ".*", "z",
		`[\w.]+`, `\s+`, `\D+`, `[^\d ]+`, `\W`, `\S+\s\S+`}
	flags := []string{"", "c", "i", "m", "n", "ci", "ic", "mn"}
	ctx := sql.NewEmptyContext()
	lit := func(v any) sql.Expression {
		switch v := v.(type) {
		case string:
			return expression.NewLiteral(v, types.LongText)
		default:
			return expression.NewLiteral(v, types.Int32)
		}
	}
	rng := rand.New(rand.NewPCG(3, 4))
	compared := 0
	for _, text := range texts {
		for _, pat := range patterns {
			f := flags[rng.IntN(len(flags))]
			pos := 1 + rng.IntN(max(1, len([]rune(text))))
			if strings.Contains(pat, "^") || strings.Contains(pat, `\b`) {
				pos = 1 // past 1, RE2 sees the text from the position on (regexp.go)
			}
			occ := rng.IntN(3)
			cases := []struct {
				fn   func(...sql.Expression) (sql.Expression, error)
				args []sql.Expression
			}{
				{function.NewRegexpLike, []sql.Expression{lit(text), lit(pat)}},
				{function.NewRegexpLike, []sql.Expression{lit(text), lit(pat), lit(f)}},
				{function.NewRegexpInstr, []sql.Expression{lit(text), lit(pat)}},
				{function.NewRegexpInstr, []sql.Expression{lit(text), lit(pat), lit(pos), lit(max(occ, 1)), lit(occ % 2), lit(f)}},
				{function.NewRegexpSubstr, []sql.Expression{lit(text), lit(pat), lit(pos), lit(max(occ, 1))}},
				{function.NewRegexpReplace, []sql.Expression{lit(text), lit(pat), lit("<$0>")}},
				{function.NewRegexpReplace, []sql.Expression{lit(text), lit(pat), lit("#"), lit(pos), lit(occ), lit(f)}},
			}
			if regexp.MustCompile(pat).MatchString("") {
				// ICU also counts the empty match right after another one
				// ('.*' matches "abc" twice); Go's regexp, and so logq, do
				// not (regexp.go). Only REGEXP_LIKE is compared.
				cases = cases[:2]
			}
			for _, c := range cases {
				icu, err := c.fn(c.args...)
				require.NoError(t, err)
				want, wantErr := icu.Eval(ctx, nil)
				if d, ok := icu.(sql.Disposable); ok {
					d.Dispose()
				}
				re2 := newRegexp(icu)
				require.NotNil(t, re2, "%s is replaced", icu)
				got, gotErr := re2.Eval(ctx, nil)
				q := fmt.Sprintf("%s with text %q", icu, text)
				if wantErr != nil {
					require.Error(t, gotErr, q)
					continue
				}
				require.NoError(t, gotErr, q)
				require.Equal(t, normalise(want), normalise(got), q)
				compared++
			}
		}
	}
	t.Logf("%d calls compared", compared)
}

// normalise makes ICU's and logq's answers comparable: both give int8 and
// int32, but go-mysql-server may box integers in other widths.
func normalise(v any) any {
	switch v := v.(type) {
	case int8:
		return int64(v)
	case int32:
		return int64(v)
	case int64:
		return v
	}
	return v
}
