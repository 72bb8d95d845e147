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
