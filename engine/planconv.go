package engine

import (
	"fmt"
	"math"
	"regexp"
	"slices"
	"time"

	"github.com/dolthub/go-mysql-server/sql"

	"logq/engine/compat"
	"logq/engine/plan"
	"logq/partitions/collate"
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
			Escape: p.escape, Collation: p.collation.String(), Text: p.text}
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

// newLikePred is col LIKE pattern under coll, as the compiler claims it. It
// fails where go-mysql-server's LIKE does (collate.CompileLike).
func newLikePred(col stringAccessor, pattern string, escape rune, coll collate.LikeCollation, text string) (likePred, error) {
	m, err := collate.CompileLike(pattern, escape, coll)
	if err != nil {
		return likePred{}, err
	}
	return likePred{col: col, m: m, pattern: pattern, escape: escape, collation: coll, text: text}, nil
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
func aggregateOf(q *aggQuery) *plan.Aggregate {
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
func aggregateFrom(q *aggQuery, a *plan.Aggregate) {
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

// planLoopbackVar makes a session run every query's plan through its
// encoding (plan.Encode, plan.Decode) and execute what was decoded, as a
// node will execute a plan it received; tests turn it on to prove the
// encoded path with every query they run.
const planLoopbackVar = "logq_plan_loopback"

func planLoopback(ctx *sql.Context, t *Table) bool {
	if t.loopback {
		return true
	}
	v, err := ctx.GetSessionVariable(ctx, planLoopbackVar)
	return err == nil && v == int8(1)
}

// planned returns the claimed conditions as a plan's where and time range.
func (p *pushed) planned() (*plan.Expr, *plan.TimeRange) {
	prune := p.pruning()
	var tr *plan.TimeRange
	if prune.MinTS != math.MinInt64 || prune.MaxTS != math.MaxInt64 {
		tr = &plan.TimeRange{Lo: prune.MinTS, Hi: prune.MaxTS}
	}
	if p == nil || p.pred == nil {
		return nil, tr
	}
	return exprOf(p.pred), tr
}

// pushedFrom returns the claimed conditions of a decoded plan, pruning as
// pushdown prunes.
func pushedFrom(p *plan.Plan, texts []string) (*pushed, error) {
	out := &pushed{prune: fullScan(), texts: texts}
	if tr := p.TimeRange; tr != nil {
		out.prune.MinTS, out.prune.MaxTS = tr.Lo, tr.Hi
	}
	if p.Where != nil {
		q, err := predOf(p.Where)
		if err != nil {
			return nil, err
		}
		narrow(&out.prune, q)
		out.pred = q
	}
	return out, nil
}

// roundTrip returns p as a node receives it: encoded and decoded.
func roundTrip(p *plan.Plan) (*plan.Plan, error) {
	b, err := plan.Encode(p)
	if err != nil {
		return nil, err
	}
	return plan.Decode(b)
}

// loopback completes p with the session's zone and the claimed conditions
// push, sends it through its encoding, and returns what a node rebuilds of
// them. The zone travels as Location.String gives it, which
// compat.ParseZone reads back for every zone it makes (an IANA name, UTC,
// a "+hh:mm" offset, or Local for SYSTEM).
func loopback(t *Table, p *plan.Plan, loc *time.Location, push *pushed) (*plan.Plan, *time.Location, *pushed, error) {
	p.TimeZone = loc.String()
	p.Where, p.TimeRange = push.planned()
	p, err := roundTrip(p)
	if err != nil {
		return nil, nil, nil, err
	}
	if loc, err = compat.ParseZone(p.TimeZone); err != nil {
		return nil, nil, nil, fmt.Errorf("plan: %w", err)
	}
	t.stats.PlansRoundTripped.Add(1)
	var texts []string // for EXPLAIN, which the plan does not carry
	if push != nil {
		texts = push.texts
	}
	push, err = pushedFrom(p, texts)
	return p, loc, push, err
}

// loopbackScan returns t, loc and o rebuilt from their plan after a round
// trip through its encoding.
func loopbackScan(t *Table, loc *time.Location, o scanOptions) (*Table, *time.Location, scanOptions, error) {
	p := &plan.Plan{AllColumns: t.projNames == nil, Columns: t.projNames}
	switch {
	case o.ordered && o.reverse:
		p.Order = plan.Order_ORDER_DESCENDING
	case o.ordered:
		p.Order = plan.Order_ORDER_ASCENDING
	}
	p, loc, push, err := loopback(t, p, loc, o.push)
	if err != nil {
		return nil, nil, o, err
	}
	var cols []string // nil: every column
	if !p.AllColumns {
		cols = append([]string{}, p.Columns...) // none but ts when empty
	}
	out := scanOptions{push: push, ordered: p.Order != plan.Order_ORDER_UNORDERED, reverse: p.Order == plan.Order_ORDER_DESCENDING}
	return t.WithProjections(cols).(*Table), loc, out, nil
}

// loopbackAggregate returns q and loc rebuilt from their plan after a round
// trip through its encoding.
func loopbackAggregate(q *aggQuery, loc *time.Location) (*aggQuery, *time.Location, error) {
	p, loc, push, err := loopback(q.t, &plan.Plan{Aggregate: aggregateOf(q)}, loc, q.push)
	if err != nil {
		return nil, nil, err
	}
	out := *q
	out.push = push
	aggregateFrom(&out, p.Aggregate)
	return out.finish(out.readNames()), loc, nil
}
