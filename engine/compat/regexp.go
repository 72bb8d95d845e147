package compat

import (
	"fmt"
	"regexp"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/expression"
	"github.com/dolthub/go-mysql-server/sql/expression/function"
	"github.com/dolthub/go-mysql-server/sql/types"
	"gopkg.in/src-d/go-errors.v1"
)

// MySQL's regular expression functions (REGEXP, RLIKE, REGEXP_LIKE,
// REGEXP_INSTR, REGEXP_SUBSTR, REGEXP_REPLACE), evaluated with Go's regexp
// package instead of go-mysql-server's: it runs ICU's regex engine compiled
// to WebAssembly (wazero), which the Go scheduler cannot preempt. One
// backtracking pattern such as '(a|aa)*(b|bb)*(.*)*(.*)*x' then never
// finished, and the garbage collector's stop-the-world waited on it for
// good: health checks, ingest and every other query hung with it. It also
// cost about 2 ms a row. RE2 runs in time linear in the text, is preempted
// like any Go code, and is safe for concurrent use.
//
// The meaning follows MySQL 8 (ICU): case-insensitive when the arguments'
// collation is (level, service and host under utf8mb4_0900_ai_ci; message
// and dynamic columns are case-sensitive), match_type flags c, i, m, n and u,
// positions and occurrences counted in characters. RE2 has no
// backreferences, lookaround, possessive quantifiers or atomic groups; a
// pattern using them gets errRegexpSyntax naming the construct, never a
// slower engine. \w, \d and \s (and \W, \D, \S outside brackets) are
// Unicode classes, as in ICU, where RE2's are ASCII (unicodeClasses). Four
// smaller differences: \b is an ASCII word boundary; with a start position
// past 1,
// '^' and '\b' see the text from that position on; a replacement string
// knows $1 and ${name} but not ICU's backslash escapes; and an empty match
// right after another match is not counted as an occurrence (ICU finds
// '.*' twice in "abc", RE2 once).

var (
	errRegexpSyntax = errors.NewKind("regular expression %q: %v (logq evaluates regular expressions with RE2: " +
		"no backreferences, lookaround, possessive quantifiers or atomic groups)")
	errRegexpEmpty      = errors.NewKind("Illegal argument to regular expression.")
	errRegexpOutOfBound = errors.NewKind("Index out of bounds in regular expression search.")
)

// Regexp is one of go-mysql-server's regular expression functions with
// Eval replaced, on RE2 (see above). The embedded function gives the name,
// type, children and string; it is never evaluated, so its ICU engine is
// never started.
type Regexp struct {
	sql.FunctionExpression
	pat re2Pattern
}

var _ sql.FunctionExpression = (*Regexp)(nil)
var _ sql.CollationCoercible = (*Regexp)(nil)

// Subject is the expression the pattern is matched against (the first
// argument).
func (r *Regexp) Subject() sql.Expression { return r.pat.text }

// ConstantPattern reports whether the pattern and match_type are the same
// on every row, so that CompilePattern(ctx, nil) is the pattern of all.
func (r *Regexp) ConstantPattern() bool { return r.pat.constant }

// CompilePattern returns the regular expression of row (nil when the
// pattern or match_type is NULL), as Eval matches it: RE2 syntax with
// MySQL's flags and case folding. A constant pattern is compiled once. Safe
// for concurrent use.
func (r *Regexp) CompilePattern(ctx *sql.Context, row sql.Row) (*regexp.Regexp, error) {
	return r.pat.compile(ctx, row)
}

// newRegexp wraps a go-mysql-server regular expression function; any other
// expression gives nil.
func newRegexp(e sql.Expression) sql.Expression {
	switch e.(type) {
	case *function.RegexpLike, *function.RegexpInstr, *function.RegexpSubstr, *function.RegexpReplace:
	default:
		return nil
	}
	f := e.(sql.FunctionExpression)
	args := f.Children()
	r := &Regexp{FunctionExpression: f}
	r.pat = re2Pattern{text: args[0], pattern: args[1], constant: isConstant(args[1])}
	if flags := r.flagsArg(args); flags != nil {
		r.pat.flags = flags
		r.pat.constant = r.pat.constant && isConstant(flags)
	}
	return r
}

// flagsArg is the match_type argument, if given: the last of 3 for
// REGEXP_LIKE, of 6 for REGEXP_INSTR and REGEXP_REPLACE, of 5 for
// REGEXP_SUBSTR.
func (r *Regexp) flagsArg(args []sql.Expression) sql.Expression {
	n := map[string]int{"regexp_like": 3, "regexp_instr": 6, "regexp_substr": 5, "regexp_replace": 6}[r.FunctionName()]
	if len(args) == n {
		return args[n-1]
	}
	return nil
}

// isConstant reports whether e has the same value on every row.
func isConstant(e sql.Expression) bool {
	constant := true
	sql.Inspect(e, func(e sql.Expression) bool {
		switch e := e.(type) {
		case *expression.GetField, *expression.UserVar, *expression.SystemVar, *expression.ProcedureParam,
			*expression.BindVar:
			constant = false
		case sql.NonDeterministicExpression:
			constant = constant && !e.IsNonDeterministic()
		}
		return constant
	})
	return constant
}

// WithChildren implements sql.Expression.
func (r *Regexp) WithChildren(children ...sql.Expression) (sql.Expression, error) {
	f, err := r.FunctionExpression.WithChildren(children...)
	if err != nil {
		return nil, err
	}
	return newRegexp(f), nil
}

// CollationCoercibility implements sql.CollationCoercible.
func (r *Regexp) CollationCoercibility(ctx *sql.Context) (sql.CollationID, byte) {
	if c, ok := r.FunctionExpression.(sql.CollationCoercible); ok {
		return c.CollationCoercibility(ctx)
	}
	return sql.Collation_binary, 7
}

// Eval implements sql.Expression.
func (r *Regexp) Eval(ctx *sql.Context, row sql.Row) (any, error) {
	args := r.Children()
	text, err := evalText(ctx, args[0], row)
	if err != nil || text == nil {
		return nil, err
	}
	re, err := r.pat.compile(ctx, row)
	if err != nil || re == nil {
		return nil, err
	}
	s := *text
	switch r.FunctionName() {
	case "regexp_like":
		if re.MatchString(s) {
			return int8(1), nil
		}
		return int8(0), nil
	case "regexp_instr":
		n, err := evalInts(ctx, row, args[2:min(len(args), 5)], 1, 1, 0)
		if err != nil || n == nil {
			return nil, err
		}
		return regexpInstr(re, s, n[0], n[1], n[2])
	case "regexp_substr":
		n, err := evalInts(ctx, row, args[2:min(len(args), 4)], 1, 1)
		if err != nil || n == nil {
			return nil, err
		}
		return regexpSubstr(re, s, n[0], n[1])
	case "regexp_replace":
		repl, err := evalText(ctx, args[2], row)
		if err != nil || repl == nil {
			return nil, err
		}
		n, err := evalInts(ctx, row, args[3:min(len(args), 5)], 1, 0)
		if err != nil || n == nil {
			return nil, err
		}
		return regexpReplace(re, s, *repl, n[0], n[1])
	}
	return nil, fmt.Errorf("BUG: regular expression function %s", r.FunctionName())
}

// evalText evaluates e as text; nil for NULL.
func evalText(ctx *sql.Context, e sql.Expression, row sql.Row) (*string, error) {
	v, err := e.Eval(ctx, row)
	if err != nil || v == nil {
		return nil, err
	}
	v, _, err = types.LongText.Convert(ctx, v)
	if err != nil {
		return nil, err
	}
	s, _, err := sql.Unwrap[string](ctx, v)
	return &s, err
}

// evalInts evaluates the optional integer arguments, taking defs for
// those not given; nil when one is NULL.
func evalInts(ctx *sql.Context, row sql.Row, args []sql.Expression, defs ...int) ([]int, error) {
	out := defs
	for i, a := range args {
		v, err := a.Eval(ctx, row)
		if err != nil || v == nil {
			return nil, err
		}
		v, _, err = types.Int32.Convert(ctx, v)
		if err != nil {
			return nil, err
		}
		out[i] = int(v.(int32))
	}
	return out, nil
}

// startByte returns the byte offset of character pos (1-based) of s, or
// why the position is refused.
func startByte(s string, pos int, fn string) (int, error) {
	if pos < 1 {
		return 0, sql.ErrInvalidArgumentDetails.New(fn, fmt.Sprint(pos))
	}
	off := 0
	for i := 1; i < pos; i++ {
		if off >= len(s) {
			return 0, errRegexpOutOfBound.New()
		}
		_, size := utf8.DecodeRuneInString(s[off:])
		off += size
	}
	return off, nil
}

// nthMatch returns the byte range of the occ-th match (1-based) of re in
// s from byte off on, or nil.
func nthMatch(re *regexp.Regexp, s string, off, occ int) []int {
	occ = max(occ, 1)
	ms := re.FindAllStringIndex(s[off:], occ)
	if len(ms) < occ {
		return nil
	}
	m := ms[occ-1]
	return []int{m[0] + off, m[1] + off}
}

func regexpInstr(re *regexp.Regexp, s string, pos, occ, returnEnd int) (any, error) {
	off, err := startByte(s, pos, "regexp_instr")
	if err != nil {
		return nil, err
	}
	m := nthMatch(re, s, off, occ)
	if m == nil {
		return int32(0), nil
	}
	at := m[0]
	if returnEnd != 0 {
		at = m[1]
	}
	return int32(utf8.RuneCountInString(s[:at]) + 1), nil
}

func regexpSubstr(re *regexp.Regexp, s string, pos, occ int) (any, error) {
	off, err := startByte(s, pos, "regexp_substr")
	if err != nil {
		return nil, err
	}
	m := nthMatch(re, s, off, occ)
	if m == nil {
		return nil, nil
	}
	return s[m[0]:m[1]], nil
}

// regexpReplace replaces the occ-th match from character pos on, or every
// match when occ is 0.
func regexpReplace(re *regexp.Regexp, s, repl string, pos, occ int) (any, error) {
	if s == "" {
		return s, nil
	}
	off, err := startByte(s, pos, "regexp_replace")
	if err != nil {
		return nil, err
	}
	if occ <= 0 {
		return s[:off] + re.ReplaceAllString(s[off:], repl), nil
	}
	all := re.FindAllStringSubmatchIndex(s[off:], occ)
	if len(all) < occ {
		return s, nil
	}
	m := all[occ-1]
	var b strings.Builder
	b.WriteString(s[:off+m[0]])
	b.Write(re.ExpandString(nil, repl, s[off:], m))
	b.WriteString(s[off+m[1]:])
	return b.String(), nil
}

// re2Pattern compiles the pattern and match_type of one function call: once
// when both are constants, else per row, reusing the last compilation while
// they repeat.
type re2Pattern struct {
	text, pattern, flags sql.Expression // flags may be nil
	constant             bool

	once    sync.Once
	fixed   *regexp.Regexp
	fixedEr error

	mu       sync.Mutex
	lastExpr string
	last     *regexp.Regexp
}

// compile returns the regular expression of row; nil (and no error) when the
// pattern or match_type is NULL.
func (p *re2Pattern) compile(ctx *sql.Context, row sql.Row) (*regexp.Regexp, error) {
	if p.constant {
		p.once.Do(func() { p.fixed, p.fixedEr = p.build(ctx, row) })
		return p.fixed, p.fixedEr
	}
	return p.build(ctx, row)
}

// build evaluates the pattern and flags of row and compiles them.
func (p *re2Pattern) build(ctx *sql.Context, row sql.Row) (*regexp.Regexp, error) {
	pat, err := evalText(ctx, p.pattern, row)
	if err != nil || pat == nil {
		return nil, err
	}
	if *pat == "" {
		return nil, errRegexpEmpty.New()
	}
	// The collation decides the case, as in MySQL: every case-insensitive
	// collation's name ends in _ci.
	tc, tco := sql.GetCoercibility(ctx, p.text)
	pc, pco := sql.GetCoercibility(ctx, p.pattern)
	coll, _ := sql.ResolveCoercibility(tc, tco, pc, pco)
	fold := strings.HasSuffix(coll.String(), "_ci")
	var multiline, dotAll bool
	if p.flags != nil {
		f, err := evalText(ctx, p.flags, row)
		if err != nil || f == nil {
			return nil, err
		}
		for _, c := range *f {
			switch c {
			case 'c':
				fold = false
			case 'i':
				fold = true
			case 'm':
				multiline = true
			case 'n':
				dotAll = true
			case 'u': // Unix line endings: only \n ends a line, as in RE2 always
			default:
				return nil, sql.ErrInvalidArgument.New("regexp match_type")
			}
		}
	}
	expr := unicodeClasses(*pat)
	if prefix := goFlags(fold, multiline, dotAll); prefix != "" {
		expr = "(?" + prefix + ")" + expr
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.last != nil && p.lastExpr == expr {
		return p.last, nil
	}
	re, err := regexp.Compile(expr)
	if err != nil {
		return nil, errRegexpSyntax.New(*pat, err)
	}
	p.lastExpr, p.last = expr, re
	return re, nil
}

func goFlags(fold, multiline, dotAll bool) string {
	var b strings.Builder
	for _, f := range []struct {
		on bool
		c  byte
	}{{fold, 'i'}, {multiline, 'm'}, {dotAll, 's'}} {
		if f.on {
			b.WriteByte(f.c)
		}
	}
	return b.String()
}

// Unicode members of ICU's \w, \d and \s, as RE2 classes.
const (
	wordClass  = `\p{L}\p{M}\p{Nd}\p{Pc}`
	digitClass = `\p{Nd}`
	spaceClass = `\s\p{Z}\x{85}`
)

// unicodeClasses rewrites \w, \d and \s to the Unicode classes ICU gives
// them (RE2's are ASCII), inside brackets and out, and \W, \D and \S
// outside brackets (inside, RE2 cannot take the complement of a union, so
// they stay ASCII). Everything else is copied as written; an invalid
// pattern stays invalid for regexp.Compile to report.
func unicodeClasses(pat string) string {
	if !strings.Contains(pat, `\`) {
		return pat
	}
	classes := map[byte]string{'w': wordClass, 'd': digitClass, 's': spaceClass}
	var b strings.Builder
	inClass := false
	for i := 0; i < len(pat); i++ {
		c := pat[i]
		switch {
		case c == '\\' && i+1 < len(pat):
			next := pat[i+1]
			i++
			if cl, ok := classes[next]; ok {
				if inClass {
					b.WriteString(cl)
				} else {
					b.WriteString("[" + cl + "]")
				}
				continue
			}
			if cl, ok := classes[next|0x20]; ok && next <= 'Z' && !inClass { // \W, \D, \S
				b.WriteString("[^" + cl + "]")
				continue
			}
			b.WriteByte(c)
			b.WriteByte(next)
			continue
		case c == '[' && !inClass:
			inClass = true
			b.WriteByte(c)
			// A ']' first in a class (or after '^') is a literal.
			if i+1 < len(pat) && pat[i+1] == '^' {
				b.WriteByte('^')
				i++
			}
			if i+1 < len(pat) && pat[i+1] == ']' {
				b.WriteByte(']')
				i++
			}
			continue
		case c == ']' && inClass:
			inClass = false
		}
		b.WriteByte(c)
	}
	return b.String()
}
