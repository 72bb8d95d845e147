package server

import (
	"context"
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"logq/partitions"
	"logq/partitions/columns"
	"logq/partitions/segment"
)

// TestDamageMetrics damages two segments of a stopped server's data: a byte
// inside one record batch of the first day's segment (found by the scrub
// after start) and a byte of the second day's stats block (found at
// start-up). /metrics then counts one damaged batch, one damaged segment
// and exactly their rows, logq.damaged lists both, and COUNT(*) is the
// rows stored less those.
func TestDamageMetrics(t *testing.T) {
	dir := t.TempDir()
	st, err := partitions.Open(dir, partitions.WithShards(1), partitions.WithBatchRows(1000), partitions.WithScrub(false))
	require.NoError(t, err)
	const perDay = 5000
	b := &columns.Batch{}
	day := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	for i := range 2 * perDay {
		b.TS = append(b.TS, day.Add(time.Duration(i)*48*time.Hour/(2*perDay)).UnixMicro())
		b.Level.AppendString("INFO")
		b.Service.AppendString("svc")
		b.Host.AppendNull()
		b.TraceID.AppendNull()
		b.Message.AppendString(fmt.Sprint("message ", i))
	}
	require.NoError(t, st.Append(context.Background(), b))
	require.NoError(t, st.Close())
	segs, err := filepath.Glob(filepath.Join(dir, "parts", "*", "*.seg"))
	require.NoError(t, err)
	require.Len(t, segs, 2)

	rowsOf := func(path string) []int {
		r, err := segment.Open(path)
		require.NoError(t, err)
		defer r.Close()
		out := make([]int, r.NumBatches())
		for i := range out {
			out[i] = r.Stats().Batches[i].Rows
		}
		return out
	}
	flip := func(path string, at func(file []byte) int) {
		file, err := os.ReadFile(path)
		require.NoError(t, err)
		file[at(file)] ^= 0x04
		require.NoError(t, os.WriteFile(path, file, 0o644))
	}
	perBatch := rowsOf(segs[0])
	flip(segs[0], func(f []byte) int { // the middle of the record batches
		tr := f[len(f)-64:]
		return int(binary.LittleEndian.Uint64(tr[16:])+binary.LittleEndian.Uint64(tr[24:])) / 2
	})
	r, err := segment.Open(segs[0])
	require.NoError(t, err)
	victim := -1
	for i := range r.NumBatches() {
		if _, err := r.Rows(i); err != nil {
			victim = i
		}
	}
	require.NoError(t, r.Close())
	require.GreaterOrEqual(t, victim, 0)
	flip(segs[1], func(f []byte) int { // the stats block
		return (int(binary.LittleEndian.Uint64(f[len(f)-64+8:])) + len(f) - 64) / 2
	})
	lost := perBatch[victim] + perDay

	srv := startServe(t, "--data", dir, "--shards", "1")
	defer srv.stop(t)
	want := []string{"logq_damaged_batches 1", "logq_damaged_segments 1", fmt.Sprint("logq_damaged_rows ", lost)}
	require.Eventually(t, func() bool {
		m := srv.metrics(t)
		for _, w := range want {
			if !strings.Contains(m, w+"\n") {
				return false
			}
		}
		return true
	}, 30*time.Second, 20*time.Millisecond, "want %q in:\n%s", want, srv.metrics(t))
	require.Equal(t, int64(2*perDay-lost), srv.count(t))
	var n, rows int64
	require.NoError(t, srv.db.QueryRow("SELECT COUNT(*), SUM(`rows`) FROM logq.damaged").Scan(&n, &rows))
	require.Equal(t, int64(2), n)
	require.Equal(t, int64(lost), rows)
}
