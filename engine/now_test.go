package engine_test

import (
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestTimeOfStatement checks MySQL's functions of the current time against
// values computed here with Go's time package, in sessions at +02:00,
// -05:30, UTC and Europe/Berlin, as text and as a prepared statement: within
// one statement they all give the one instant it started at (between the
// client's clock readings before and after it), in the session's zone or
// in UTC, each cut to its own fraction digits, so that
// TIMESTAMPDIFF(MINUTE, UTC_TIMESTAMP(), NOW()) is the zone's offset.
func TestTimeOfStatement(t *testing.T) {
	db := startLogq(t, []byte(`{"ts":"2026-11-01T10:00:00Z","message":"m"}`+"\n"),
		logqConfig{shards: 1, bucket: 24 * time.Hour, batchRows: 64, appendLines: 10})
	const q = "SELECT NOW(6), UTC_TIMESTAMP(6), CURRENT_TIMESTAMP(6), LOCALTIME(6), LOCALTIMESTAMP(6), " +
		"NOW(), CURRENT_TIMESTAMP, UTC_TIMESTAMP(), NOW(3), UTC_TIMESTAMP(2), UNIX_TIMESTAMP(), " +
		"CURDATE(), CURRENT_DATE, UTC_DATE(), CURTIME(), UTC_TIME(), " +
		"TIMESTAMPDIFF(MINUTE, UTC_TIMESTAMP(), NOW()), TIMESTAMPDIFF(MICROSECOND, UTC_TIMESTAMP(6), NOW(6)), " +
		"TIMESTAMPDIFF(SECOND, UTC_TIMESTAMP(), CURRENT_TIMESTAMP()) FROM logs"
	for _, zone := range []string{"+02:00", "-05:30", "+00:00", "UTC", "Europe/Berlin"} {
		loc, err := time.LoadLocation(zone)
		if err != nil {
			loc = fixedZone(t, zone)
		}
		conn := reconnect(t, db, "time_zone", "'"+zone+"'")
		for _, prepared := range []bool{false, true} {
			before := time.Now().Truncate(time.Microsecond)
			var got [][]string
			if prepared {
				stmt, err := conn.Prepare(q + " WHERE message = ?")
				require.NoError(t, err)
				rows, err := stmt.Query("m")
				require.NoError(t, err)
				got = rowStrings(t, rows, q)
				require.NoError(t, stmt.Close())
			} else {
				got = queryStrings(t, conn, q)
			}
			after := time.Now()
			what := fmt.Sprintf("zone %s, prepared %v", zone, prepared)
			require.Len(t, got, 1, what)
			r := got[0]

			// The instant, from UTC_TIMESTAMP(6) (a wall clock in a zone
			// may name two).
			now, err := time.Parse("2006-01-02 15:04:05.000000", r[1])
			require.NoError(t, err, what)
			require.False(t, now.Before(before) || now.After(after), "%s: UTC_TIMESTAMP(6) %s outside [%s, %s]", what, now, before, after)
			local, utc := now.In(loc), now.UTC()
			_, off := local.Zone()
			cut := func(t time.Time, d time.Duration) time.Time { return t.Truncate(d) }
			want := []string{
				local.Format("2006-01-02 15:04:05.000000"),
				utc.Format("2006-01-02 15:04:05.000000"),
				local.Format("2006-01-02 15:04:05.000000"),
				local.Format("2006-01-02 15:04:05.000000"),
				local.Format("2006-01-02 15:04:05.000000"),
				cut(local, time.Second).Format("2006-01-02 15:04:05"),
				cut(local, time.Second).Format("2006-01-02 15:04:05"),
				cut(utc, time.Second).Format("2006-01-02 15:04:05"),
				cut(local, time.Millisecond).Format("2006-01-02 15:04:05.000"),
				cut(utc, 10*time.Millisecond).Format("2006-01-02 15:04:05.00"),
				strconv.FormatInt(now.Unix(), 10),
				local.Format("2006-01-02"),
				local.Format("2006-01-02"),
				utc.Format("2006-01-02"),
				local.Format("15:04:05"),
				utc.Format("15:04:05"),
				strconv.Itoa(off / 60),
				strconv.FormatInt(int64(off)*1_000_000, 10),
				strconv.Itoa(off),
			}
			require.Equal(t, want, r, what)
		}
	}
}

// TestTimestampDiffOfNowAndUTC is the case of issue 14: in a session at
// +02:00, TIMESTAMPDIFF(MINUTE, UTC_TIMESTAMP(), NOW()) is 120, as in MySQL,
// where both are the statement's instant to the second; and likewise for
// -05:30 and UTC, the offsets taken from Go's time package.
func TestTimestampDiffOfNowAndUTC(t *testing.T) {
	db := startLogq(t, []byte(`{"ts":"2026-11-01T10:00:00Z","message":"m"}`+"\n"),
		logqConfig{shards: 1, bucket: 24 * time.Hour, batchRows: 64, appendLines: 10})
	for _, zone := range []string{"+02:00", "-05:30", "+00:00", "UTC"} {
		loc, err := time.LoadLocation(zone)
		if err != nil {
			loc = fixedZone(t, zone)
		}
		_, off := time.Now().In(loc).Zone()
		conn := reconnect(t, db, "time_zone", "'"+zone+"'")
		want := [][]string{{strconv.Itoa(off / 60), strconv.Itoa(off / 60), strconv.Itoa(off)}}
		const q = "SELECT TIMESTAMPDIFF(MINUTE, UTC_TIMESTAMP(), NOW()), TIMESTAMPDIFF(MINUTE, UTC_TIMESTAMP(), CURRENT_TIMESTAMP), " +
			"TIMESTAMPDIFF(SECOND, UTC_TIMESTAMP(), NOW())"
		// Many times: a fraction of UTC_TIMESTAMP() above NOW()'s whole
		// second made the difference a minute short.
		for range 20 {
			require.Equal(t, want, queryStrings(t, conn, q), "zone %s", zone)
		}
		stmt, err := conn.Prepare(q)
		require.NoError(t, err)
		rows, err := stmt.Query()
		require.NoError(t, err)
		require.Equal(t, want, rowStrings(t, rows, q), "zone %s, prepared", zone)
		require.NoError(t, stmt.Close())
	}
}

// TestNowIsConstantSysdateIsNot checks that NOW() and its kin keep the
// statement's instant across a SLEEP and across rows, while SYSDATE() reads
// the clock at each call, as in MySQL.
func TestNowIsConstantSysdateIsNot(t *testing.T) {
	var data strings.Builder
	for i := range 300 {
		fmt.Fprintf(&data, `{"ts":"2001-01-01T10:%02d:%02dZ","message":"m%d"}`+"\n", i/60, i%60, i)
	}
	db := startLogq(t, []byte(data.String()), logqConfig{shards: 2, bucket: time.Hour, batchRows: 64, unflushed: 0.3, appendLines: 50})
	conn := reconnect(t, db, "time_zone", "'+02:00'")
	layout := "2006-01-02 15:04:05.000000"
	parse := func(s string) time.Time {
		v, err := time.Parse(layout, s)
		require.NoError(t, err, s)
		return v
	}

	r := queryStrings(t, conn, "SELECT NOW(6), UTC_TIMESTAMP(6), SLEEP(0.05), NOW(6), UTC_TIMESTAMP(6), SYSDATE(6), SLEEP(0.05), SYSDATE(6)")[0]
	require.Equal(t, r[0], r[3], "NOW(6) across a SLEEP")
	require.Equal(t, r[1], r[4], "UTC_TIMESTAMP(6) across a SLEEP")
	sys1, sys2 := parse(r[5]), parse(r[7])
	require.GreaterOrEqual(t, sys2.Sub(sys1), 50*time.Millisecond, "SYSDATE(6) is read at each call: %s, %s", r[5], r[7])
	require.GreaterOrEqual(t, sys1.Sub(parse(r[0])), 50*time.Millisecond, "SYSDATE(6) after a SLEEP is later than NOW(6)")

	got := queryStrings(t, conn, "SELECT COUNT(DISTINCT NOW(6)), COUNT(DISTINCT UTC_TIMESTAMP(6)), COUNT(DISTINCT CURTIME()), "+
		"MIN(TIMESTAMPDIFF(MICROSECOND, UTC_TIMESTAMP(6), NOW(6))), MAX(TIMESTAMPDIFF(MICROSECOND, UTC_TIMESTAMP(6), NOW(6))) FROM logs")
	offset := strconv.FormatInt((2 * time.Hour).Microseconds(), 10)
	require.Equal(t, [][]string{{"1", "1", "1", offset, offset}}, got)

	// A condition on ts with NOW() selects by the statement's instant:
	// every row lies in 2001, before it, and none after.
	require.Equal(t, [][]string{{"300", "0"}}, queryStrings(t, conn,
		"SELECT (SELECT COUNT(*) FROM logs WHERE ts < NOW() - INTERVAL 1 HOUR), (SELECT COUNT(*) FROM logs WHERE ts > UTC_TIMESTAMP())"))
}

// TestTimeOfStatementTypes checks the column definitions of the time
// functions as MySQL sends them: DATETIME with the fraction digits asked
// for (none without), DATE for CURDATE and UTC_DATE.
func TestTimeOfStatementTypes(t *testing.T) {
	db := startLogq(t, []byte(`{"ts":"2026-11-01T10:00:00Z","message":"m"}`+"\n"),
		logqConfig{shards: 1, bucket: 24 * time.Hour, batchRows: 64, appendLines: 10})
	rows, err := db.Query("SELECT NOW(), NOW(6), CURRENT_TIMESTAMP, CURRENT_TIMESTAMP(3), UTC_TIMESTAMP(), UTC_TIMESTAMP(6), SYSDATE(), CURDATE(), UTC_DATE()")
	require.NoError(t, err)
	types, err := rows.ColumnTypes()
	require.NoError(t, err)
	want := []struct {
		name     string
		decimals int64
	}{{"DATETIME", 0}, {"DATETIME", 6}, {"DATETIME", 0}, {"DATETIME", 3}, {"DATETIME", 0}, {"DATETIME", 6}, {"DATETIME", 0}, {"DATE", 0}, {"DATE", 0}}
	require.Len(t, types, len(want))
	for i, w := range want {
		require.Equal(t, w.name, types[i].DatabaseTypeName(), "column %d", i)
		if w.name == "DATETIME" {
			_, scale, ok := types[i].DecimalSize()
			require.True(t, ok)
			require.Equal(t, w.decimals, scale, "column %d", i)
		}
	}
	require.NoError(t, rows.Close())

	for _, bad := range []string{"SELECT NOW(7)", "SELECT UTC_TIMESTAMP(7)", "SELECT CURDATE(1)"} {
		_, err := db.Exec(bad)
		require.Error(t, err, bad)
	}
}

// TestInsertNow inserts NOW(6) in a +05:30 session, as the README shows,
// and reads the row back in UTC: the stored instant is the statement's,
// between the client's clock readings around the INSERT.
func TestInsertNow(t *testing.T) {
	db := startLogq(t, []byte(`{"ts":"2026-11-01T10:00:00Z","message":"m"}`+"\n"),
		logqConfig{shards: 1, bucket: 24 * time.Hour, batchRows: 64, appendLines: 10})
	before := time.Now().Truncate(time.Microsecond)
	_, err := reconnect(t, db, "time_zone", "'+05:30'").Exec("INSERT INTO logs (ts, service, message) VALUES (NOW(6), 'now', 'inserted')")
	require.NoError(t, err)
	after := time.Now()
	got := queryStrings(t, db, "SELECT ts FROM logs WHERE message = 'inserted'") // db's session is at +00:00
	require.Len(t, got, 1)
	ts, err := time.Parse("2006-01-02 15:04:05.000000", got[0][0])
	require.NoError(t, err)
	require.False(t, ts.Before(before) || ts.After(after), "%s outside [%s, %s]", ts, before, after)
}
