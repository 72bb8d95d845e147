package compat

import (
	"fmt"
	"strings"
	"sync/atomic"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/expression"
	"github.com/dolthub/go-mysql-server/sql/expression/function"
	"github.com/dolthub/go-mysql-server/sql/types"
)

// erWarnAllowedPacketOverflowed is MySQL's warning for a string function
// whose result would pass max_allowed_packet (ER_WARN_ALLOWED_PACKET_OVERFLOWED).
const erWarnAllowedPacketOverflowed = 1301

// boundedString is a string function whose result can be far larger than
// its arguments (REPEAT, SPACE, LPAD, RPAD, REPLACE, CONCAT, CONCAT_WS),
// bounded as MySQL bounds it: a result longer than max_allowed_packet is
// NULL, with warning 1301. go-mysql-server builds any result, so that
// `SELECT REPEAT('x', 1e10)` alone takes the process down (and SPACE(n)
// costs n² there; it is built here). The size is
// known before the result is built: from the arguments for the functions
// that multiply (REPEAT, SPACE, the pads, REPLACE), and as the running sum
// of the arguments for the concatenations, which stop evaluating them once
// past the limit.
type boundedString struct {
	sql.Expression
	limit atomic.Int64 // max_allowed_packet, read once per query; 0: not yet
}

func newBoundedString(e sql.Expression) sql.Expression { return &boundedString{Expression: e} }

func (b *boundedString) WithChildren(children ...sql.Expression) (sql.Expression, error) {
	e, err := b.Expression.WithChildren(children...)
	if err != nil {
		return nil, err
	}
	return newBoundedString(e), nil
}

func (b *boundedString) maxAllowedPacket(ctx *sql.Context) int64 {
	if n := b.limit.Load(); n > 0 {
		return n
	}
	n := int64(1 << 30) // go-mysql-server's default
	if v, err := ctx.GetSessionVariable(ctx, "max_allowed_packet"); err == nil {
		if i, ok := ExactInt(v); ok && i > 0 {
			n = i
		}
	}
	b.limit.Store(n)
	return n
}

func (b *boundedString) Eval(ctx *sql.Context, row sql.Row) (any, error) {
	limit := b.maxAllowedPacket(ctx)
	args := b.Children()
	switch b.Expression.(type) {
	case *function.Concat, *function.ConcatWithSeparator:
		return b.concat(ctx, row, limit)
	case *function.Repeat:
		s, n, null, err := stringAndCount(ctx, row, args[0], args[1])
		if null || err != nil {
			return nil, err
		}
		if n > 0 && int64(len(s)) > limit/n {
			return b.overflow(ctx, limit)
		}
	case *function.Space:
		_, n, null, err := stringAndCount(ctx, row, nil, args[0])
		if null || err != nil {
			return nil, err
		}
		if n > limit {
			return b.overflow(ctx, limit)
		}
		// go-mysql-server appends one space at a time: SPACE(1000000)
		// took 97 s.
		return strings.Repeat(" ", int(max(n, 0))), nil
	case *function.Pad: // the result has exactly n characters
		_, n, null, err := stringAndCount(ctx, row, nil, args[1])
		if null || err != nil {
			return nil, err
		}
		if n > limit {
			return b.overflow(ctx, limit)
		}
	case *function.Replace:
		var vals [3]string
		for i := range vals {
			v, err := args[i].Eval(ctx, row)
			if v == nil || err != nil {
				return nil, err
			}
			vals[i] = toText(v)
		}
		if from := vals[1]; from != "" && len(vals[2]) > len(from) {
			grow := int64(strings.Count(vals[0], from)) * int64(len(vals[2])-len(from))
			if int64(len(vals[0]))+grow > limit {
				return b.overflow(ctx, limit)
			}
		}
	}
	return b.Expression.Eval(ctx, row)
}

// concat evaluates the arguments once, stopping past the limit, and
// concatenates their values with go-mysql-server's own function, so that
// types and collations come out as before.
func (b *boundedString) concat(ctx *sql.Context, row sql.Row, limit int64) (any, error) {
	args := b.Children()
	lits := make([]sql.Expression, len(args))
	var size int64
	for i, a := range args {
		v, err := a.Eval(ctx, row)
		if err != nil {
			return nil, err
		}
		size += valueSize(v)
		if size > limit {
			return b.overflow(ctx, limit)
		}
		lits[i] = expression.NewLiteral(v, a.Type())
	}
	e, err := b.Expression.WithChildren(lits...)
	if err != nil {
		return nil, err
	}
	return e.Eval(ctx, row)
}

func (b *boundedString) overflow(ctx *sql.Context, limit int64) (any, error) {
	name := "function"
	if f, ok := b.Expression.(sql.FunctionExpression); ok {
		name = f.FunctionName()
	}
	ctx.Warn(erWarnAllowedPacketOverflowed, "Result of %s() was larger than max_allowed_packet (%d) - truncated", name, limit)
	return nil, nil
}

// stringAndCount evaluates a string argument (if any) and a count.
// A count that is no integer is taken as 0, with go-mysql-server's warning.
func stringAndCount(ctx *sql.Context, row sql.Row, str, count sql.Expression) (s string, n int64, null bool, err error) {
	if str != nil {
		v, err := str.Eval(ctx, row)
		if v == nil || err != nil {
			return "", 0, true, err
		}
		s = toText(v)
	}
	v, err := count.Eval(ctx, row)
	if v == nil || err != nil {
		return "", 0, true, err
	}
	c, _, err := types.Int64.Convert(ctx, v)
	if err != nil {
		ctx.Warn(1292, "Truncated incorrect INTEGER value: '%v'", v)
		return s, 0, false, nil
	}
	return s, c.(int64), false, nil
}

func toText(v any) string {
	switch v := v.(type) {
	case string:
		return v
	case []byte:
		return string(v)
	}
	return fmt.Sprint(v)
}

// valueSize is the bytes a value adds to a concatenation: the length of
// text, a bound for anything else (numbers, dates).
func valueSize(v any) int64 {
	switch v := v.(type) {
	case string:
		return int64(len(v))
	case []byte:
		return int64(len(v))
	}
	return 64
}
