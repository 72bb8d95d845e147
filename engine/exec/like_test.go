package exec

import (
	"bytes"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/expression"
	"github.com/stretchr/testify/require"

	"logq/partitions/columns"
)

// TestLikeFastPathsMatchGMS checks the byte comparisons that replace
// go-mysql-server's LIKE matcher under a bytewise collation, per value and
// over a batch's whole buffer, against that matcher: random values over a
// small alphabet (so that hits, near misses and matches across value ends
// are common), multi-byte characters, empty values and NULLs, and patterns
// of every shape, simple or not.
func TestLikeFastPathsMatchGMS(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	alphabet := []string{"a", "b", "ab", "é", "%", "_", "\\", "x"}
	word := func(max int) string {
		var b strings.Builder
		for range r.IntN(max + 1) {
			b.WriteString(alphabet[r.IntN(len(alphabet))])
		}
		return b.String()
	}
	simple := 0
	for range 3000 {
		var s columns.Strings
		s.Valid = []bool{}
		for range r.IntN(40) {
			if r.IntN(10) == 0 {
				s.AppendNull()
				continue
			}
			s.Append([]byte(word(6)))
		}
		pattern := []string{"%", "", "%%"}[r.IntN(3)] + word(3) + []string{"%", "", "%%"}[r.IntN(3)]
		if r.IntN(4) == 0 {
			pattern = word(2) + "%" + word(2)
		}
		m, err := expression.ConstructLikeMatcher(sql.Collation_utf8mb4_0900_bin, pattern, '\\')
		if err != nil {
			continue // a dangling escape: not claimed by the pushdown either
		}
		kind, lit := simpleLike(pattern, '\\')
		if kind == likeGeneral {
			continue
		}
		simple++
		p := likePred{m: m, Kind: kind, lit: lit}
		var sel, want []int32
		for i := 0; i < s.Len(); i++ {
			sel = append(sel, int32(i))
			if !s.IsNull(i) && m.Match(string(s.Value(i))) {
				want = append(want, int32(i))
			}
			if !s.IsNull(i) {
				require.Equal(t, m.Match(string(s.Value(i))), p.matches(s.Value(i)), "%q LIKE %q", s.Value(i), pattern)
			}
		}
		got := filterLike(p, &s, sel) // whole buffer for likeContains
		require.Equal(t, len(want), len(got), "rows matching %q", pattern)
		for k := range want {
			require.Equal(t, want[k], got[k], "rows matching %q", pattern)
		}
	}
	require.Greater(t, simple, 1000, "simple patterns tried")
}

// TestFinderIsBytesIndex checks the rare-byte search against bytes.Index on
// random text over a small alphabet, from every start position: matches at
// both ends, overlapping matches, needles whose rarest bytes are anywhere,
// and runs of matching bytes that mark false candidates in a word.
func TestFinderIsBytesIndex(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	alphabet := []byte("aabbbc d")
	rnd := func(n int) []byte {
		b := make([]byte, n)
		for i := range b {
			b[i] = alphabet[r.IntN(len(alphabet))]
		}
		return b
	}
	for range 2000 {
		text, lit := rnd(r.IntN(200)), rnd(1+r.IntN(10))
		f := newFinder(lit, text)
		for from := 0; from <= len(text); from++ {
			want := bytes.Index(text[from:], lit)
			if want >= 0 {
				want += from
			}
			require.Equal(t, want, f.index(text, from), "%q in %q from %d", lit, text, from)
		}
	}
}
