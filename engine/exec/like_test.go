package exec

import (
	"bytes"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/expression"
	"github.com/stretchr/testify/require"

	"logq/partitions/collate"
	"logq/partitions/columns"
)

// TestLikeFastPathsMatchGMS checks the LIKE filter, per value and over a
// batch's whole buffer (the search for the literal of '%lit%'), against
// go-mysql-server's matcher under each collation logq compares itself:
// random values over a small alphabet (so that hits, near misses and
// matches across value ends are common), with case and accent variants,
// U+FFFD (a character, which go-mysql-server is asked about as U+2603) and
// a malformed byte (which nothing matches under utf8mb4), empty values and
// NULLs, and patterns of every shape.
func TestLikeFastPathsMatchGMS(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	alphabet := []string{"a", "A", "b", "ab", "é", "É", "%", "_", "\\", "x", "\ufffd", "\xff"}
	word := func(max int) string {
		var b strings.Builder
		for range r.IntN(max + 1) {
			b.WriteString(alphabet[r.IntN(len(alphabet))])
		}
		return b.String()
	}
	colls := map[sql.CollationID]collate.LikeCollation{
		sql.Collation_binary: collate.Binary, sql.Collation_utf8mb4_0900_bin: collate.Bin0900,
		sql.Collation_utf8mb4_0900_ai_ci: collate.AICI,
	}
	needles := 0
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
		for id, coll := range colls {
			m, err := expression.ConstructLikeMatcher(id, standIn(pattern), '\\')
			lp, cerr := newLikePred(StringAccessor{Core: ColMessage}, pattern, '\\', coll, "like")
			require.Equal(t, err != nil, cerr != nil, "%q under %s: %v, %v", pattern, coll, err, cerr)
			if err != nil {
				continue // a dangling escape or malformed UTF-8: not claimed by the pushdown either
			}
			if lp.m.Needle() != nil {
				needles++
			}
			var sel, want []int32
			for i := 0; i < s.Len(); i++ {
				sel = append(sel, int32(i))
				if !s.IsNull(i) && m.Match(standIn(string(s.Value(i)))) {
					want = append(want, int32(i))
				}
				if !s.IsNull(i) {
					require.Equal(t, m.Match(standIn(string(s.Value(i)))), lp.matches(s.Value(i)), "%q LIKE %q under %s", s.Value(i), pattern, coll)
				}
			}
			got := filterLike(lp, &s, sel) // whole buffer for '%lit%'
			require.True(t, slices.Equal(want, got), "rows matching %q under %s: %v, want %v", pattern, coll, got, want)
		}
	}
	require.Greater(t, needles, 500, "patterns searched for over the whole buffer")
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

// standIn replaces U+FFFD in s with U+2603 for go-mysql-server's matcher,
// which reads U+FFFD as a malformed byte where MySQL and collate.Like read
// the character (see collate's TestStandInIsLikeFFFD).
func standIn(s string) string { return strings.ReplaceAll(s, "\ufffd", "\u2603") }
