package engine

import (
	"math"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/expression"
	"github.com/dolthub/go-mysql-server/sql/types"
	"github.com/shopspring/decimal"

	"logq/engine/compat"
	exec "logq/engine/exec"
	"logq/engine/plan"
	"logq/partitions/collate"
	"logq/partitions/columns"
)

// compiler turns go-mysql-server expressions into preds, claiming only what
// it evaluates exactly as go-mysql-server would.
type compiler struct {
	ctx *sql.Context
	t   *Table
	loc *time.Location
}

// pushdown splits the conjuncts of a WHERE into the claimed ones, compiled,
// and the rest, left for go-mysql-server.
func pushdown(ctx *sql.Context, t *Table, loc *time.Location, conjuncts []sql.Expression) (*exec.Pushed, []sql.Expression) {
	c := compiler{ctx: ctx, t: t, loc: loc}
	p := exec.NewPushed()
	var rest []sql.Expression
	for _, e := range conjuncts {
		x, ok := c.compile(e)
		if !ok || p.Claim(x, e.String()) != nil {
			// An error is a pattern the scan cannot match: go-mysql-server
			// gives its error or its answer.
			rest = append(rest, e)
		}
	}
	return p, rest
}

func (c compiler) compile(e sql.Expression) (*plan.Expr, bool) {
	switch e := e.(type) {
	case *expression.And:
		l, ok1 := c.compile(e.LeftChild)
		r, ok2 := c.compile(e.RightChild)
		return &plan.Expr{Kind: plan.ExprKind_EXPR_AND, Args: []*plan.Expr{l, r}}, ok1 && ok2
	case *expression.Or:
		l, ok1 := c.compile(e.LeftChild)
		r, ok2 := c.compile(e.RightChild)
		return &plan.Expr{Kind: plan.ExprKind_EXPR_OR, Args: []*plan.Expr{l, r}}, ok1 && ok2
	case *expression.Not:
		p, ok := c.compile(e.Child)
		return not(p), ok
	case *expression.Equals:
		return c.comparison(e, e.Left(), e.Right(), plan.CmpOp_CMP_EQ)
	case *expression.GreaterThan:
		return c.comparison(e, e.Left(), e.Right(), plan.CmpOp_CMP_GT)
	case *expression.GreaterThanOrEqual:
		return c.comparison(e, e.Left(), e.Right(), plan.CmpOp_CMP_GE)
	case *expression.LessThan:
		return c.comparison(e, e.Left(), e.Right(), plan.CmpOp_CMP_LT)
	case *expression.LessThanOrEqual:
		return c.comparison(e, e.Left(), e.Right(), plan.CmpOp_CMP_LE)
	case *expression.Between:
		return c.between(e)
	case *compat.TSVsEpoch:
		if col, ok := c.column(c.tsFieldOf(e)); ok && col == exec.ColTS {
			lo, hi := e.Range()
			return tsBetween(lo, hi, e.String()), true
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
func (c compiler) comparison(e sql.Expression, a, b sql.Expression, op plan.CmpOp) (*plan.Expr, bool) {
	col, ok := c.column(a)
	other := b
	if !ok {
		if col, ok = c.column(b); !ok {
			return nil, false
		}
		other, op = a, flip(op)
	}
	v, ok := c.constant(other)
	if !ok || v == nil {
		return nil, false
	}
	text := e.String()
	switch {
	case col == exec.ColTS:
		us, ok := c.tsMicros(v)
		if !ok {
			return nil, false
		}
		return tsComparison(op, us, text), true
	case col < exec.NumCore || c.t.dyn[col-exec.NumCore].Type == columns.TypeString:
		s, ok := v.(string)
		if !ok || !types.IsText(other.Type()) {
			return nil, false
		}
		if op != plan.CmpOp_CMP_EQ && op != plan.CmpOp_CMP_NE {
			// go-mysql-server compares rune by rune and weighs a malformed
			// byte as U+FFFD; for valid UTF-8 that is the bytes' order.
			if !utf8.ValidString(s) || !c.bytewise(a, b) {
				return nil, false
			}
			return &plan.Expr{Kind: plan.ExprKind_EXPR_STRING_CMP, Column: c.name(col), Cmp: op, BytesValue: []byte(s), Text: text}, true
		}
		folded, ok := c.equality(a, b)
		if !ok || folded && !utf8.ValidString(s) {
			return nil, false
		}
		p := &plan.Expr{Kind: plan.ExprKind_EXPR_IN, Column: c.name(col), Values: [][]byte{keyOf([]byte(s), folded)}, Folded: folded, Text: text}
		if op == plan.CmpOp_CMP_NE {
			p = not(p)
		}
		return p, true
	}
	name := c.t.dyn[col-exec.NumCore].Name
	switch c.t.dyn[col-exec.NumCore].Type {
	case columns.TypeInt64:
		if n, ok := compat.ExactInt(v); ok {
			return &plan.Expr{Kind: plan.ExprKind_EXPR_INT_CMP, Column: name, Cmp: op, IntValue: n, Text: text}, true
		}
	case columns.TypeFloat64:
		// Integers and DOUBLE constants only: how go-mysql-server compares a
		// DOUBLE with a DECIMAL literal (0.1) is not worth guessing.
		if _, isDecimal := v.(decimal.Decimal); !isDecimal {
			if f, ok := floatOf(v); ok {
				return &plan.Expr{Kind: plan.ExprKind_EXPR_FLOAT_CMP, Column: name, Cmp: op, FloatValue: f, Text: text}, true
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

// flip is the operator of the comparison with its sides swapped.
func flip(op plan.CmpOp) plan.CmpOp {
	switch op {
	case plan.CmpOp_CMP_LT:
		return plan.CmpOp_CMP_GT
	case plan.CmpOp_CMP_LE:
		return plan.CmpOp_CMP_GE
	case plan.CmpOp_CMP_GT:
		return plan.CmpOp_CMP_LT
	case plan.CmpOp_CMP_GE:
		return plan.CmpOp_CMP_LE
	}
	return op
}

// tsComparison is ts op us as a range (NOT of a point for <>).
func tsComparison(op plan.CmpOp, us int64, text string) *plan.Expr {
	lo, hi := int64(math.MinInt64), int64(math.MaxInt64)
	switch op {
	case plan.CmpOp_CMP_EQ, plan.CmpOp_CMP_NE:
		lo, hi = us, us
	case plan.CmpOp_CMP_LT:
		hi = us - 1
	case plan.CmpOp_CMP_LE:
		hi = us
	case plan.CmpOp_CMP_GT:
		lo = us + 1
	case plan.CmpOp_CMP_GE:
		lo = us
	}
	p := tsBetween(lo, hi, text)
	if op == plan.CmpOp_CMP_NE {
		p = not(p)
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

func (c compiler) between(e *expression.Between) (*plan.Expr, bool) {
	col, ok := c.column(e.Val)
	if !ok || col != exec.ColTS {
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
	return tsBetween(l, h, e.String()), true
}

func (c compiler) in(e *expression.InTuple) (*plan.Expr, bool) {
	col, ok := c.column(e.Left())
	if !ok || col == exec.ColTS || (col >= exec.NumCore && c.t.dyn[col-exec.NumCore].Type != columns.TypeString) {
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
	return &plan.Expr{Kind: plan.ExprKind_EXPR_IN, Column: c.name(col), Values: values, Folded: folded, Text: e.String()}, true
}

func (c compiler) like(e *expression.Like) (*plan.Expr, bool) {
	col, ok := c.column(e.Left())
	if !ok || col == exec.ColTS || (col >= exec.NumCore && c.t.dyn[col-exec.NumCore].Type != columns.TypeString) {
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
	if _, ok := collate.LikeCollationOf(collation.Name()); !ok {
		return nil, false
	}
	if _, compared := comparedBy(collation); !compared {
		return nil, false
	}
	return &plan.Expr{Kind: plan.ExprKind_EXPR_LIKE, Column: c.name(col), Pattern: pattern, Escape: int32(escape),
		Collation: collation.Name(), Text: e.String()}, true
}

func (c compiler) isNull(e *expression.IsNull) (*plan.Expr, bool) {
	col, ok := c.column(e.Child)
	if !ok || col == exec.ColTS {
		return nil, false
	}
	return &plan.Expr{Kind: plan.ExprKind_EXPR_IS_NULL, Column: c.name(col), Text: e.String()}, true
}

// name is the name of the column at schema position col.
func (c compiler) name(col int) string {
	if col < exec.NumCore {
		return columns.CoreNames[col]
	}
	return c.t.dyn[col-exec.NumCore].Name
}

// not is NOT e.
func not(e *plan.Expr) *plan.Expr {
	return &plan.Expr{Kind: plan.ExprKind_EXPR_NOT, Args: []*plan.Expr{e}}
}

// tsBetween is lo <= ts <= hi.
func tsBetween(lo, hi int64, text string) *plan.Expr {
	return &plan.Expr{Kind: plan.ExprKind_EXPR_TS_RANGE, Lo: lo, Hi: hi, Text: text}
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

// regexp claims col REGEXP 'constant' for the scan; anything else (an
// expression on the left, a pattern from a column, a non-string column, a
// pattern that does not compile) stays with go-mysql-server.
func (c compiler) regexp(e *compat.Regexp) (*plan.Expr, bool) {
	if e.FunctionName() != "regexp_like" {
		return nil, false
	}
	col, ok := c.column(e.Subject())
	if !ok || col == exec.ColTS || (col >= exec.NumCore && c.t.dyn[col-exec.NumCore].Type != columns.TypeString) {
		return nil, false
	}
	if !e.ConstantPattern() {
		return nil, false
	}
	re, err := e.CompilePattern(c.ctx, nil)
	if err != nil || re == nil {
		return nil, false // the error, or the NULLs, come from go-mysql-server
	}
	return &plan.Expr{Kind: plan.ExprKind_EXPR_REGEXP, Column: c.name(col), Pattern: re.String(), Text: e.String()}, true
}
