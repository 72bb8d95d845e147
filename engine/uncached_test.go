package engine_test

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestUncachedScan runs aggregates whose condition alone reads message
// over a store whose batch cache holds nothing, so that every batch is read
// past the cache with its messages in reused memory, several queries at
// once: the answers must be the reference table's, and the batches counted
// as read past the cache. A query that also groups by message keeps its
// messages, and reads through the cache as before.
func TestUncachedScan(t *testing.T) {
	data := genData(t, 30_000, 2, 7)
	rows := decodeRef(t, data)
	ref := startReference(t, rows)
	lq, _, pro := startLogqProvider(t, data, logqConfig{shards: 2, bucket: 24 * time.Hour, batchRows: 512, appendLines: 5000, workers: 4, noCache: true})
	r := rand.New(rand.NewPCG(7, 8))

	// Literals cut from the messages, so that most match some rows.
	var lits []string
	for len(lits) < 6 {
		m := rows[r.IntN(len(rows))].Message
		if len(m) < 12 {
			continue
		}
		at := r.IntN(len(m) - 8)
		lit := m[at : at+4+r.IntN(5)]
		if !strings.ContainsAny(lit, `%_\'`) {
			lits = append(lits, lit)
		}
	}
	var queries []string
	for _, lit := range lits {
		queries = append(queries,
			fmt.Sprintf("SELECT COUNT(*) FROM logs WHERE message LIKE '%%%s%%'", lit),
			fmt.Sprintf("SELECT service, COUNT(*), MAX(ts) FROM logs WHERE message LIKE '%%%s%%' GROUP BY service", lit),
			fmt.Sprintf("SELECT level, COUNT(*) FROM logs WHERE message NOT LIKE '%%%s%%' AND ts >= '2026-11-01 13:00:00' GROUP BY level", lit))
	}
	stats := pro.Stats()
	uncached, decoded := stats.BatchesUncached.Load(), stats.BatchesDecoded.Load()
	t.Run("concurrent", func(t *testing.T) {
		for i, q := range queries {
			t.Run(fmt.Sprint(i), func(t *testing.T) {
				t.Parallel()
				for range 3 {
					sameAnswer(t, q, queryStrings(t, ref, q), queryStrings(t, lq, q), -1, false)
				}
			})
		}
	})
	read := stats.BatchesUncached.Load() - uncached
	require.Positive(t, read, "batches read past the cache")
	require.Equal(t, stats.BatchesDecoded.Load()-decoded, read, "every batch decoded read past the cache")

	uncached = stats.BatchesUncached.Load()
	q := fmt.Sprintf("SELECT message, COUNT(*) FROM logs WHERE message LIKE '%%%s%%' GROUP BY message", lits[0])
	sameAnswer(t, q, queryStrings(t, ref, q), queryStrings(t, lq, q), -1, false)
	require.Equal(t, uncached, stats.BatchesUncached.Load(), "messages grouped by are not read past the cache")
}
