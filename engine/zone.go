package engine

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/dolthub/go-mysql-server/sql"
)

// sessionLocation returns the location of the session's time_zone: SYSTEM
// is the server process's zone, "+hh:mm" a fixed offset, anything else an
// IANA name.
func sessionLocation(ctx *sql.Context) (*time.Location, error) {
	v, err := ctx.GetSessionVariable(ctx, "time_zone")
	if err != nil {
		return nil, err
	}
	name, ok := v.(string)
	if !ok {
		return nil, fmt.Errorf("time_zone has type %T", v)
	}
	return parseZone(name)
}

// parseZone parses a MySQL time_zone value.
func parseZone(name string) (*time.Location, error) {
	switch {
	case strings.EqualFold(name, "SYSTEM"):
		return time.Local, nil
	case strings.EqualFold(name, "UTC"), name == "+00:00", name == "-00:00":
		return time.UTC, nil
	case len(name) == 6 && (name[0] == '+' || name[0] == '-') && name[3] == ':':
		h, err1 := strconv.Atoi(name[1:3])
		m, err2 := strconv.Atoi(name[4:6])
		if err1 != nil || err2 != nil || h > 14 || m > 59 {
			return nil, fmt.Errorf("unknown or incorrect time zone: %q", name)
		}
		off := h*3600 + m*60
		if name[0] == '-' {
			off = -off
		}
		return time.FixedZone(name, off), nil
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		return nil, fmt.Errorf("unknown or incorrect time zone: %q", name)
	}
	return loc, nil
}

// localDatetime turns UTC microseconds into the DATETIME value the session
// sees: the wall clock in loc, carried by a UTC time.Time as
// go-mysql-server expects of DATETIME values.
func localDatetime(us int64, loc *time.Location) time.Time {
	if loc == time.UTC {
		return time.UnixMicro(us).UTC() // the common case, per row: no calendar work
	}
	t := time.UnixMicro(us).In(loc)
	_, off := t.Zone()
	return time.UnixMicro(us + int64(off)*1_000_000).UTC()
}
