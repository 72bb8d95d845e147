package partitions

import (
	"bytes"
	"context"
	"errors"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"logq/partitions/columns"
)

// TestScrubSkipsSegmentsRetiredMeanwhile retires the listed segments between
// the scrub's listing and its checks, the interleavings a test cannot time
// from outside: a segment retired before its check is skipped, and one
// found damaged but retired before the scrub takes the partition lock is
// left to whoever retired it. Neither is reported nor quarantined, and the
// files go as retired files do.
func TestScrubSkipsSegmentsRetiredMeanwhile(t *testing.T) {
	for _, tc := range []struct {
		name   string
		retire func(s *Store) error
	}{
		{"compaction", func(s *Store) error { _, err := s.Compact(); return err }},
		{"retention", func(s *Store) error { return s.ApplyRetention() }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			var now atomic.Int64 // the clock: retention drops the day once it moves on
			now.Store(time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC).UnixMicro())
			var logs bytes.Buffer // read after Close only
			s, err := Open(dir, WithShards(1), WithCompactInterval(0), WithFlushAge(time.Hour), WithScrub(false),
				WithRetention(48*time.Hour), WithClock(func() time.Time { return time.UnixMicro(now.Load()).UTC() }),
				WithLogger(slog.New(slog.NewTextHandler(&logs, nil))))
			require.NoError(t, err)
			for i := range compactGrowth {
				require.NoError(t, s.Append(context.Background(), dayRows(int64(i)*100, 100)))
				require.NoError(t, s.Flush())
			}
			targets := s.scrubTargets()
			require.Len(t, targets, compactGrowth)
			for _, tg := range targets {
				require.True(t, tg.seg.TryIncRef(), "a reader holds every segment")
			}
			now.Store(time.Date(2026, 11, 10, 0, 0, 0, 0, time.UTC).UnixMicro())
			require.NoError(t, tc.retire(s))
			for _, tg := range targets {
				require.True(t, tg.seg.Retired())
				q, err := s.scrubSegment(tg.p, tg.seg)
				require.NoError(t, err)
				require.False(t, q)
				q, err = s.retireDamaged(tg.p, tg.seg, errors.New("damage found before the segment was retired"))
				require.NoError(t, err)
				require.False(t, q)
			}
			st := s.Stats()
			require.Zero(t, st.SegmentsScrubbed)
			require.Zero(t, st.SegmentsQuarantined)
			for _, tg := range targets {
				tg.seg.DecRef()
				_, err := os.Stat(tg.seg.Path)
				require.ErrorIs(t, err, fs.ErrNotExist, "deleted as a retired file")
			}
			require.NoError(t, s.Close())
			require.NotContains(t, logs.String(), "level=ERROR")
			_, err = os.Stat(filepath.Join(dir, quarantineDirName))
			require.ErrorIs(t, err, fs.ErrNotExist)
		})
	}
}

// dayRows returns n rows of 2026-11-01, one a second from second first.
func dayRows(first int64, n int) *columns.Batch {
	b := &columns.Batch{}
	for i := range int64(n) {
		b.TS = append(b.TS, time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC).UnixMicro()+(first+i)*1_000_000)
		b.Level.AppendString("INFO")
		b.Service.AppendString("svc")
		b.Host.AppendNull()
		b.TraceID.AppendNull()
		b.Message.AppendString("m")
	}
	return b
}
