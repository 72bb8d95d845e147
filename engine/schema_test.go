package engine_test

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestSchemaIsVisible checks that the dynamic columns show wherever clients
// look for columns: DESCRIBE, SHOW FULL COLUMNS (DBeaver), SHOW CREATE
// TABLE and information_schema (Grafana's column browser), with types and
// collations as MySQL shows them (ts as TIMESTAMP(6)), and that SHOW
// TABLES lists logs.
func TestSchemaIsVisible(t *testing.T) {
	data := genData(t, 50, 1, 9)
	data = append(data, []byte(`{"ts":"2026-11-01T01:00:00Z","message":"m","http":{"path":"/x"},"ok":true,"ratio":0.5}`+"\n")...)
	lq := startLogq(t, data, logqConfig{shards: 1, bucket: 24 * time.Hour, batchRows: 64, unflushed: 0.5, appendLines: 20})

	want := [][]string{
		{"ts", "timestamp(6)"}, {"level", "varchar(16383)"}, {"service", "varchar(16383)"}, {"host", "varchar(16383)"},
		{"trace_id", "varchar(16383)"}, {"message", "text"}, {"status", "bigint"}, {"latency_ms", "bigint"},
		{"http.path", "varchar(16383)"}, {"ok", "tinyint(1)"}, {"ratio", "double"},
	}
	var got [][]string
	for _, r := range queryStrings(t, lq, "DESCRIBE logs") {
		got = append(got, r[:2])
	}
	require.Equal(t, want, got)

	// The collation apart from the type, as MySQL shows them: level,
	// service and host fold case and accents, the other text is binary.
	collations := []string{"NULL", "utf8mb4_0900_ai_ci", "utf8mb4_0900_ai_ci", "utf8mb4_0900_ai_ci", "utf8mb4_0900_bin", "utf8mb4_0900_bin",
		"NULL", "NULL", "utf8mb4_0900_bin", "NULL", "NULL"}
	got = nil
	var gotCollations []string
	for _, r := range queryStrings(t, lq, "SELECT column_name, column_type, collation_name FROM information_schema.columns WHERE table_schema = 'logq' AND table_name = 'logs' ORDER BY ordinal_position") {
		got = append(got, r[:2])
		gotCollations = append(gotCollations, r[2])
	}
	require.Equal(t, want, got)
	require.Equal(t, collations, gotCollations)
	got, gotCollations = nil, nil
	for _, r := range queryStrings(t, lq, "SHOW FULL COLUMNS FROM logs FROM logq") {
		got = append(got, r[:2])
		gotCollations = append(gotCollations, r[2])
	}
	require.Equal(t, want, got)
	require.Equal(t, collations, gotCollations)

	require.Equal(t, [][]string{{"logs"}}, queryStrings(t, lq, "SHOW TABLES"))
	create := queryStrings(t, lq, "SHOW CREATE TABLE logs")[0][1]
	for i, c := range want {
		if collations[i] == "utf8mb4_0900_ai_ci" { // the table's default is utf8mb4_0900_bin
			c[1] += " COLLATE utf8mb4_0900_ai_ci"
		}
		require.Contains(t, create, "`"+c[0]+"` "+c[1])
	}
	require.True(t, strings.Contains(create, "KEY `ts`"), create)

	// ts is declared as MySQL declares a TIMESTAMP(6) column, and so are
	// damaged's min_ts and max_ts, shown in the session's zone like ts.
	require.Equal(t, [][]string{{"timestamp", "timestamp(6)", "6"}}, queryStrings(t, lq,
		"SELECT data_type, column_type, datetime_precision FROM information_schema.columns WHERE table_schema = 'logq' AND table_name = 'logs' AND column_name = 'ts'"))
	got = nil
	for _, r := range queryStrings(t, lq, "DESCRIBE logq.damaged") {
		got = append(got, r[:2])
	}
	require.Equal(t, [][]string{{"file", "varchar(16383)"}, {"batch", "bigint"}, {"min_ts", "timestamp(6)"}, {"max_ts", "timestamp(6)"},
		{"rows", "bigint"}, {"reason", "text"}}, got)
	require.Contains(t, queryStrings(t, lq, "SHOW CREATE TABLE logq.damaged")[0][1], "`min_ts` timestamp(6) NOT NULL")
	require.Equal(t, [][]string{{"/x", "1", "0.5"}}, queryStrings(t, lq, "SELECT `http.path`, ok, ratio FROM logs WHERE `http.path` IS NOT NULL"))
}

// TestToolMetadataQueries sends what MySQL Connector/J (DBeaver's driver)
// asks on connect and what DBeaver asks while browsing a schema, and checks
// the answers a tool relies on as MySQL 8 gives them.
func TestToolMetadataQueries(t *testing.T) {
	lq := startLogq(t, genData(t, 50, 1, 9), logqConfig{shards: 1, bucket: 24 * time.Hour, batchRows: 64, appendLines: 20})
	vars := queryStrings(t, lq, "/* mysql-connector-java-8.0.33 */SELECT @@session.auto_increment_increment AS auto_increment_increment, "+
		"@@character_set_client AS character_set_client, @@character_set_connection AS character_set_connection, "+
		"@@character_set_results AS character_set_results, @@character_set_server AS character_set_server, @@collation_server AS collation_server, "+
		"@@collation_connection AS collation_connection, @@init_connect AS init_connect, @@interactive_timeout AS interactive_timeout, "+
		"@@license AS license, @@lower_case_table_names AS lower_case_table_names, @@max_allowed_packet AS max_allowed_packet, "+
		"@@net_write_timeout AS net_write_timeout, @@performance_schema AS performance_schema, @@sql_mode AS sql_mode, "+
		"@@system_time_zone AS system_time_zone, @@time_zone AS time_zone, @@transaction_isolation AS transaction_isolation, @@wait_timeout AS wait_timeout")
	require.Len(t, vars, 1)
	v := vars[0]
	require.Equal(t, []string{"1", "utf8mb4", "utf8mb4"}, v[:3])
	require.Equal(t, "0", v[10], "lower_case_table_names")
	require.Equal(t, "REPEATABLE-READ", v[17], "transaction_isolation")
	for _, q := range []string{
		"SET character_set_results = NULL", "SET autocommit=1", "SELECT @@session.transaction_read_only",
		"SHOW ENGINES", "SHOW CHARSET", "SHOW INDEX FROM logs", "SHOW KEYS FROM logs FROM logq", "SHOW PLUGINS", "SHOW FULL PROCESSLIST",
		"SELECT * FROM information_schema.ROUTINES WHERE ROUTINE_SCHEMA = 'logq'", "SELECT * FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = 'logq'",
		"SELECT * FROM information_schema.KEY_COLUMN_USAGE WHERE TABLE_SCHEMA = 'logq'", "SELECT * FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = 'logq'",
		"SELECT * FROM information_schema.PARTITIONS WHERE TABLE_SCHEMA = 'logq'", "SELECT * FROM information_schema.VIEWS WHERE TABLE_SCHEMA = 'logq'",
		"SHOW PROCEDURE STATUS WHERE Db = 'logq'", "SHOW FUNCTION STATUS WHERE Db = 'logq'", "SHOW EVENTS FROM logq",
		"SET SESSION TRANSACTION READ ONLY", "SET SESSION TRANSACTION READ WRITE",
	} {
		queryStrings(t, lq, q) // answers without an error
	}
	require.Equal(t, [][]string{{"logq", "root@127.0.0.1"}}, queryStrings(t, lq, "SELECT DATABASE(), CURRENT_USER()"))
	coll := queryStrings(t, lq, "SHOW COLLATION WHERE Collation = 'utf8mb4_0900_ai_ci'")
	require.Len(t, coll, 1)
	require.Equal(t, []string{"utf8mb4_0900_ai_ci", "utf8mb4", "255"}, coll[0][:3])
	status := queryStrings(t, lq, "SHOW TABLE STATUS FROM logq")
	require.Len(t, status, 1)
	require.Equal(t, "logs", status[0][0])
	require.Contains(t, queryStrings(t, lq, "SELECT SCHEMA_NAME FROM information_schema.SCHEMATA"), []string{"logq"})
	require.Equal(t, [][]string{{"logs", "BASE TABLE"}}, queryStrings(t, lq, "SHOW FULL TABLES FROM `logq` LIKE 'logs'"))
}
