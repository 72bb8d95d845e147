package exec

import (
	"fmt"
	"regexp"
	"slices"

	"logq/engine/plan"
	"logq/partitions/collate"
	"logq/partitions/columns"
)

// The conversions between the conditions and aggregates the compiler
// claims (pred, aggKey, aggFn) and their form as data (package plan). A
// condition rebuilt from its plan evaluates exactly as the one compiled
// from SQL: the loopback mode (logq_plan_loopback) runs every query
// through Encode and Decode to prove it.

// exprOf returns p as a plan condition.
func exprOf(p Pred) *plan.Expr {
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
			Escape: p.escape, Collation: p.collation.String(), Text: p.text}
	case regexpPred:
		return &plan.Expr{Kind: plan.ExprKind_EXPR_REGEXP, Column: p.col.columnName(), Pattern: p.re.String(), Text: p.text}
	case strCmpPred:
		return &plan.Expr{Kind: plan.ExprKind_EXPR_STRING_CMP, Column: p.col.columnName(), Cmp: cmpOfOp[p.op], BytesValue: p.v, Text: p.text}
	case nullPred:
		col := p.col
		if p.core >= 0 {
			col = columns.CoreNames[p.core]
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
func predOf(e *plan.Expr) (Pred, error) {
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
		coll, ok := collate.LikeCollationOf(e.Collation)
		if !ok {
			return nil, fmt.Errorf("plan: LIKE under collation %q, which logq does not compare", e.Collation)
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
		if a := accessorOf(e.Column); a.Core >= 0 {
			return nullPred{core: a.Core, text: e.Text}, nil
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
func accessorOf(name string) StringAccessor {
	if i := slices.Index(columns.CoreNames, name); i > ColTS {
		return StringAccessor{Core: i, Name: name}
	}
	return StringAccessor{Core: -1, Name: name}
}

// newLikePred is col LIKE pattern under coll, as the compiler claims it. It
// fails where go-mysql-server's LIKE does (collate.CompileLike).
func newLikePred(col StringAccessor, pattern string, escape rune, coll collate.LikeCollation, text string) (likePred, error) {
	m, err := collate.CompileLike(pattern, escape, coll)
	if err != nil {
		return likePred{}, err
	}
	return likePred{col: col, m: m, pattern: pattern, escape: escape, collation: coll, text: text}, nil
}

// keyKinds, dateFields, aggOps and argKinds pair the aggregate's enums
// with the plan's, position by position.
var (
	keyKinds   = []plan.KeyKind{KeyString: plan.KeyKind_KEY_STRING, KeyEpochDiv: plan.KeyKind_KEY_EPOCH_DIV, KeyEpochFloor: plan.KeyKind_KEY_EPOCH_FLOOR, KeyLocal: plan.KeyKind_KEY_LOCAL}
	dateFields = []plan.DateField{fieldYear: plan.DateField_FIELD_YEAR, fieldYear2: plan.DateField_FIELD_YEAR2, fieldMonth: plan.DateField_FIELD_MONTH,
		fieldDay: plan.DateField_FIELD_DAY, fieldHour: plan.DateField_FIELD_HOUR, fieldHour12: plan.DateField_FIELD_HOUR12,
		fieldAMPM: plan.DateField_FIELD_AMPM, fieldMinute: plan.DateField_FIELD_MINUTE, fieldSecond: plan.DateField_FIELD_SECOND}
	aggOps = []plan.AggOp{OpCount: plan.AggOp_AGG_COUNT, OpCountDistinct: plan.AggOp_AGG_COUNT_DISTINCT, OpSum: plan.AggOp_AGG_SUM,
		OpAvg: plan.AggOp_AGG_AVG, OpMin: plan.AggOp_AGG_MIN, OpMax: plan.AggOp_AGG_MAX}
	argKinds = []plan.ArgKind{ArgRows: plan.ArgKind_ARG_ROWS, ArgTS: plan.ArgKind_ARG_TS, ArgString: plan.ArgKind_ARG_STRING,
		ArgInt: plan.ArgKind_ARG_INT, ArgFloat: plan.ArgKind_ARG_FLOAT}
)

// AggregateOf returns the partial aggregate of q as a plan.
func AggregateOf(q *AggSpec) *plan.Aggregate {
	a := &plan.Aggregate{Grouped: q.Grouped}
	for _, k := range q.Keys {
		g := &plan.GroupKey{Kind: keyKinds[k.Kind], Folded: k.Folded, Width: k.N, Unit: k.Unit}
		if k.Kind == KeyString {
			g.Column = k.Col.columnName()
		}
		for _, f := range k.Fields {
			g.Fields = append(g.Fields, dateFields[f])
		}
		a.Keys = append(a.Keys, g)
	}
	for _, f := range q.Aggs {
		fn := &plan.AggFunc{Op: aggOps[f.Op], Arg: argKinds[f.Arg], Exact: f.Exact, Folded: f.Folded, Text: f.Text}
		if f.Arg >= ArgString {
			fn.Column = f.Col.columnName()
		}
		a.Funcs = append(a.Funcs, fn)
	}
	return a
}

// AggregateFrom sets q's keys and aggregates to those of a.
func AggregateFrom(q *AggSpec, a *plan.Aggregate) {
	q.Grouped = a.Grouped
	q.Keys = make([]AggKey, len(a.Keys))
	for i, g := range a.Keys {
		k := AggKey{Kind: keyKind(slices.Index(keyKinds, g.Kind)), Folded: g.Folded, N: g.Width, Unit: g.Unit}
		if g.Column != "" {
			k.Col = accessorOf(g.Column)
		}
		for _, f := range g.Fields {
			k.Fields = append(k.Fields, dateField(slices.Index(dateFields, f)))
		}
		q.Keys[i] = k
	}
	q.Aggs = make([]AggFn, len(a.Funcs))
	for i, f := range a.Funcs {
		fn := AggFn{Op: AggOp(slices.Index(aggOps, f.Op)), Arg: argKind(slices.Index(argKinds, f.Arg)), Exact: f.Exact, Folded: f.Folded, Text: f.Text}
		switch {
		case fn.Arg == ArgTS:
			fn.Col = accessorOf("ts")
		case f.Column != "":
			fn.Col = accessorOf(f.Column)
		}
		q.Aggs[i] = fn
	}
}

// RoundTrip returns p as a node receives it: encoded and decoded.
func RoundTrip(p *plan.Plan) (*plan.Plan, error) {
	b, err := plan.Encode(p)
	if err != nil {
		return nil, err
	}
	return plan.Decode(b)
}
