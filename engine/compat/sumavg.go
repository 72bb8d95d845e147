package compat

import (
	"math/big"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/expression"
	"github.com/dolthub/go-mysql-server/sql/expression/function/aggregation"
	"github.com/dolthub/go-mysql-server/sql/transform"
	"github.com/dolthub/go-mysql-server/sql/types"
	"github.com/shopspring/decimal"
)

// MySQL's types of SUM and AVG over an integer: exact DECIMALs, AVG with
// div_precision_increment (4) decimals. go-mysql-server sums in float64
// and types both as the argument (AVG(latency_ms) came out 44.19 or
// 241.61666666666667, not 44.1900 and 241.6167).
var (
	sumIntType = types.MustCreateDecimalType(41, 0)
	avgIntType = types.MustCreateDecimalType(23, avgScale)
)

// avgScale is the decimals of AVG over an integer (div_precision_increment).
const avgScale = 4

// Sum is SUM of an integer argument, as MySQL computes it: an exact
// DECIMAL (SumResult). The embedded Sum gives the argument.
type Sum struct {
	*aggregation.Sum
}

// Avg is AVG of an integer argument, as MySQL computes it: an exact
// DECIMAL with four decimals (SumResult). The embedded Avg gives the
// argument.
type Avg struct {
	*aggregation.Avg
}

var (
	_ sql.Aggregation = (*Sum)(nil)
	_ sql.Aggregation = (*Avg)(nil)
)

// Type implements sql.Expression: DECIMAL(41, 0).
func (s *Sum) Type() sql.Type { return sumIntType }

// Type implements sql.Expression: DECIMAL(23, 4).
func (a *Avg) Type() sql.Type { return avgIntType }

// NewBuffer implements sql.Aggregation: an exact sum.
func (s *Sum) NewBuffer() (sql.AggregationBuffer, error) {
	child, err := transform.Clone(s.Child)
	return &exactSum{child: child}, err
}

// NewBuffer implements sql.Aggregation: an exact sum and count.
func (a *Avg) NewBuffer() (sql.AggregationBuffer, error) {
	child, err := transform.Clone(a.Child)
	return &exactSum{child: child, avg: true}, err
}

// WithChildren implements sql.Expression, keeping the wrapper.
func (s *Sum) WithChildren(children ...sql.Expression) (sql.Expression, error) {
	e, err := s.Sum.WithChildren(children...)
	if inner, ok := e.(*aggregation.Sum); ok && err == nil {
		return &Sum{inner}, nil
	}
	return e, err
}

// WithChildren implements sql.Expression, keeping the wrapper.
func (a *Avg) WithChildren(children ...sql.Expression) (sql.Expression, error) {
	e, err := a.Avg.WithChildren(children...)
	if inner, ok := e.(*aggregation.Avg); ok && err == nil {
		return &Avg{inner}, nil
	}
	return e, err
}

// WithId implements sql.IdExpression, keeping the wrapper.
func (s *Sum) WithId(id sql.ColumnId) sql.IdExpression {
	return &Sum{s.Sum.WithId(id).(*aggregation.Sum)}
}

// WithId implements sql.IdExpression, keeping the wrapper.
func (a *Avg) WithId(id sql.ColumnId) sql.IdExpression {
	return &Avg{a.Avg.WithId(id).(*aggregation.Avg)}
}

// exactSumArg reports whether SUM or AVG of arg gets MySQL's exact
// DECIMAL: an integer argument, DISTINCT or not. A DISTINCT argument
// evaluates to NULL for a value its group has seen, which the sum skips.
func exactSumArg(arg sql.Expression) bool {
	if d, distinct := arg.(*expression.DistinctExpression); distinct {
		arg = d.Child
	}
	return types.IsInteger(arg.Type())
}

// exactSum is the buffer of Sum and Avg: an exact sum of the
// non-NULL values and their count.
type exactSum struct {
	child sql.Expression
	avg   bool
	sum   WideSum
	n     int64
}

func (b *exactSum) Update(ctx *sql.Context, row sql.Row) error {
	v, err := b.child.Eval(ctx, row)
	if err != nil || v == nil {
		return err
	}
	d, ok := toDecimal(v)
	if !ok {
		n, _, err := types.Int64.Convert(ctx, v)
		if err != nil || n == nil {
			return err
		}
		d = decimal.NewFromInt(n.(int64))
	}
	if d.IsInteger() && d.NumDigits() <= 18 {
		b.sum.Add(d.IntPart())
	} else {
		b.sum.AddBig(d.BigInt())
	}
	b.n++
	return nil
}

func (b *exactSum) Eval(*sql.Context) (any, error) {
	if b.n == 0 {
		return nil, nil
	}
	return SumResult(&b.sum, b.n, b.avg), nil
}

// Dispose frees what a DISTINCT argument remembers.
func (b *exactSum) Dispose() { expression.Dispose(b.child) }

// SumResult is SUM (avg false) or AVG of n integers that add up to s, as
// MySQL gives them: the exact sum, or the quotient rounded half away from
// zero to avgScale decimals.
func SumResult(s *WideSum, n int64, avg bool) decimal.Decimal {
	total := s.Decimal()
	if avg {
		return total.DivRound(decimal.NewFromInt(n), avgScale)
	}
	return total
}

// WideSum adds int64s without overflow: in an int64 while it fits, the
// excess in a big.Int. The zero value is a sum of nothing; it is not safe
// for concurrent use.
type WideSum struct {
	small int64
	big   *big.Int
}

// Add adds v.
func (s *WideSum) Add(v int64) {
	t := s.small + v
	if (t^s.small)&(t^v) < 0 { // overflowed: move the running sum out
		s.AddBig(big.NewInt(s.small))
		s.small = v
		return
	}
	s.small = t
}

// AddBig adds v, which it does not keep.
func (s *WideSum) AddBig(v *big.Int) {
	if s.big == nil {
		s.big = new(big.Int)
	}
	s.big.Add(s.big, v)
}

// Merge adds o.
func (s *WideSum) Merge(o *WideSum) {
	s.Add(o.small)
	if o.big != nil {
		s.AddBig(o.big)
	}
}

// Empty reports whether the sum never went past an int64 and holds 0 in
// it (nothing was added but zeros).
func (s *WideSum) Empty() bool { return s.small == 0 && s.big == nil }

// Decimal is the sum.
func (s *WideSum) Decimal() decimal.Decimal {
	if s.big == nil {
		return decimal.NewFromInt(s.small)
	}
	return decimal.NewFromBigInt(s.Total(), 0)
}

// Total is the sum as a new big.Int, which the caller owns.
func (s *WideSum) Total() *big.Int {
	t := big.NewInt(s.small)
	if s.big != nil {
		t.Add(t, s.big)
	}
	return t
}

// exactSums wraps, in plan n, every SUM and AVG of an integer (outside a
// window) in Sum and Avg, and gives the columns that read their
// results, in the nodes above, the DECIMAL type: those were typed when the
// plan was built, from go-mysql-server's aggregate.
func exactSums(n sql.Node) (sql.Node, transform.TreeIdentity, error) {
	retyped := map[sql.ColumnId]sql.Type{}
	n, same1, err := rewriteExpressions(n, func(e sql.Expression) sql.Expression {
		switch e := e.(type) {
		case *aggregation.Sum:
			if e.Window() == nil && exactSumArg(e.Child) {
				retyped[e.Id()] = sumIntType
				return &Sum{e}
			}
		case *aggregation.Avg:
			if e.Window() == nil && exactSumArg(e.Child) {
				retyped[e.Id()] = avgIntType
				return &Avg{e}
			}
		}
		return nil
	})
	if err != nil || len(retyped) == 0 {
		return n, same1, err
	}
	n, _, err = rewriteExpressions(n, func(e sql.Expression) sql.Expression {
		gf, ok := e.(*expression.GetField)
		if !ok || gf.Id() == 0 {
			return nil
		}
		t, ok := retyped[gf.Id()]
		if !ok || gf.Type() == t {
			return nil
		}
		return expression.NewGetFieldWithTable(gf.Index(), int(gf.TableId()), t, gf.Database(), gf.Table(), gf.Name(), true).WithId(gf.Id()).(sql.Expression)
	})
	return n, transform.NewTree, err
}
