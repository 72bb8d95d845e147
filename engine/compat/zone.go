package compat

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/dolthub/go-mysql-server/sql"
)

// SessionLocation returns the location of the session's time_zone: SYSTEM
// is the server process's zone, "+hh:mm" a fixed offset, anything else an
// IANA name.
func SessionLocation(ctx *sql.Context) (*time.Location, error) {
	v, err := ctx.GetSessionVariable(ctx, "time_zone")
	if err != nil {
		return nil, err
	}
	name, ok := v.(string)
	if !ok {
		return nil, fmt.Errorf("time_zone has type %T", v)
	}
	return ParseZone(name)
}

// ParseZone parses a MySQL time_zone value.
func ParseZone(name string) (*time.Location, error) {
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
	if loc, ok := namedZones.Load(name); ok {
		return loc.(*time.Location), nil
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		return nil, fmt.Errorf("unknown or incorrect time zone: %q", name)
	}
	namedZones.Store(name, loc)
	return loc, nil
}

// namedZones caches the zones ParseZone loaded by name: LoadLocation reads
// and parses the zone database each time (about a millisecond), and
// FROM_UNIXTIME and the scans ask for the session's zone per row or per
// query.
var namedZones sync.Map

// LocalDatetime turns UTC microseconds into the DATETIME value the session
// sees: the wall clock in loc, carried by a UTC time.Time as
// go-mysql-server expects of DATETIME values.
//
// A wall clock that loc shows twice (the hour repeated when daylight
// saving ends) is ambiguous as a DATETIME. For the second of the two
// instants the value carries foldMark nanoseconds: go-mysql-server rounds
// DATETIME(6) values to the microsecond before it compares or sends them,
// so the mark changes nothing there, while UNIX_TIMESTAMP(ts) (see
// UnixTimestamp) reads it and gives the stored instant, as MySQL does for a
// TIMESTAMP column.
func LocalDatetime(us int64, loc *time.Location) time.Time {
	if loc == time.UTC {
		return time.UnixMicro(us).UTC() // the common case, per row: no calendar work
	}
	t := time.UnixMicro(us).In(loc)
	_, off := t.Zone()
	w := time.UnixMicro(us + int64(off)*1_000_000).UTC()
	if secondOfFold(t) {
		w = w.Add(foldMark)
	}
	return w
}

// foldMark marks the later of two instants with the same wall clock.
const foldMark = time.Nanosecond

// secondOfFold reports whether t's wall clock in its location also belongs
// to an earlier instant: t lies in the repeated span after a transition to
// a smaller offset.
func secondOfFold(t time.Time) bool {
	start, _ := t.ZoneBounds()
	if start.IsZero() {
		return false
	}
	_, off := t.Zone()
	_, prev := start.Add(-time.Second).Zone()
	return prev > off && t.Sub(start) < time.Duration(prev-off)*time.Second
}

// wallInstant is the instant whose wall clock in loc is w's (a DATETIME
// value); of two such instants, the later when w carries foldMark, else
// the earlier, and for a wall clock skipped by a transition the one Go's
// time.Date gives.
func wallInstant(w time.Time, loc *time.Location) time.Time {
	fold := w.Nanosecond()%1000 == int(foldMark)
	w = w.Round(time.Microsecond)
	wallUTC := time.Date(w.Year(), w.Month(), w.Day(), w.Hour(), w.Minute(), w.Second(), w.Nanosecond(), time.UTC)
	guess := copyIn(w, loc)
	var best time.Time
	for _, probe := range []time.Time{guess.Add(-3 * time.Hour), guess, guess.Add(3 * time.Hour)} {
		_, off := probe.In(loc).Zone()
		cand := wallUTC.Add(-time.Duration(off) * time.Second)
		if !copyIn(cand.In(loc), time.UTC).Equal(wallUTC) {
			continue // not this wall clock under that offset
		}
		if best.IsZero() || fold && cand.After(best) || !fold && cand.Before(best) {
			best = cand
		}
	}
	if best.IsZero() {
		return guess
	}
	return best
}

// ZoneName returns the name that ParseZone reads back as loc, for a plan
// that another node will run: SYSTEM (time.Local) is this server's zone,
// not the receiver's, so it is sent as its IANA name (from TZ or the
// /etc/localtime link), or as UTC when the system zone is UTC. A system
// zone that has no name to send is an error rather than a silent switch to
// the receiver's zone.
func ZoneName(loc *time.Location) (string, error) {
	if loc != time.Local {
		return loc.String(), nil
	}
	return systemZoneName()
}

var systemZoneName = sync.OnceValues(func() (string, error) {
	link, _ := os.Readlink("/etc/localtime")
	tz, set := os.LookupEnv("TZ")
	name := zoneNameOf(tz, set, link)
	if name == "" && sameZone(time.Local, time.UTC) {
		name = "UTC"
	}
	if name != "" {
		if loc, err := time.LoadLocation(name); err == nil && sameZone(loc, time.Local) {
			return name, nil
		}
	}
	return "", fmt.Errorf("the server's time zone (SYSTEM) has no IANA name to send to other nodes: set TZ, or SET time_zone to a named zone")
})

// zoneNameOf returns the IANA name of the system zone as Go's time package
// finds it: TZ when set (empty: UTC; a leading colon dropped; a path into
// a zoneinfo directory named by what follows it), else the target of the
// /etc/localtime link; "" when neither names a zone.
func zoneNameOf(tz string, tzSet bool, localtimeLink string) string {
	if tzSet {
		tz = strings.TrimPrefix(tz, ":")
		if tz == "" {
			return "UTC"
		}
		if !strings.HasPrefix(tz, "/") {
			return tz
		}
		localtimeLink = tz
	}
	if _, after, ok := strings.Cut(localtimeLink, "zoneinfo/"); ok {
		return after
	}
	return ""
}

// sameZone reports whether a and b give the same offset and abbreviation at
// every half-month of the years around now: enough to tell zones apart by
// their rules.
func sameZone(a, b *time.Location) bool {
	start := time.Date(time.Now().Year()-2, 1, 1, 0, 0, 0, 0, time.UTC)
	for t := start; t.Before(start.AddDate(5, 0, 0)); t = t.Add(15 * 24 * time.Hour) {
		an, ao := t.In(a).Zone()
		bn, bo := t.In(b).Zone()
		if an != bn || ao != bo {
			return false
		}
	}
	return true
}
