package exec

import (
	"bytes"
	"encoding/binary"
	"math/bits"
	"sort"

	"logq/partitions/columns"
)

// containsRows marks the rows of s whose value contains lit (NULLs
// excepted), searching the column's whole byte buffer at once rather than
// value by value: the search skips at memory speed to the next candidate,
// and only a hit costs a binary search for its row. A hit that runs over the
// end of its row is not a match in it; the search then goes on inside that
// row.
func containsRows(s *columns.Strings, lit []byte, mark []bool) {
	data, ends := s.Data, s.Ends
	f := newFinder(lit, data)
	for from := 0; from+len(lit) <= len(data); {
		at := f.index(data, from)
		if at < 0 {
			return
		}
		// The row holding byte at: the first whose end is past it.
		row := sort.Search(len(ends), func(i int) bool { return int(ends[i]) > at })
		if row == len(ends) {
			return
		}
		end := int(ends[row])
		if at+len(lit) <= end {
			if !s.IsNull(row) {
				mark[row] = true
			}
			from = end // the rest of this row cannot add anything
			continue
		}
		from = at + 1
	}
}

// finder searches for lit by the two bytes of lit that are rarest in a
// sample of the text, eight start positions at a time: a word of the text
// under each of the two bytes, compared with the byte in every lane (SWAR),
// leaves the positions where both match, and only those are compared
// whole. bytes.Index keys on lit's first byte, and in log text a first
// byte such as 't' or ' ' turns up every few bytes, so most of its time
// went into false starts (Q5: 53% of the query in indexbytebody); keyed on
// the one rarest byte, IndexByte still stopped every 40 bytes of messages.
type finder struct {
	lit    []byte
	k1, k2 int    // offsets in lit of the bytes compared first, k1 < k2
	m1, m2 uint64 // lit[k1] and lit[k2] in every byte
}

// finderSample is the number of bytes of the text whose byte counts choose
// the bytes to compare first: enough to rank bytes, little next to a batch.
const finderSample = 16 << 10

const (
	lowBits  = 0x0101010101010101
	highBits = 0x8080808080808080
)

func newFinder(lit, text []byte) finder {
	var counts [256]int
	for _, c := range text[:min(len(text), finderSample)] {
		counts[c]++
	}
	rarer := func(i, j int) bool { return counts[lit[i]] < counts[lit[j]] }
	k1, k2 := 0, len(lit)-1 // one byte: the same twice
	if len(lit) > 1 {
		if rarer(k2, k1) {
			k1, k2 = k2, k1
		}
		for i := 1; i < len(lit)-1; i++ {
			switch {
			case rarer(i, k1):
				k1, k2 = i, k1
			case rarer(i, k2):
				k2 = i
			}
		}
		k1, k2 = min(k1, k2), max(k1, k2)
	}
	return finder{lit: lit, k1: k1, k2: k2, m1: lowBits * uint64(lit[k1]), m2: lowBits * uint64(lit[k2])}
}

// index returns the first position at or after from where lit occurs in
// text, or -1.
func (f finder) index(text []byte, from int) int {
	n := len(f.lit)
	last := len(text) - n // the last position lit can start at
	p := from
	// p+7 <= last keeps both words in text: p+k2+8 <= p+n+7 <= len(text).
	for ; p+7 <= last; p += 8 {
		x := binary.LittleEndian.Uint64(text[p+f.k1:]) ^ f.m1
		y := binary.LittleEndian.Uint64(text[p+f.k2:]) ^ f.m2
		// A zero byte of x|y is a start where both bytes match. The
		// subtraction marks every zero byte, and may mark a byte above a
		// zero one falsely: each mark is checked whole.
		z := x | y
		for m := (z - lowBits) &^ z & highBits; m != 0; m &= m - 1 {
			at := p + bits.TrailingZeros64(m)/8
			if bytes.Equal(text[at:at+n], f.lit) {
				return at
			}
		}
	}
	for ; p <= last; p++ {
		if text[p+f.k1] == f.lit[f.k1] && text[p+f.k2] == f.lit[f.k2] && bytes.Equal(text[p:p+n], f.lit) {
			return p
		}
	}
	return -1
}

// filterLike keeps the rows of sel whose value of s matches p. A pattern
// '%lit%' compared byte by byte has its candidates found by a search of the
// column's whole buffer, which Match then decides (under utf8mb4_0900_bin
// a value holding lit may still not match: go-mysql-server matches no
// malformed UTF-8).
func filterLike(p likePred, s *columns.Strings, sel []int32) []int32 {
	out := sel[:0]
	if lit := p.m.Needle(); lit != nil && len(sel) >= s.Len()/8 {
		mark := make([]bool, s.Len())
		containsRows(s, lit, mark)
		for _, i := range sel {
			if mark[i] && p.m.Match(s.Value(int(i))) {
				out = append(out, i)
			}
		}
		return out
	}
	for _, i := range sel {
		if !s.IsNull(int(i)) && p.m.Match(s.Value(int(i))) {
			out = append(out, i)
		}
	}
	return out
}
