package jsonl

import (
	"fmt"
	"time"
)

// Calendar constants of the timestamp parser.
const (
	secondsPerDay = 86400
	microsPerSec  = 1_000_000

	// daysFrom0000To1970 is the number of days from 0000-03-01 to
	// 1970-01-01 in the proleptic Gregorian calendar, the shift of the
	// days-from-civil algorithm below.
	daysFrom0000To1970 = 719468
)

// ParseTimestamp parses the string forms of a ts value and returns UTC
// microseconds, truncating finer digits:
//
//   - RFC 3339 with any offset: 2026-11-03T13:30:00.371+05:30, ...Z; the T
//     and Z may be lower case, the T may be a space, the fraction may have
//     any number of digits and may follow a comma, and the offset may be
//     written ±hh:mm, ±hhmm or ±hh;
//   - the same without an offset (2026-11-03 13:30:00.371), meaning UTC;
//   - a decimal number of epoch seconds, milliseconds, microseconds or
//     nanoseconds (see ParseEpoch).
//
// Calendar fields are validated (month, day of month including leap years,
// hour, minute, second below 60, offset within ±23:59). Errors wrap
// ErrTimestamp. ParseTimestamp does not allocate unless it fails.
func ParseTimestamp(s []byte) (int64, error) {
	switch {
	case len(s) > 4 && s[4] == '-':
		return parseDateTime(s)
	case len(s) > 0 && (isDigit(s[0]) || s[0] == '-'):
		if d, ok := splitDecimal(s); ok {
			return epochMicros(&d, s)
		}
	}
	return 0, tsSyntaxError()
}

// parseDateTime parses the RFC 3339 family described at ParseTimestamp.
func parseDateTime(s []byte) (int64, error) {
	if len(s) < len("2006-01-02T15:04:05") {
		return 0, tsSyntaxError()
	}
	year, ok1 := digits2(s[0:2])
	year2, ok2 := digits2(s[2:4])
	month, ok3 := digits2(s[5:7])
	day, ok4 := digits2(s[8:10])
	hour, ok5 := digits2(s[11:13])
	minute, ok6 := digits2(s[14:16])
	sec, ok7 := digits2(s[17:19])
	sep := s[10]
	if !(ok1 && ok2 && ok3 && ok4 && ok5 && ok6 && ok7) || s[7] != '-' || s[13] != ':' || s[16] != ':' ||
		(sep != 'T' && sep != 't' && sep != ' ') {
		return 0, tsSyntaxError()
	}
	year = year*100 + year2
	if err := checkCalendar(year, month, day, hour, minute, sec); err != nil {
		return 0, err
	}
	frac, i := parseFraction(s, 19)
	if i < 0 {
		return 0, tsSyntaxError()
	}
	off, err := parseOffset(s[i:])
	if err != nil {
		return 0, err
	}
	secs := daysFromCivil(year, month, day)*secondsPerDay + int64(hour*3600+minute*60+sec) - off
	return secs*microsPerSec + frac, nil
}

// checkCalendar validates the fields of a date and time of day.
func checkCalendar(year, month, day, hour, minute, sec int) error {
	switch {
	case month < 1 || month > 12:
		return fmt.Errorf("%w: month %d out of range", ErrTimestamp, month)
	case day < 1 || day > daysIn(year, month):
		return fmt.Errorf("%w: day %d out of range for %04d-%02d", ErrTimestamp, day, year, month)
	case hour > 23:
		return fmt.Errorf("%w: hour %d out of range", ErrTimestamp, hour)
	case minute > 59:
		return fmt.Errorf("%w: minute %d out of range", ErrTimestamp, minute)
	case sec > 59:
		return fmt.Errorf("%w: second %d out of range", ErrTimestamp, sec)
	}
	return nil
}

// parseFraction parses an optional fraction of a second at s[i] ('.' or ','
// and at least one digit) and returns it in microseconds, truncated, with the
// index after it; the index is -1 when a separator has no digits.
func parseFraction(s []byte, i int) (int64, int) {
	if i == len(s) || (s[i] != '.' && s[i] != ',') {
		return 0, i
	}
	i++
	start := i
	var frac int64
	for ; i < len(s) && isDigit(s[i]); i++ {
		if i-start < 6 {
			frac = frac*10 + int64(s[i]-'0')
		}
	}
	n := i - start
	if n == 0 {
		return 0, -1
	}
	for ; n < 6; n++ {
		frac *= 10
	}
	return frac, i
}

// parseOffset parses what follows the seconds and fraction: nothing (UTC),
// Z or z, or ±hh:mm, ±hhmm or ±hh. It returns the offset east of UTC in
// seconds.
func parseOffset(z []byte) (int64, error) {
	if len(z) == 0 {
		return 0, nil
	}
	if (z[0] == 'Z' || z[0] == 'z') && len(z) == 1 {
		return 0, nil
	}
	if z[0] != '+' && z[0] != '-' {
		return 0, tsSyntaxError()
	}
	var hh, mm int
	var ok1, ok2 = false, true
	switch len(z) {
	case 3:
		hh, ok1 = digits2(z[1:3])
	case 5:
		hh, ok1 = digits2(z[1:3])
		mm, ok2 = digits2(z[3:5])
	case 6:
		hh, ok1 = digits2(z[1:3])
		mm, ok2 = digits2(z[4:6])
		ok2 = ok2 && z[3] == ':'
	}
	switch {
	case !ok1 || !ok2:
		return 0, tsSyntaxError()
	case hh > 23:
		return 0, fmt.Errorf("%w: offset hour %d out of range", ErrTimestamp, hh)
	case mm > 59:
		return 0, fmt.Errorf("%w: offset minute %d out of range", ErrTimestamp, mm)
	}
	off := int64(hh*3600 + mm*60)
	if z[0] == '-' {
		off = -off
	}
	return off, nil
}

// tsSyntaxError describes the accepted string forms.
func tsSyntaxError() error {
	return fmt.Errorf("%w: want RFC 3339 (2006-01-02T15:04:05.999999+07:00), "+
		"2006-01-02 15:04:05.999999 (UTC) or epoch digits", ErrTimestamp)
}

// digits2 parses two ASCII digits.
func digits2(b []byte) (int, bool) {
	hi, lo := b[0]-'0', b[1]-'0'
	return int(hi)*10 + int(lo), hi <= 9 && lo <= 9
}

func isDigit(c byte) bool { return c-'0' <= 9 }

// daysIn returns the number of days of a month of the proleptic Gregorian
// calendar.
func daysIn(year, month int) int {
	switch month {
	case 2:
		if year%4 == 0 && (year%100 != 0 || year%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}

// daysFromCivil returns the days from 1970-01-01 to the given date of the
// proleptic Gregorian calendar (Howard Hinnant's days_from_civil, with eras
// of 400 years starting on March 1 so that leap days end each era year).
func daysFromCivil(year, month, day int) int64 {
	y := int64(year)
	if month <= 2 {
		y--
	}
	era := y
	if era < 0 {
		era -= 399
	}
	era /= 400
	yoe := y - era*400
	mp := int64(month+9) % 12
	doy := (153*mp+2)/5 + int64(day) - 1
	doe := yoe*365 + yoe/4 - yoe/100 + doy
	return era*146097 + doe - daysFrom0000To1970
}

// ParseEpoch parses a decimal number of seconds, milliseconds, microseconds
// or nanoseconds since 1970-01-01 UTC (the grammar of a JSON number, with
// leading zeros allowed) and returns UTC microseconds. The unit follows from
// the magnitude of the integer part as in EpochToMicros; a fraction is kept
// down to the microsecond and finer digits are truncated toward zero, so
// 1793836800.3719 is seconds and 1793836800371.9 milliseconds. The value is
// computed exactly from the digits, without floating point. Errors wrap
// ErrTimestamp.
func ParseEpoch(s []byte) (int64, error) {
	d, ok := splitDecimal(s)
	if !ok {
		return 0, fmt.Errorf("%w: %s is not a decimal number", ErrTimestamp, quote(s))
	}
	return epochMicros(&d, s)
}

// epochMicros converts the split epoch number s.
func epochMicros(d *decimal, s []byte) (int64, error) {
	ip, ok := d.integer()
	if !ok {
		return 0, fmt.Errorf("%w: epoch %s out of range", ErrTimestamp, quote(s))
	}
	var us uint64
	switch {
	case ip < epochSecondsBelow:
		us = ip*1_000_000 + d.fraction(6)
	case ip < epochMillisBelow:
		us = ip*1_000 + d.fraction(3)
	case ip < epochMicrosBelow:
		us = ip
	default:
		us = ip / 1_000
	}
	if d.neg {
		return -int64(us), nil
	}
	return int64(us), nil
}

// EpochToMicros converts an integer epoch to UTC microseconds, telling the
// unit apart by magnitude: |v| < 1e11 is seconds, < 1e14 milliseconds,
// < 1e17 microseconds, and anything larger nanoseconds (truncated toward
// zero to the microsecond).
func EpochToMicros(v int64) int64 {
	a := uint64(v)
	if v < 0 {
		a = -a
	}
	switch {
	case a < epochSecondsBelow:
		return v * 1_000_000
	case a < epochMillisBelow:
		return v * 1_000
	case a < epochMicrosBelow:
		return v
	}
	return v / 1_000
}

// decimal is a number split into its ASCII digits: the digit string
// int++frac with the decimal point after its first point digits (point is
// len(int) plus the exponent, so it may be negative or beyond the digits,
// which are then zeros), negated when neg.
type decimal struct {
	neg     bool
	int     []byte // digits before the '.'
	frac    []byte // digits after the '.'
	lead    int    // number of leading zeros of int++frac
	point   int    // position of the decimal point within int++frac
	nonzero bool   // some digit is not zero
}

// maxEpochExponent bounds the exponent of an epoch number; anything larger
// is out of range whatever the digits, and bounding it keeps sums small.
const maxEpochExponent = 1000

// splitDecimal splits s by the grammar -?digits(.digits)?([eE][+-]?digits)?.
func splitDecimal(s []byte) (decimal, bool) {
	var d decimal
	i := 0
	if i < len(s) && s[i] == '-' {
		d.neg = true
		i++
	}
	start := i
	for i < len(s) && isDigit(s[i]) {
		i++
	}
	d.int = s[start:i]
	if len(d.int) == 0 {
		return d, false
	}
	if i < len(s) && s[i] == '.' {
		i++
		start = i
		for i < len(s) && isDigit(s[i]) {
			i++
		}
		d.frac = s[start:i]
		if len(d.frac) == 0 {
			return d, false
		}
	}
	exp, i, ok := splitExponent(s, i)
	if !ok || i != len(s) {
		return d, false
	}
	d.point = len(d.int) + exp
	for d.lead < len(d.int)+len(d.frac) && d.digit(d.lead) == 0 {
		d.lead++
	}
	d.nonzero = d.lead < len(d.int)+len(d.frac)
	return d, true
}

// splitExponent parses an optional exponent at s[i], clamped to
// ±maxEpochExponent.
func splitExponent(s []byte, i int) (int, int, bool) {
	if i == len(s) || (s[i] != 'e' && s[i] != 'E') {
		return 0, i, true
	}
	i++
	neg := false
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		neg = s[i] == '-'
		i++
	}
	start, exp := i, 0
	for ; i < len(s) && isDigit(s[i]); i++ {
		exp = min(exp*10+int(s[i]-'0'), maxEpochExponent)
	}
	if neg {
		exp = -exp
	}
	return exp, i, i > start
}

// digit returns digit k of int++frac, or 0 outside it.
func (d *decimal) digit(k int) uint64 {
	switch {
	case k < 0:
		return 0
	case k < len(d.int):
		return uint64(d.int[k] - '0')
	case k < len(d.int)+len(d.frac):
		return uint64(d.frac[k-len(d.int)] - '0')
	}
	return 0
}

// integer returns the integer part, false when it has more than 19 digits.
func (d *decimal) integer() (uint64, bool) {
	if !d.nonzero || d.point <= d.lead {
		return 0, true
	}
	if d.point-d.lead > 19 {
		return 0, false
	}
	var v uint64
	for k := d.lead; k < d.point; k++ {
		v = v*10 + d.digit(k)
	}
	return v, true
}

// fraction returns the first n digits after the decimal point as an integer.
func (d *decimal) fraction(n int) uint64 {
	var v uint64
	for k := d.point; k < d.point+n; k++ {
		v = v*10 + d.digit(k)
	}
	return v
}

// formatMicros renders UTC microseconds for a rejection reason.
func formatMicros(us int64) string {
	return time.UnixMicro(us).UTC().Format("2006-01-02T15:04:05.999999Z07:00")
}
