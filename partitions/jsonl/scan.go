package jsonl

import (
	"encoding/binary"
	"fmt"
	"math/bits"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"
)

// Constants of the 8-bytes-at-a-time string scan.
const (
	swarOnes  = 0x0101010101010101
	swarHighs = 0x8080808080808080
)

// keyPlain marks the bytes a field name can hold without the slow path:
// printable ASCII other than '"', '\\' and upper-case letters (which need
// lower-casing).
var keyPlain = func() (t [256]bool) {
	for c := 0x20; c < 0x80; c++ {
		t[c] = c != '"' && c != '\\' && (c < 'A' || c > 'Z')
	}
	return t
}()

// stringPlain marks the bytes a JSON string holds without special handling.
var stringPlain = func() (t [256]bool) {
	for c := 0x20; c < 0x80; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

// stringSpecial returns a mask with the high bit set in the lowest byte of x
// that is '"', '\\', a control character or not ASCII (bytes above the lowest
// flagged one may be flagged spuriously by borrows, which the caller
// ignores by taking the lowest).
func stringSpecial(x uint64) uint64 {
	q := x ^ (swarOnes * '"')
	b := x ^ (swarOnes * '\\')
	m := (q - swarOnes) &^ q
	m |= (b - swarOnes) &^ b
	m |= (x - swarOnes*0x20) &^ x
	return (m | x) & swarHighs
}

// skipWS returns the index of the first byte at or after i that is not JSON
// white space.
func skipWS(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\r' || b[i] == '\n') {
		i++
	}
	return i
}

// scanString validates the string whose opening quote is at pos and returns
// the index after its closing quote and whether it holds escapes. It checks
// escapes (including \u surrogate pairs), control characters and UTF-8.
func (p *Parser) scanString(pos int) (int, bool, error) {
	line := p.line
	i, n := pos+1, len(line)
	esc := false
	for {
		for i+8 <= n {
			if m := stringSpecial(binary.LittleEndian.Uint64(line[i:])); m != 0 {
				i += bits.TrailingZeros64(m) >> 3
				break
			}
			i += 8
		}
		for i < n && stringPlain[line[i]] {
			i++
		}
		if i >= n {
			return 0, false, &truncatedError{Pos: n, Inside: "a string"}
		}
		switch c := line[i]; {
		case c == '"':
			return i + 1, esc, nil
		case c == '\\':
			size, err := p.checkEscape(i)
			if err != nil {
				return 0, false, err
			}
			esc = true
			i += size
		case c < 0x20:
			return 0, false, &syntaxError{Pos: i, Msg: fmt.Sprintf("control character 0x%02x in a string (must be escaped)", c)}
		default:
			r, size := utf8.DecodeRune(line[i:])
			if r == utf8.RuneError && size == 1 {
				return 0, false, fmt.Errorf("invalid UTF-8 at byte %d", i)
			}
			i += size
		}
	}
}

// checkEscape validates the escape sequence at line[i] == '\\' and returns
// its length.
func (p *Parser) checkEscape(i int) (int, error) {
	line := p.line
	if i+1 >= len(line) {
		return 0, &truncatedError{Pos: len(line), Inside: "a string"}
	}
	switch line[i+1] {
	case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
		return 2, nil
	case 'u':
	default:
		return 0, &syntaxError{Pos: i, Msg: fmt.Sprintf("invalid escape %q", line[i:i+2])}
	}
	r, err := p.hex4(i)
	if err != nil {
		return 0, err
	}
	switch {
	case r >= 0xDC00 && r <= 0xDFFF:
		return 0, p.loneSurrogate(i)
	case r < 0xD800 || r > 0xDBFF:
		return 6, nil
	}
	j := i + 6 // where the low surrogate's \u must start
	if j >= len(line) || (line[j] == '\\' && j+1 >= len(line)) {
		return 0, &truncatedError{Pos: len(line), Inside: "a string"}
	}
	if line[j] != '\\' || line[j+1] != 'u' {
		return 0, p.loneSurrogate(i)
	}
	lo, err := p.hex4(j)
	if err != nil {
		return 0, err
	}
	if lo < 0xDC00 || lo > 0xDFFF {
		return 0, p.loneSurrogate(i)
	}
	return 12, nil
}

// hex4 parses the four hex digits of the \u escape at line[i].
func (p *Parser) hex4(i int) (rune, error) {
	line := p.line
	if i+6 > len(line) {
		return 0, &truncatedError{Pos: len(line), Inside: "a string"}
	}
	var r rune
	for _, c := range line[i+2 : i+6] {
		var v byte
		switch {
		case c >= '0' && c <= '9':
			v = c - '0'
		case c >= 'a' && c <= 'f':
			v = c - 'a' + 10
		case c >= 'A' && c <= 'F':
			v = c - 'A' + 10
		default:
			return 0, &syntaxError{Pos: i, Msg: fmt.Sprintf("invalid escape %q", line[i:i+6])}
		}
		r = r<<4 | rune(v)
	}
	return r, nil
}

func (p *Parser) loneSurrogate(i int) error {
	return &syntaxError{Pos: i, Msg: fmt.Sprintf("unpaired UTF-16 surrogate %s", p.line[i:i+6])}
}

// appendUnescaped appends the decoded content of a string validated by
// scanString (without its quotes).
func appendUnescaped(dst, raw []byte) []byte {
	for len(raw) > 0 {
		i := 0
		for i < len(raw) && raw[i] != '\\' {
			i++
		}
		dst = append(dst, raw[:i]...)
		if i == len(raw) {
			break
		}
		raw = raw[i:]
		switch c := raw[1]; c {
		case 'b':
			dst = append(dst, '\b')
		case 'f':
			dst = append(dst, '\f')
		case 'n':
			dst = append(dst, '\n')
		case 'r':
			dst = append(dst, '\r')
		case 't':
			dst = append(dst, '\t')
		case 'u':
			r := unhex4(raw[2:6])
			if utf16.IsSurrogate(r) {
				r = utf16.DecodeRune(r, unhex4(raw[8:12]))
				raw = raw[6:]
			}
			dst = utf8.AppendRune(dst, r)
			raw = raw[4:]
		default: // '"', '\\', '/'
			dst = append(dst, c)
		}
		raw = raw[2:]
	}
	return dst
}

// unhex4 decodes four hex digits already validated by hex4.
func unhex4(b []byte) rune {
	var r rune
	for _, c := range b[:4] {
		switch {
		case c <= '9':
			c -= '0'
		case c >= 'a':
			c -= 'a' - 10
		default:
			c -= 'A' - 10
		}
		r = r<<4 | rune(c)
	}
	return r
}

// parseString validates the string at pos and returns its decoded value,
// which aliases the line when it has no escapes and the scratch buffer
// otherwise, and the index after it.
func (p *Parser) parseString(pos int) ([]byte, int, error) {
	end, esc, err := p.scanString(pos)
	if err != nil {
		return nil, 0, err
	}
	raw := p.line[pos+1 : end-1]
	if !esc {
		return raw, end, nil
	}
	start := len(p.buf)
	p.buf = appendUnescaped(p.buf, raw)
	return p.buf[start:len(p.buf):len(p.buf)], end, nil
}

// scanNumber validates the JSON number at pos and returns the index after it
// and whether it is an integer (no fraction, no exponent).
func (p *Parser) scanNumber(pos int) (int, bool, error) {
	line := p.line
	i, n := pos, len(line)
	if line[i] == '-' {
		i++
	}
	switch {
	case i >= n:
		return 0, false, &truncatedError{Pos: n, Inside: "a number"}
	case line[i] == '0':
		i++
	case isDigit(line[i]):
		for i < n && isDigit(line[i]) {
			i++
		}
	default:
		return 0, false, &syntaxError{Pos: i, Msg: "invalid number: expected a digit"}
	}
	isInt := true
	if i < n && line[i] == '.' {
		isInt = false
		if i = p.digits(i + 1); i < 0 {
			return 0, false, p.numberError(-i)
		}
	}
	if i < n && (line[i] == 'e' || line[i] == 'E') {
		isInt = false
		i++
		if i < n && (line[i] == '+' || line[i] == '-') {
			i++
		}
		if i = p.digits(i); i < 0 {
			return 0, false, p.numberError(-i)
		}
	}
	return i, isInt, nil
}

// digits skips one or more digits at i; it returns -i when there are none.
func (p *Parser) digits(i int) int {
	start := i
	for i < len(p.line) && isDigit(p.line[i]) {
		i++
	}
	if i == start {
		return -i
	}
	return i
}

// numberError reports a number that stops where a digit is required.
func (p *Parser) numberError(i int) error {
	if i >= len(p.line) {
		return &truncatedError{Pos: i, Inside: "a number"}
	}
	return &syntaxError{Pos: i, Msg: "invalid number: expected a digit"}
}

// parseInt converts a JSON integer validated by scanNumber; false when it
// does not fit an int64.
func parseInt(raw []byte) (int64, bool) {
	neg := raw[0] == '-'
	digits := raw
	if neg {
		digits = raw[1:]
	}
	if len(digits) > 18 {
		return parseBigInt(digits, neg)
	}
	var v int64
	for _, c := range digits {
		v = v*10 + int64(c-'0')
	}
	if neg {
		v = -v
	}
	return v, true
}

// parseBigInt converts integers of 19 or more digits, checking overflow.
func parseBigInt(digits []byte, neg bool) (int64, bool) {
	const limit = uint64(1) << 63 // magnitude of math.MinInt64
	var v uint64
	for _, c := range digits {
		if v > (limit-9)/10 && (v > limit/10 || v*10+uint64(c-'0') > limit) {
			return 0, false
		}
		v = v*10 + uint64(c-'0')
	}
	switch {
	case neg:
		return -int64(v), true // v == limit wraps to MinInt64, as wanted
	case v == limit:
		return 0, false
	}
	return int64(v), true
}

// literal matches the literal lit at pos and returns the index after it.
func (p *Parser) literal(pos int, lit string) (int, error) {
	line := p.line
	end := pos + len(lit)
	if end <= len(line) && string(line[pos:end]) == lit {
		return end, nil
	}
	if end > len(line) && string(line[pos:]) == lit[:len(line)-pos] {
		return 0, &truncatedError{Pos: len(line), Inside: "a literal"}
	}
	return 0, &syntaxError{Pos: pos, Msg: "invalid literal: expected true, false or null"}
}

// compactValue validates the value at pos, which sits at nesting level depth,
// appends its compact JSON text (insignificant white space removed, strings
// and numbers as written) to the scratch buffer and returns the index after
// it.
func (p *Parser) compactValue(pos, depth int) (int, error) {
	line := p.line
	if pos >= len(line) {
		return 0, &truncatedError{Pos: pos, Inside: "a value"}
	}
	end, err := 0, error(nil)
	switch c := line[pos]; {
	case c == '{' || c == '[':
		return p.compactContainer(pos, depth)
	case c == '"':
		end, _, err = p.scanString(pos)
	case c == 't':
		end, err = p.literal(pos, "true")
	case c == 'f':
		end, err = p.literal(pos, "false")
	case c == 'n':
		end, err = p.literal(pos, "null")
	case c == '-' || isDigit(c):
		end, _, err = p.scanNumber(pos)
	default:
		return 0, p.unexpected(pos, "a value")
	}
	if err != nil {
		return 0, err
	}
	p.buf = append(p.buf, line[pos:end]...)
	return end, nil
}

// compactContainer is compactValue for an object or an array.
func (p *Parser) compactContainer(pos, depth int) (int, error) {
	if depth > p.maxDepth {
		return 0, p.depthError(pos)
	}
	line := p.line
	open, closer, inside := line[pos], byte(']'), "an array"
	if open == '{' {
		closer, inside = '}', "an object"
	}
	p.buf = append(p.buf, open)
	pos = skipWS(line, pos+1)
	if pos < len(line) && line[pos] == closer {
		p.buf = append(p.buf, closer)
		return pos + 1, nil
	}
	for {
		var err error
		if open == '{' {
			if pos, err = p.compactKey(pos); err != nil {
				return 0, err
			}
		}
		if pos, err = p.compactValue(pos, depth+1); err != nil {
			return 0, err
		}
		pos = skipWS(line, pos)
		switch {
		case pos >= len(line):
			return 0, &truncatedError{Pos: pos, Inside: inside}
		case line[pos] == closer:
			p.buf = append(p.buf, closer)
			return pos + 1, nil
		case line[pos] != ',':
			return 0, p.unexpected(pos, fmt.Sprintf("',' or '%c'", closer))
		}
		p.buf = append(p.buf, ',')
		pos = skipWS(line, pos+1)
	}
}

// compactKey copies the key and colon of a member of an object that is kept
// as JSON text; it returns the index of the member's value.
func (p *Parser) compactKey(pos int) (int, error) {
	line := p.line
	if pos >= len(line) {
		return 0, &truncatedError{Pos: pos, Inside: "an object"}
	}
	if line[pos] != '"' {
		return 0, p.unexpected(pos, "a field name in double quotes")
	}
	end, _, err := p.scanString(pos)
	if err != nil {
		return 0, err
	}
	p.buf = append(p.buf, line[pos:end]...)
	p.buf = append(p.buf, ':')
	return p.colon(end)
}

// colon skips the ':' after a field name and the white space around it, and
// returns the index of the value.
func (p *Parser) colon(pos int) (int, error) {
	line := p.line
	pos = skipWS(line, pos)
	if pos >= len(line) {
		return 0, &truncatedError{Pos: pos, Inside: "an object"}
	}
	if line[pos] != ':' {
		return 0, p.unexpected(pos, "':' after the field name")
	}
	pos = skipWS(line, pos+1)
	if pos >= len(line) {
		return 0, &truncatedError{Pos: pos, Inside: "an object"}
	}
	return pos, nil
}

// unexpected reports the byte at pos where want was expected.
func (p *Parser) unexpected(pos int, want string) error {
	return &syntaxError{Pos: pos, Msg: fmt.Sprintf("unexpected %s, expected %s", describeByte(p.line[pos]), want)}
}

// describeByte renders a byte for a reason: printable ASCII quoted, anything
// else in hex.
func describeByte(c byte) string {
	if c >= 0x20 && c < 0x7f {
		return strconv.QuoteRune(rune(c))
	}
	return fmt.Sprintf("byte 0x%02x", c)
}

func (p *Parser) depthError(pos int) error {
	return fmt.Errorf("nesting deeper than %d levels at byte %d", p.maxDepth, pos)
}
