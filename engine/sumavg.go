package engine

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

// mysqlSum is SUM of an integer argument, as MySQL computes it.
type mysqlSum struct {
	*aggregation.Sum
}

// mysqlAvg is AVG of an integer argument, as MySQL computes it.
type mysqlAvg struct {
	*aggregation.Avg
}

func (s *mysqlSum) Type() sql.Type { return sumIntType }
func (a *mysqlAvg) Type() sql.Type { return avgIntType }

func (s *mysqlSum) NewBuffer() (sql.AggregationBuffer, error) {
	child, err := transform.Clone(s.Child)
	return &exactSum{child: child}, err
}

func (a *mysqlAvg) NewBuffer() (sql.AggregationBuffer, error) {
	child, err := transform.Clone(a.Child)
	return &exactSum{child: child, avg: true}, err
}

func (s *mysqlSum) WithChildren(children ...sql.Expression) (sql.Expression, error) {
	e, err := s.Sum.WithChildren(children...)
	if inner, ok := e.(*aggregation.Sum); ok && err == nil {
		return &mysqlSum{inner}, nil
	}
	return e, err
}

func (a *mysqlAvg) WithChildren(children ...sql.Expression) (sql.Expression, error) {
	e, err := a.Avg.WithChildren(children...)
	if inner, ok := e.(*aggregation.Avg); ok && err == nil {
		return &mysqlAvg{inner}, nil
	}
	return e, err
}

func (s *mysqlSum) WithId(id sql.ColumnId) sql.IdExpression {
	return &mysqlSum{s.Sum.WithId(id).(*aggregation.Sum)}
}

func (a *mysqlAvg) WithId(id sql.ColumnId) sql.IdExpression {
	return &mysqlAvg{a.Avg.WithId(id).(*aggregation.Avg)}
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

// exactSum is the buffer of mysqlSum and mysqlAvg: an exact sum of the
// non-NULL values and their count.
type exactSum struct {
	child sql.Expression
	avg   bool
	sum   wideSum
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
		b.sum.add(d.IntPart())
	} else {
		b.sum.addBig(d.BigInt())
	}
	b.n++
	return nil
}

func (b *exactSum) Eval(*sql.Context) (any, error) {
	if b.n == 0 {
		return nil, nil
	}
	return sumResult(&b.sum, b.n, b.avg), nil
}

// Dispose frees what a DISTINCT argument remembers.
func (b *exactSum) Dispose() { expression.Dispose(b.child) }

// sumResult is SUM (avg false) or AVG of n integers that add up to s, as
// MySQL gives them: the exact sum, or the quotient rounded half away from
// zero to avgScale decimals.
func sumResult(s *wideSum, n int64, avg bool) decimal.Decimal {
	total := s.decimal()
	if avg {
		return total.DivRound(decimal.NewFromInt(n), avgScale)
	}
	return total
}

// wideSum adds int64s without overflow: in an int64 while it fits, the
// excess in a big.Int.
type wideSum struct {
	small int64
	big   *big.Int
}

// add adds v.
func (s *wideSum) add(v int64) {
	t := s.small + v
	if (t^s.small)&(t^v) < 0 { // overflowed: move the running sum out
		s.addBig(big.NewInt(s.small))
		s.small = v
		return
	}
	s.small = t
}

// addBig adds v.
func (s *wideSum) addBig(v *big.Int) {
	if s.big == nil {
		s.big = new(big.Int)
	}
	s.big.Add(s.big, v)
}

// merge adds o.
func (s *wideSum) merge(o *wideSum) {
	s.add(o.small)
	if o.big != nil {
		s.addBig(o.big)
	}
}

// decimal is the sum.
func (s *wideSum) decimal() decimal.Decimal {
	if s.big == nil {
		return decimal.NewFromInt(s.small)
	}
	return decimal.NewFromBigInt(s.total(), 0)
}

// total is the sum as a new big.Int.
func (s *wideSum) total() *big.Int {
	t := big.NewInt(s.small)
	if s.big != nil {
		t.Add(t, s.big)
	}
	return t
}

// exactSums wraps, in plan n, every SUM and AVG of an integer (outside a
// window) in mysqlSum and mysqlAvg, and gives the columns that read their
// results, in the nodes above, the DECIMAL type: those were typed when the
// plan was built, from go-mysql-server's aggregate.
func exactSums(n sql.Node) (sql.Node, transform.TreeIdentity, error) {
	retyped := map[sql.ColumnId]sql.Type{}
	n, same1, err := rewriteExpressions(n, func(e sql.Expression) sql.Expression {
		switch e := e.(type) {
		case *aggregation.Sum:
			if e.Window() == nil && exactSumArg(e.Child) {
				retyped[e.Id()] = sumIntType
				return &mysqlSum{e}
			}
		case *aggregation.Avg:
			if e.Window() == nil && exactSumArg(e.Child) {
				retyped[e.Id()] = avgIntType
				return &mysqlAvg{e}
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
