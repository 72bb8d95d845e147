package engine_test

import (
	gosql "database/sql"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestTimeRangesAreZoneFree writes random ts ranges in random session zones
// and requires the rows of the same range written in UTC: a range of
// instants gives the same rows whatever zone it was written in. Bounds are
// FROM_UNIXTIME of whole or fractional seconds (instants in any zone, the
// repeated autumn hour included) or wall-clock literals in the session's
// zone (those that name exactly one instant: literals in a skipped or
// repeated hour are ambiguous by nature), combined as >=, >, <=, <,
// BETWEEN, and under OR. The rows span Berlin's and Los Angeles's switches
// to winter time, partition and batch boundaries, and the buffer.
func TestTimeRangesAreZoneFree(t *testing.T) {
	r := rand.New(rand.NewPCG(26, 11))
	start := time.Date(2026, 10, 24, 18, 0, 0, 0, time.UTC)
	span := 40 * time.Hour
	var data strings.Builder
	for i := range 3000 {
		ts := start.Add(time.Duration(r.Int64N(int64(span))) / time.Microsecond * time.Microsecond)
		fmt.Fprintf(&data, `{"ts":%q,"level":"INFO","service":"z","message":"r%04d"}`+"\n", ts.Format(time.RFC3339Nano), i)
	}
	db := startLogq(t, []byte(data.String()), logqConfig{shards: 2, bucket: 6 * time.Hour, batchRows: 128, unflushed: 0.2, appendLines: 500})
	utc := reconnect(t, db, "time_zone", "'+00:00'")
	zones := []string{"+05:30", "-08:00", "Europe/Berlin", "America/Los_Angeles", "Asia/Kolkata"}
	conns := map[string]*gosql.DB{}
	for _, z := range zones {
		conns[z] = reconnect(t, db, "time_zone", "'"+z+"'")
	}
	const layout = "2006-01-02 15:04:05.999999"
	bound := func(inst time.Time, zone string, loc *time.Location) (string, bool) {
		if r.IntN(2) == 0 {
			sec := fmt.Sprintf("%d", inst.Unix())
			if inst.Nanosecond() != 0 {
				sec = fmt.Sprintf("%d.%06d", inst.Unix(), inst.Nanosecond()/1000)
			}
			return "FROM_UNIXTIME(" + sec + ")", true
		}
		if zone == "+00:00" {
			return "'" + inst.UTC().Format(layout) + "'", true
		}
		w := inst.In(loc)
		wall := time.Date(w.Year(), w.Month(), w.Day(), w.Hour(), w.Minute(), w.Second(), w.Nanosecond(), time.UTC)
		// Only a wall clock that names one instant.
		n := 0
		for _, off := range []time.Duration{-3 * time.Hour, 0, 3 * time.Hour} {
			_, o := inst.Add(off).In(loc).Zone()
			cand := wall.Add(-time.Duration(o) * time.Second)
			cw := cand.In(loc)
			if time.Date(cw.Year(), cw.Month(), cw.Day(), cw.Hour(), cw.Minute(), cw.Second(), cw.Nanosecond(), time.UTC).Equal(wall) && !cand.Equal(inst) {
				n++
			}
		}
		return "'" + wall.Format(layout) + "'", n == 0
	}
	checked := 0
	for q := range 400 {
		zone := zones[r.IntN(len(zones))]
		loc, err := time.LoadLocation(zone)
		if err != nil {
			loc = fixedZone(t, zone)
		}
		inst := func() time.Time {
			ts := start.Add(time.Duration(r.Int64N(int64(span+2*time.Hour))) - time.Hour)
			if r.IntN(3) == 0 {
				return ts.Truncate(time.Second)
			}
			return ts.Truncate(time.Microsecond)
		}
		a, b := inst(), inst()
		if b.Before(a) {
			a, b = b, a
		}
		shapes := []string{"ts >= %s AND ts < %s", "ts > %s AND ts <= %s", "ts BETWEEN %s AND %s", "(ts < %s OR ts > %s)"}
		shape := shapes[r.IntN(len(shapes))]
		za, okA := bound(a, zone, loc)
		zb, okB := bound(b, zone, loc)
		if !okA || !okB {
			continue
		}
		ua, _ := bound(a, "+00:00", time.UTC)
		ub, _ := bound(b, "+00:00", time.UTC)
		sel := "SELECT message FROM logs WHERE "
		inZone := queryStrings(t, conns[zone], sel+fmt.Sprintf(shape, za, zb))
		inUTC := queryStrings(t, utc, sel+fmt.Sprintf(shape, ua, ub))
		flat := func(rows [][]string) []string {
			out := slices.Concat(rows...)
			slices.Sort(out)
			return out
		}
		require.Equal(t, flat(inUTC), flat(inZone), "query %d in %s: %s\nUTC: %s", q, zone, fmt.Sprintf(shape, za, zb), fmt.Sprintf(shape, ua, ub))
		checked++
	}
	require.Greater(t, checked, 300)
}
