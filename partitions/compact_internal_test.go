package partitions

import (
	"context"
	"io/fs"
	"math"
	"math/rand/v2"
	"os"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"logq/partitions/segment"
)

// segsOfRows returns segments (no files) of the given row counts, IDs from 1.
func segsOfRows(rows ...int64) []*Segment {
	out := make([]*Segment, len(rows))
	for i, n := range rows {
		out[i] = NewSegment(Key{}, uint64(i+1), "", &segment.Stats{Rows: n}, nil)
	}
	return out
}

func rowsOfRun(run []*Segment) []int64 {
	var out []int64
	for _, s := range run {
		out = append(out, s.Stats.Rows)
	}
	return out
}

func TestPickCompactionRun(t *testing.T) {
	const k = 1000
	for _, tc := range []struct {
		name string
		segs []int64
		want []int64
	}{
		{"too few to grow enough", []int64{300, 300, 300}, nil},
		{"four equal ones grow fourfold", []int64{300, 300, 300, 300}, []int64{300, 300, 300, 300}},
		{"the longest run from the oldest start", []int64{300, 300, 300, 300, 300, 300}, []int64{300, 300, 300, 300, 300, 300}},
		{"a large segment is left out", []int64{600 * k, 10, 10, 10, 10}, []int64{10, 10, 10, 10}},
		{"small ones behind a large one wait for enough", []int64{600 * k, 150 * k, 150 * k, 150 * k}, nil},
		{"four flushes of a busy partition", []int64{600 * k, 150 * k, 150 * k, 150 * k, 150 * k}, []int64{150 * k, 150 * k, 150 * k, 150 * k}},
		{"never past compactMaxRows", []int64{300 * k, 300 * k, 300 * k, 300 * k}, nil},
		{"a small one rides along", []int64{5, 100, 100, 100, 100}, []int64{5, 100, 100, 100, 100}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			require.Equal(t, tc.want, rowsOfRun(pickCompactionRun(segsOfRows(tc.segs...))))
		})
	}
}

// TestCompactionWriteAmplification replays the flushes of one partition
// (steady, and a trickle of random sizes) through the policy, merging as the
// maintenance loop would after every flush, and checks the bounds the
// policy promises: no merge above compactMaxRows, and every row rewritten
// at most log_compactGrowth(compactMaxRows / smallest flush) times.
func TestCompactionWriteAmplification(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, tc := range []struct {
		name  string
		flush func() int64
	}{
		{"100M rows: 150k a flush", func() int64 { return 150_000 }},
		{"steady 20k", func() int64 { return 20_000 }},
		{"trickle", func() int64 { return 1 + rng.Int64N(5_000) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var segs []*Segment
			merges := map[*Segment]int{} // how often the rows of a segment were rewritten
			var flushed, written int64
			smallest := int64(math.MaxInt64)
			for range 400 {
				n := tc.flush()
				smallest = min(smallest, n)
				segs = append(segs, NewSegment(Key{}, uint64(len(segs)+1), "", &segment.Stats{Rows: n}, nil))
				flushed += n
				for {
					run := pickCompactionRun(segs)
					if len(run) == 0 {
						break
					}
					var rows int64
					depth := 0
					for _, s := range run {
						rows += s.Stats.Rows
						depth = max(depth, merges[s])
					}
					require.LessOrEqual(t, rows, int64(compactMaxRows))
					written += rows
					out := NewSegment(Key{}, run[0].ID, "", &segment.Stats{Rows: rows}, nil)
					merges[out] = depth + 1
					i := slicesIndex(segs, run[0])
					segs = append(append(append([]*Segment{}, segs[:i]...), out), segs[i+len(run):]...)
				}
			}
			bound := math.Log(float64(compactMaxRows)/float64(smallest)) / math.Log(compactGrowth)
			for s, d := range merges {
				require.LessOrEqual(t, float64(d), bound, "segment of %d rows", s.Stats.Rows)
			}
			wa := float64(flushed+written) / float64(flushed)
			require.LessOrEqual(t, wa, 1+bound)
			t.Logf("%d segments left, write amplification %.2f (bound %.2f)", len(segs), wa, 1+bound)
		})
	}
}

func slicesIndex(segs []*Segment, s *Segment) int {
	for i, x := range segs {
		if x == s {
			return i
		}
	}
	return -1
}

// TestFlushDuringCompaction holds a merge after it has written its output:
// flushes of the same partition go on meanwhile (a merge used to hold the
// partition's lock throughout, and stalled ingest behind it), and the merge
// then publishes without losing the segments flushed meanwhile.
func TestFlushDuringCompaction(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(dir, WithShards(1), WithCompactInterval(0), WithFlushAge(time.Hour), WithScrub(false))
	require.NoError(t, err)
	defer s.Close()
	ctx := context.Background()
	for i := range compactGrowth {
		require.NoError(t, s.Append(ctx, dayRows(int64(i)*100, 100)))
		require.NoError(t, s.Flush())
	}
	held, release := make(chan struct{}), make(chan struct{})
	s.beforeCompactPublish = func() { close(held); <-release }
	done := make(chan error, 1)
	go func() {
		n, err := s.Compact()
		if err == nil && n != 1 {
			err = fs.ErrInvalid
		}
		done <- err
	}()
	<-held
	for i := compactGrowth; i < compactGrowth+3; i++ {
		require.NoError(t, s.Append(ctx, dayRows(int64(i)*100, 100)))
		require.NoError(t, s.Flush(), "a flush waits for the merge")
	}
	close(release)
	require.NoError(t, <-done)
	var rows []int64
	var ts []int64
	for _, seg := range s.Segments() {
		rows = append(rows, seg.Stats.Rows)
		r, err := seg.Reader()
		require.NoError(t, err)
		for i := range r.NumBatches() {
			b, err := r.Rows(i)
			require.NoError(t, err)
			ts = append(ts, b.TS...)
		}
		seg.DecRef()
	}
	require.Equal(t, []int64{400, 100, 100, 100}, rows)
	want := dayRows(0, 700).TS
	require.Equal(t, want, ts, "every row once, in order")
}

// TestCompactionLosesToRetention drops the partition while a merge is
// writing: the merge's output is deleted, not published.
func TestCompactionLosesToRetention(t *testing.T) {
	dir := t.TempDir()
	var now atomic.Int64 // the flusher reads the clock too
	now.Store(time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC).UnixMicro())
	s, err := Open(dir, WithShards(1), WithCompactInterval(0), WithFlushAge(time.Hour), WithScrub(false),
		WithRetention(48*time.Hour), WithClock(func() time.Time { return time.UnixMicro(now.Load()).UTC() }))
	require.NoError(t, err)
	defer s.Close()
	for i := range compactGrowth {
		require.NoError(t, s.Append(context.Background(), dayRows(int64(i)*100, 100)))
		require.NoError(t, s.Flush())
	}
	var merged string
	s.beforeCompactPublish = func() {
		now.Add((10 * 24 * time.Hour).Microseconds())
		require.NoError(t, s.ApplyRetention())
		entries, err := os.ReadDir(s.path(partsDirName))
		require.NoError(t, err)
		if len(entries) > 0 {
			merged = entries[0].Name()
		}
	}
	n, err := s.Compact()
	require.NoError(t, err)
	require.Zero(t, n)
	require.Empty(t, s.Segments())
	entries, err := os.ReadDir(s.path(partsDirName))
	require.NoError(t, err)
	require.Empty(t, entries, "partition %s left behind", merged)
}
