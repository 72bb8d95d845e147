package compat

import (
	"math"
	"slices"
	"strings"
	"time"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/expression"
	"github.com/dolthub/go-mysql-server/sql/expression/function"
	"github.com/dolthub/go-mysql-server/sql/types"
	"github.com/dolthub/vitess/go/sqltypes"
	"github.com/shopspring/decimal"
)

// fromUnixtime is FROM_UNIXTIME(x) with MySQL's fractions: go-mysql-server
// converts x to an integer first, so FROM_UNIXTIME(1893459600.5) is a whole
// second late, and types every result DATETIME(6). MySQL keeps x's
// fraction to the microsecond (rounded) and gives DATETIME(d), d the
// fraction digits of x (0 for an integer, 6 for a DOUBLE or a string).
// The two-argument form (with a format) is go-mysql-server's.
type fromUnixtime struct {
	*function.FromUnixtime
}

var _ sql.Expression = (*fromUnixtime)(nil)

// WithChildren implements sql.Expression, keeping the wrapper for one
// argument.
func (f *fromUnixtime) WithChildren(children ...sql.Expression) (sql.Expression, error) {
	e, err := f.FromUnixtime.WithChildren(children...)
	if fu, ok := e.(*function.FromUnixtime); ok && err == nil && len(children) == 1 {
		return &fromUnixtime{fu}, nil
	}
	return e, err
}

// Type is DATETIME with the fraction digits of the argument.
func (f *fromUnixtime) Type() sql.Type {
	arg := f.ChildExpressions[0].Type()
	switch {
	case types.IsInteger(arg):
		return types.Datetime
	case types.IsDecimal(arg):
		if d, ok := arg.(sql.DecimalType); ok && d.Scale() < 6 {
			return types.MustCreateDatetimeType(sqltypes.Datetime, int(d.Scale()))
		}
	}
	return types.DatetimeMaxPrecision
}

// maxFromUnixtimeMicros is the largest argument MySQL 8 takes, in µs:
// 32536771199.999999 (3001-01-19 03:14:07.999999 UTC).
const maxFromUnixtimeMicros = 32_536_771_199_999_999

// Eval implements sql.Expression.
func (f *fromUnixtime) Eval(ctx *sql.Context, row sql.Row) (any, error) {
	v, err := f.ChildExpressions[0].Eval(ctx, row)
	if err != nil || v == nil {
		return nil, err
	}
	us, ok := epochMicros(ctx, v)
	if !ok || us < 0 || us > maxFromUnixtimeMicros {
		return nil, nil
	}
	loc, err := SessionLocation(ctx)
	if err != nil {
		return nil, err
	}
	t := LocalDatetime(us, loc)
	if d, ok := f.Type().(sql.DatetimeType); ok && d.Precision() < 6 {
		unit := time.Duration(math.Pow10(9 - d.Precision()))
		t = t.Round(unit) // the argument had at most that many digits
	}
	return t, nil
}

// epochMicros converts a FROM_UNIXTIME argument to microseconds, rounding
// half away from zero as MySQL rounds a fraction to a column's digits.
func epochMicros(ctx *sql.Context, v any) (int64, bool) {
	var d decimal.Decimal
	switch v := v.(type) {
	case decimal.Decimal:
		d = v
	case float64:
		if math.IsNaN(v) || math.IsInf(v, 0) || math.Abs(v) > 1e12 {
			return 0, false
		}
		return int64(math.Round(v * 1e6)), true
	case float32:
		return epochMicros(ctx, float64(v))
	case string:
		p, err := decimal.NewFromString(strings.TrimSpace(v))
		if err != nil {
			f, _, err := types.Float64.Convert(ctx, v) // a numeric prefix, as MySQL reads it
			if err != nil {
				return 0, false
			}
			return epochMicros(ctx, f)
		}
		d = p
	default:
		n, _, err := types.Int64.Convert(ctx, v)
		if err != nil || n == nil {
			return 0, false
		}
		d = decimal.NewFromInt(n.(int64))
	}
	if d.Abs().GreaterThan(decimal.NewFromInt(1e12)) {
		return 0, false
	}
	return d.Shift(6).Round(0).IntPart(), true
}

// intervalArithmetic turns `date + INTERVAL n unit` (either order) and
// `date - INTERVAL n unit` into DATE_ADD and DATE_SUB, which keep
// fractional seconds; go-mysql-server's arithmetic drops them (ts + INTERVAL
// 1 SECOND of 10:00:00.250000 gave 10:00:01). nil when e is not one.
func intervalArithmetic(e *expression.Arithmetic) sql.Expression {
	if e.Op != "+" && e.Op != "-" {
		return nil
	}
	date, interval := e.LeftChild, e.RightChild
	if _, ok := date.(*expression.Interval); ok && e.Op == "+" {
		date, interval = interval, date
	}
	if _, ok := interval.(*expression.Interval); !ok {
		return nil
	}
	if _, ok := date.(*expression.Interval); ok || !types.IsTime(date.Type()) {
		return nil
	}
	build := function.NewDateAdd
	if e.Op == "-" {
		build = function.NewDateSub
	}
	out, err := build(date, interval)
	if err != nil {
		return nil
	}
	return out
}

// TSVsEpoch is a comparison of ts with FROM_UNIXTIME of constants (ts op
// FROM_UNIXTIME(x), or ts BETWEEN FROM_UNIXTIME(a) AND FROM_UNIXTIME(b)),
// as Grafana's $__timeFilter writes it. It means instants: the rows
// between two moments, whatever the session's zone. Compared as wall
// clocks in the session's zone (go-mysql-server's way, through DATETIME
// values), a range that spans the hour a daylight-saving zone repeats in
// autumn can come out empty or short. The instants are taken when the
// query is planned, before go-mysql-server folds FROM_UNIXTIME into a
// wall-clock literal; the scan claims the comparison as that ts range.
// Should go-mysql-server evaluate it itself (under an OR it cannot
// claim), the wrapped comparison answers, wall clocks and all.
type TSVsEpoch struct {
	sql.Expression        // the comparison as written
	lo, hi         int64  // the instants it admits, µs UTC, inclusive
	ts             string // the column's name, for the pushdown's check
}

// Range returns the instants the comparison admits, µs UTC, inclusive;
// math.MinInt64 and math.MaxInt64 stand for no bound.
func (e *TSVsEpoch) Range() (minTS, maxTS int64) { return e.lo, e.hi }

// Column returns the name of the compared column, as written.
func (e *TSVsEpoch) Column() string { return e.ts }

// WithChildren implements sql.Expression, keeping the instants.
func (e *TSVsEpoch) WithChildren(children ...sql.Expression) (sql.Expression, error) {
	inner, err := e.Expression.WithChildren(children...)
	if err != nil {
		return nil, err
	}
	out := *e
	out.Expression = inner
	return &out, nil
}

// epochComparison returns the TSVsEpoch of e, or nil when e is not such a
// comparison, of one of the columns timestamps, with constant arguments.
func epochComparison(ctx *sql.Context, e sql.Expression, timestamps []string) sql.Expression {
	out := epochRange(ctx, e, timestamps)
	if out == nil {
		return nil
	}
	// In a zone without transitions a wall clock names one instant: the
	// comparison stays go-mysql-server's, which can use an index on ts.
	if loc, err := SessionLocation(ctx); err != nil || fixedOffset(loc) {
		return nil
	}
	return out
}

// epochRange is the TSVsEpoch of e when e compares one of the columns
// timestamps with FROM_UNIXTIME of constants, else nil.
func epochRange(ctx *sql.Context, e sql.Expression, timestamps []string) *TSVsEpoch {
	instant := func(x sql.Expression) (int64, bool) {
		if w, ok := x.(*fromUnixtime); ok {
			x = w.FromUnixtime
		}
		fu, ok := x.(*function.FromUnixtime)
		if !ok || len(fu.ChildExpressions) != 1 {
			return 0, false
		}
		arg := fu.ChildExpressions[0]
		if _, isLit := arg.(*expression.Literal); !isLit {
			return 0, false // a parameter, a column: evaluated later
		}
		v, err := arg.Eval(ctx, nil)
		if err != nil || v == nil {
			return 0, false
		}
		us, ok := epochMicros(ctx, v)
		return us, ok && us >= 0 && us <= maxFromUnixtimeMicros
	}
	tsField := func(x sql.Expression) (string, bool) {
		gf, ok := x.(*expression.GetField)
		if !ok || !types.IsTime(gf.Type()) || !slices.ContainsFunc(timestamps, func(n string) bool { return strings.EqualFold(n, gf.Name()) }) {
			return "", false
		}
		return gf.Name(), true
	}
	if b, ok := e.(*expression.Between); ok {
		name, isTS := tsField(b.Val)
		lo, ok1 := instant(b.Lower)
		hi, ok2 := instant(b.Upper)
		if isTS && ok1 && ok2 {
			return &TSVsEpoch{Expression: e, lo: lo, hi: hi, ts: name}
		}
		return nil
	}
	cmp, ok := e.(expression.Comparer)
	if !ok {
		return nil
	}
	var op epochOp
	switch e.(type) {
	case *expression.Equals:
		op = opEQ
	case *expression.GreaterThan:
		op = opGT
	case *expression.GreaterThanOrEqual:
		op = opGE
	case *expression.LessThan:
		op = opLT
	case *expression.LessThanOrEqual:
		op = opLE
	default:
		return nil
	}
	name, isTS := tsField(cmp.Left())
	us, isEpoch := instant(cmp.Right())
	if !isTS || !isEpoch {
		name, isTS = tsField(cmp.Right())
		us, isEpoch = instant(cmp.Left())
		op = op.flip()
	}
	if !isTS || !isEpoch {
		return nil
	}
	out := &TSVsEpoch{Expression: e, lo: math.MinInt64, hi: math.MaxInt64, ts: name}
	switch op {
	case opEQ:
		out.lo, out.hi = us, us
	case opGT:
		out.lo = us + 1
	case opGE:
		out.lo = us
	case opLT:
		out.hi = us - 1
	case opLE:
		out.hi = us
	}
	return out
}

// epochOp is the operator of a comparison epochRange takes.
type epochOp uint8

const (
	opEQ epochOp = iota
	opGT
	opGE
	opLT
	opLE
)

// flip is the operator with the operands swapped: a < b is b > a.
func (op epochOp) flip() epochOp {
	switch op {
	case opGT:
		return opLT
	case opGE:
		return opLE
	case opLT:
		return opGT
	case opLE:
		return opGE
	}
	return op
}

// fixedOffset reports whether loc has one offset for all time (UTC, a
// ±hh:mm session zone).
func fixedOffset(loc *time.Location) bool {
	if loc == time.UTC {
		return true
	}
	start, end := time.Unix(0, 0).In(loc).ZoneBounds()
	return start.IsZero() && end.IsZero()
}
