package engine_test

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestSchemaIsVisible checks that the dynamic columns show wherever clients
// look for columns: DESCRIBE, SHOW CREATE TABLE and information_schema
// (Grafana's column browser), and that SHOW TABLES lists logs.
func TestSchemaIsVisible(t *testing.T) {
	data := genData(t, 50, 1, 9)
	data = append(data, []byte(`{"ts":"2026-11-01T01:00:00Z","message":"m","http":{"path":"/x"},"ok":true,"ratio":0.5}`+"\n")...)
	lq := startLogq(t, data, logqConfig{shards: 1, bucket: 24 * time.Hour, batchRows: 64, unflushed: 0.5, appendLines: 20})

	// level, service and host name their collation: go-mysql-server's
	// tables default to utf8mb4_0900_bin.
	ci := "varchar(16383) COLLATE utf8mb4_0900_ai_ci"
	want := [][]string{
		{"ts", "datetime(6)"}, {"level", ci}, {"service", ci}, {"host", ci},
		{"trace_id", "varchar(16383)"}, {"message", "text"}, {"status", "bigint"}, {"latency_ms", "bigint"},
		{"http.path", "varchar(16383)"}, {"ok", "tinyint(1)"}, {"ratio", "double"},
	}
	var got [][]string
	for _, r := range queryStrings(t, lq, "DESCRIBE logs") {
		got = append(got, r[:2])
	}
	require.Equal(t, want, got)

	// information_schema gives the type as MySQL does, the collation apart.
	got = nil
	var collations []string
	for _, r := range queryStrings(t, lq, "SELECT column_name, column_type, collation_name FROM information_schema.columns WHERE table_schema = 'logq' AND table_name = 'logs' ORDER BY ordinal_position") {
		got = append(got, r[:2])
		collations = append(collations, r[2])
	}
	plain := make([][]string, len(want))
	for i, c := range want {
		plain[i] = []string{c[0], strings.TrimSuffix(c[1], " COLLATE utf8mb4_0900_ai_ci")}
	}
	require.Equal(t, plain, got)
	require.Equal(t, []string{"NULL", "utf8mb4_0900_ai_ci", "utf8mb4_0900_ai_ci", "utf8mb4_0900_ai_ci", "utf8mb4_0900_bin", "utf8mb4_0900_bin",
		"NULL", "NULL", "utf8mb4_0900_bin", "NULL", "NULL"}, collations)

	require.Equal(t, [][]string{{"logs"}}, queryStrings(t, lq, "SHOW TABLES"))
	create := queryStrings(t, lq, "SHOW CREATE TABLE logs")[0][1]
	for _, c := range want {
		require.Contains(t, create, "`"+c[0]+"` "+c[1])
	}
	require.True(t, strings.Contains(create, "KEY `ts`"), create)
	require.Equal(t, [][]string{{"/x", "1", "0.5"}}, queryStrings(t, lq, "SELECT `http.path`, ok, ratio FROM logs WHERE `http.path` IS NOT NULL"))
}
