package exec

import (
	"bytes"
	"regexp"
	"regexp/syntax"

	"logq/partitions/columns"
)

// regexpPred is col REGEXP pattern (REGEXP_LIKE with a constant pattern and
// match_type), claimed into the scan: evaluated over whole batches, once per
// dictionary entry of a dictionary-encoded column. The regular expression
// is the one compat.Regexp compiled, so the answer is the same.
type regexpPred struct {
	col  StringAccessor
	re   *regexp.Regexp
	lit  []byte // every match contains it (requiredLiteral); nil: none known
	text string
}

func (p regexpPred) eval(r *batchRow) tri {
	var scratch [32]byte
	v, ok := p.col.value(r, scratch[:])
	if !ok {
		return triNull
	}
	return triOf(p.match(v))
}

// match reports whether v matches: a value without the required literal
// cannot, and bytes.Contains rules it out far faster than the automaton.
func (p regexpPred) match(v []byte) bool {
	return (p.lit == nil || bytes.Contains(v, p.lit)) && p.re.Match(v)
}

func (p regexpPred) String() string { return p.text }

func (p regexpPred) Columns(dst []string) []string { return append(dst, p.col.columnName()) }

// filterRegexp keeps the rows of sel whose core string column s matches.
func filterRegexp(p regexpPred, s *columns.Strings, sel []int32) []int32 {
	return filterCodes(s, sel, p.match)
}

// requiredLiteral returns bytes that every match of the regular expression
// expr contains, the longest run of literal characters the syntax tree
// shows on every path, or nil. Case-folded literals count as none.
func requiredLiteral(expr string) []byte {
	t, err := syntax.Parse(expr, syntax.Perl)
	if err != nil {
		return nil
	}
	if lit := required(t.Simplify()); len(lit) > 0 {
		return []byte(string(lit))
	}
	return nil
}

func required(re *syntax.Regexp) []rune {
	exact := func(re *syntax.Regexp) bool { return re.Op == syntax.OpLiteral && re.Flags&syntax.FoldCase == 0 }
	switch re.Op {
	case syntax.OpLiteral:
		if exact(re) {
			return re.Rune
		}
	case syntax.OpCapture, syntax.OpPlus:
		return required(re.Sub[0])
	case syntax.OpRepeat:
		if re.Min >= 1 {
			return required(re.Sub[0])
		}
	case syntax.OpConcat:
		// Adjacent literals join into one run; otherwise the longest
		// literal any part requires.
		var best, run []rune
		for _, sub := range re.Sub {
			if exact(sub) {
				run = append(run, sub.Rune...)
				continue
			}
			if len(run) > len(best) {
				best = run
			}
			run = nil
			if r := required(sub); len(r) > len(best) {
				best = r
			}
		}
		if len(run) > len(best) {
			best = run
		}
		return best
	}
	return nil
}
