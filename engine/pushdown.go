package engine

import (
	"fmt"
	"math"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/expression"
	"github.com/dolthub/go-mysql-server/sql/types"
	"github.com/shopspring/decimal"

	"logq/catalog"
	"logq/engine/compat"
	"logq/partitions/collate"
	"logq/partitions/columns"
)

// pushed is what a query hands to the scan: the claimed conditions, their
// text for EXPLAIN, and the catalog predicate derived from the top-level
// conjuncts for pruning. Top-level ts conditions live only in prune: every
// batch read applies its ts bounds (by binary search where sorted), so pred
// holds the rest, evaluated row by row.
type pushed struct {
	pred  pred     // nil: no condition beyond the ts bounds
	texts []string // the claimed conjuncts, as written by go-mysql-server
	prune catalog.Predicate
}

// compiler turns go-mysql-server expressions into preds, claiming only what
// it evaluates exactly as go-mysql-server would.
type compiler struct {
	ctx *sql.Context
	t   *Table
	loc *time.Location
}

// pushdown splits the conjuncts of a WHERE into the claimed ones, compiled,
// and the rest, left for go-mysql-server.
func pushdown(ctx *sql.Context, t *Table, loc *time.Location, conjuncts []sql.Expression) (*pushed, []sql.Expression) {
	c := compiler{ctx: ctx, t: t, loc: loc}
	p := &pushed{prune: fullScan()}
	var rest []sql.Expression
	for _, e := range conjuncts {
		q, ok := c.compile(e)
		if !ok {
			rest = append(rest, e)
			continue
		}
		p.texts = append(p.texts, e.String())
		narrow(&p.prune, q)
		if _, isTS := q.(tsPred); isTS {
			continue
		}
		if p.pred == nil {
			p.pred = q
		} else {
			p.pred = andPred{p.pred, q}
		}
	}
	return p, rest
}

// narrow intersects the catalog predicate with what a top-level conjunct
// requires; conditions under OR or NOT do not prune.
func narrow(p *catalog.Predicate, q pred) {
	switch q := q.(type) {
	case andPred:
		narrow(p, q.l)
		narrow(p, q.r)
	case tsPred:
		p.MinTS, p.MaxTS = max(p.MinTS, q.lo), min(p.MaxTS, q.hi)
	case inPred:
		var set *[]string
		switch q.col.core {
		case colLevel:
			set = &p.Levels
		case colService:
			set = &p.Services
		case colHost:
			set = &p.Hosts
		case colTraceID:
			set = &p.TraceIDs
		default:
			return
		}
		if q.folded && q.col.core == colTraceID {
			return // the catalog compares trace IDs exactly
		}
		// The catalog compares level, service and host by collation key,
		// which keeps every value equal to a literal under either
		// collation; keys also make the intersection of two lists exact.
		values := make([]string, len(q.values))
		for i, v := range q.values {
			values[i] = string(v)
			if !q.folded && q.col.core != colTraceID {
				values[i] = collate.Key(values[i])
			}
		}
		*set = intersect(*set, values)
	}
}

// intersect returns the values in both sets; a nil set is unconstrained.
func intersect(a, b []string) []string {
	if a == nil {
		return b
	}
	out := []string{}
	for _, x := range a {
		for _, y := range b {
			if x == y {
				out = append(out, x)
				break
			}
		}
	}
	return out
}

func (c compiler) compile(e sql.Expression) (pred, bool) {
	switch e := e.(type) {
	case *expression.And:
		l, ok1 := c.compile(e.LeftChild)
		r, ok2 := c.compile(e.RightChild)
		return andPred{l, r}, ok1 && ok2
	case *expression.Or:
		l, ok1 := c.compile(e.LeftChild)
		r, ok2 := c.compile(e.RightChild)
		return orPred{l, r}, ok1 && ok2
	case *expression.Not:
		p, ok := c.compile(e.Child)
		return notPred{p}, ok
	case *expression.Equals:
		return c.comparison(e, e.Left(), e.Right(), opEQ)
	case *expression.GreaterThan:
		return c.comparison(e, e.Left(), e.Right(), opGT)
	case *expression.GreaterThanOrEqual:
		return c.comparison(e, e.Left(), e.Right(), opGE)
	case *expression.LessThan:
		return c.comparison(e, e.Left(), e.Right(), opLT)
	case *expression.LessThanOrEqual:
		return c.comparison(e, e.Left(), e.Right(), opLE)
	case *expression.Between:
		return c.between(e)
	case *compat.TSVsEpoch:
		if col, ok := c.column(c.tsFieldOf(e)); ok && col == colTS {
			lo, hi := e.Range()
			return tsPred{lo: lo, hi: hi, text: e.String()}, true
		}
		return c.compile(e.Expression)
	case *expression.InTuple:
		return c.in(e)
	case *expression.Like:
		return c.like(e)
	case *compat.Like:
		return c.like(e.Like)
	case *compat.Regexp:
		return c.regexp(e)
	case *expression.IsNull:
		return c.isNull(e)
	}
	return nil, false
}

// column resolves e to a column of logs: its position in the schema. The
// conditions go-mysql-server hands to LookupForExpressions are those of this
// table's node, so a field is one of ours under any alias (FROM logs l);
// its type must still match, as a guard.
func (c compiler) column(e sql.Expression) (int, bool) {
	gf, ok := e.(*expression.GetField)
	if !ok {
		return 0, false
	}
	for i, col := range c.t.schema {
		if strings.EqualFold(col.Name, gf.Name()) && col.Type.Equals(gf.Type()) {
			// The catch-all column is JSON to SQL: comparisons follow
			// JSON's rules over its normalised text, which the byte
			// predicates of the scan do not know, so GMS evaluates them.
			return i, !types.IsJSON(col.Type)
		}
	}
	return 0, false
}

// constant evaluates e if it is a constant of the statement: no column, no
// parameter, no subquery, nothing random. NOW() and its kin are constants
// of a statement in MySQL, and logq's are (now.go); SYSDATE() is not.
func (c compiler) constant(e sql.Expression) (any, bool) {
	ok := true
	sql.Inspect(e, func(e sql.Expression) bool {
		switch e.(type) {
		case *expression.GetField, *expression.BindVar, *expression.ProcedureParam, *expression.UserVar:
			ok = false
		case sql.NonDeterministicExpression:
			ok = false
		}
		return ok
	})
	if !ok || !e.Resolved() {
		return nil, false
	}
	v, err := e.Eval(c.ctx, nil)
	if err != nil {
		return nil, false
	}
	return v, true
}

// comparison compiles `a op b` where one side is a column and the other a
// constant.
func (c compiler) comparison(e sql.Expression, a, b sql.Expression, op cmpOp) (pred, bool) {
	col, ok := c.column(a)
	other := b
	if !ok {
		if col, ok = c.column(b); !ok {
			return nil, false
		}
		other, op = a, op.flip()
	}
	v, ok := c.constant(other)
	if !ok || v == nil {
		return nil, false
	}
	text := e.String()
	switch {
	case col == colTS:
		us, ok := c.tsMicros(v)
		if !ok {
			return nil, false
		}
		return tsComparison(op, us, text), true
	case col < numCore || c.t.dyn[col-numCore].Type == columns.TypeString:
		s, ok := v.(string)
		if !ok || !types.IsText(other.Type()) {
			return nil, false
		}
		if op != opEQ && op != opNE {
			// go-mysql-server compares rune by rune and weighs a malformed
			// byte as U+FFFD; for valid UTF-8 that is the bytes' order.
			if !utf8.ValidString(s) || !c.bytewise(a, b) {
				return nil, false
			}
			return strCmpPred{col: c.accessor(col), op: op, v: []byte(s), text: text}, true
		}
		folded, ok := c.equality(a, b)
		if !ok || folded && !utf8.ValidString(s) {
			return nil, false
		}
		p := pred(inPred{col: c.accessor(col), values: [][]byte{keyOf([]byte(s), folded)}, folded: folded, text: text})
		if op == opNE {
			p = notPred{p}
		}
		return p, true
	}
	name := c.t.dyn[col-numCore].Name
	switch c.t.dyn[col-numCore].Type {
	case columns.TypeInt64:
		if n, ok := compat.ExactInt(v); ok {
			return intCmpPred{name: name, op: op, v: n, text: text}, true
		}
	case columns.TypeFloat64:
		// Integers and DOUBLE constants only: how go-mysql-server compares a
		// DOUBLE with a DECIMAL literal (0.1) is not worth guessing.
		if _, isDecimal := v.(decimal.Decimal); !isDecimal {
			if f, ok := floatOf(v); ok {
				return floatCmpPred{name: name, op: op, v: f, text: text}, true
			}
		}
	}
	return nil, false
}

// tsFieldOf returns the ts column reference a compat.TSVsEpoch compares.
func (c compiler) tsFieldOf(e *compat.TSVsEpoch) sql.Expression {
	for _, child := range e.Children() {
		if gf, ok := child.(*expression.GetField); ok && gf.Name() == e.Column() {
			return gf
		}
	}
	return nil
}

func (op cmpOp) flip() cmpOp {
	switch op {
	case opLT:
		return opGT
	case opLE:
		return opGE
	case opGT:
		return opLT
	case opGE:
		return opLE
	}
	return op
}

// tsComparison is ts op us as a range (NOT of a point for <>).
func tsComparison(op cmpOp, us int64, text string) pred {
	lo, hi := int64(math.MinInt64), int64(math.MaxInt64)
	switch op {
	case opEQ, opNE:
		lo, hi = us, us
	case opLT:
		hi = us - 1
	case opLE:
		hi = us
	case opGT:
		lo = us + 1
	case opGE:
		lo = us
	}
	var p pred = tsPred{lo: lo, hi: hi, text: text}
	if op == opNE {
		p = notPred{p}
	}
	return p
}

// tsMicros converts a constant compared with ts to UTC microseconds: the
// value is a DATETIME in the session's time zone, as MySQL reads a constant
// compared with a TIMESTAMP column.
func (c compiler) tsMicros(v any) (int64, bool) {
	if _, isNum := floatOf(v); isNum {
		return 0, false // numbers compare with ts as numbers (20261103...), not claimed
	}
	tv, _, err := tsType.Convert(c.ctx, v)
	if err != nil || tv == nil {
		return 0, false
	}
	t, ok := tv.(time.Time)
	if !ok {
		return 0, false
	}
	local := time.Date(t.Year(), t.Month(), t.Day(), t.Hour(), t.Minute(), t.Second(), t.Nanosecond(), c.loc)
	if t.Nanosecond()%1000 != 0 {
		return 0, false // finer than the column: leave the comparison to go-mysql-server
	}
	return local.UnixMicro(), true
}

// bytewise reports whether go-mysql-server compares a and b as bytes: under
// utf8mb4_0900_bin (NO PAD) or binary. Ranges are claimed only then.
func (c compiler) bytewise(a, b sql.Expression) bool {
	folded, ok := c.equality(a, b)
	return ok && !folded
}

// equality reports how go-mysql-server tests a = b: bytewise (folded false)
// under a binary collation, or by collation keys (folded) under
// utf8mb4_0900_ai_ci, the collation of level, service and host. ok is
// false under any other collation, whose comparisons stay unclaimed.
func (c compiler) equality(a, b sql.Expression) (folded, ok bool) {
	ac, acoer := sql.GetCoercibility(c.ctx, a)
	bc, bcoer := sql.GetCoercibility(c.ctx, b)
	coll, _ := sql.ResolveCoercibility(ac, acoer, bc, bcoer)
	return comparedBy(coll)
}

// comparedBy reports how logq compares strings under coll: as bytes
// (folded false) under a binary collation, by collation key (folded) under
// utf8mb4_0900_ai_ci; ok is false for any other collation, which logq
// leaves to go-mysql-server.
func comparedBy(coll sql.CollationID) (folded, ok bool) {
	switch coll {
	case sql.Collation_utf8mb4_0900_bin, sql.Collation_binary:
		return false, true
	case collate.ID:
		return true, true
	}
	return false, false
}

// keyOf is v as an inPred lists it: its collation key when folded.
func keyOf(v []byte, folded bool) []byte {
	if folded {
		return collate.AppendKey(nil, v)
	}
	return v
}

func (c compiler) between(e *expression.Between) (pred, bool) {
	col, ok := c.column(e.Val)
	if !ok || col != colTS {
		return nil, false
	}
	lo, ok1 := c.constant(e.Lower)
	hi, ok2 := c.constant(e.Upper)
	if !ok1 || !ok2 || lo == nil || hi == nil {
		return nil, false
	}
	l, ok1 := c.tsMicros(lo)
	h, ok2 := c.tsMicros(hi)
	if !ok1 || !ok2 {
		return nil, false
	}
	return tsPred{lo: l, hi: h, text: e.String()}, true
}

func (c compiler) in(e *expression.InTuple) (pred, bool) {
	col, ok := c.column(e.Left())
	if !ok || col == colTS || (col >= numCore && c.t.dyn[col-numCore].Type != columns.TypeString) {
		return nil, false
	}
	tuple, ok := e.Right().(expression.Tuple)
	if !ok {
		return nil, false
	}
	folded, ok := c.equality(e.Left(), e.Right())
	if !ok {
		return nil, false
	}
	values := make([][]byte, 0, len(tuple))
	for _, item := range tuple {
		v, ok := c.constant(item)
		s, isString := v.(string)
		if !ok || !isString || !types.IsText(item.Type()) || folded && !utf8.ValidString(s) {
			return nil, false // NULL or a non-string item: compared differently
		}
		values = append(values, keyOf([]byte(s), folded))
	}
	return inPred{col: c.accessor(col), values: values, folded: folded, text: e.String()}, true
}

func (c compiler) like(e *expression.Like) (pred, bool) {
	col, ok := c.column(e.Left())
	if !ok || col == colTS || (col >= numCore && c.t.dyn[col-numCore].Type != columns.TypeString) {
		return nil, false
	}
	v, ok := c.constant(e.Right())
	pattern, isString := v.(string)
	if !ok || !isString {
		return nil, false
	}
	escape := '\\'
	if e.Escape != nil {
		ev, ok := c.constant(e.Escape)
		es, isString := ev.(string)
		if !ok || !isString || len([]rune(es)) != 1 {
			return nil, false
		}
		escape = []rune(es)[0]
	}
	// Under a collation logq does not compare itself (comparedBy),
	// go-mysql-server matches.
	collation, _ := e.CollationCoercibility(c.ctx)
	coll, ok := collate.LikeCollationOf(collation.Name())
	if _, compared := comparedBy(collation); !ok || !compared {
		return nil, false
	}
	lp, err := newLikePred(c.accessor(col), pattern, escape, coll, e.String())
	if err != nil {
		return nil, false
	}
	return lp, true
}

func (c compiler) isNull(e *expression.IsNull) (pred, bool) {
	col, ok := c.column(e.Child)
	if !ok || col == colTS {
		return nil, false
	}
	if col < numCore {
		return nullPred{core: col, text: e.String()}, true
	}
	return nullPred{core: -1, col: c.t.dyn[col-numCore].Name, text: e.String()}, true
}

func (c compiler) accessor(col int) stringAccessor {
	if col < numCore {
		return stringAccessor{core: col, name: coreNames[col]}
	}
	return stringAccessor{core: -1, name: c.t.dyn[col-numCore].Name}
}

// floatOf returns a numeric constant as a float64.
func floatOf(v any) (float64, bool) {
	if n, ok := compat.ExactInt(v); ok {
		return float64(n), true
	}
	switch v := v.(type) {
	case float64:
		return v, true
	case float32:
		return float64(v), true
	case decimal.Decimal:
		return v.InexactFloat64(), true
	case uint64:
		return float64(v), true
	}
	return 0, false
}

// describe is the text of the claimed conditions for EXPLAIN.
// pruning is what the catalog prunes a scan under p with: the claimed
// conditions' bounds, or nothing when none were claimed (p nil).
func (p *pushed) pruning() catalog.Predicate {
	if p == nil {
		return fullScan()
	}
	return p.prune
}

// scope is what every source of a scan under p applies: the top-level ts
// bounds and the claimed condition.
func (p *pushed) scope() scope {
	prune := p.pruning()
	sc := scope{lo: prune.MinTS, hi: prune.MaxTS}
	if p != nil {
		sc.cond = p.pred
	}
	return sc
}

func (p *pushed) describe() string {
	if p == nil || len(p.texts) == 0 {
		return "none"
	}
	return fmt.Sprint(strings.Join(p.texts, " AND "))
}
