package engine

import (
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/expression"
	"github.com/dolthub/go-mysql-server/sql/expression/function"
	"github.com/dolthub/go-mysql-server/sql/types"
	"github.com/dolthub/vitess/go/sqltypes"

	"logq/engine/compat"
)

// MySQL's functions of the current time give, within one statement, the
// one instant the statement started at: NOW() and its synonyms,
// UTC_TIMESTAMP, CURDATE, UTC_DATE, CURTIME, UTC_TIME and UNIX_TIMESTAMP()
// agree to the microsecond, each cut (not rounded) to its own fraction
// digits, in the session's zone or in UTC. Only SYSDATE reads the clock
// at each call. go-mysql-server v0.20.0 keeps the instant (the context's
// QueryTime) but not the rest: UTC_TIMESTAMP() carries microseconds where
// NOW() has none, so TIMESTAMPDIFF(MINUTE, UTC_TIMESTAMP(), NOW()) in a
// +02:00 session gave 119; NOW(n) and CURRENT_TIMESTAMP are typed
// DATETIME(6) whatever n; CURDATE() is the date in the server's zone, not
// the session's, as text; UTC_DATE and UTC_TIME do not exist. The Provider
// offers these in their place (Function), so they are logq's from the
// moment a statement is planned.

// timeOfStatement is one of those functions.
type timeOfStatement struct {
	name    string           // the name it was called by, for String
	part    timePart         // what of the instant it gives
	utc     bool             // in UTC; else in the session's time_zone
	fsp     int              // fraction digits, 0 to 6
	precArg []sql.Expression // the fraction digits as written, if given
}

// timePart is what a time function gives of the instant.
type timePart int

const (
	partDatetime timePart = iota
	partDate
	partTime
)

var (
	_ sql.FunctionExpression = (*timeOfStatement)(nil)
	_ sql.CollationCoercible = (*timeOfStatement)(nil)
)

// timeFunctions are the functions the Provider offers in place of
// go-mysql-server's, by lower-case name.
var timeFunctions = func() map[string]sql.Function {
	fns := map[string]sql.Function{}
	add := func(part timePart, utc, perCall bool, names ...string) {
		for _, name := range names {
			fns[name] = sql.FunctionN{Name: name, Fn: func(args ...sql.Expression) (sql.Expression, error) {
				return newTimeOfStatement(name, part, utc, perCall, args)
			}}
		}
	}
	add(partDatetime, false, false, "now", "current_timestamp", "localtime", "localtimestamp")
	add(partDatetime, false, true, "sysdate")
	add(partDatetime, true, false, "utc_timestamp")
	add(partDate, false, false, "curdate", "current_date")
	add(partDate, true, false, "utc_date")
	add(partTime, false, false, "curtime", "current_time")
	add(partTime, true, false, "utc_time")
	return fns
}()

// newTimeOfStatement builds name(args): no argument, or the fraction
// digits as an integer constant from 0 to 6, as MySQL requires (a DATE
// takes none).
func newTimeOfStatement(name string, part timePart, utc, perCall bool, args []sql.Expression) (sql.Expression, error) {
	f := &timeOfStatement{name: name, part: part, utc: utc, precArg: args}
	switch {
	case len(args) > 1 || len(args) == 1 && part == partDate:
		return nil, sql.ErrInvalidArgumentNumber.New(strings.ToUpper(name), 0, len(args))
	case len(args) == 1:
		lit, ok := args[0].(*expression.Literal)
		if !ok {
			return nil, sql.ErrInvalidArgumentType.New(name)
		}
		v, err := lit.Eval(nil, nil)
		if err != nil {
			return nil, err
		}
		fsp, ok := types.CoalesceInt(v)
		switch {
		case !ok || fsp < 0:
			return nil, sql.ErrInvalidArgumentType.New(name)
		case fsp > 6:
			return nil, function.ErrTooHighPrecision.New(fsp, name, 6)
		}
		f.fsp = fsp
	}
	if perCall {
		return &sysdate{f}, nil
	}
	return f, nil
}

// FunctionName implements sql.FunctionExpression.
func (f *timeOfStatement) FunctionName() string { return f.name }

// Description implements sql.FunctionExpression.
func (f *timeOfStatement) Description() string {
	return "returns the time the statement started, as MySQL's " + strings.ToUpper(f.name)
}

// Type is DATETIME, DATE or TIME with the function's fraction digits.
func (f *timeOfStatement) Type() sql.Type {
	switch f.part {
	case partDate:
		return types.Date
	case partTime:
		return types.Time // go-mysql-server's TIME has no precision
	}
	return types.MustCreateDatetimeType(sqltypes.Datetime, f.fsp)
}

// CollationCoercibility implements sql.CollationCoercible, as for any
// temporal value.
func (*timeOfStatement) CollationCoercibility(*sql.Context) (sql.CollationID, byte) {
	return sql.Collation_binary, 5
}

func (f *timeOfStatement) String() string {
	if f.fsp > 0 {
		return fmt.Sprintf("%s(%d)", strings.ToUpper(f.name), f.fsp)
	}
	return strings.ToUpper(f.name) + "()"
}

func (f *timeOfStatement) IsNullable() bool           { return false }
func (f *timeOfStatement) Resolved() bool             { return true }
func (f *timeOfStatement) Children() []sql.Expression { return f.precArg }
func (f *timeOfStatement) WithChildren(children ...sql.Expression) (sql.Expression, error) {
	return newTimeOfStatement(f.name, f.part, f.utc, false, children)
}

// Eval implements sql.Expression: the statement's instant.
func (f *timeOfStatement) Eval(ctx *sql.Context, _ sql.Row) (any, error) {
	return f.at(ctx, statementMicros(ctx))
}

// statementMicros is the instant the statement started, in UTC
// microseconds: go-mysql-server's QueryTime, taken when the statement's
// context is made (per statement, per execution of a prepared one).
func statementMicros(ctx *sql.Context) int64 {
	return ctx.QueryTime().UnixMicro()
}

// at is the function's value at instant us (UTC microseconds).
func (f *timeOfStatement) at(ctx *sql.Context, us int64) (any, error) {
	loc := time.UTC
	if !f.utc {
		var err error
		if loc, err = compat.SessionLocation(ctx); err != nil {
			return nil, err
		}
	}
	// The wall clock, cut to the fraction digits (which also drops
	// compat.LocalDatetime's mark of a repeated hour: the value is a
	// DATETIME).
	w := compat.LocalDatetime(us, loc).Truncate(time.Duration(math.Pow10(9 - f.fsp)))
	switch f.part {
	case partDate:
		return time.Date(w.Year(), w.Month(), w.Day(), 0, 0, 0, 0, time.UTC), nil
	case partTime:
		return w.Format("15:04:05.000000")[:8+min(f.fsp, 1)+f.fsp], nil
	}
	return w, nil
}

// sysdate is SYSDATE([fsp]): NOW() but of the moment of each call, as in
// MySQL; it is non-deterministic, so that no plan takes it for a constant.
type sysdate struct {
	*timeOfStatement
}

var _ sql.NonDeterministicExpression = (*sysdate)(nil)

// IsNonDeterministic implements sql.NonDeterministicExpression.
func (*sysdate) IsNonDeterministic() bool { return true }

func (s *sysdate) Eval(ctx *sql.Context, _ sql.Row) (any, error) {
	return s.at(ctx, sql.Now().UnixMicro())
}

func (s *sysdate) WithChildren(children ...sql.Expression) (sql.Expression, error) {
	return newTimeOfStatement(s.name, s.part, s.utc, true, children)
}

// Function implements sql.FunctionProvider: go-mysql-server's catalog asks
// the provider before its built-in functions, so logq's time functions
// (now.go) take the place of go-mysql-server's.
func (p *Provider) Function(_ *sql.Context, name string) (sql.Function, bool) {
	f, ok := timeFunctions[strings.ToLower(name)]
	return f, ok
}

var _ sql.FunctionProvider = (*Provider)(nil)
