package partitions_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"io/fs"
	"log/slog"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"logq/partitions"
	"logq/partitions/segment"
)

// twoSegmentsPerDay stores rows over two days in two flushes with one shard,
// so that each day partition holds segment 1 (the first batch's rows) and
// segment 2 (the second's), of several record batches each. It returns the
// partition directories and the rows of each batch.
func twoSegmentsPerDay(t *testing.T, dir string) (parts []string, first, second []row) {
	rng := rand.New(rand.NewPCG(13, 14))
	st := openTestStore(t, dir, partitions.WithShards(1), partitions.WithBatchRows(50), partitions.WithScrub(false))
	b, first := genBatch(rng, 0, 600, 2)
	require.NoError(t, st.Append(context.Background(), b))
	require.NoError(t, st.Flush())
	b, second = genBatch(rng, 600, 600, 2)
	require.NoError(t, st.Append(context.Background(), b))
	require.NoError(t, st.Close())
	parts, err := filepath.Glob(filepath.Join(dir, "parts", "*"))
	require.NoError(t, err)
	require.Len(t, parts, 2)
	for _, p := range parts {
		segs, err := filepath.Glob(filepath.Join(p, "*.seg"))
		require.NoError(t, err)
		require.Len(t, segs, 2, p)
	}
	return parts, first, second
}

// flipDataByte flips a bit in the middle of the record batch messages of
// the segment file at path, away from its metadata, stats and trailer
// (FORMAT.md: head_len and tail_off are trailer bytes 16 and 24). The
// trailer and stats checks of start-up do not see it.
func flipDataByte(t *testing.T, path string) {
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	tr := data[len(data)-64:]
	headLen, tailOff := binary.LittleEndian.Uint64(tr[16:]), binary.LittleEndian.Uint64(tr[24:])
	require.Greater(t, tailOff, headLen+64)
	data[(headLen+tailOff)/2] ^= 0x20
	require.NoError(t, os.WriteFile(path, data, 0o644))
	_, err = segment.ReadStats(path)
	require.NoError(t, err, "the damage is in the data only")
}

// rowsExcept returns the rows of want that a partition directory other than
// partDir holds, sorted by seq.
func rowsExcept(want []row, partDir string) []row {
	var out []row
	for _, r := range want {
		if !lostIn(partDir, r) {
			out = append(out, r)
		}
	}
	sortRows(out)
	return out
}

// waitFor polls cond until it holds, failing the test after a deadline.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// syncBuffer is a log sink that background goroutines write while the
// test reads it.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// logLines returns the lines of logs that contain every one of subs.
func logLines(logs string, subs ...string) []string {
	var out []string
	for _, line := range strings.Split(logs, "\n") {
		ok := line != ""
		for _, s := range subs {
			ok = ok && strings.Contains(line, s)
		}
		if ok {
			out = append(out, line)
		}
	}
	return out
}

// TestScrubSetsDamagedBatchAside flips a byte inside one record batch: the
// scrub sets that batch aside alone, the rest of its segment still answers,
// the manifest records it, and it stays set aside after a restart.
func TestScrubSetsDamagedBatchAside(t *testing.T) {
	dir := t.TempDir()
	parts, first, second := twoSegmentsPerDay(t, dir)
	damaged := filepath.Join(parts[0], "0000000000000001-0000.seg")
	perBatch := seqsPerBatch(t, damaged)
	flipDataByte(t, damaged)
	victim := failingBatch(t, damaged)
	all := append(slices.Clone(first), second...)
	want := rowsWithout(all, perBatch[victim])
	require.Len(t, want, len(all)-len(perBatch[victim]))

	logs := &syncBuffer{}
	st := openTestStore(t, dir, partitions.WithShards(1),
		partitions.WithLogger(slog.New(slog.NewTextHandler(logs, nil))))
	waitFor(t, "the scrub to finish", func() bool { return strings.Contains(logs.String(), "scrub finished") })
	require.Equal(t, int64(4), st.Stats().SegmentsScrubbed)
	require.Zero(t, st.Stats().SegmentsQuarantined, "the segment stays live")
	lines := logLines(logs.String(), "level=ERROR", damaged, "record batch failed verification")
	require.Len(t, lines, 1, "one error line names the file and batch:\n%s", logs.String())
	require.Contains(t, lines[0], fmt.Sprintf("batch=%d", victim))
	require.Equal(t, []damageRow{batchDamage(filepath.Base(damaged), victim, perBatch[victim])},
		damageOf(t, st), "listed with its rows and time range")
	got := liveRowsOf(t, st)
	require.Equal(t, want, got, "every other batch still answers")
	man, err := os.ReadFile(filepath.Join(parts[0], "MANIFEST"))
	require.NoError(t, err)
	require.Contains(t, string(man), fmt.Sprintf(`"batch": %d`, victim), "recorded durably")
	require.NoError(t, st.Close())
	_, err = os.Stat(filepath.Join(dir, "quarantine"))
	require.ErrorIs(t, err, fs.ErrNotExist, "nothing is quarantined")

	st = openTestStore(t, dir, partitions.WithShards(1), partitions.WithScrub(false))
	defer st.Close()
	require.Equal(t, []damageRow{batchDamage(filepath.Base(damaged), victim, perBatch[victim])},
		damageOf(t, st), "known after a restart, before any scrub")
	require.Equal(t, want, liveRowsOf(t, st), "after a restart")
}

// TestScrubQuarantinesSegmentWithDamagedMetadata flips a byte of the Arrow
// footer, which start-up does not read: the scrub takes the whole segment,
// which stays listed as damaged with its manifest entry's rows and range
// across restarts, until its quarantined file is deleted.
func TestScrubQuarantinesSegmentWithDamagedMetadata(t *testing.T) {
	dir := t.TempDir()
	parts, first, second := twoSegmentsPerDay(t, dir)
	damaged := filepath.Join(parts[0], "0000000000000001-0000.seg")
	lost := slices.Concat(seqsPerBatch(t, damaged)...)
	flipTailByte(t, damaged)
	quarantined := filepath.Join(dir, "quarantine", filepath.Base(parts[0]), filepath.Base(damaged))
	want := rowsWithout(append(slices.Clone(first), second...), lost)

	logs := &syncBuffer{}
	st := openTestStore(t, dir, partitions.WithShards(1),
		partitions.WithLogger(slog.New(slog.NewTextHandler(logs, nil))))
	waitFor(t, "the scrub to quarantine the segment", func() bool {
		_, err := os.Stat(quarantined)
		return err == nil && st.Stats().SegmentsQuarantined == 1
	})
	_, err := os.Stat(damaged)
	require.ErrorIs(t, err, fs.ErrNotExist, "moved, not copied")
	lines := logLines(logs.String(), "level=ERROR", damaged, "failed verification")
	require.Len(t, lines, 1, "one error line names the file:\n%s", logs.String())
	require.Contains(t, lines[0], "offset", "and the damage")
	wantDamage := []damageRow{wholeDamage(filepath.Base(damaged), lost)}
	require.Equal(t, wantDamage, damageOf(t, st))
	require.Equal(t, want, liveRowsOf(t, st), "the live store stops listing the segment")
	waitFor(t, "the scrub to finish", func() bool { return strings.Contains(logs.String(), "scrub finished") })
	require.Equal(t, int64(4), st.Stats().SegmentsScrubbed)
	require.NoError(t, st.Close())

	st = openTestStore(t, dir, partitions.WithShards(1))
	require.Equal(t, want, liveRowsOf(t, st), "after a restart")
	require.Zero(t, st.Stats().SegmentsQuarantined, "nothing left to set aside at start-up")
	require.Equal(t, wantDamage, damageOf(t, st), "still listed after a restart")
	require.NoError(t, st.Close())
	q, err := filepath.Glob(filepath.Join(dir, "quarantine", "*", "*"))
	require.NoError(t, err)
	require.Equal(t, []string{quarantined}, q)

	// Deleting the quarantined file acknowledges the loss.
	require.NoError(t, os.Remove(quarantined))
	st = openTestStore(t, dir, partitions.WithShards(1), partitions.WithScrub(false))
	defer st.Close()
	require.Empty(t, damageOf(t, st))
	man, err := os.ReadFile(filepath.Join(parts[0], "MANIFEST"))
	require.NoError(t, err)
	require.NotContains(t, string(man), filepath.Base(damaged))
}

// TestScrubKeepsRunningReads checks that a reader holding a segment whose
// footer is damaged under it keeps reading its batches after the scrub
// retires it, and that its file moves to quarantine only when the reader
// lets go.
func TestScrubKeepsRunningReads(t *testing.T) {
	dir := t.TempDir()
	parts, _, _ := twoSegmentsPerDay(t, dir)
	damaged := filepath.Join(parts[1], "0000000000000002-0000.seg")
	quarantined := filepath.Join(dir, "quarantine", filepath.Base(parts[1]), filepath.Base(damaged))

	st := openTestStore(t, dir, partitions.WithShards(1), partitions.WithScrub(false))
	defer st.Close()
	held := st.Segments()
	var seg *partitions.Segment
	for _, s := range held {
		if s.Path == damaged {
			seg = s
		}
	}
	require.NotNil(t, seg)
	r, err := seg.Reader()
	require.NoError(t, err)
	require.Greater(t, r.NumBatches(), 2)
	// The footer, which an open reader has read already, is damaged under it.
	flipTailByte(t, damaged)

	n, err := st.Scrub(context.Background())
	require.NoError(t, err)
	require.Equal(t, 1, n)
	require.True(t, seg.Retired())
	for _, s := range st.Segments() {
		require.NotEqual(t, damaged, s.Path, "no longer listed")
		s.DecRef()
	}
	_, err = os.Stat(damaged)
	require.NoError(t, err, "the file stays while a reader holds it")
	for i := range r.NumBatches() {
		_, err := r.Rows(i)
		require.NoError(t, err, "the batches still read")
	}

	for _, s := range held {
		s.DecRef()
	}
	_, err = os.Stat(damaged)
	require.ErrorIs(t, err, fs.ErrNotExist)
	_, err = os.Stat(quarantined)
	require.NoError(t, err, "moved to quarantine by the last reference, not deleted")
	n, err = st.Scrub(context.Background())
	require.NoError(t, err)
	require.Zero(t, n)
}

// TestScrubIntactStore checks that the scrub of an undamaged store verifies
// every segment and changes no file.
func TestScrubIntactStore(t *testing.T) {
	dir := t.TempDir()
	rng := rand.New(rand.NewPCG(15, 16))
	st := openTestStore(t, dir, partitions.WithShards(2), partitions.WithBatchRows(40), partitions.WithScrub(false))
	var want []row
	for i := range 3 {
		b, w := genBatch(rng, int64(i)*400, 400, 3)
		require.NoError(t, st.Append(context.Background(), b))
		require.NoError(t, st.Flush())
		want = append(want, w...)
	}
	require.NoError(t, st.Close())
	before := partsContents(t, dir)

	logs := &syncBuffer{}
	st = openTestStore(t, dir, partitions.WithShards(2), partitions.WithLogger(slog.New(slog.NewTextHandler(logs, nil))))
	waitFor(t, "the scrub to finish", func() bool { return strings.Contains(logs.String(), "scrub finished") })
	stats := st.Stats()
	require.Greater(t, stats.Segments, 6)
	require.Equal(t, int64(stats.Segments), stats.SegmentsScrubbed)
	require.Zero(t, stats.SegmentsQuarantined)
	require.Empty(t, logLines(logs.String(), "level=ERROR"))
	got := rowsOf(t, st)
	sortRows(got)
	require.Equal(t, want, got)
	require.NoError(t, st.Close())
	require.Equal(t, before, partsContents(t, dir))
	_, err := os.Stat(filepath.Join(dir, "quarantine"))
	require.ErrorIs(t, err, fs.ErrNotExist)
}

// partsContents returns every file under DATA/parts with its bytes.
func partsContents(t *testing.T, dir string) map[string]string {
	out := map[string]string{}
	root := filepath.Join(dir, "parts")
	require.NoError(t, filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(path)
		out[strings.TrimPrefix(path, root)] = string(data)
		return err
	}))
	return out
}
