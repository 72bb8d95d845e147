package columns

import "unicode/utf8"

// AppendJSON appends row i of d as a JSON value: a BIGINT or DOUBLE as a
// number, a BOOLEAN as true or false, a VARCHAR as a JSON string, NULL as
// null. A DOUBLE that JSON cannot spell (NaN, ±Inf; ingest never makes one)
// becomes null.
func (d *Dynamic) AppendJSON(dst []byte, i int) []byte {
	if !d.Valid[i] {
		return append(dst, "null"...)
	}
	switch d.Type {
	case TypeFloat64:
		if v := d.Floats[i]; v-v != 0 {
			return append(dst, "null"...)
		}
	case TypeString:
		return AppendJSONString(dst, d.Strs.Value(i))
	}
	return d.AppendText(dst, i)
}

// AppendJSONString appends s as a JSON string: quotes, backslashes and
// control characters escaped, other bytes as they are, except that bytes
// that are not valid UTF-8 become U+FFFD (JSON text is UTF-8).
func AppendJSONString(dst, s []byte) []byte {
	const hex = "0123456789abcdef"
	dst = append(dst, '"')
	for i := 0; i < len(s); {
		c := s[i]
		if c >= utf8.RuneSelf {
			r, size := utf8.DecodeRune(s[i:])
			if r == utf8.RuneError && size == 1 {
				dst = append(dst, "\ufffd"...)
			} else {
				dst = append(dst, s[i:i+size]...)
			}
			i += size
			continue
		}
		switch {
		case c == '"' || c == '\\':
			dst = append(dst, '\\', c)
		case c == '\n':
			dst = append(dst, '\\', 'n')
		case c == '\r':
			dst = append(dst, '\\', 'r')
		case c == '\t':
			dst = append(dst, '\\', 't')
		case c < 0x20:
			dst = append(dst, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
		default:
			dst = append(dst, c)
		}
		i++
	}
	return append(dst, '"')
}
