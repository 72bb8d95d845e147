package engine_test

import (
	"bytes"
	gosql "database/sql"
	"fmt"
	"math/rand/v2"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestCollationsAreNotPushedBlindly checks that comparisons under a
// case-insensitive collation give go-mysql-server's answer (the reference
// table's), not a byte comparison's.
func TestCollationsAreNotPushedBlindly(t *testing.T) {
	data := genData(t, 5_000, 1, 23)
	rows := decodeRef(t, data)
	ref := startReference(t, rows)
	lq := startLogq(t, data, logqConfig{shards: 2, bucket: 24 * time.Hour, batchRows: 512, unflushed: 0.3, appendLines: 1000})
	for _, q := range []string{
		"SELECT COUNT(*) FROM logs WHERE level = 'error' COLLATE utf8mb4_0900_ai_ci",
		"SELECT COUNT(*) FROM logs WHERE service COLLATE utf8mb4_0900_ai_ci IN ('SVC-3', 'svc-4')",
		"SELECT COUNT(*) FROM logs WHERE level <> 'info' COLLATE utf8mb4_0900_ai_ci",
		"SELECT COUNT(*) FROM logs WHERE message LIKE 'get%' COLLATE utf8mb4_0900_ai_ci",
		"SELECT COUNT(*) FROM logs WHERE message LIKE '%GATEWAY\\_TIMEOUT%' COLLATE utf8mb4_0900_ai_ci",
		"SELECT COUNT(*) FROM logs WHERE message LIKE '%/API/V_/%' COLLATE utf8mb4_0900_ai_ci",
		"SELECT COUNT(*) FROM logs WHERE message LIKE 'get%' COLLATE utf8mb4_general_ci", // not claimed: go-mysql-server matches
		"SELECT COUNT(*) FROM logs WHERE level = 'ERROR'",
	} {
		want := queryStrings(t, ref, q)
		require.NotEqual(t, "0", want[0][0], "the query must select rows to mean something: %s", q)
		require.Equal(t, want, queryStrings(t, lq, q), q)
	}
}

// Spellings of level, service and host in TestCaseInsensitiveNames, by the
// value MySQL's utf8mb4_0900_ai_ci calls them equal to (lower case, no
// accents). Each class has several spellings as bytes. Ingestion writes
// level names it knows (error, Error) in their canonical upper case
// (jsonl.NormalizeLevel); others as written.
var nameSpellings = map[string][]string{
	"error": {"ERROR", "error", "Error", "ÉRROR"},
	"info":  {"INFO", "info"},
	"warn":  {"WARN"},
	"audit": {"AUDIT", "audit", "Àudit"}, // not a level name: stored as written
	"svc-1": {"svc-1", "SVC-1", "Svç-1"},
	"svc-2": {"svc-2", "SVC-2"},
	"svc-3": {"svc-3"},
	"cafe":  {"café", "CAFE", "cafe"},
	"web-1": {"web-1", "WEB-1", "wéb-1"},
	"web-2": {"web-2"},
}

// nameRow is a row of TestCaseInsensitiveNames: the class and spelling of
// its level, service and host ("" spelling: NULL) and its status.
type nameRow struct {
	ts                   time.Time
	level, service, host string
	status               int
}

func genNameRows(r *rand.Rand, n int) []nameRow {
	pick := func(classes ...string) string {
		if r.IntN(15) == 0 {
			return "" // NULL
		}
		sp := nameSpellings[classes[r.IntN(len(classes))]]
		return sp[r.IntN(len(sp))]
	}
	rows := make([]nameRow, n)
	for i := range rows {
		rows[i] = nameRow{
			ts:      dataStart.Add(time.Duration(r.Int64N(int64(48 * time.Hour)))).Truncate(time.Microsecond),
			level:   pick("error", "info", "warn", "audit"),
			service: pick("svc-1", "svc-2", "svc-3", "cafe"),
			host:    pick("web-1", "web-2"),
			status:  200 + 100*r.IntN(4),
		}
	}
	return rows
}

// classOf is the test's own fold of a spelling: its class in nameSpellings
// ("" for NULL).
func classOf(t *testing.T, spelling string) string {
	if spelling == "" {
		return ""
	}
	for class, sp := range nameSpellings {
		if slices.Contains(sp, spelling) {
			return class
		}
	}
	t.Fatalf("no class for %q", spelling)
	return ""
}

// TestCaseInsensitiveNames checks that level, service and host compare,
// group and count as distinct under MySQL 8's default collation, with the
// answers computed here from the rows: equality and IN with other
// spellings, <>, LIKE, GROUP BY, DISTINCT, COUNT(DISTINCT), on the
// pushed-down aggregate and on go-mysql-server's row path, over flushed and
// buffered rows in four shards; and that pruning by an other-case literal
// keeps every partition and batch that holds the name.
func TestCaseInsensitiveNames(t *testing.T) {
	r := rand.New(rand.NewPCG(6, 26))
	rows := genNameRows(r, 6000)
	var data bytes.Buffer
	for _, row := range rows {
		fmt.Fprintf(&data, `{"ts":%q,"message":"m","status":%d`, row.ts.Format(time.RFC3339Nano), row.status)
		for _, f := range []struct{ name, v string }{{"level", row.level}, {"service", row.service}, {"host", row.host}} {
			if f.v != "" {
				fmt.Fprintf(&data, `,%q:%q`, f.name, f.v)
			}
		}
		data.WriteString("}\n")
	}
	db := startLogq(t, data.Bytes(), logqConfig{shards: 4, bucket: 6 * time.Hour, batchRows: 200, unflushed: 0.2, appendLines: 500})
	on, off := db, reconnect(t, db, "logq_aggregate_pushdown", "0")

	count := func(keep func(row nameRow) bool) string {
		n := 0
		for _, row := range rows {
			if keep(row) {
				n++
			}
		}
		return strconv.Itoa(n)
	}
	for _, c := range []struct {
		q    string
		keep func(row nameRow) bool
	}{
		{"SELECT COUNT(*) FROM logs WHERE level = 'error'", func(row nameRow) bool { return classOf(t, row.level) == "error" }},
		{"SELECT COUNT(*) FROM logs WHERE level = 'Érror' AND service IN ('SVC-1', 'CAFÉ')", func(row nameRow) bool {
			return classOf(t, row.level) == "error" && (classOf(t, row.service) == "svc-1" || classOf(t, row.service) == "cafe")
		}},
		{"SELECT COUNT(*) FROM logs WHERE host <> 'WEB-1'", func(row nameRow) bool { return row.host != "" && classOf(t, row.host) != "web-1" }},
		{"SELECT COUNT(*) FROM logs WHERE service NOT IN ('svc-2', 'Svc-3')", func(row nameRow) bool {
			return row.service != "" && classOf(t, row.service) != "svc-2" && classOf(t, row.service) != "svc-3"
		}},
		{"SELECT COUNT(*) FROM logs WHERE level LIKE 'err%'", func(row nameRow) bool { return classOf(t, row.level) == "error" }},
		{"SELECT COUNT(*) FROM logs WHERE level = 'Audit'", func(row nameRow) bool { return classOf(t, row.level) == "audit" }},
		{"SELECT COUNT(*) FROM logs WHERE level = 'audit' COLLATE utf8mb4_0900_bin", func(row nameRow) bool { return row.level == "audit" }},
		{"SELECT COUNT(*) FROM logs WHERE service IN ('SVC-1' COLLATE utf8mb4_0900_bin, 'café' COLLATE utf8mb4_0900_bin)", func(row nameRow) bool {
			return row.service == "SVC-1" || row.service == "café"
		}},
		{"SELECT COUNT(*) FROM logs WHERE ts >= '2026-11-01 06:00:00' AND service = 'svc-1' AND host = 'Web-1'", func(row nameRow) bool {
			return !row.ts.Before(dataStart.Add(6*time.Hour)) && classOf(t, row.service) == "svc-1" && classOf(t, row.host) == "web-1"
		}},
	} {
		want := count(c.keep)
		require.NotEqual(t, "0", want, c.q)
		for _, db := range []*gosql.DB{on, off} {
			require.Equal(t, [][]string{{want}}, queryStrings(t, db, c.q), c.q)
		}
	}

	// Groups: one per class, counted over all its spellings, shown as one
	// of them.
	groups := map[string]int{}
	for _, row := range rows {
		groups[classOf(t, row.level)+"/"+classOf(t, row.service)]++
	}
	for _, db := range []*gosql.DB{on, off} {
		for _, q := range []string{
			"SELECT level, service, COUNT(*) FROM logs GROUP BY level, service",
			"SELECT level, service, COUNT(*) FROM logs WHERE ts >= '2026-11-01' GROUP BY 1, 2 ORDER BY 2, 1",
		} {
			got := map[string]int{}
			for _, row := range queryStrings(t, db, q) {
				for i := range 2 {
					if row[i] == "NULL" {
						row[i] = ""
					}
				}
				k := classOf(t, row[0]) + "/" + classOf(t, row[1])
				require.NotContains(t, got, k, "%s: two groups of %s", q, k)
				got[k], _ = strconv.Atoi(row[2])
			}
			require.Equal(t, groups, got, q)
		}
	}
	classes := func(col func(nameRow) string) []string {
		var out []string
		for _, row := range rows {
			if c := classOf(t, col(row)); !slices.Contains(out, c) {
				out = append(out, c)
			}
		}
		slices.Sort(out)
		return out
	}
	levels, services := classes(func(r nameRow) string { return r.level }), classes(func(r nameRow) string { return r.service })
	statusLevels := map[string]bool{}
	for _, row := range rows {
		statusLevels[fmt.Sprint(row.status, classOf(t, row.level))] = true
	}
	for _, db := range []*gosql.DB{on, off} {
		var got []string
		for _, row := range queryStrings(t, db, "SELECT DISTINCT level FROM logs") {
			if row[0] == "NULL" {
				row[0] = ""
			}
			got = append(got, classOf(t, row[0]))
		}
		slices.Sort(got)
		require.Equal(t, levels, got, "SELECT DISTINCT level")
		// A DISTINCT the aggregate does not take (status is not a key).
		require.Len(t, queryStrings(t, db, "SELECT DISTINCT status, level FROM logs"), len(statusLevels))
		nonNull := len(services) - 1 // COUNT(DISTINCT) leaves NULL out
		require.Equal(t, [][]string{{strconv.Itoa(nonNull)}}, queryStrings(t, db, "SELECT COUNT(DISTINCT service) FROM logs"))
		require.Equal(t, [][]string{{strconv.Itoa(len(levels) - 1)}}, queryStrings(t, db, "SELECT COUNT(DISTINCT level) FROM logs WHERE status >= 200"))
	}

	// Pruning by a literal in another spelling keeps what holds the name:
	// the counts above already agree; EXPLAIN shows the condition claimed
	// and shards pruned.
	plan := strings.Join(slices.Concat(queryStrings(t, on, "EXPLAIN PLAN SELECT COUNT(*) FROM logs WHERE service = 'SVÇ-1'")...), "\n")
	require.Contains(t, plan, "pushed: (logs.service = 'SVÇ-1')")
	m := regexp.MustCompile(`pruning: partitions (\d+)/(\d+)`).FindStringSubmatch(plan)
	require.NotNil(t, m, plan)
	kept, _ := strconv.Atoi(m[1])
	total, _ := strconv.Atoi(m[2])
	require.Less(t, kept, total, "shards of other services pruned:\n%s", plan)
}

// TestHostBloomUnderCollation checks that batches with too many hosts for
// an exact list (a bloom filter) are still pruned by a host literal in
// another spelling, and that the batch holding the host is kept.
func TestHostBloomUnderCollation(t *testing.T) {
	var data bytes.Buffer
	const rows, hosts = 9000, 3000
	for i := range rows {
		fmt.Fprintf(&data, `{"ts":%q,"message":"m","host":"Hôst-%d"}`+"\n",
			dataStart.Add(time.Duration(i)*time.Second).Format(time.RFC3339), (i*7)%hosts)
	}
	db := startLogq(t, data.Bytes(), logqConfig{shards: 1, bucket: 24 * time.Hour, batchRows: 1500, appendLines: 3000})
	want := 0
	for i := range rows {
		if (i*7)%hosts == 17 {
			want++
		}
	}
	q := "SELECT COUNT(*) FROM logs WHERE host = 'HOST-17'"
	require.Equal(t, [][]string{{strconv.Itoa(want)}}, queryStrings(t, db, q))
	plan := strings.Join(slices.Concat(queryStrings(t, db, "EXPLAIN PLAN "+q)...), "\n")
	m := regexp.MustCompile(`batches (\d+)/(\d+)`).FindStringSubmatch(plan)
	require.NotNil(t, m, plan)
	kept, _ := strconv.Atoi(m[1])
	total, _ := strconv.Atoi(m[2])
	require.Equal(t, 6, total, plan)
	require.Less(t, kept, total, "bloom filters rule batches out:\n%s", plan)
	require.Positive(t, kept, plan)
}
