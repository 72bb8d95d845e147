package compat

import (
	"regexp"
	"strconv"
	"sync"
	"time"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/expression/function"
	"github.com/dolthub/go-mysql-server/sql/types"
	"github.com/shopspring/decimal"
)

// UnixTimestamp is UNIX_TIMESTAMP(x) giving exactly go-mysql-server
// v0.20.0's values, without its cost: for a DATETIME argument it loads the
// session's zone from the zone database on every call (LoadLocation, a
// file read; about a millisecond, and for offsets like +05:30 a failed
// lookup first). Grafana's $__timeGroup evaluates it per row on the row
// path and per group above a pushed-down aggregate. Zones are resolved once
// per name here; the conversion is go-mysql-server's own, but for a wall
// clock a zone shows twice: go-mysql-server (Go's time.Date) takes the
// later instant, this the earlier, or the later for a ts value that carries
// the fold mark (LocalDatetime), so that UNIX_TIMESTAMP(ts) is the stored
// instant.
type UnixTimestamp struct {
	*function.UnixTimestamp
}

var _ sql.Expression = (*UnixTimestamp)(nil)

// WithChildren implements sql.Expression, keeping the cached zones.
func (u *UnixTimestamp) WithChildren(children ...sql.Expression) (sql.Expression, error) {
	e, err := u.UnixTimestamp.WithChildren(children...)
	if ut, ok := e.(*function.UnixTimestamp); ok && err == nil {
		return &UnixTimestamp{ut}, nil
	}
	return e, err
}

// Eval implements sql.Expression.
func (u *UnixTimestamp) Eval(ctx *sql.Context, row sql.Row) (any, error) {
	if u.Date == nil || u.Date.Type().Equals(types.Timestamp) {
		return u.UnixTimestamp.Eval(ctx, row) // no zone involved
	}
	v, err := u.Date.Eval(ctx, row)
	if err != nil || v == nil {
		return nil, err
	}
	conv, _, err := types.DatetimeMaxPrecision.Convert(ctx, v)
	if err != nil {
		return u.UnixTimestamp.Eval(ctx, row) // its warning and 0
	}
	t := conv.(time.Time)
	stz, err := function.SessionTimeZone(ctx)
	if err != nil {
		return nil, err
	}
	if stz != "UTC" {
		if z, ok := zoneByName(stz); ok {
			if raw, isTime := v.(time.Time); isTime && z.loc != nil {
				// In the hour a zone repeats, the earlier instant, or the
				// later one for a ts value that carries the fold mark
				// (LocalDatetime): the stored instant, as MySQL gives
				// for a TIMESTAMP.
				t = wallInstant(raw, z.loc)
			} else if z.loc != nil {
				t = wallInstant(t, z.loc)
			} else {
				t = t.Add(z.inZone(t).Sub(copyIn(t, time.UTC)))
			}
		}
	}
	return unixSeconds(t, u.Type()), nil
}

// namedZone is a session time_zone as go-mysql-server reads it: a zone
// database name, else a ±hh:mm offset.
type namedZone struct {
	loc *time.Location // nil: an offset
	off time.Duration
}

// inZone is the instant whose wall clock in z is t's wall clock.
func (z namedZone) inZone(t time.Time) time.Time {
	if z.loc != nil {
		return copyIn(t, z.loc)
	}
	return t.Add(-z.off)
}

// copyIn is t's wall clock read in loc, as an instant in UTC.
func copyIn(t time.Time, loc *time.Location) time.Time {
	return time.Date(t.Year(), t.Month(), t.Day(), t.Hour(), t.Minute(), t.Second(), t.Nanosecond(), loc).UTC()
}

var (
	zonesMu sync.Mutex
	zones   = map[string]namedZone{}
	// mysqlOffset is go-mysql-server's pattern of a time_zone offset.
	mysqlOffset = regexp.MustCompile(`(?m)^([+\-])(\d{2}):(\d{2})$`)
)

// zoneByName resolves a time_zone value as go-mysql-server does, once per
// name; ok is false when it names no zone (the value is then taken as UTC).
func zoneByName(name string) (namedZone, bool) {
	zonesMu.Lock()
	defer zonesMu.Unlock()
	if z, ok := zones[name]; ok {
		return z, true
	}
	var z namedZone
	if loc, err := time.LoadLocation(name); err == nil {
		z.loc = loc
	} else if m := mysqlOffset.FindStringSubmatch(name); m != nil {
		h, _ := strconv.Atoi(m[2])
		mins, _ := strconv.Atoi(m[3])
		z.off = time.Duration(h)*time.Hour + time.Duration(mins)*time.Minute
		if m[1] == "-" {
			z.off = -z.off
		}
	} else {
		return z, false
	}
	zones[name] = z
	return z, true
}

// unixSeconds is go-mysql-server's conversion of an instant to the value of
// UNIX_TIMESTAMP of type typ.
func unixSeconds(t time.Time, typ sql.Type) any {
	us := t.UnixMicro()
	if us > function.MaxUnixTimeMicroSecs {
		return int64(0)
	}
	if us < 1e6 {
		return typ.Zero()
	}
	if d, ok := typ.(types.DecimalType_); ok {
		scale := int32(d.Scale())
		for i := 6 - scale; i > 0; i-- {
			us /= 10
		}
		return decimal.New(us, -scale)
	}
	return us / 1e6
}
