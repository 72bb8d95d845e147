package engine_test

import (
	"fmt"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// workloadQuery is one query of WORKLOAD.md with how to compare answers.
type workloadQuery struct {
	id, sql  string
	orderCol int  // column the query orders by, -1 if none
	limited  bool // ORDER BY ... LIMIT: ties at the cut may differ
}

// workloadQueries returns WORKLOAD.md's queries; traceID is one of the data.
func workloadQueries(traceID string) []workloadQuery {
	return []workloadQuery{
		{"Q1", "SELECT ts, service, host, message FROM logs WHERE ts >= '2026-11-03 10:00:00' AND ts < '2026-11-03 11:00:00' AND level = 'ERROR' AND service = 'svc-3' ORDER BY ts DESC LIMIT 100", 0, true},
		{"Q2", "SELECT ts, level, service, message FROM logs ORDER BY ts DESC LIMIT 100", 0, true},
		{"Q3", "SELECT level, COUNT(*) FROM logs GROUP BY level ORDER BY level", 0, false},
		{"Q4", "SELECT UNIX_TIMESTAMP(ts) DIV 300 * 300 AS time, COUNT(*) AS n FROM logs WHERE ts BETWEEN FROM_UNIXTIME(1793836800) AND FROM_UNIXTIME(1793923200) AND level IN ('ERROR','FATAL') GROUP BY 1 ORDER BY 1", 0, false},
		{"Q5", "SELECT COUNT(*) FROM logs WHERE message LIKE '%timed out%' AND ts >= '2026-11-02 00:00:00' AND ts < '2026-11-03 00:00:00'", -1, false},
		{"Q6", fmt.Sprintf("SELECT ts, service, message FROM logs WHERE trace_id = '%s'", traceID), -1, false},
		{"Q7", "SELECT service, COUNT(*) AS n FROM logs WHERE level = 'ERROR' GROUP BY service ORDER BY n DESC, service LIMIT 10", 0, false},
		{"Q8", "SELECT service, AVG(latency_ms), MAX(latency_ms) FROM logs WHERE ts >= '2026-11-04 00:00:00' AND ts < '2026-11-05 00:00:00' GROUP BY service ORDER BY service", 0, false},
		{"Q9", "SELECT ts, level, service, message FROM logs WHERE ts >= '2026-11-05 00:00:00' AND ts < '2026-11-05 01:00:00' ORDER BY ts", 0, false},
		{"Q10", "SELECT COUNT(*) FROM logs", -1, false},
	}
}

// TestWorkloadQueries runs every WORKLOAD.md query over the wire, through
// go-sql-driver/mysql and through the mysql command-line client, against
// logq and against a go-mysql-server in-memory table holding the same
// 200,000 rows. `make test` installs the client (mariadb-client) when the
// machine has none.
func TestWorkloadQueries(t *testing.T) {
	client := mysqlClient(t)
	n := int64(200_000)
	if raceEnabled {
		n = 30_000
	}
	data := genData(t, n, 7, 11)
	rows := decodeRef(t, data)
	ref := startReference(t, rows)
	lq := startLogq(t, data, logqConfig{shards: 4, bucket: 24 * time.Hour, batchRows: 8192, unflushed: 0.1, sealed: 0.05, appendLines: 5000})
	for _, q := range workloadQueries(rows[len(rows)/3].TraceID) {
		t.Run(q.id, func(t *testing.T) {
			want := queryStrings(t, ref, q.sql)
			require.NotEmpty(t, want, "the data set must give %s rows to compare", q.id)
			sameAnswer(t, q.sql, want, queryStrings(t, lq, q.sql), q.orderCol, q.limited)
			sameAnswer(t, q.sql, runCLI(t, client, ref, "logq", q.sql), runCLI(t, client, lq, "", q.sql), q.orderCol, q.limited)
		})
	}
	// The README's line: no USE, no database on the command line.
	total := 0
	for _, r := range runCLI(t, client, lq, "", "SELECT level, COUNT(*) FROM logs GROUP BY level") {
		n, err := strconv.Atoi(r[1])
		require.NoError(t, err)
		total += n
	}
	require.Equal(t, len(rows), total)
}
