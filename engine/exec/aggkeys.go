package exec

import (
	"math"
	"math/big"
	"math/bits"
	"strconv"
	"strings"
	"time"
)

// keyKind is what a GROUP BY expression of a pushed-down aggregate groups
// by.
type keyKind uint8

const (
	// KeyString groups by the value of a string column (NULL a group).
	KeyString keyKind = iota
	// KeyEpochDiv is UNIX_TIMESTAMP(ts) DIV n, optionally * n: the bucket
	// floor(µs / n s), exact as MySQL's DECIMAL DIV.
	KeyEpochDiv
	// KeyEpochFloor is FLOOR(UNIX_TIMESTAMP(ts) / n), optionally * n. MySQL
	// (and go-mysql-server) round the DECIMAL quotient to 10 places, 6 of
	// the column plus div_precision_increment 4, before FLOOR: the last
	// microseconds of a long bucket round into the next one, and so do
	// they here.
	KeyEpochFloor
	// KeyLocal is DATE(ts) or DATE_FORMAT(ts, f) with numeric date and time
	// specifiers: the wall clock in the session zone, cut to the finest
	// field the format shows; groups whose clocks show the same fields are
	// merged at the end (DATE_FORMAT(ts, '%H') puts every day's 10 o'clock
	// in one group).
	KeyLocal
)

// AggKey is one GROUP BY expression of a pushed-down aggregate.
type AggKey struct {
	Kind   keyKind
	Col    StringAccessor // keyString
	Folded bool           // keyString: grouped by collation key (collate.Key)
	N      int64          // keyEpochDiv, keyEpochFloor: bucket width in seconds
	Unit   int64          // keyLocal: the finest field, in seconds (1, 60, 3600, 86400)
	Fields []dateField    // keyLocal: the fields the text shows
}

// dateField is a date or time field of a DATE_FORMAT text.
type dateField uint8

const (
	fieldYear dateField = iota
	fieldYear2
	fieldMonth
	fieldDay
	fieldHour
	fieldHour12
	fieldAMPM
	fieldMinute
	fieldSecond
)

// DateFormatFields parses a DATE_FORMAT format made of the numeric
// specifiers (%Y %y %m %c %d %e %H %k %h %I %l %p %i %s %S %T) and
// literal text; ok is false for any other specifier (names of days and
// months, week numbers, microseconds), which stay on the row path.
func DateFormatFields(format string) (fields []dateField, unit int64, ok bool) {
	unit = 86400
	add := func(f dateField, u int64) {
		fields = append(fields, f)
		unit = min(unit, u)
	}
	for i := 0; i < len(format); i++ {
		if format[i] != '%' {
			continue
		}
		i++
		if i == len(format) {
			return nil, 0, false
		}
		switch format[i] {
		case 'Y':
			add(fieldYear, 86400)
		case 'y':
			add(fieldYear2, 86400)
		case 'm', 'c':
			add(fieldMonth, 86400)
		case 'd', 'e':
			add(fieldDay, 86400)
		case 'H', 'k':
			add(fieldHour, 3600)
		case 'h', 'I', 'l':
			add(fieldHour12, 3600)
		case 'p':
			add(fieldAMPM, 3600)
		case 'i':
			add(fieldMinute, 60)
		case 's', 'S':
			add(fieldSecond, 1)
		case 'T':
			add(fieldHour, 3600)
			add(fieldMinute, 60)
			add(fieldSecond, 1)
		case '%':
		default:
			return nil, 0, false
		}
	}
	return fields, unit, true
}

// identity maps the wall clock fine (local seconds cut to the unit) to a
// number equal for two clocks exactly when the format shows the same text.
func (k *AggKey) identity(fine int64) int64 {
	if k.Fields == nil {
		return fine // DATE(ts): the day
	}
	t := time.Unix(fine, 0).UTC() // fine is a wall clock: no zone left to apply
	var id int64
	for _, f := range k.Fields {
		var v, width int64
		switch f {
		case fieldYear:
			v, width = int64(t.Year()), 10000
		case fieldYear2:
			v, width = int64(t.Year()%100), 100
		case fieldMonth:
			v, width = int64(t.Month()), 100
		case fieldDay:
			v, width = int64(t.Day()), 100
		case fieldHour:
			v, width = int64(t.Hour()), 100
		case fieldHour12:
			v, width = int64((t.Hour()+11)%12+1), 100
		case fieldAMPM:
			v, width = int64(t.Hour()/12), 2
		case fieldMinute:
			v, width = int64(t.Minute()), 100
		case fieldSecond:
			v, width = int64(t.Second()), 100
		}
		id = id*width + v
	}
	return id
}

// epochDiv is the keyEpochDiv bucket of µs: UNIX_TIMESTAMP is 0 before 1970.
func epochDiv(us, n int64) int64 {
	if us < 0 {
		return 0
	}
	return us / (n * 1_000_000)
}

// epochFloor is the keyEpochFloor bucket of µs: FLOOR of µs / 10⁶ / n
// rounded half up to 10 decimals.
func epochFloor(us, n int64) int64 {
	if us < 0 {
		return 0
	}
	// q = round(us × 10⁴ / n) in units of 10⁻¹⁰; us × 10⁴ needs 128 bits.
	hi, lo := bits.Mul64(uint64(us), 10_000)
	if hi >= uint64(n) {
		x := new(big.Int).Mul(big.NewInt(us), big.NewInt(10_000))
		q, r := new(big.Int).QuoRem(x, big.NewInt(n), new(big.Int))
		if 2*r.Int64() >= n {
			q.Add(q, big.NewInt(1))
		}
		return q.Div(q, big.NewInt(10_000_000_000)).Int64()
	}
	q, r := bits.Div64(hi, lo, uint64(n))
	if 2*r >= uint64(n) {
		q++
	}
	return int64(q / 10_000_000_000)
}

// zoneClock turns UTC seconds into wall-clock seconds of a zone, caching
// the offset over the zone period (ZoneBounds) it was found in: rows come
// mostly in ts order, so a batch asks the zone database about once.
type zoneClock struct {
	loc    *time.Location
	lo, hi int64 // the cached period, [lo, hi) in UTC seconds
	off    int64
}

func newZoneClock(loc *time.Location) *zoneClock {
	return &zoneClock{loc: loc, lo: 1, hi: 0} // empty period: the first call looks up
}

// local returns the wall clock at UTC second sec, in seconds.
func (z *zoneClock) local(sec int64) int64 {
	if sec < z.lo || sec >= z.hi {
		t := time.Unix(sec, 0).In(z.loc)
		_, off := t.Zone()
		start, end := t.ZoneBounds()
		z.lo, z.hi, z.off = math.MinInt64, math.MaxInt64, int64(off)
		if !start.IsZero() {
			z.lo = start.Unix()
		}
		if !end.IsZero() {
			z.hi = end.Unix()
		}
	}
	return sec + z.off
}

// floorDiv is a / b rounded toward negative infinity, b > 0.
func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && a < 0 {
		q--
	}
	return q
}

// Describe is the key as EXPLAIN shows it.
func (k *AggKey) Describe() string {
	switch k.Kind {
	case KeyString:
		return k.Col.Name
	case KeyEpochDiv:
		return "epoch bucket " + strconv.FormatInt(k.N, 10) + "s"
	case KeyEpochFloor:
		return "epoch floor bucket " + strconv.FormatInt(k.N, 10) + "s"
	}
	var names []string
	for _, f := range k.Fields {
		names = append(names, [...]string{"year", "year", "month", "day", "hour", "hour", "am/pm", "minute", "second"}[f])
	}
	if names == nil {
		names = []string{"date"}
	}
	return "local " + strings.Join(names, "-")
}
