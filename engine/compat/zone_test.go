package compat

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestLocalDatetime checks the wall clock shown for a stored instant against
// time.Time.In, in fixed and daylight-saving zones, around a DST change.
func TestLocalDatetime(t *testing.T) {
	for _, name := range []string{"+00:00", "UTC", "+05:30", "-08:00", "America/New_York", "SYSTEM"} {
		loc, err := ParseZone(name)
		require.NoError(t, err, name)
		for _, instant := range []time.Time{
			time.Date(2026, 11, 1, 5, 59, 59, 999999000, time.UTC), // 01:59:59.999999 EDT
			time.Date(2026, 11, 1, 6, 0, 0, 0, time.UTC),           // 01:00 EST, the repeated hour
			time.Date(2026, 3, 8, 7, 0, 0, 123000, time.UTC),
			time.Unix(1, 0),
		} {
			want := instant.In(loc).Format("2006-01-02 15:04:05.000000")
			got := LocalDatetime(instant.UnixMicro(), loc)
			require.Equal(t, time.UTC, got.Location())
			require.Equal(t, want, got.Format("2006-01-02 15:04:05.000000"), "%s in %s", instant, name)
		}
	}
	for _, bad := range []string{"+25:00", "Mars/Olympus", "+5:30"} {
		_, err := ParseZone(bad)
		require.Error(t, err, bad)
	}
}

// TestZoneNameOf checks how the system zone's name is found: TZ first (as
// Go's time package reads it), then the /etc/localtime link.
func TestZoneNameOf(t *testing.T) {
	for _, c := range []struct {
		tz    string
		set   bool
		link  string
		want  string
		about string
	}{
		{"", false, "/usr/share/zoneinfo/Europe/Paris", "Europe/Paris", "the link"},
		{"", false, "../usr/share/zoneinfo/America/New_York", "America/New_York", "a relative link"},
		{"", false, "", "", "no link (a copied file)"},
		{"", false, "/etc/some/file", "", "a link outside zoneinfo"},
		{"Asia/Tokyo", true, "/usr/share/zoneinfo/Europe/Paris", "Asia/Tokyo", "TZ before the link"},
		{":Asia/Tokyo", true, "", "Asia/Tokyo", "TZ with a colon"},
		{"", true, "/usr/share/zoneinfo/Europe/Paris", "UTC", "TZ set but empty is UTC"},
		{"/usr/share/zoneinfo/Australia/Sydney", true, "", "Australia/Sydney", "TZ as a path"},
	} {
		require.Equal(t, c.want, zoneNameOf(c.tz, c.set, c.link), c.about)
	}
}

// TestZoneName checks that what a plan carries for a session's zone reads
// back, through ParseZone, as a zone with the same rules: SYSTEM as this
// machine's zone by name, never as "Local", which the receiving node would
// read as its own.
func TestZoneName(t *testing.T) {
	for _, name := range []string{"SYSTEM", "UTC", "+05:30", "-08:00", "America/New_York"} {
		loc, err := ParseZone(name)
		require.NoError(t, err, name)
		sent, err := ZoneName(loc)
		require.NoError(t, err, name)
		require.NotEqual(t, "Local", sent, name)
		back, err := ParseZone(sent)
		require.NoError(t, err, name)
		require.True(t, sameZone(loc, back), "%s sent as %s", name, sent)
	}
	require.False(t, sameZone(mustZone(t, "Europe/Paris"), time.UTC))
	require.False(t, sameZone(mustZone(t, "America/New_York"), mustZone(t, "America/Toronto")) == false &&
		sameZone(mustZone(t, "America/New_York"), mustZone(t, "America/Chicago")))
}

func mustZone(t *testing.T, name string) *time.Location {
	loc, err := time.LoadLocation(name)
	require.NoError(t, err)
	return loc
}
