package engine_test

import (
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
		"SELECT COUNT(*) FROM logs WHERE level = 'ERROR'",
	} {
		want := queryStrings(t, ref, q)
		require.NotEqual(t, "0", want[0][0], "the query must select rows to mean something: %s", q)
		require.Equal(t, want, queryStrings(t, lq, q), q)
	}
}
