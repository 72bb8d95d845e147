package compat

import (
	"fmt"
	"math"
	"strconv"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/analyzer"
	"github.com/dolthub/go-mysql-server/sql/expression"
	"github.com/dolthub/go-mysql-server/sql/expression/function"
	"github.com/dolthub/go-mysql-server/sql/plan"
	"github.com/dolthub/go-mysql-server/sql/transform"
	"github.com/dolthub/go-mysql-server/sql/types"
	"github.com/shopspring/decimal"
)

// IntDiv is `a DIV b` with MySQL's semantics where go-mysql-server v0.20.0
// differs: with a DECIMAL or floating-point operand MySQL divides exactly
// in DECIMAL and truncates toward zero, while go-mysql-server rounds the
// quotient to two decimals first (so 1893459899.999999 DIV 300 gave 6311533,
// not 6311532) and floors floats. Grafana's $__timeGroup,
// UNIX_TIMESTAMP(ts) DIV 300 * 300, is DECIMAL DIV INT on a column with
// fractions: rows in the last instants of a bucket landed in the next one.
// Integer operands and anything else keep go-mysql-server's evaluation.
type IntDiv struct {
	*expression.IntDiv
}

var _ sql.Expression = (*IntDiv)(nil)

// WithChildren implements sql.Expression, keeping the MySQL semantics.
func (d *IntDiv) WithChildren(children ...sql.Expression) (sql.Expression, error) {
	if len(children) != 2 {
		return nil, sql.ErrInvalidChildrenNumber.New(d, len(children), 2)
	}
	return &IntDiv{expression.NewIntDiv(children[0], children[1])}, nil
}

// Eval implements sql.Expression.
func (d *IntDiv) Eval(ctx *sql.Context, row sql.Row) (any, error) {
	lt, rt := d.LeftChild.Type(), d.RightChild.Type()
	if !exactOperand(lt) || !exactOperand(rt) || types.IsInteger(lt) && types.IsInteger(rt) {
		return d.IntDiv.Eval(ctx, row)
	}
	l, err := d.LeftChild.Eval(ctx, row)
	if err != nil {
		return nil, err
	}
	r, err := d.RightChild.Eval(ctx, row)
	if err != nil {
		return nil, err
	}
	if l == nil || r == nil {
		return nil, nil
	}
	ld, lok := toDecimal(l)
	rd, rok := toDecimal(r)
	if !lok || !rok {
		return d.IntDiv.Eval(ctx, row)
	}
	if rd.IsZero() {
		ctx.Warn(1365, "Division by 0")
		return nil, nil
	}
	if q, ok := smallIntDiv(ld, rd); ok && (q >= 0 || !types.IsUnsigned(d.Type())) {
		if types.IsUnsigned(d.Type()) {
			return uint64(q), nil
		}
		return q, nil
	}
	q, _ := ld.QuoRem(rd, 0) // truncated toward zero, exactly
	if types.IsUnsigned(d.Type()) {
		v, err := strconv.ParseUint(q.String(), 10, 64)
		if err != nil {
			return nil, expression.ErrIntDivDataOutOfRange.New(ld.String(), rd.String())
		}
		return v, nil
	}
	v, err := strconv.ParseInt(q.String(), 10, 64)
	if err != nil {
		return nil, expression.ErrIntDivDataOutOfRange.New(ld.String(), rd.String())
	}
	return v, nil
}

// smallIntDiv is l DIV r, truncated toward zero, in int64 arithmetic when
// both fit: l with at most 18 digits and 9 decimals (UNIX_TIMESTAMP of a
// DATETIME(6)), r a non-zero integer. A DECIMAL division through big.Int
// took microseconds, per row on the row path and per group above a
// pushed-down aggregate. false when it does not apply.
func smallIntDiv(l, r decimal.Decimal) (int64, bool) {
	le, re := l.Exponent(), r.Exponent()
	if le > 0 || le < -9 || l.NumDigits() > 18 || re < 0 || re > 9 || r.NumDigits()+int(re) > 9 {
		return 0, false
	}
	rv := r.CoefficientInt64()
	for range re {
		rv *= 10
	}
	scale := int64(1)
	for range -le {
		scale *= 10
	}
	if rv == 0 || rv > math.MaxInt64/scale || rv < -math.MaxInt64/scale {
		return 0, false
	}
	return l.CoefficientInt64() / (rv * scale), true
}

// exactOperand reports whether t is a number type IntDiv evaluates itself.
func exactOperand(t sql.Type) bool {
	return types.IsInteger(t) || types.IsDecimal(t) || types.IsFloat(t)
}

// toDecimal converts a number value to DECIMAL as MySQL does for DIV; a
// float becomes its shortest exact decimal representation.
func toDecimal(v any) (decimal.Decimal, bool) {
	switch n := v.(type) {
	case decimal.Decimal:
		return n, true
	case float64:
		return decimal.NewFromFloat(n), true
	case float32:
		return decimal.NewFromFloat32(n), true
	case int64:
		return decimal.NewFromInt(n), true
	case int32:
		return decimal.NewFromInt(int64(n)), true
	case int16:
		return decimal.NewFromInt(int64(n)), true
	case int8:
		return decimal.NewFromInt(int64(n)), true
	case int:
		return decimal.NewFromInt(int64(n)), true
	case uint64:
		d, err := decimal.NewFromString(strconv.FormatUint(n, 10))
		return d, err == nil
	case uint32:
		return decimal.NewFromInt(int64(n)), true
	case uint16:
		return decimal.NewFromInt(int64(n)), true
	case uint8:
		return decimal.NewFromInt(int64(n)), true
	}
	return decimal.Decimal{}, false
}

// mysqlFunctionsRule swaps, everywhere in a plan, the go-mysql-server
// expressions logq evaluates itself: DIV (see IntDiv) and UNIX_TIMESTAMP
// (see UnixTimestamp).
func mysqlFunctionsRule(_ *sql.Context, _ *analyzer.Analyzer, n sql.Node, _ *plan.Scope, _ analyzer.RuleSelector, _ *sql.QueryFlags) (sql.Node, transform.TreeIdentity, error) {
	return rewriteExpressions(n, func(e sql.Expression) sql.Expression {
		switch e := e.(type) {
		case *expression.IntDiv:
			return &IntDiv{e}
		case *function.UnixTimestamp:
			return &UnixTimestamp{e}
		}
		return nil
	})
}

// String keeps go-mysql-server's form: column names derive from it.
func (d *IntDiv) String() string { return fmt.Sprintf("(%s div %s)", d.LeftChild, d.RightChild) }

// ExactInt returns v as an int64 if it is an integer value of any Go
// integer type that fits.
func ExactInt(v any) (int64, bool) {
	switch v := v.(type) {
	case int8:
		return int64(v), true
	case int16:
		return int64(v), true
	case int32:
		return int64(v), true
	case int64:
		return v, true
	case int:
		return int64(v), true
	case uint8:
		return int64(v), true
	case uint16:
		return int64(v), true
	case uint32:
		return int64(v), true
	case uint64:
		if v <= math.MaxInt64 {
			return int64(v), true
		}
	}
	return 0, false
}
