package engine_test

import (
	"context"
	gosql "database/sql"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"
	"github.com/stretchr/testify/require"

	"logq/partitions/segment"
)

// damageFixture is a store of genData rows with one segment damaged, and
// the test's own picture of what the damage took.
type damageFixture struct {
	lq, ref  *gosql.DB // logq, and a reference holding every row but the lost ones
	seg      string    // the damaged segment file, under its partition directory
	batch    int       // the damaged batch; -1: the whole segment
	lostRows int
	minTS    time.Time // time range of the lost rows
	maxTS    time.Time
	total    int // rows stored
}

// lostRow identifies a row by what the reference and the segment agree on.
type lostRow struct {
	ts      int64
	message string
}

// newDamageFixture stores two days of rows in one segment per day, of
// batches of 1,000 rows, and damages the first day's segment with damage:
// it returns the file offset to flip, given the file's bytes. The rows the
// damage takes are read from the file before it is damaged: those of the
// batch a fresh reader then fails to read, or, when the file no longer
// opens, all of them.
func newDamageFixture(t *testing.T, damage func(file []byte) int) *damageFixture {
	data := genData(t, int64(raceScale(20_000)), 2, 17)
	rows := decodeRef(t, data)
	lq, st := startLogqStore(t, data, logqConfig{shards: 1, bucket: 24 * time.Hour, batchRows: 1000, appendLines: 5000})
	segs := st.Segments()
	require.Len(t, segs, 2)
	path := segs[0].Path
	for _, s := range segs {
		s.DecRef()
	}
	before := batchRows(t, path)
	require.Greater(t, len(before), 3, "a multi-batch segment")

	file, err := os.ReadFile(path)
	require.NoError(t, err)
	file[damage(file)] ^= 0x10
	require.NoError(t, os.WriteFile(path, file, 0o644))

	fx := &damageFixture{lq: lq, seg: filepath.Join(filepath.Base(filepath.Dir(path)), filepath.Base(path)), batch: -1, total: len(rows)}
	lost := map[lostRow]int{}
	if r, err := segment.Open(path); err == nil {
		for i := range r.NumBatches() {
			if _, err := r.Rows(i); err != nil {
				require.Equal(t, -1, fx.batch, "one batch is damaged")
				fx.batch = i
				for _, lr := range before[i] {
					lost[lr]++
				}
			}
		}
		require.NoError(t, r.Close())
		require.GreaterOrEqual(t, fx.batch, 0, "the damage is inside one batch")
	} else {
		for _, b := range before {
			for _, lr := range b {
				lost[lr]++
			}
		}
	}
	var kept []refRow
	for _, r := range rows {
		k := lostRow{ts: r.TS.UnixMicro(), message: r.Message}
		if lost[k] > 0 {
			lost[k]--
			fx.lostRows++
			if fx.minTS.IsZero() || r.TS.Before(fx.minTS) {
				fx.minTS = r.TS
			}
			if r.TS.After(fx.maxTS) {
				fx.maxTS = r.TS
			}
			continue
		}
		kept = append(kept, r)
	}
	for k, n := range lost {
		require.Zero(t, n, "every lost row is in the reference: %v", k)
	}
	require.Positive(t, fx.lostRows)
	require.Less(t, fx.lostRows, len(rows))
	fx.ref = startReference(t, kept)
	return fx
}

// batchRows reads the intact segment file at path batch by batch.
func batchRows(t *testing.T, path string) [][]lostRow {
	r, err := segment.Open(path)
	require.NoError(t, err)
	defer r.Close()
	out := make([][]lostRow, r.NumBatches())
	for i := range out {
		b, err := r.Rows(i)
		require.NoError(t, err)
		for j := range b.Len() {
			out[i] = append(out[i], lostRow{ts: b.TS[j], message: string(b.Message.Value(j))})
		}
	}
	return out
}

// inBlocks damages the middle of the record batch messages (FORMAT.md:
// head_len and tail_off are trailer bytes 16 and 24).
func inBlocks(file []byte) int {
	tr := file[len(file)-64:]
	return int(binary.LittleEndian.Uint64(tr[16:])+binary.LittleEndian.Uint64(tr[24:])) / 2
}

// inStats damages the stats block (arrow_len is trailer bytes 8).
func inStats(file []byte) int {
	arrowLen := int(binary.LittleEndian.Uint64(file[len(file)-64+8:]))
	return (arrowLen + len(file) - 64) / 2
}

// sqlTime formats t as a DATETIME(6) literal in UTC, the session's zone.
func sqlTime(t time.Time) string { return t.UTC().Format("2006-01-02 15:04:05.000000") }

// connStrings runs q on conn and returns every row as text, NULL as "NULL".
func connStrings(t *testing.T, conn *gosql.Conn, q string) [][]string {
	rows, err := conn.QueryContext(context.Background(), q)
	require.NoError(t, err, q)
	return rowStrings(t, rows, q)
}

// damageWarnings returns the messages of the damage warnings (code 1877)
// of conn's last statement, failing on any other warning.
func damageWarnings(t *testing.T, conn *gosql.Conn) []string {
	var out []string
	for _, w := range connStrings(t, conn, "SHOW WARNINGS") {
		require.Equal(t, []string{"Warning", "1877"}, w[:2], "%q", w)
		out = append(out, w[2])
	}
	return out
}

// TestDamagedBatchIsSkippedAndReported flips one byte inside one record
// batch and checks, whichever kind of query meets it first (and so finds
// the damage while reading): that query and every later one answer with
// every row but that batch's, as a reference holding exactly those rows
// does; each gets one warning naming the batch when its time range overlaps
// the batch, and none when it does not; logq.damaged lists the batch with
// its time range and rows; and under logq_damaged_data = 'error' the
// overlapping queries fail instead.
func TestDamagedBatchIsSkippedAndReported(t *testing.T) {
	queries := []struct {
		name, sql string
		orderCol  int
	}{
		{"ordered export", "SELECT ts, level, service, host, message FROM logs ORDER BY ts", 0},
		{"descending export", "SELECT ts, message FROM logs WHERE ts >= '2026-11-01 00:00:00' ORDER BY ts DESC", 0},
		{"unordered export", "SELECT service, message FROM logs WHERE level IN ('INFO', 'ERROR')", -1},
		{"aggregate pushdown", "SELECT level, COUNT(*), MAX(latency_ms) FROM logs WHERE message LIKE '%e%' GROUP BY level ORDER BY level", 0},
		{"aggregate on the row path", "/* row path */ SELECT COUNT(*), SUM(status) FROM logs WHERE message LIKE '%e%'", -1},
	}
	for _, first := range queries {
		t.Run("found by "+first.name, func(t *testing.T) {
			fx := newDamageFixture(t, inBlocks)
			conn, err := fx.lq.Conn(context.Background())
			require.NoError(t, err)
			defer conn.Close()
			rowPath := func(q string) {
				on := "ON"
				if strings.HasPrefix(q, "/* row path */") {
					on = "OFF"
				}
				_, err := conn.ExecContext(context.Background(), "SET logq_aggregate_pushdown = "+on)
				require.NoError(t, err)
			}
			check := func(q string, orderCol int) {
				t.Helper()
				rowPath(q)
				sameAnswer(t, q, queryStrings(t, fx.ref, q), connStrings(t, conn, q), orderCol, false)
				warns := damageWarnings(t, conn)
				require.Len(t, warns, 1, q)
				require.Contains(t, warns[0], fmt.Sprintf("batch %d of segment %s is damaged", fx.batch, fx.seg))
				require.Contains(t, warns[0], fmt.Sprintf("%d rows of logs from %s to %s", fx.lostRows, sqlTime(fx.minTS), sqlTime(fx.maxTS)))
			}

			require.Empty(t, connStrings(t, conn, "SELECT * FROM logq.damaged"), "nothing has read the batch yet")
			check(first.sql, first.orderCol) // reads the batch: finds the damage
			for _, q := range queries {
				check(q.sql, q.orderCol) // plans without the batch
			}
			var n int
			require.NoError(t, conn.QueryRowContext(context.Background(), "SELECT COUNT(*) FROM logs").Scan(&n))
			require.Equal(t, fx.total-fx.lostRows, n)
			require.Len(t, damageWarnings(t, conn), 1)
			plan := fmt.Sprint(connStrings(t, conn, "EXPLAIN PLAN SELECT ts FROM logs ORDER BY ts"))
			require.Contains(t, plan, "damaged, not read: batches 1, segments 0 (logq.damaged)")
			// A join scans logs more than once (its inner side once per
			// outer row): still one warning per damaged batch.
			from, to := sqlTime(fx.minTS.Add(-2*time.Minute)), sqlTime(fx.maxTS)
			join := fmt.Sprintf("SELECT COUNT(*) FROM logs a JOIN logs b ON a.ts < b.ts "+
				"WHERE a.ts BETWEEN '%s' AND '%s' AND b.ts BETWEEN '%s' AND '%s'", from, to, from, to)
			sameAnswer(t, join, queryStrings(t, fx.ref, join), connStrings(t, conn, join), -1, false)
			require.Len(t, damageWarnings(t, conn), 1, join)

			require.Equal(t, [][]string{{fx.seg, fmt.Sprint(fx.batch), sqlTime(fx.minTS), sqlTime(fx.maxTS), fmt.Sprint(fx.lostRows)}},
				connStrings(t, conn, "SELECT file, batch, min_ts, max_ts, `rows` FROM logq.damaged"))
			require.Empty(t, damageWarnings(t, conn), "listing the damage is no warning")
			var reason string
			require.NoError(t, conn.QueryRowContext(context.Background(), "SELECT reason FROM damaged").Scan(&reason))
			require.Contains(t, reason, "crc32c")

			ranges := []struct {
				where   string
				overlap bool
			}{
				{fmt.Sprintf("ts BETWEEN '%s' AND '%s'", sqlTime(fx.minTS), sqlTime(fx.maxTS)), true},
				{fmt.Sprintf("ts = '%s'", sqlTime(fx.maxTS)), true},
				{fmt.Sprintf("ts < '%s'", sqlTime(fx.minTS)), false},
				{fmt.Sprintf("ts > '%s'", sqlTime(fx.maxTS)), false},
				{"level = 'NO SUCH LEVEL'", false}, // the batch's statistics rule it out
			}
			for _, strict := range []bool{false, true} {
				mode := map[bool]string{false: "warn", true: "error"}[strict]
				_, err := conn.ExecContext(context.Background(), "SET logq_damaged_data = '"+mode+"'")
				require.NoError(t, err)
				for _, r := range ranges {
					for _, q := range []string{
						"SELECT COUNT(*) FROM logs WHERE " + r.where,
						"/* row path */ SELECT COUNT(*) FROM logs WHERE " + r.where,
						"SELECT ts, message FROM logs WHERE " + r.where + " ORDER BY ts",
					} {
						rowPath(q)
						if strict && r.overlap {
							_, err := conn.QueryContext(context.Background(), q)
							var me *mysql.MySQLError
							require.True(t, errors.As(err, &me), "%s: %v", q, err)
							require.Equal(t, uint16(1877), me.Number, q)
							require.Contains(t, me.Message, fx.seg)
							continue
						}
						sameAnswer(t, q, queryStrings(t, fx.ref, q), connStrings(t, conn, q), -1, false)
						warns := damageWarnings(t, conn)
						if r.overlap {
							require.Len(t, warns, 1, q)
						} else {
							require.Empty(t, warns, q)
						}
					}
				}
			}

			// Acknowledged (say, re-ingested elsewhere): no longer listed
			// nor warned about, even strictly, and still never read.
			res, err := conn.ExecContext(context.Background(), fmt.Sprintf("DELETE FROM logq.damaged WHERE batch = %d", fx.batch))
			require.NoError(t, err)
			affected, err := res.RowsAffected()
			require.NoError(t, err)
			require.Equal(t, int64(1), affected)
			require.Empty(t, connStrings(t, conn, "SELECT * FROM logq.damaged"))
			for _, q := range []string{ranges[0].where, "TRUE"} {
				q = "SELECT ts, message FROM logs WHERE " + q
				sameAnswer(t, q, queryStrings(t, fx.ref, q), connStrings(t, conn, q), -1, false)
				require.Empty(t, damageWarnings(t, conn), q)
			}
		})
	}
}

// TestDamagedSegmentIsSkippedAndReported flips one byte of a segment's
// stats block, which every batch depends on: the first query that opens
// the segment sets the whole of it aside, and it is then answered,
// listed and warned about as a damaged batch is.
func TestDamagedSegmentIsSkippedAndReported(t *testing.T) {
	fx := newDamageFixture(t, inStats)
	require.Equal(t, -1, fx.batch)
	conn, err := fx.lq.Conn(context.Background())
	require.NoError(t, err)
	defer conn.Close()
	require.Empty(t, connStrings(t, conn, "SELECT * FROM logq.damaged"), "nothing has opened the segment yet")
	for _, q := range []string{
		"SELECT ts, service, message FROM logs ORDER BY ts",
		"SELECT level, COUNT(*) FROM logs GROUP BY level ORDER BY level",
		fmt.Sprintf("SELECT COUNT(*) FROM logs WHERE ts BETWEEN '%s' AND '%s'", sqlTime(fx.minTS), sqlTime(fx.maxTS)),
	} {
		sameAnswer(t, q, queryStrings(t, fx.ref, q), connStrings(t, conn, q), 0, false)
		warns := damageWarnings(t, conn)
		require.Len(t, warns, 1, q)
		require.Contains(t, warns[0], fmt.Sprintf("%d rows of logs from %s to %s are unreadable: segment %s is damaged",
			fx.lostRows, sqlTime(fx.minTS), sqlTime(fx.maxTS), fx.seg))
	}
	q := fmt.Sprintf("SELECT COUNT(*) FROM logs WHERE ts > '%s'", sqlTime(fx.maxTS))
	sameAnswer(t, q, queryStrings(t, fx.ref, q), connStrings(t, conn, q), -1, false)
	require.Empty(t, damageWarnings(t, conn))
	require.Equal(t, [][]string{{fx.seg, "NULL", sqlTime(fx.minTS), sqlTime(fx.maxTS), fmt.Sprint(fx.lostRows)}},
		connStrings(t, conn, "SELECT file, batch, min_ts, max_ts, `rows` FROM logq.damaged"))
	plan := fmt.Sprint(connStrings(t, conn, "EXPLAIN PLAN SELECT ts FROM logs ORDER BY ts"))
	require.Contains(t, plan, "damaged, not read: batches 0, segments 1 (logq.damaged)")
	var n int
	require.NoError(t, conn.QueryRowContext(context.Background(), "SELECT COUNT(*) FROM logs").Scan(&n))
	require.Equal(t, fx.total-fx.lostRows, n)

	_, err = conn.ExecContext(context.Background(), "DELETE FROM logq.damaged")
	require.NoError(t, err)
	require.Empty(t, connStrings(t, conn, "SELECT * FROM logq.damaged"))
	require.NoError(t, conn.QueryRowContext(context.Background(), "SELECT COUNT(*) FROM logs").Scan(&n))
	require.Equal(t, fx.total-fx.lostRows, n)
	require.Empty(t, damageWarnings(t, conn), "acknowledged")
}
