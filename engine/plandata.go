package engine

import (
	"fmt"
	"regexp"
	"slices"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/expression"

	"logq/engine/plan"
)

// The conversions between the conditions and aggregates the compiler
// claims (pred, aggKey, aggFn) and their form as data (package plan). A
// condition rebuilt from its plan evaluates exactly as the one compiled
// from SQL: the loopback mode (logq_plan_loopback) runs every query
// through Encode and Decode to prove it.

// exprOf returns p as a plan condition.
func exprOf(p pred) *plan.Expr {
	switch p := p.(type) {
	case andPred:
		return &plan.Expr{Kind: plan.ExprKind_EXPR_AND, Args: []*plan.Expr{exprOf(p.l), exprOf(p.r)}}
	case orPred:
		return &plan.Expr{Kind: plan.ExprKind_EXPR_OR, Args: []*plan.Expr{exprOf(p.l), exprOf(p.r)}}
	case notPred:
		return &plan.Expr{Kind: plan.ExprKind_EXPR_NOT, Args: []*plan.Expr{exprOf(p.p)}}
	case tsPred:
		return &plan.Expr{Kind: plan.ExprKind_EXPR_TS_RANGE, Lo: p.lo, Hi: p.hi, Text: p.text}
	case inPred:
		return &plan.Expr{Kind: plan.ExprKind_EXPR_IN, Column: p.col.columnName(), Values: p.values, Folded: p.folded, Text: p.text}
	case likePred:
		return &plan.Expr{Kind: plan.ExprKind_EXPR_LIKE, Column: p.col.columnName(), Pattern: p.pattern,
			Escape: p.escape, Collation: p.collation.Name(), Text: p.text}
	case regexpPred:
		return &plan.Expr{Kind: plan.ExprKind_EXPR_REGEXP, Column: p.col.columnName(), Pattern: p.re.String(), Text: p.text}
	case strCmpPred:
		return &plan.Expr{Kind: plan.ExprKind_EXPR_STRING_CMP, Column: p.col.columnName(), Cmp: cmpOfOp[p.op], BytesValue: p.v, Text: p.text}
	case nullPred:
		col := p.col
		if p.core >= 0 {
			col = coreNames[p.core]
		}
		return &plan.Expr{Kind: plan.ExprKind_EXPR_IS_NULL, Column: col, Text: p.text}
	case intCmpPred:
		return &plan.Expr{Kind: plan.ExprKind_EXPR_INT_CMP, Column: p.name, Cmp: cmpOfOp[p.op], IntValue: p.v, Text: p.text}
	case floatCmpPred:
		return &plan.Expr{Kind: plan.ExprKind_EXPR_FLOAT_CMP, Column: p.name, Cmp: cmpOfOp[p.op], FloatValue: p.v, Text: p.text}
	}
	panic(fmt.Sprintf("BUG: exprOf(%T)", p))
}

// cmpOfOp and opOfCmp translate comparison operators.
var (
	cmpOfOp = map[cmpOp]plan.CmpOp{opEQ: plan.CmpOp_CMP_EQ, opNE: plan.CmpOp_CMP_NE, opLT: plan.CmpOp_CMP_LT,
		opLE: plan.CmpOp_CMP_LE, opGT: plan.CmpOp_CMP_GT, opGE: plan.CmpOp_CMP_GE}
	opOfCmp = func() map[plan.CmpOp]cmpOp {
		m := make(map[plan.CmpOp]cmpOp, len(cmpOfOp))
		for op, c := range cmpOfOp {
			m[c] = op
		}
		return m
	}()
)

// predOf returns the condition e stands for. Plans come from Decode, which
// validated their shape; what only the evaluation can check (a collation
// or regular expression this build does not know) is an error.
func predOf(e *plan.Expr) (pred, error) {
	switch e.Kind {
	case plan.ExprKind_EXPR_AND, plan.ExprKind_EXPR_OR:
		l, err := predOf(e.Args[0])
		if err != nil {
			return nil, err
		}
		r, err := predOf(e.Args[1])
		if err != nil {
			return nil, err
		}
		if e.Kind == plan.ExprKind_EXPR_AND {
			return andPred{l, r}, nil
		}
		return orPred{l, r}, nil
	case plan.ExprKind_EXPR_NOT:
		p, err := predOf(e.Args[0])
		return notPred{p}, err
	case plan.ExprKind_EXPR_TS_RANGE:
		return tsPred{lo: e.Lo, hi: e.Hi, text: e.Text}, nil
	case plan.ExprKind_EXPR_IN:
		return inPred{col: accessorOf(e.Column), values: e.Values, folded: e.Folded, text: e.Text}, nil
	case plan.ExprKind_EXPR_LIKE:
		coll, err := sql.ParseCollation("", e.Collation, false)
		if err != nil {
			return nil, fmt.Errorf("plan: LIKE: %w", err)
		}
		return newLikePred(accessorOf(e.Column), e.Pattern, rune(e.Escape), coll, e.Text)
	case plan.ExprKind_EXPR_REGEXP:
		re, err := regexp.Compile(e.Pattern)
		if err != nil {
			return nil, fmt.Errorf("plan: REGEXP: %w", err)
		}
		return regexpPred{col: accessorOf(e.Column), re: re, lit: requiredLiteral(re.String()), text: e.Text}, nil
	case plan.ExprKind_EXPR_STRING_CMP:
		return strCmpPred{col: accessorOf(e.Column), op: opOfCmp[e.Cmp], v: e.BytesValue, text: e.Text}, nil
	case plan.ExprKind_EXPR_IS_NULL:
		if a := accessorOf(e.Column); a.core >= 0 {
			return nullPred{core: a.core, text: e.Text}, nil
		}
		return nullPred{core: -1, col: e.Column, text: e.Text}, nil
	case plan.ExprKind_EXPR_INT_CMP:
		return intCmpPred{name: e.Column, op: opOfCmp[e.Cmp], v: e.IntValue, text: e.Text}, nil
	case plan.ExprKind_EXPR_FLOAT_CMP:
		return floatCmpPred{name: e.Column, op: opOfCmp[e.Cmp], v: e.FloatValue, text: e.Text}, nil
	}
	return nil, fmt.Errorf("plan: condition kind %s", e.Kind)
}

// accessorOf reads the column name: a core string column or a dynamic one.
func accessorOf(name string) stringAccessor {
	if i := slices.Index(coreNames[:], name); i > colTS {
		return stringAccessor{core: i, name: name}
	}
	return stringAccessor{core: -1, name: name}
}

// newLikePred is col LIKE pattern under coll, as the compiler claims it.
func newLikePred(col stringAccessor, pattern string, escape rune, coll sql.CollationID, text string) (likePred, error) {
	m, err := expression.ConstructLikeMatcher(coll, pattern, escape)
	if err != nil {
		return likePred{}, err
	}
	lp := likePred{col: col, m: m, pattern: pattern, escape: escape, collation: coll, text: text}
	if coll == sql.Collation_utf8mb4_0900_bin || coll == sql.Collation_binary {
		lp.kind, lp.lit = simpleLike(pattern, escape)
	}
	return lp, nil
}

// keyKinds, dateFields, aggOps and argKinds pair the aggregate's enums
// with the plan's, position by position.
var (
	keyKinds   = []plan.KeyKind{keyString: plan.KeyKind_KEY_STRING, keyEpochDiv: plan.KeyKind_KEY_EPOCH_DIV, keyEpochFloor: plan.KeyKind_KEY_EPOCH_FLOOR, keyLocal: plan.KeyKind_KEY_LOCAL}
	dateFields = []plan.DateField{fieldYear: plan.DateField_FIELD_YEAR, fieldYear2: plan.DateField_FIELD_YEAR2, fieldMonth: plan.DateField_FIELD_MONTH,
		fieldDay: plan.DateField_FIELD_DAY, fieldHour: plan.DateField_FIELD_HOUR, fieldHour12: plan.DateField_FIELD_HOUR12,
		fieldAMPM: plan.DateField_FIELD_AMPM, fieldMinute: plan.DateField_FIELD_MINUTE, fieldSecond: plan.DateField_FIELD_SECOND}
	aggOps = []plan.AggOp{opCount: plan.AggOp_AGG_COUNT, opCountDistinct: plan.AggOp_AGG_COUNT_DISTINCT, opSum: plan.AggOp_AGG_SUM,
		opAvg: plan.AggOp_AGG_AVG, opMin: plan.AggOp_AGG_MIN, opMax: plan.AggOp_AGG_MAX}
	argKinds = []plan.ArgKind{argRows: plan.ArgKind_ARG_ROWS, argTS: plan.ArgKind_ARG_TS, argString: plan.ArgKind_ARG_STRING,
		argInt: plan.ArgKind_ARG_INT, argFloat: plan.ArgKind_ARG_FLOAT}
)

// aggregateOf returns the partial aggregate of q as a plan.
func aggregateOf(q *aggSpec) *plan.Aggregate {
	a := &plan.Aggregate{Grouped: q.grouped}
	for _, k := range q.keys {
		g := &plan.GroupKey{Kind: keyKinds[k.kind], Folded: k.folded, Width: k.n, Unit: k.unit}
		if k.kind == keyString {
			g.Column = k.col.columnName()
		}
		for _, f := range k.fields {
			g.Fields = append(g.Fields, dateFields[f])
		}
		a.Keys = append(a.Keys, g)
	}
	for _, f := range q.aggs {
		fn := &plan.AggFunc{Op: aggOps[f.op], Arg: argKinds[f.arg], Exact: f.exact, Folded: f.folded, Text: f.text}
		if f.arg >= argString {
			fn.Column = f.col.columnName()
		}
		a.Funcs = append(a.Funcs, fn)
	}
	return a
}

// aggregateFrom sets q's keys and aggregates to those of a.
func aggregateFrom(q *aggSpec, a *plan.Aggregate) {
	q.grouped = a.Grouped
	q.keys = make([]aggKey, len(a.Keys))
	for i, g := range a.Keys {
		k := aggKey{kind: keyKind(slices.Index(keyKinds, g.Kind)), folded: g.Folded, n: g.Width, unit: g.Unit}
		if g.Column != "" {
			k.col = accessorOf(g.Column)
		}
		for _, f := range g.Fields {
			k.fields = append(k.fields, dateField(slices.Index(dateFields, f)))
		}
		q.keys[i] = k
	}
	q.aggs = make([]aggFn, len(a.Funcs))
	for i, f := range a.Funcs {
		fn := aggFn{op: aggOp(slices.Index(aggOps, f.Op)), arg: argKind(slices.Index(argKinds, f.Arg)), exact: f.Exact, folded: f.Folded, text: f.Text}
		switch {
		case fn.arg == argTS:
			fn.col = accessorOf("ts")
		case f.Column != "":
			fn.col = accessorOf(f.Column)
		}
		q.aggs[i] = fn
	}
}

// roundTrip returns p as a node receives it: encoded and decoded.
func roundTrip(p *plan.Plan) (*plan.Plan, error) {
	b, err := plan.Encode(p)
	if err != nil {
		return nil, err
	}
	return plan.Decode(b)
}
