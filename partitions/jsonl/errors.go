package jsonl

import (
	"errors"
	"fmt"
	"strconv"
	"unicode/utf8"
)

// ErrTimestamp is wrapped by every error of ParseTimestamp and ParseEpoch.
var ErrTimestamp = errors.New("invalid timestamp")

// LineError reports one rejected line.
type LineError struct {
	Line   int    // line number, counted from Parse's firstLine
	Reason string // why the line was rejected, written for the user
}

// Error implements error.
func (e *LineError) Error() string {
	return "line " + strconv.Itoa(e.Line) + ": " + e.Reason
}

// syntaxError is a JSON grammar violation at byte Pos of the line (0-based).
// Parse reports it as invalid UTF-8 instead when the line is not valid UTF-8,
// because a stray non-UTF-8 byte is the likelier cause.
type syntaxError struct {
	Pos int
	Msg string
}

func (e *syntaxError) Error() string {
	return fmt.Sprintf("invalid JSON at byte %d: %s", e.Pos, e.Msg)
}

// truncatedError is a line that ends before its JSON value is complete.
type truncatedError struct {
	Pos    int
	Inside string
}

func (e *truncatedError) Error() string {
	return fmt.Sprintf("truncated JSON: the line ends at byte %d inside %s", e.Pos, e.Inside)
}

// invalidUTF8Reason returns the rejection reason for a line that is not
// valid UTF-8, naming the offset of the first bad byte, or "" when the line
// is valid.
func invalidUTF8Reason(line []byte) string {
	for i := 0; i < len(line); {
		if line[i] < utf8.RuneSelf {
			i++
			continue
		}
		r, size := utf8.DecodeRune(line[i:])
		if r == utf8.RuneError && size == 1 {
			return fmt.Sprintf("invalid UTF-8 at byte %d", i)
		}
		i += size
	}
	return ""
}

// quote renders an offending value for a reason, Go-quoted and cut as by
// clip.
func quote(v []byte) string {
	s, cut := clipped(v)
	if cut {
		return strconv.Quote(s) + "…"
	}
	return strconv.Quote(s)
}

// clip renders an offending value for a reason as it is, cut to
// maxQuotedValueBytes bytes (on a rune boundary) with an ellipsis.
func clip(v []byte) string {
	s, cut := clipped(v)
	if cut {
		return s + "…"
	}
	return s
}

func clipped(v []byte) (string, bool) {
	if len(v) <= maxQuotedValueBytes {
		return string(v), false
	}
	n := maxQuotedValueBytes
	for n > 0 && !utf8.RuneStart(v[n]) {
		n--
	}
	return string(v[:n]), true
}
