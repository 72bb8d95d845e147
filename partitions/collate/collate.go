package collate

import (
	"unicode/utf8"
	"unsafe"

	"github.com/dolthub/go-mysql-server/sql"
)

// ID is the collation this package implements.
const ID = sql.Collation_utf8mb4_0900_ai_ci

// escape starts the key element of a code point whose weight no ASCII
// character has: escape, then the weight's four bytes, big-endian. UTF-8
// never contains the byte 0xFF and ASCII stays below 0x80, so key elements
// cannot be confused with each other.
const escape = 0xFF

var (
	weight = ID.Sorter()
	// asciiOf maps a weight that some ASCII character has to that character,
	// the lower-case letter for letters.
	asciiOf = map[int32]byte{}
	// own[c] reports that the ASCII character c is its own key; keyOf[c]
	// is its key, so that ASCII text keys without a lookup of weights.
	own   [utf8.RuneSelf]bool
	keyOf [utf8.RuneSelf]byte
)

func init() {
	for c := utf8.RuneSelf - 1; c >= 0; c-- {
		w := weight(rune(c))
		if prev, ok := asciiOf[w]; !ok || !isLower(prev) {
			asciiOf[w] = byte(c) // going down: the lowest character, unless a lower-case letter shares it
		}
	}
	for c := range own {
		keyOf[c] = asciiOf[weight(rune(c))]
		own[c] = keyOf[c] == byte(c)
	}
}

func isLower(c byte) bool { return 'a' <= c && c <= 'z' }

// AppendKey appends the key of s to dst.
func AppendKey(dst, s []byte) []byte {
	for len(s) > 0 {
		if c := s[0]; c < utf8.RuneSelf {
			dst = append(dst, keyOf[c])
			s = s[1:]
			continue
		}
		r, n := utf8.DecodeRune(s)
		s = s[n:]
		w := weight(r) // a malformed byte weighs as U+FFFD
		if c, ok := asciiOf[w]; ok {
			dst = append(dst, c)
			continue
		}
		dst = append(dst, escape, byte(w>>24), byte(w>>16), byte(w>>8), byte(w))
	}
	return dst
}

// IsKey reports whether s is its own key: ASCII that keys to itself.
func IsKey(s []byte) bool {
	for _, c := range s {
		if c >= utf8.RuneSelf || !own[c] {
			return false
		}
	}
	return true
}

// Key returns the key of s, s itself when it is its own key.
func Key(s string) string {
	b := bytesOf(s)
	if IsKey(b) {
		return s
	}
	k := AppendKey(make([]byte, 0, len(s)+8), b)
	return unsafe.String(unsafe.SliceData(k), len(k))
}

// IsKeyString is IsKey of a string.
func IsKeyString(s string) bool { return IsKey(bytesOf(s)) }

// AppendKeyString is AppendKey of a string.
func AppendKeyString(dst []byte, s string) []byte { return AppendKey(dst, bytesOf(s)) }

// bytesOf views s as bytes, which the functions here only read.
func bytesOf(s string) []byte { return unsafe.Slice(unsafe.StringData(s), len(s)) }

// Equal reports whether a and b are equal under the collation.
func Equal(a, b string) bool { return a == b || Key(a) == Key(b) }
