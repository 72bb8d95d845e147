package jsonl

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/stretchr/testify/require"

	"logq/partitions/columns"
)

// TestParseDifferential parses random objects written with random key
// order, white space, escapes, nesting and Unicode, and compares every row
// with what encoding/json decodes from the same line (see referenceRow).
// It also checks that parsing all lines into one batch equals parsing each
// into its own batch and concatenating.
func TestParseDifferential(t *testing.T) {
	g := &jsonGen{r: rand.New(rand.NewPCG(11, 12))}
	const lines = 2000
	p := NewParser(Options{})
	var all strings.Builder
	single := make([]*columns.Batch, 0, lines)
	for i := range lines {
		line := g.line()
		all.WriteString(line)
		all.WriteString("\n")
		b := &columns.Batch{}
		n, errs := p.Parse([]byte(line), i+1, b)
		require.Empty(t, errs, line)
		require.Equal(t, 1, n)
		requireConsistent(t, b)
		require.Equal(t, referenceRow(t, line), rowAt(b, 0), line)
		single = append(single, b)
	}
	var b columns.Batch
	n, errs := NewParser(Options{}).Parse([]byte(all.String()), 1, &b)
	require.Empty(t, errs)
	require.Equal(t, lines, n)
	requireConsistent(t, &b)
	requireBatchesEqual(t, columns.Concat(single...), &b)
}

// requireBatchesEqual compares two batches column by column.
func requireBatchesEqual(t *testing.T, want, got *columns.Batch) {
	t.Helper()
	require.Equal(t, want.Len(), got.Len())
	require.Len(t, got.Dynamic, len(want.Dynamic))
	for i, d := range want.Dynamic {
		require.Equal(t, d.Name, got.Dynamic[i].Name)
		require.Equal(t, d.Type, got.Dynamic[i].Type, d.Name)
	}
	for i := range want.Len() {
		require.Equal(t, rowAt(want, i), rowAt(got, i), "row %d", i)
	}
}

// jsonGen writes random JSON lines.
type jsonGen struct {
	r *rand.Rand
}

// Rune pools of the generator: names avoid '.', which would make flattened
// names collide, and U+0000, which names may not hold.
var (
	genNameRunes   = []rune("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_- $\"\\/\tÉéßÄжЖ中😀Ⱥ\u2028\u007f")
	genCommonNames = []string{"a", "B", "status", "Latency_MS", "Ключ", "x y", "q\"uote", "é", "tags", "user"}
	genValueRunes  = []rune("abcXYZ019 .,:{}[]\"\\/\x00\x01\b\f\n\r\t\x1fé中😀\u2028\ufeff\ufffd\U0010FFFF")
)

// line returns one line: ts in a random accepted form, some core fields of
// random types and random dynamic fields, members in random order.
func (g *jsonGen) line() string {
	used := map[string]bool{"ts": true, "level": true, "service": true, "host": true, "trace_id": true, "message": true}
	members := []string{g.member(g.caseOf("ts"), g.ts())}
	if g.r.IntN(3) > 0 {
		members = append(members, g.member(g.caseOf("level"), g.level()))
	}
	for _, name := range []string{"service", "host", "trace_id", "message"} {
		if g.r.IntN(3) > 0 {
			members = append(members, g.member(g.caseOf(name), g.coreValue()))
		}
	}
	for range g.r.IntN(8) {
		members = append(members, g.member(g.name("", used), g.value(2, "")))
	}
	g.r.Shuffle(len(members), func(i, j int) { members[i], members[j] = members[j], members[i] })
	return g.ws() + "{" + strings.Join(members, ",") + "}" + g.ws()
}

func (g *jsonGen) member(name, value string) string {
	return g.ws() + g.str(name) + g.ws() + ":" + g.ws() + value + g.ws()
}

// ws returns random JSON white space, usually none.
func (g *jsonGen) ws() string {
	if g.r.IntN(4) > 0 {
		return ""
	}
	return []string{" ", "\t", "  ", " \r ", "\r"}[g.r.IntN(5)]
}

// caseOf spells a name in a random case.
func (g *jsonGen) caseOf(name string) string {
	b := []byte(name)
	for i := range b {
		if g.r.IntN(3) == 0 {
			b[i] = strings.ToUpper(string(b[i]))[0]
		}
	}
	return string(b)
}

// ts returns a ts value between 2000 and 2037 in a form referenceTS reads.
func (g *jsonGen) ts() string {
	lo := time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC).UnixNano()
	hi := time.Date(2037, 12, 31, 0, 0, 0, 0, time.UTC).UnixNano()
	ts := time.Unix(0, lo+g.r.Int64N(hi-lo)).UTC()
	switch g.r.IntN(6) {
	case 0:
		return strconv.FormatInt(ts.Unix(), 10)
	case 1:
		return strconv.FormatInt(ts.UnixMilli(), 10)
	case 2:
		return strconv.FormatInt(ts.UnixMicro(), 10)
	case 3:
		return strconv.FormatInt(ts.UnixNano(), 10)
	case 4:
		return fmt.Sprintf("%d.%0*d", ts.Unix(), 1+g.r.IntN(9), g.r.IntN(10))
	}
	off := time.Duration(g.r.IntN(2*24*60-1)-(24*60-1)) * time.Minute
	zone := time.FixedZone("", int(off.Seconds()))
	return g.str(ts.In(zone).Format(time.RFC3339Nano))
}

// level returns an alias in random case and padding, or another value.
func (g *jsonGen) level() string {
	aliases := make([]string, 0, len(testLevels))
	for a := range testLevels {
		aliases = append(aliases, a)
	}
	switch g.r.IntN(5) {
	case 0:
		return "30"
	case 1:
		return g.coreValue()
	}
	a := aliases[g.r.IntN(len(aliases))]
	return g.str([]string{"", " ", "\t"}[g.r.IntN(3)] + g.caseOf(a) + []string{"", " "}[g.r.IntN(2)])
}

// coreValue returns a value of a core string field, usually a string.
func (g *jsonGen) coreValue() string {
	if g.r.IntN(3) > 0 {
		return g.str(g.text(40))
	}
	return g.value(2, "")
}

// name returns a field name that does not collide with the names in used
// after lower-casing, and whose flattened lower-cased form fits 64 bytes.
func (g *jsonGen) name(prefix string, used map[string]bool) string {
	for {
		// Half the names come from a small pool, so that columns recur
		// over rows with varying types and positions.
		name := genCommonNames[g.r.IntN(len(genCommonNames))]
		if g.r.IntN(2) == 0 {
			var b strings.Builder
			for range 1 + g.r.IntN(8) {
				b.WriteRune(genNameRunes[g.r.IntN(len(genNameRunes))])
			}
			name = b.String()
		}
		lower := strings.ToLower(name)
		if !used[lower] && len(prefix)+len(lower) <= maxNameBytes {
			used[lower] = true
			return name
		}
	}
}

// value returns a random value at nesting level depth; objects are
// flattened under prefix.
func (g *jsonGen) value(depth int, prefix string) string {
	switch k := g.r.IntN(10); {
	case k < 3:
		return g.str(g.text(30))
	case k < 5:
		return g.number()
	case k == 5:
		return []string{"true", "false", "null"}[g.r.IntN(3)]
	case k == 6:
		return g.array(depth)
	case depth < 4:
		return g.object(depth, prefix)
	}
	return g.number()
}

func (g *jsonGen) object(depth int, prefix string) string {
	used := map[string]bool{}
	members := make([]string, 0, 4)
	for range g.r.IntN(4) {
		name := g.name(prefix, used)
		inner := prefix + strings.ToLower(name) + "."
		members = append(members, g.member(name, g.value(depth+1, inner)))
	}
	return "{" + strings.Join(members, ",") + "}"
}

func (g *jsonGen) array(depth int) string {
	items := make([]string, 0, 4)
	for range g.r.IntN(4) {
		if depth < 6 && g.r.IntN(4) == 0 {
			items = append(items, g.ws()+g.object(depth+1, "")+g.ws())
			continue
		}
		items = append(items, g.ws()+g.value(6, "")+g.ws())
	}
	return "[" + g.ws() + strings.Join(items, ",") + "]"
}

// number returns a random JSON number: integers of every size including the
// int64 edges and beyond, and decimals in several notations.
func (g *jsonGen) number() string {
	switch g.r.IntN(8) {
	case 0:
		return strconv.Itoa(g.r.IntN(1000) - 500)
	case 1:
		return strconv.FormatInt(int64(g.r.Uint64()), 10)
	case 2:
		return []string{"-0", "0", "9223372036854775807", "-9223372036854775808", "9223372036854775808",
			"-9223372036854775809", "123456789012345678901234567890"}[g.r.IntN(7)]
	case 3:
		return strconv.FormatFloat(g.r.NormFloat64()*math.Pow10(g.r.IntN(40)-20), 'g', -1, 64)
	case 4:
		return strconv.FormatFloat(g.r.Float64()*1000, 'f', g.r.IntN(8), 64)
	case 5:
		return strconv.FormatFloat(g.r.NormFloat64(), 'E', g.r.IntN(6), 64)
	case 6:
		return fmt.Sprintf("%d.%de%d", g.r.IntN(10), g.r.IntN(1000), g.r.IntN(600)-300)
	}
	return strconv.Itoa(g.r.IntN(100))
}

// text returns a random string of up to n runes.
func (g *jsonGen) text(n int) string {
	var b strings.Builder
	for range g.r.IntN(n + 1) {
		if g.r.IntN(2) == 0 {
			b.WriteByte(byte('a' + g.r.IntN(26)))
			continue
		}
		b.WriteRune(genValueRunes[g.r.IntN(len(genValueRunes))])
	}
	return b.String()
}

// str writes s as a JSON string, escaping what must be escaped and a random
// share of the rest (\u escapes of either case, surrogate pairs, \/).
func (g *jsonGen) str(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch {
		case r == '"' || r == '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r < 0x20 || g.r.IntN(8) == 0:
			g.escape(&b, r)
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	return b.String()
}

// escape writes r as an escape sequence.
func (g *jsonGen) escape(b *strings.Builder, r rune) {
	short := map[rune]string{'\b': `\b`, '\f': `\f`, '\n': `\n`, '\r': `\r`, '\t': `\t`, '/': `\/`}
	if s, ok := short[r]; ok && g.r.IntN(2) == 0 {
		b.WriteString(s)
		return
	}
	format := []string{`\u%04x`, `\u%04X`}[g.r.IntN(2)]
	if r < 0x10000 {
		fmt.Fprintf(b, format, r)
		return
	}
	buf := make([]byte, 4)
	utf8.EncodeRune(buf, r)
	r -= 0x10000
	fmt.Fprintf(b, format+format, 0xD800+(r>>10), 0xDC00+(r&0x3FF))
}
