package engine_test

import (
	"context"
	gosql "database/sql"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"logq/catalog"
	"logq/engine"
	"logq/partitions"
	"logq/partitions/columns"
	"logq/partitions/jsonl"
)

// columnsStore serves a store opened with opts over SQL and returns a
// function that ingests JSON lines into it (one Append per call).
func columnsStore(t *testing.T, opts ...partitions.Option) (*gosql.DB, *partitions.Store, func(lines ...string)) {
	cat := catalog.New()
	base := []partitions.Option{partitions.WithObserver(cat), partitions.WithShards(1),
		partitions.WithCompactInterval(0), partitions.WithFlushAge(time.Hour), partitions.WithScrub(false)}
	st, err := partitions.Open(t.TempDir(), append(base, opts...)...)
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, st.Close()) })
	p := jsonl.NewParser(jsonl.Options{})
	ingest := func(lines ...string) {
		b := &columns.Batch{}
		n, errs := p.Parse([]byte(strings.Join(lines, "\n")), 1, b)
		require.Empty(t, errs)
		require.Equal(t, len(lines), n)
		require.NoError(t, st.Append(context.Background(), b))
	}
	e, _ := engine.New(st, cat, engine.Options{})
	return serveSQL(t, e, engine.SessionBuilder, ""), st, ingest
}

// line is a JSON line at 2026-11-01T00:00:0n with message rn and the given
// extra members.
func line(n int, members string) string {
	if members != "" {
		members = "," + members
	}
	return fmt.Sprintf(`{"ts":"2026-11-01T00:00:0%dZ","message":"r%d"%s}`, n, n, members)
}

func describeNames(t *testing.T, db *gosql.DB) []string {
	var names []string
	for _, r := range queryStrings(t, db, "DESCRIBE logs") {
		names = append(names, r[0]+" "+r[1])
	}
	return names[6:] // after the core columns
}

// TestCatchAllColumnInSQL checks that fields past the column limit are
// read in SQL with JSON functions over _extra, from the buffer and from
// segments alike.
func TestCatchAllColumnInSQL(t *testing.T) {
	db, st, ingest := columnsStore(t, partitions.WithMaxColumns(2))
	ingest(line(1, `"a":1,"b":"x"`), line(2, `"a":2,"c":3,"d":{"e":"f\"g"},"t":[1,"u"]`), line(3, `"b":"y","c":4.5,"ok":true`))
	const q = "SELECT message, a, b, JSON_EXTRACT(_extra, '$.c'), _extra->>'$.\"d.e\"', _extra->>'$.t', JSON_EXTRACT(_extra, '$.ok') FROM logs ORDER BY ts"
	want := [][]string{
		{"r1", "1", "x", "NULL", "NULL", "NULL", "NULL"},
		{"r2", "2", "NULL", "3", `f"g`, `[1,"u"]`, "NULL"},
		{"r3", "NULL", "y", "4.5", "NULL", "NULL", "true"},
	}
	require.Equal(t, []string{"a bigint", "b varchar(16383)", "_extra json"}, describeNames(t, db))
	require.Equal(t, want, queryStrings(t, db, q), "buffered")
	require.NoError(t, st.Flush())
	require.Equal(t, want, queryStrings(t, db, q), "in a segment")
	require.Equal(t, [][]string{{"r2"}}, queryStrings(t, db, "SELECT message FROM logs WHERE JSON_EXTRACT(_extra, '$.c') = 3"))
	// _extra is JSON to SQL, shown as MySQL prints JSON (keys shorter
	// first) and compared as JSON.
	require.Equal(t, [][]string{{`{"c": 3, "t": "[1,\"u\"]", "d.e": "f\"g"}`}},
		queryStrings(t, db, "SELECT _extra FROM logs WHERE message = 'r2'"))
	require.Equal(t, [][]string{{"r3"}}, queryStrings(t, db, `SELECT message FROM logs WHERE _extra = CAST('{"ok":true,"c":4.5}' AS JSON)`))
	require.Equal(t, [][]string{{"r2"}, {"r3"}}, queryStrings(t, db, "SELECT message FROM logs WHERE _extra IS NOT NULL ORDER BY ts"))
	require.Equal(t, [][]string{{`["c", "ok"]`}}, queryStrings(t, db, "SELECT JSON_KEYS(_extra) FROM logs WHERE message = 'r3'"))

	_, err := db.Exec(`INSERT INTO logs (ts, message, _extra) VALUES ('2026-11-01 00:00:09', 'i', '{"z": 1}')`)
	require.ErrorContains(t, err, "it cannot be inserted")
	_, err = db.Exec(`INSERT INTO logs (ts, message, a) VALUES ('2026-11-01 00:00:09', 'i', 9)`)
	require.NoError(t, err)
	require.Equal(t, [][]string{{"9", "NULL"}}, queryStrings(t, db, "SELECT a, _extra FROM logs WHERE message = 'i'"))
}

// TestDroppedColumnInSQL drops a column with values in a segment and in the
// buffer, brings the name back with another type, and checks DESCRIBE, row
// reads and aggregates (including those answered from statistics).
func TestDroppedColumnInSQL(t *testing.T) {
	db, st, ingest := columnsStore(t)
	ingest(line(1, `"a":"one","b":1`), line(2, `"a":"two"`))
	require.NoError(t, st.Flush())
	ingest(line(3, `"a":"three","b":3`))
	require.Equal(t, []string{"a varchar(16383)", "b bigint"}, describeNames(t, db))

	require.NoError(t, st.DropColumn("a"))
	require.Equal(t, []string{"b bigint"}, describeNames(t, db))
	_, err := db.Query("SELECT a FROM logs")
	require.ErrorContains(t, err, "could not be found")

	ingest(line(4, `"a":"four"`))
	require.Equal(t, []string{"b bigint", "a varchar(16383)"}, describeNames(t, db))
	for _, flushed := range []bool{false, true} {
		if flushed {
			require.NoError(t, st.Flush())
		}
		msg := fmt.Sprintf("flushed=%v", flushed)
		require.Equal(t, [][]string{{"r1", "NULL", "1"}, {"r2", "NULL", "NULL"}, {"r3", "NULL", "3"}, {"r4", "four", "NULL"}},
			queryStrings(t, db, "SELECT message, a, b FROM logs ORDER BY ts"), msg)
		require.Equal(t, [][]string{{"r4", "four"}}, queryStrings(t, db, "SELECT message, a FROM logs WHERE a IS NOT NULL"), msg)
		require.Equal(t, [][]string{{"1", "four"}}, queryStrings(t, db, "SELECT COUNT(a), MAX(a) FROM logs"), msg)
		require.Equal(t, [][]string{{"NULL"}, {"four"}}, queryStrings(t, db, "SELECT DISTINCT a FROM logs ORDER BY a"), msg)
		require.Equal(t, [][]string{{"NULL"}, {"four"}}, queryStrings(t, db, "SELECT a FROM logs GROUP BY a ORDER BY a"), msg)
		require.Equal(t, [][]string{{"NULL", "3"}, {"four", "1"}}, queryStrings(t, db, "SELECT a, COUNT(*) FROM logs GROUP BY a ORDER BY a"), msg)
	}
}

// TestDropKeepsRowOrder checks that rows of equal ts whose order a dropped
// column decided come back in the order of the columns that remain, the
// same from the buffer, from a segment written before the drop and from
// the segment a compaction rewrites.
func TestDropKeepsRowOrder(t *testing.T) {
	db, st, ingest := columnsStore(t)
	// Equal in ts and every core column: a orders x before y, b the other
	// way round.
	const same = `{"ts":"2026-11-01T00:00:01Z","message":"m",`
	const q = "SELECT b FROM logs ORDER BY ts"
	const qDesc = "SELECT b FROM logs ORDER BY ts DESC"
	for i := range 4 {
		ingest(same+fmt.Sprintf(`"a":1,"b":"z%d"}`, i), same+fmt.Sprintf(`"a":2,"b":"y%d"}`, i))
		if i < 3 {
			require.NoError(t, st.Flush())
		}
	}
	require.NoError(t, st.DropColumn("a"))
	want := [][]string{{"y0"}, {"y1"}, {"y2"}, {"y3"}, {"z0"}, {"z1"}, {"z2"}, {"z3"}}
	wantDesc := [][]string{{"z3"}, {"z2"}, {"z1"}, {"z0"}, {"y3"}, {"y2"}, {"y1"}, {"y0"}}
	require.Equal(t, want, queryStrings(t, db, q), "three segments and the buffer")
	require.Equal(t, wantDesc, queryStrings(t, db, qDesc))
	require.NoError(t, st.Flush())
	n, err := st.Compact()
	require.NoError(t, err)
	require.Equal(t, 1, n)
	require.Equal(t, want, queryStrings(t, db, q), "after the compaction rewrote them")
	require.Equal(t, wantDesc, queryStrings(t, db, qDesc))
}
