package jsonl

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestParseTimestamp(t *testing.T) {
	utc := func(y int, mo time.Month, d, h, mi, s, us int) int64 {
		return time.Date(y, mo, d, h, mi, s, us*1000, time.UTC).UnixMicro()
	}
	tests := []struct {
		in   string
		want int64
	}{
		{"2026-11-03T13:30:00.371000+05:30", utc(2026, 11, 3, 8, 0, 0, 371000)},
		{"2026-11-03T08:00:00Z", utc(2026, 11, 3, 8, 0, 0, 0)},
		{"2026-11-03t08:00:00z", utc(2026, 11, 3, 8, 0, 0, 0)},
		{"2026-11-03 08:00:00Z", utc(2026, 11, 3, 8, 0, 0, 0)},
		{"2026-11-03 08:00:00", utc(2026, 11, 3, 8, 0, 0, 0)},
		{"2026-11-03T08:00:00", utc(2026, 11, 3, 8, 0, 0, 0)},
		{"2026-11-03 08:00:00.5", utc(2026, 11, 3, 8, 0, 0, 500000)},
		{"2026-11-03 08:00:00,123", utc(2026, 11, 3, 8, 0, 0, 123000)},
		{"2026-11-03T08:00:00.123456789Z", utc(2026, 11, 3, 8, 0, 0, 123456)},
		{"2026-11-03T08:00:00.999999999999Z", utc(2026, 11, 3, 8, 0, 0, 999999)},
		{"2026-11-03T08:00:00.1234567-08:00", utc(2026, 11, 3, 16, 0, 0, 123456)},
		{"2026-11-03T08:00:00+0530", utc(2026, 11, 3, 2, 30, 0, 0)},
		{"2026-11-03T08:00:00+09", utc(2026, 11, 2, 23, 0, 0, 0)},
		{"2026-11-03T08:00:00-00:00", utc(2026, 11, 3, 8, 0, 0, 0)},
		{"2026-11-03T20:00:00-23:59", utc(2026, 11, 4, 19, 59, 0, 0)},
		{"2024-02-29T00:00:00Z", utc(2024, 2, 29, 0, 0, 0, 0)},
		{"2000-02-29T23:59:59.999999Z", utc(2000, 2, 29, 23, 59, 59, 999999)},
		{"1970-01-01T00:00:00Z", 0},
		{"1969-12-31T23:59:59.5Z", -500000},
		{"0001-01-01T00:00:00Z", utc(1, 1, 1, 0, 0, 0, 0)},
		{"9999-12-31T23:59:59Z", utc(9999, 12, 31, 23, 59, 59, 0)},
		{"2038-01-19T03:14:07.999999Z", MaxTimestampMicros},
		// Epoch digits in a string.
		{"1793692800", utc(2026, 11, 3, 8, 0, 0, 0)},
		{"1793692800371", utc(2026, 11, 3, 8, 0, 0, 371000)},
		{"1793692800.371", utc(2026, 11, 3, 8, 0, 0, 371000)},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			got, err := ParseTimestamp([]byte(tc.in))
			require.NoError(t, err)
			require.Equal(t, tc.want, got)
		})
	}
}

func TestParseTimestampRejects(t *testing.T) {
	tests := []struct{ in, reason string }{
		{"", "want RFC 3339"},
		{"yesterday", "want RFC 3339"},
		{"2026-11-03", "want RFC 3339"},
		{"2026-11-03T08:00Z", "want RFC 3339"},
		{"2026-11-03T08:00:00.Z", "want RFC 3339"},
		{"2026-11-03T08:00:00.", "want RFC 3339"},
		{"2026-11-03X08:00:00Z", "want RFC 3339"},
		{"2026/11/03T08:00:00Z", "want RFC 3339"},
		{"2026-11-03T08-00-00Z", "want RFC 3339"},
		{"2026-1a-03T08:00:00Z", "want RFC 3339"},
		{"2026-11-03T08:00:00ZZ", "want RFC 3339"},
		{"2026-11-03T08:00:00 Z", "want RFC 3339"},
		{"2026-11-03T08:00:00+5:30", "want RFC 3339"},
		{"2026-11-03T08:00:00+05:3", "want RFC 3339"},
		{"2026-11-03T08:00:00+05-30", "want RFC 3339"},
		{"2026-11-03T08:00:00UTC", "want RFC 3339"},
		{" 2026-11-03T08:00:00Z", "want RFC 3339"},
		{"2026-00-03T08:00:00Z", "month 0 out of range"},
		{"2026-13-03T08:00:00Z", "month 13 out of range"},
		{"2026-11-00T08:00:00Z", "day 0 out of range"},
		{"2026-11-31T08:00:00Z", "day 31 out of range for 2026-11"},
		{"2026-02-29T08:00:00Z", "day 29 out of range for 2026-02"},
		{"1900-02-29T08:00:00Z", "day 29 out of range for 1900-02"},
		{"2026-11-03T24:00:00Z", "hour 24 out of range"},
		{"2026-11-03T08:60:00Z", "minute 60 out of range"},
		{"2026-11-03T08:00:60Z", "second 60 out of range"},
		{"2026-11-03T08:00:00+24:00", "offset hour 24 out of range"},
		{"2026-11-03T08:00:00+05:60", "offset minute 60 out of range"},
		{"12a", "want RFC 3339"},
		{"1.", "want RFC 3339"},
		{"-", "want RFC 3339"},
		{"1e", "want RFC 3339"},
		{"2026/11/03", "want RFC 3339"},
		{"99999999999999999999", "out of range"},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			_, err := ParseTimestamp([]byte(tc.in))
			require.ErrorIs(t, err, ErrTimestamp)
			require.ErrorContains(t, err, tc.reason)
		})
	}
}

// TestParseTimestampMatchesTimeParse compares the parser with time.Parse on
// generated timestamps, valid and invalid, with random offsets and
// fractions, and checks that the lenient spellings read the same instant.
func TestParseTimestampMatchesTimeParse(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 7))
	for i := range 200_000 {
		s := randomRFC3339(r)
		want, werr := time.Parse(time.RFC3339Nano, s)
		got, gerr := ParseTimestamp([]byte(s))
		if werr != nil {
			require.Error(t, gerr, "%d: %s accepted, time.Parse says %v", i, s, werr)
			continue
		}
		require.NoError(t, gerr, "%d: %s", i, s)
		require.Equal(t, want.UnixMicro(), got, "%d: %s", i, s)
		for _, v := range lenientSpellings(s) {
			got, err := ParseTimestamp([]byte(v))
			require.NoError(t, err, v)
			require.Equal(t, want.UnixMicro(), got, v)
		}
	}
}

// randomRFC3339 returns an RFC 3339 timestamp with random fields, mostly
// valid: days up to 31 in every month, years around leap-year rules, every
// offset within ±23:59, fractions of 0 to 12 digits.
func randomRFC3339(r *rand.Rand) string {
	years := []int{1900, 1970, 2000, 2024, 2026, 2038, 2100, 2400}
	year := years[r.IntN(len(years))] + r.IntN(3) - 1
	if r.IntN(2) == 0 {
		year = 1 + r.IntN(9999)
	}
	s := fmt.Sprintf("%04d-%02d-%02dT%02d:%02d:%02d", year, 1+r.IntN(12), 1+r.IntN(31),
		r.IntN(24), r.IntN(60), r.IntN(60))
	if n := r.IntN(13); n > 0 {
		s += "."
		for range n {
			s += strconv.Itoa(r.IntN(10))
		}
	}
	if r.IntN(4) == 0 {
		return s + "Z"
	}
	sign := "+-"[r.IntN(2)]
	return s + fmt.Sprintf("%c%02d:%02d", sign, r.IntN(24), r.IntN(60))
}

// lenientSpellings returns other accepted spellings of the same instant.
func lenientSpellings(s string) []string {
	out := []string{strings.ToLower(s), s[:10] + " " + s[11:]}
	if strings.HasSuffix(s, "Z") {
		return out
	}
	n := len(s)
	return append(out, s[:n-3]+s[n-2:]) // +hh:mm → +hhmm
}

func TestParseEpoch(t *testing.T) {
	tests := []struct {
		in   string
		want int64
	}{
		{"0", 0},
		{"-0", 0},
		{"1", 1_000_000},
		{"1793692800", 1_793_692_800_000_000},
		{"99999999999", 99_999_999_999_000_000},
		{"100000000000", 100_000_000_000_000},
		{"1793692800.371", 1_793_692_800_371_000},
		{"1793692800.3719999", 1_793_692_800_371_999},
		{"1793692800.000001", 1_793_692_800_000_001},
		{"1793692800.0000009", 1_793_692_800_000_000},
		{"1793692800371", 1_793_692_800_371_000},
		{"1793692800371.5", 1_793_692_800_371_500},
		{"1793692800371.5678", 1_793_692_800_371_567},
		{"1793692800371123", 1_793_692_800_371_123},
		{"1793692800371123.9", 1_793_692_800_371_123},
		{"1793692800371123456", 1_793_692_800_371_123},
		{"9223372036854775807", 9_223_372_036_854_775},
		{"1.7936928e9", 1_793_692_800_000_000},
		{"1.793692800371E12", 1_793_692_800_371_000},
		{"17936928003711e-4", 1_793_692_800_371_100},
		{"1.7936928003711234e18", 1_793_692_800_371_123},
		{"0.5", 500_000},
		{"5e-1", 500_000},
		{"000001793692800", 1_793_692_800_000_000},
		{"0e999999", 0},
		{"1e-999999", 0},
		{"-1793692800.5", -1_793_692_800_500_000},
		{"-1793692800371", -1_793_692_800_371_000},
		{"9999999999999999999", 9_999_999_999_999_999},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			got, err := ParseEpoch([]byte(tc.in))
			require.NoError(t, err)
			require.Equal(t, tc.want, got)
		})
	}
	for _, bad := range []string{"", "a", "1a", ".5", "1.", "1e", "1e+", "--1", "+1", "1 ", "10000000000000000000", "1e20"} {
		_, err := ParseEpoch([]byte(bad))
		require.ErrorIs(t, err, ErrTimestamp, bad)
	}
}

func TestEpochToMicros(t *testing.T) {
	tests := []struct{ in, want int64 }{
		{0, 0},
		{1793692800, 1_793_692_800_000_000},
		{-1793692800, -1_793_692_800_000_000},
		{99_999_999_999, 99_999_999_999_000_000},
		{100_000_000_000, 100_000_000_000_000},
		{1793692800371, 1_793_692_800_371_000},
		{99_999_999_999_999, 99_999_999_999_999_000},
		{100_000_000_000_000, 100_000_000_000_000},
		{1793692800371123, 1_793_692_800_371_123},
		{1793692800371123456, 1_793_692_800_371_123},
		{-1793692800371123456, -1_793_692_800_371_123},
		{math.MaxInt64, math.MaxInt64 / 1000},
		{math.MinInt64, math.MinInt64 / 1000},
	}
	for _, tc := range tests {
		require.Equal(t, tc.want, EpochToMicros(tc.in), "%d", tc.in)
	}
}

// TestEpochUnits writes random instants in every unit and checks that
// ParseEpoch and EpochToMicros read them back, truncated to the unit.
func TestEpochUnits(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 3))
	lo := time.Date(1973, 3, 4, 0, 0, 0, 0, time.UTC).UnixNano()
	hi := time.Date(2262, 1, 1, 0, 0, 0, 0, time.UTC).UnixNano()
	for range 20_000 {
		ts := time.Unix(0, lo+r.Int64N(hi-lo)).UTC()
		us := ts.UnixMicro()
		cases := []struct {
			text string
			want int64
		}{
			{strconv.FormatInt(ts.Unix(), 10), ts.Unix() * 1e6},
			{strconv.FormatInt(ts.UnixMilli(), 10), ts.UnixMilli() * 1e3},
			{strconv.FormatInt(us, 10), us},
			{strconv.FormatInt(ts.UnixNano(), 10), us},
			{fmt.Sprintf("%d.%09d", ts.Unix(), ts.Nanosecond()), us},
			{fmt.Sprintf("%d.%06d", ts.UnixMilli(), ts.Nanosecond()%1e6), us},
		}
		for _, c := range cases {
			got, err := ParseEpoch([]byte(c.text))
			require.NoError(t, err, c.text)
			require.Equal(t, c.want, got, c.text)
			if v, err := strconv.ParseInt(c.text, 10, 64); err == nil {
				require.Equal(t, c.want, EpochToMicros(v), c.text)
			}
		}
	}
}

func TestParseTimestampDoesNotAllocate(t *testing.T) {
	for _, s := range []string{"2026-11-03T13:30:00.371000+05:30", "2026-11-03 08:00:00", "1793692800.371"} {
		in := []byte(s)
		allocs := testing.AllocsPerRun(100, func() {
			if _, err := ParseTimestamp(in); err != nil {
				t.Fatal(err)
			}
		})
		require.Zero(t, allocs, s)
	}
}

func BenchmarkParseTimestamp(b *testing.B) {
	in := []byte("2026-11-03T13:30:00.371000+05:30")
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ParseTimestamp(in); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkTimeParse(b *testing.B) {
	in := "2026-11-03T13:30:00.371000+05:30"
	b.ReportAllocs()
	for b.Loop() {
		if _, err := time.Parse(time.RFC3339Nano, in); err != nil {
			b.Fatal(err)
		}
	}
}
