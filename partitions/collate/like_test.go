package collate_test

import (
	"errors"
	"math/rand/v2"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/expression"
	"github.com/stretchr/testify/require"

	"logq/partitions/collate"
)

// likeCollations pairs each LikeCollation with go-mysql-server's.
var likeCollations = []struct {
	c  collate.LikeCollation
	id sql.CollationID
}{
	{collate.Binary, sql.Collation_binary},
	{collate.Bin0900, sql.Collation_utf8mb4_0900_bin},
	{collate.AICI, sql.Collation_utf8mb4_0900_ai_ci},
}

func TestLikeCollationOf(t *testing.T) {
	for _, lc := range likeCollations {
		c, ok := collate.LikeCollationOf(lc.id.Name())
		require.True(t, ok, lc.id.Name())
		require.Equal(t, lc.c, c)
		require.Equal(t, lc.id.Name(), c.String())
		c, ok = collate.LikeCollationOf(strings.ToUpper(lc.id.Name()))
		require.True(t, ok)
		require.Equal(t, lc.c, c)
	}
	require.Equal(t, sql.Collation_utf8mb4_0900_ai_ci, collate.ID)
	for _, name := range []string{"utf8mb4_general_ci", "utf8mb4_bin", "latin1_swedish_ci", ""} {
		_, ok := collate.LikeCollationOf(name)
		require.False(t, ok, name)
	}
	_, err := collate.CompileLike("a", '\\', 0)
	require.ErrorIs(t, err, collate.ErrLikePattern)
}

// likePieces are what the random patterns and values of TestLikeMatchesGMS
// are made of: letters in both cases and with accents, characters of one
// weight under utf8mb4_0900_ai_ci (a, A, á; s, S, ſ; n, N, ñ), ß (not ss),
// characters of weight 0 that MySQL would ignore (NUL, a control, a
// zero-width space, a soft hyphen), digits and punctuation, two-, three-
// and four-byte characters, U+FFFD, malformed UTF-8 (a stray continuation
// byte, a cut sequence, 0xFF, an encoded surrogate), and the wildcards and
// escape characters.
var likePieces = []string{
	"a", "A", "á", "b", "B", "e", "E", "é", "É", "è", "s", "S", "ſ", "ß", "ss", "n", "N", "ñ",
	"0", "1", " ", "-", "\t",
	"\x00", "\x01", "\u200b", "\u00ad",
	"€", "😀", "𝐧", "\ufffd",
	"\x80", "\xc3", "\xff", "\xe2\x82", "\xed\xa0\x80",
	"%", "%", "%", "_", "_", "\\", "!", "é",
}

// likeEscapes are the escape characters tried: the default, an ASCII one,
// one of two bytes in UTF-8 whose code point is also a byte (under binary
// it escapes after the byte 0xE9), one above U+00FF, and the two wildcards.
var likeEscapes = []rune{'\\', '!', 'é', '€', '%', '_'}

// TestLikeMatchesGMS compiles random patterns under each collation with
// each escape character, and requires CompileLike to fail exactly when
// go-mysql-server's ConstructLikeMatcher does and otherwise to answer
// exactly as its matcher on random values, and on values made from the
// pattern so that many match.
func TestLikeMatchesGMS(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	pick := func() string { return likePieces[r.IntN(len(likePieces))] }
	random := func(max int) string {
		var b strings.Builder
		for range r.IntN(max + 1) {
			b.WriteString(pick())
		}
		return b.String()
	}
	for _, lc := range likeCollations {
		t.Run(lc.c.String(), func(t *testing.T) {
			var compiled, failed, tried, matched int
			for range 20_000 {
				escape := likeEscapes[r.IntN(len(likeEscapes))]
				pattern := random(6)
				if r.IntN(8) == 0 {
					pattern += string(escape) // often a trailing escape
				}
				// go-mysql-server reads U+FFFD as a malformed byte, where
				// MySQL (and Like) read the character: it is asked about the
				// same pattern and values with a character of its own weight,
				// U+2603, in its place.
				want, wantErr := expression.ConstructLikeMatcher(lc.id, standIn(pattern), escape)
				got, err := collate.CompileLike(pattern, escape, lc.c)
				if wantErr != nil {
					require.ErrorIs(t, err, collate.ErrLikePattern, "%q ESCAPE %q", pattern, escape)
					failed++
					continue
				}
				require.NoError(t, err, "%q ESCAPE %q", pattern, escape)
				compiled++
				for k := range 30 {
					v := random(8)
					if k%2 == 0 {
						v = likeInstance(r, pattern, escape, pick)
					}
					m := want.Match(standIn(v))
					require.Equal(t, m, got.Match([]byte(v)), "%q LIKE %q ESCAPE %q", v, pattern, escape)
					tried++
					if m {
						matched++
					}
				}
			}
			t.Logf("%d patterns compiled, %d refused, %d of %d values matched", compiled, failed, matched, tried)
			require.Greater(t, failed, 500, "patterns refused")
			require.Greater(t, matched, tried/10, "values matched")
		})
	}
}

// standIn replaces U+FFFD in s with U+2603, a character that, like it,
// shares its weight with no other piece (TestStandInIsLikeFFFD).
func standIn(s string) string { return strings.ReplaceAll(s, "\ufffd", "\u2603") }

// TestStandInIsLikeFFFD checks that U+2603 can stand for U+FFFD in
// go-mysql-server's matcher: neither is a piece, and under
// utf8mb4_0900_ai_ci neither has the weight of any piece nor of the other.
func TestStandInIsLikeFFFD(t *testing.T) {
	weight := sql.Collation_utf8mb4_0900_ai_ci.Sorter()
	require.NotEqual(t, weight('\ufffd'), weight('\u2603'))
	for _, p := range likePieces {
		require.NotEqual(t, "\u2603", p)
		for _, r := range p {
			if r == utf8.RuneError {
				continue // U+FFFD, or a malformed byte
			}
			require.NotEqual(t, weight('\ufffd'), weight(r), "%q", r)
			require.NotEqual(t, weight('\u2603'), weight(r), "%q", r)
		}
	}
}

// likeInstance returns a value that likely matches pattern: each '%'
// becomes up to two pieces, each '_' one, and each literal character
// itself or, sometimes, another piece (perhaps one of the same weight).
func likeInstance(r *rand.Rand, pattern string, escape rune, pick func() string) string {
	var b strings.Builder
	escaped := false
	for _, c := range pattern { // malformed bytes come out as U+FFFD: a miss
		switch {
		case escaped:
			b.WriteRune(c)
			escaped = false
		case c == '%':
			for range r.IntN(3) {
				b.WriteString(pick())
			}
		case c == '_':
			b.WriteString(pick())
		case c == escape:
			escaped = true
		case r.IntN(6) == 0:
			b.WriteString(pick())
		default:
			b.WriteRune(c)
		}
	}
	return b.String()
}

// TestLikeCases are cases worked out by hand, each a point where the
// collations or go-mysql-server and MySQL differ.
func TestLikeCases(t *testing.T) {
	const bin, b09, ci = collate.Binary, collate.Bin0900, collate.AICI
	for _, tc := range []struct {
		name    string
		c       collate.LikeCollation
		value   string
		pattern string
		escape  rune
		want    bool
	}{
		{"ai_ci ignores case and accents", ci, "Café CRÈME", "cafe creme", '\\', true},
		{"0900_bin does not", b09, "Café", "cafe", '\\', false},
		{"binary does not", bin, "Café", "café", '\\', false},
		{"ai_ci has no expansions", ci, "straße", "strasse", '\\', false},
		{"ß is one character", ci, "straße", "stra_e", '\\', true},
		{"ai_ci: ſ is s", ci, "ſ", "S", '\\', true},
		{"weight 0 is not ignored", ci, "a\u200bb", "ab", '\\', false},
		{"weight 0 is a character", ci, "a\u200bb", "a_b", '\\', true},
		{"weight 0 equals weight 0", ci, "\x00", "\x01", '\\', true},
		{"0900_bin: controls differ", b09, "\x00", "\x01", '\\', false},
		{"_ is a character in 0900_bin", b09, "é", "_", '\\', true},
		{"_ is a byte in binary", bin, "é", "_", '\\', false},
		{"two bytes in binary", bin, "é", "__", '\\', true},
		{"4-byte character", ci, "a😀b", "a_b", '\\', true},
		{"malformed value, 0900_bin", b09, "ab\xff", "ab%", '\\', false},
		{"malformed value, ai_ci", ci, "\xff", "%", '\\', false},
		{"malformed value, binary", bin, "ab\xff", "ab%", '\\', true},
		{"U+FFFD in a value is a character", b09, "x\ufffd", "x%", '\\', true},
		{"U+FFFD past the match", ci, "abc\ufffd", "a%", '\\', true},
		{"U+FFFD matches _", ci, "\ufffd", "_", '\\', true},
		{"U+FFFD in a pattern", b09, "a\ufffdb", "%\ufffd%", '\\', true},
		{"U+FFFD matches only itself", ci, "a?b", "a\ufffdb", '\\', false},
		{"escaped %", b09, "50% done", "50!% done", '!', true},
		{"escaped % is literal", b09, "50x done", "50!% done", '!', false},
		{"escaped escape", b09, `a\b`, `a\\b`, '\\', true},
		{"escape that is %", b09, "abc", "a%", '%', true},
		{"escape that is _", b09, "ab", "a_", '_', true},
		{"binary escape byte 0xE9", bin, "%", "\xe9%", 'é', true},
		{"binary escape byte 0xE9 is literal %", bin, "x", "\xe9%", 'é', false},
		{"binary escape above 0xFF escapes nothing", bin, "€x", "€%", '€', true},
		{"ai_ci escape is a code point, not a weight", ci, "aEzzz", "aE%", 'e', true},
		{"empty matches empty", ci, "", "", '\\', true},
		{"empty pattern", bin, "a", "", '\\', false},
		{"% matches empty", b09, "", "%", '\\', true},
		{"_ needs a character", ci, "", "_", '\\', false},
		{"leftmost middle run", b09, "xaabaab", "x%aab%b", '\\', true},
		{"runs do not overlap", b09, "aba", "%ab%ba%", '\\', false},
		{"prefix and suffix do not overlap", ci, "ab", "ab%b", '\\', false},
		{"suffix under ai_ci", ci, "REQUEST TIMÉOUT", "%timeout", '\\', true},
		{"middle under ai_ci", ci, "a Needle here", "%NEÉDLE%", '\\', true},
		{"middle under ai_ci, a miss", ci, "a Needle here", "%NEEDLES%", '\\', false},
		{"middle under ai_ci, accents", ci, "a Néédle here", "%needle%", '\\', true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l, err := collate.CompileLike(tc.pattern, tc.escape, tc.c)
			require.NoError(t, err)
			require.Equal(t, tc.want, l.Match([]byte(tc.value)), "%q LIKE %q", tc.value, tc.pattern)
		})
	}
}

// TestLikeRefuses lists the patterns go-mysql-server refuses.
func TestLikeRefuses(t *testing.T) {
	for _, tc := range []struct {
		c       collate.LikeCollation
		pattern string
		escape  rune
	}{
		{collate.Bin0900, `abc\`, '\\'},
		{collate.Binary, `abc\`, '\\'},
		{collate.AICI, "a!", '!'},
		{collate.AICI, "a\xffb", '\\'},
		{collate.Bin0900, "\\\xff", '\\'},
		{collate.Bin0900, "\xe9%", 'é'},
	} {
		_, err := collate.CompileLike(tc.pattern, tc.escape, tc.c)
		require.True(t, errors.Is(err, collate.ErrLikePattern), "%q under %s: %v", tc.pattern, tc.c, err)
	}
	_, err := collate.CompileLike("\xe9%\xff", 'é', collate.Binary)
	require.NoError(t, err, "bytes are bytes under binary")
}

// TestLikeIsNotExponential matches patterns that make a backtracking
// matcher try every way to split the value between its '%'s.
func TestLikeIsNotExponential(t *testing.T) {
	v := []byte(strings.Repeat("a", 5000))
	start := time.Now()
	for _, c := range []collate.LikeCollation{collate.Binary, collate.Bin0900, collate.AICI} {
		for _, pattern := range []string{"%a%a%a%a%a%a%a%a%a%a%b", "%a_%a_%a_%a_%a_%a_%b", "a%a%a%a%a%a%a%a%a%a%"} {
			l, err := collate.CompileLike(pattern, '\\', c)
			require.NoError(t, err)
			require.Equal(t, !strings.HasSuffix(pattern, "b"), l.Match(v), pattern)
		}
	}
	require.Less(t, time.Since(start), 5*time.Second)
}
