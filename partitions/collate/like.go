package collate

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math/bits"
	"strings"
	"unicode/utf8"
)

// LIKE as go-mysql-server evaluates it (expression.ConstructLikeMatcher and
// LikeMatcher.Match in sql/expression/like.go), under the three collations
// logq compares strings in itself, without go-mysql-server's expressions.
//
// go-mysql-server reads pattern and value one character at a time with the
// collation's character set: a byte is a character under binary, a UTF-8
// sequence under utf8mb4. '_' matches one character, '%' any run of them,
// and any other character (or one after the escape character) matches a
// character of the same weight: the byte itself under binary, the same code
// point under utf8mb4_0900_bin, and under utf8mb4_0900_ai_ci any code point
// of the same weight (the table collate keys with), so that case and
// accents do not count. Where it differs from MySQL, Like follows it, since
// the pushed-down and the row-by-row evaluation must agree:
//
//   - One weight per code point, compared character against character: no
//     expansions (ß does not match ss) and no ignorable characters (a
//     zero-width space or a control character, weight 0, has to be matched
//     by a character of weight 0, by '_' or by '%'; MySQL skips them).
//   - A value in a utf8mb4 collation that holds malformed UTF-8 matches no
//     pattern, not even '%' (MySQL stores no such value), and a pattern
//     that holds it is an error, and so is an escape character at the end
//     of a pattern (MySQL takes the escape character literally there).
//
// One deviation of go-mysql-server's is not followed: its decoder reads
// U+FFFD, a character MySQL stores and matches like any other, as a
// malformed byte, so that a value holding it matches nothing and a pattern
// holding it is refused. Like treats U+FFFD as the character it is, which
// is what MySQL answers.
//   - '_' and '%' are wildcards even when they are the escape character,
//     which is then no escape at all.
//   - Under binary, the escape character is compared with each byte as a
//     code point: ESCAPE 'é' (U+00E9) escapes after the byte 0xE9, and an
//     escape character above U+00FF escapes nothing.

// LikeCollation is a collation Like matches under.
type LikeCollation uint8

const (
	// Binary is the binary collation: pattern and value are bytes, '_' is
	// one byte, and a byte matches itself only.
	Binary LikeCollation = iota + 1
	// Bin0900 is utf8mb4_0900_bin: '_' is one character, and a character
	// matches itself only.
	Bin0900
	// AICI is utf8mb4_0900_ai_ci (ID): a character matches every character
	// of its weight, whatever its case and accents.
	AICI
)

// likeNames are the MySQL names of the LikeCollations.
var likeNames = [...]string{Binary: "binary", Bin0900: "utf8mb4_0900_bin", AICI: "utf8mb4_0900_ai_ci"}

// LikeCollationOf returns the LikeCollation of a MySQL collation name, in
// any case; ok is false for every other collation.
func LikeCollationOf(name string) (c LikeCollation, ok bool) {
	for c := Binary; c <= AICI; c++ {
		if strings.EqualFold(name, likeNames[c]) {
			return c, true
		}
	}
	return 0, false
}

// String returns the MySQL name of c.
func (c LikeCollation) String() string {
	if c < Binary || c > AICI {
		return fmt.Sprintf("LikeCollation(%d)", uint8(c))
	}
	return likeNames[c]
}

// anyChar is the weight of '_' in a likeSeg: it matches every character.
// No character weighs less than zero (go-mysql-server, too, would treat one
// that did as '_').
const anyChar = -1

// Like is a compiled LIKE pattern. It is immutable: Match may be called
// from any number of goroutines at once.
type Like struct {
	coll LikeCollation
	// runes: the segments match character by character (w), under AICI,
	// or under Bin0900 when the pattern has a '_'. Otherwise they match
	// byte by byte (lit), which under Bin0900 is the same for valid UTF-8,
	// since UTF-8 is self-synchronising.
	runes bool
	// star: the pattern has a '%'. segs are the runs of the pattern between
	// its '%'s: segs[0] before the first, the last one after the last.
	// Without a '%', segs[0] is the whole pattern.
	star bool
	segs []likeSeg
	// min is the fewest bytes a matching value has.
	min int
}

// likeSeg is a run of a pattern without '%'.
type likeSeg struct {
	lit  []byte // byte by byte: the bytes; a '_' (Binary only) holds 0
	wild []bool // byte by byte: which bytes are '_'; nil when none is
	// w is, character by character, the weight of each character, anyChar
	// for '_'. CompileLike leaves the code points (bytes under Binary)
	// here, for compact to turn into weights or bytes.
	w []int32
	// first is, character by character, the bytes a run matching w can
	// start with (a bit set), so that indexChars skips the others.
	first [4]uint64
	// When first holds at most two ASCII bytes (swar), skip holds each in
	// every byte of a word, 0x80 standing for none (skipTo stops at every
	// byte above ASCII anyway), so that indexChars looks for the next
	// candidate eight bytes at a time.
	skip [2]uint64
	swar bool
}

// CompileLike compiles pattern LIKE under c with the escape character
// escape. It returns an error wrapping ErrLikePattern where
// go-mysql-server's ConstructLikeMatcher returns one.
func CompileLike(pattern string, escape rune, c LikeCollation) (*Like, error) {
	if c < Binary || c > AICI {
		return nil, fmt.Errorf("%w %q: collation %s", ErrLikePattern, pattern, c)
	}
	l := &Like{coll: c}
	var w []int32 // the run of the pattern since its last '%'
	for i := 0; i < len(pattern); {
		r, n := nextChar(pattern[i:], c)
		if malformed(r, n) {
			return nil, fmt.Errorf("%w %q: malformed UTF-8 at byte %d", ErrLikePattern, pattern, i)
		}
		i += n
		switch r {
		case '%':
			l.star = true
			l.segs = append(l.segs, likeSeg{w: w})
			w = nil
			continue
		case '_':
			r = anyChar
		case escape:
			r, n = nextChar(pattern[i:], c)
			if malformed(r, n) {
				return nil, fmt.Errorf("%w %q: escape character %q at its end or before malformed UTF-8", ErrLikePattern, pattern, escape)
			}
			i += n
		}
		w = append(w, r)
	}
	l.segs = append(l.segs, likeSeg{w: w})
	l.compact()
	return l, nil
}

// nextChar returns the first character of s and its length in bytes as
// go-mysql-server's character set of c reads it: utf8.RuneError for an
// empty s, and for malformed UTF-8 (or U+FFFD itself) under utf8mb4.
func nextChar(s string, c LikeCollation) (rune, int) {
	if c != Binary {
		return utf8.DecodeRuneInString(s)
	}
	if len(s) == 0 {
		return utf8.RuneError, 0
	}
	return rune(s[0]), 1
}

// compact drops the empty runs between two '%'s, and chooses between
// matching bytes and characters: it sets each run's bytes or weights from
// the code points (bytes under Binary) that CompileLike left in w.
func (l *Like) compact() {
	segs := l.segs[:0]
	for i, s := range l.segs {
		if len(s.w) > 0 || i == 0 || i == len(l.segs)-1 {
			segs = append(segs, s)
		}
	}
	l.segs = segs
	for _, s := range segs {
		l.runes = l.runes || l.coll == AICI || l.coll == Bin0900 && s.anyChars()
	}
	for i := range segs {
		s := &segs[i]
		if l.runes {
			l.min += len(s.w)
			s.weigh(l.coll)
			continue
		}
		s.bytes(l.coll)
		l.min += len(s.lit)
	}
}

// bytes sets s.lit and s.wild from s.w, and drops s.w.
func (s *likeSeg) bytes(c LikeCollation) {
	if c == Binary && s.anyChars() {
		s.wild = make([]bool, len(s.w))
	}
	for k, r := range s.w {
		switch {
		case r == anyChar:
			s.wild[k] = true
			s.lit = append(s.lit, 0)
		case c == Binary:
			s.lit = append(s.lit, byte(r))
		default:
			s.lit = utf8.AppendRune(s.lit, r)
		}
	}
	s.w = nil
}

// anyChars reports whether s has a '_'.
func (s *likeSeg) anyChars() bool {
	for _, w := range s.w {
		if w == anyChar {
			return true
		}
	}
	return false
}

// weigh turns the code points of s.w into weights under c and sets
// s.first.
func (s *likeSeg) weigh(c LikeCollation) {
	ci := c == AICI
	for k, r := range s.w {
		if r != anyChar {
			s.w[k] = weighed(r, ci)
		}
	}
	if len(s.w) == 0 || s.w[0] == anyChar {
		return
	}
	w := s.w[0]
	for b := range utf8.RuneSelf {
		if weighed(rune(b), ci) == w {
			s.first[b>>6] |= 1 << (b & 63)
		}
	}
	// A lead byte of two: the 64 code points it can start are weighed
	// here. A longer one: whatever it starts is tried.
	for b := 0xc2; b <= 0xf4; b++ {
		if b < 0xe0 && !startsWeight(byte(b), w, ci) {
			continue
		}
		s.first[b>>6] |= 1 << (b & 63)
	}
	ascii := []byte{}
	for b := range utf8.RuneSelf {
		if s.first[b>>6]&(1<<(b&63)) != 0 {
			ascii = append(ascii, byte(b))
		}
	}
	if len(ascii) > len(s.skip) {
		return
	}
	s.swar = true
	ascii = append(ascii, 0x80, 0x80)
	for k := range s.skip {
		s.skip[k] = lowBits * uint64(ascii[k])
	}
}

const (
	lowBits  = 0x0101010101010101
	highBits = 0x8080808080808080
)

// skipTo returns the first position from at on where v holds a byte of
// s.skip or one above ASCII, looking eight bytes at a time; once fewer than
// eight are left, it returns where they start, for the caller to look at
// one by one.
func (s *likeSeg) skipTo(v []byte, at int) int {
	for ; at+8 <= len(v); at += 8 {
		x := binary.LittleEndian.Uint64(v[at:])
		// A zero byte of x^skip is a byte of skip. The subtraction marks
		// each zero byte, and may mark a byte above one falsely: only the
		// lowest mark counts.
		y, z := x^s.skip[0], x^s.skip[1]
		m := (y-lowBits)&^y&highBits | (z-lowBits)&^z&highBits | x&highBits
		if m != 0 {
			return at + bits.TrailingZeros64(m)/8
		}
	}
	return at
}

// startsWeight reports whether a code point of weight w is encoded in two
// bytes starting with lead.
func startsWeight(lead byte, w int32, ci bool) bool {
	base := rune(lead&0x1f) << 6
	for r := base; r < base+64; r++ {
		if weighed(r, ci) == w {
			return true
		}
	}
	return false
}

// smallWeight holds the weights of the code points of one and two bytes in
// UTF-8, so that the matcher finds them without the map behind weight.
var smallWeight [0x800]int32

func init() {
	for r := range smallWeight {
		smallWeight[r] = weight(rune(r))
	}
}

// weighed returns the weight of r: under utf8mb4_0900_ai_ci when ci, else
// under utf8mb4_0900_bin, where a code point weighs itself.
func weighed(r rune, ci bool) int32 {
	switch {
	case !ci:
		return r
	case uint32(r) < uint32(len(smallWeight)):
		return smallWeight[r]
	}
	return weight(r)
}

// Needle returns lit when the pattern is '%lit%' with a non-empty lit and
// compared byte by byte (no '_', and a bytewise collation): every value
// that matches holds lit, so a search for lit through many values at once
// finds every candidate, and Match decides each. It returns nil for every
// other pattern.
func (l *Like) Needle() []byte {
	if l.runes || len(l.segs) != 3 || len(l.segs[0].lit) > 0 || len(l.segs[2].lit) > 0 || l.segs[1].wild != nil {
		return nil
	}
	return l.segs[1].lit
}

// Match reports whether v matches the pattern. It allocates nothing.
func (l *Like) Match(v []byte) bool {
	if len(v) < l.min || l.coll != Binary && !validLike(v) {
		return false
	}
	if l.runes {
		return l.matchChars(v)
	}
	return l.matchBytes(v)
}

// validLike reports whether v is well-formed UTF-8, which a utf8mb4
// column holds in MySQL: go-mysql-server's LIKE matches nothing else.
func validLike(v []byte) bool { return utf8.Valid(v) }

// malformed reports whether the character r of n bytes that nextChar
// read is none: the end of the input, or malformed UTF-8. U+FFFD itself,
// three bytes, is a character like any other, as in MySQL; go-mysql-server's
// decoder cannot tell it from a malformed byte and matches it with nothing.
func malformed(r rune, n int) bool { return r == utf8.RuneError && n != 3 }

// matchBytes matches v byte by byte: the first run at its start, the last
// at its end, and the ones between, each at its leftmost place after the
// one before. Leftmost is never wrong: a run found further left leaves
// more room to the ones after it. So '%' costs no backtracking.
func (l *Like) matchBytes(v []byte) bool {
	first := &l.segs[0]
	if !l.star {
		return len(v) == len(first.lit) && first.at(v)
	}
	last := &l.segs[len(l.segs)-1]
	// len(v) >= l.min: the first and the last run fit without overlapping.
	if !first.at(v) || !last.at(v[len(v)-len(last.lit):]) {
		return false
	}
	v = v[len(first.lit) : len(v)-len(last.lit)]
	for i := 1; i < len(l.segs)-1; i++ {
		s := &l.segs[i]
		at := s.index(v)
		if at < 0 {
			return false
		}
		v = v[at+len(s.lit):]
	}
	return true
}

// at reports whether v starts with s, byte by byte. v is at least as long
// as s.
func (s *likeSeg) at(v []byte) bool {
	if s.wild == nil {
		return bytes.Equal(v[:len(s.lit)], s.lit)
	}
	for k, b := range s.lit {
		if !s.wild[k] && v[k] != b {
			return false
		}
	}
	return true
}

// index returns the first position in v where s matches byte by byte, or
// -1.
func (s *likeSeg) index(v []byte) int {
	if s.wild == nil {
		return bytes.Index(v, s.lit)
	}
	for at := 0; at+len(s.lit) <= len(v); at++ {
		if s.at(v[at:]) {
			return at
		}
	}
	return -1
}

// matchChars matches v character by character, the runs placed as in
// matchBytes. v is valid UTF-8 (validLike).
func (l *Like) matchChars(v []byte) bool {
	ci := l.coll == AICI
	end, ok := l.segs[0].prefix(v, ci)
	if !ok {
		return false
	}
	if !l.star {
		return end == len(v)
	}
	v = v[end:]
	start, ok := l.segs[len(l.segs)-1].suffix(v, ci)
	if !ok {
		return false
	}
	v = v[:start]
	for i := 1; i < len(l.segs)-1; i++ {
		end := l.segs[i].indexChars(v, ci)
		if end < 0 {
			return false
		}
		v = v[end:]
	}
	return true
}

// prefix matches s at the start of v character by character, and returns
// the length of the match.
func (s *likeSeg) prefix(v []byte, ci bool) (int, bool) {
	i := 0
	for _, w := range s.w {
		if i >= len(v) {
			return 0, false
		}
		r, n := rune(v[i]), 1
		if r >= utf8.RuneSelf {
			r, n = utf8.DecodeRune(v[i:])
		}
		if w != anyChar && w != weighed(r, ci) {
			return 0, false
		}
		i += n
	}
	return i, true
}

// suffix matches s at the end of v character by character, and returns
// where the match starts.
func (s *likeSeg) suffix(v []byte, ci bool) (int, bool) {
	i := len(v)
	for k := len(s.w) - 1; k >= 0; k-- {
		if i == 0 {
			return 0, false
		}
		r, n := rune(v[i-1]), 1
		if r >= utf8.RuneSelf {
			r, n = utf8.DecodeLastRune(v[:i])
		}
		if w := s.w[k]; w != anyChar && w != weighed(r, ci) {
			return 0, false
		}
		i -= n
	}
	return i, true
}

// indexChars finds the first match of s in v character by character and
// returns where it ends, or -1.
func (s *likeSeg) indexChars(v []byte, ci bool) int {
	if len(s.w) == 0 {
		return 0
	}
	wild := s.w[0] == anyChar
	for at := 0; len(v)-at >= len(s.w); at++ {
		if s.swar {
			if at = s.skipTo(v, at); len(v)-at < len(s.w) {
				break
			}
		}
		// Under wild every character starts a candidate, else those whose
		// first byte is in s.first. Continuation bytes are in neither.
		if b := v[at]; wild && (b < 0x80 || b >= 0xc0) || s.first[b>>6]&(1<<(b&63)) != 0 {
			if n, ok := s.prefix(v[at:], ci); ok {
				return at + n
			}
		}
	}
	return -1
}
