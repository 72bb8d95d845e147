package partitions_test

import (
	"context"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"logq/partitions"
	"logq/partitions/columns"
)

// row is the test's independent picture of one stored row.
type row struct {
	ts      int64
	service string
	message string
	seq     int64
}

func rowsOf(t testing.TB, st *partitions.Store) []row {
	var out []row
	forEachRow(t, st, func(b *columns.Batch, i int) {
		out = append(out, row{ts: b.TS[i], service: string(b.Service.Value(i)),
			message: string(b.Message.Value(i)), seq: b.Column("seq").Ints[i]})
	})
	return out
}

func sortRows(rs []row) {
	slices.SortFunc(rs, func(a, b row) int { return int(a.seq - b.seq) })
}

// genBatch makes n rows with seq from first, ts spread over days, some with
// equal timestamps, services over a few shards.
func genBatch(rng *rand.Rand, first int64, n int, days int) (*columns.Batch, []row) {
	b := &columns.Batch{}
	var want []row
	base := int64(1_793_491_200_000_000) // 2026-11-01T00:00:00Z
	for i := 0; i < n; i++ {
		seq := first + int64(i)
		ts := base + rng.Int64N(int64(days)*86_400_000_000)
		if i > 0 && rng.IntN(10) == 0 {
			ts = b.TS[i-1] // equal timestamps
		}
		svc := fmt.Sprintf("svc-%d", rng.IntN(9))
		msg := fmt.Sprintf("message %d", seq)
		b.TS = append(b.TS, ts)
		b.Level.AppendString("INFO")
		b.Service.AppendString(svc)
		b.Host.AppendString("h")
		b.TraceID.AppendNull()
		b.Message.AppendString(msg)
		b.AddColumn("seq", columns.TypeInt64, i).AppendInt(seq)
		b.PadDynamic(i + 1)
		want = append(want, row{ts: ts, service: svc, message: msg, seq: seq})
	}
	return b, want
}

func openTestStore(t testing.TB, dir string, opts ...partitions.Option) *partitions.Store {
	base := []partitions.Option{partitions.WithCompactInterval(0), partitions.WithFlushAge(time.Hour)}
	st, err := partitions.Open(dir, append(base, opts...)...)
	require.NoError(t, err)
	return st
}

func TestAppendFlushReopen(t *testing.T) {
	dir := t.TempDir()
	rng := rand.New(rand.NewPCG(1, 2))
	st := openTestStore(t, dir, partitions.WithBatchRows(50))
	var want []row
	for i := 0; i < 20; i++ {
		b, w := genBatch(rng, int64(len(want)), 1+rng.IntN(200), 3)
		require.NoError(t, st.Append(context.Background(), b))
		want = append(want, w...)
		if i%7 == 3 {
			require.NoError(t, st.Flush())
		}
	}
	got := rowsOf(t, st) // part flushed, part buffered
	sortRows(got)
	require.Equal(t, want, got)
	require.NoError(t, st.Close())

	st = openTestStore(t, dir)
	defer st.Close()
	got = rowsOf(t, st)
	sortRows(got)
	require.Equal(t, want, got)
	checkPlacement(t, st)
}

// checkPlacement asserts that every segment holds only rows of its
// partition's bucket and shard, in row order: by ts, equal timestamps by
// content. genBatch's rows differ only in ts, service and message (level and
// host are constant, trace_id NULL), so content order is (service, message).
func checkPlacement(t *testing.T, st *partitions.Store) {
	segs := st.Segments()
	defer func() {
		for _, s := range segs {
			s.DecRef()
		}
	}()
	require.NotEmpty(t, segs)
	for _, s := range segs {
		r, err := s.Reader()
		require.NoError(t, err)
		prevTS, prevKey := int64(-1<<63), ""
		for bi := 0; bi < r.NumBatches(); bi++ {
			b, err := r.Rows(bi)
			require.NoError(t, err)
			for i := 0; i < b.Len(); i++ {
				ts, seq := b.TS[i], b.Column("seq").Ints[i]
				key := string(b.Service.Value(i)) + "\x00" + string(b.Message.Value(i))
				require.GreaterOrEqual(t, ts, s.Key.MinTS())
				require.LessOrEqual(t, ts, s.Key.MaxTS())
				require.Equal(t, s.Key.Shard, partitions.ShardOf(b.Service.Value(i), s.Key.Shards))
				require.True(t, ts > prevTS || (ts == prevTS && key > prevKey), "order at seq %d", seq)
				prevTS, prevKey = ts, key
			}
		}
	}
}

func TestReplayWithoutFlush(t *testing.T) {
	dir := t.TempDir()
	rng := rand.New(rand.NewPCG(3, 4))
	st := openTestStore(t, dir)
	b, want := genBatch(rng, 0, 500, 2)
	require.NoError(t, st.Append(context.Background(), b))
	crashStore(t, st, dir)

	// The replay routes by the layout stored in the WAL record, so a new
	// shard count after the crash neither loses nor duplicates rows.
	st = openTestStore(t, dir, partitions.WithShards(7))
	got := rowsOf(t, st)
	sortRows(got)
	require.Equal(t, want, got)
	require.NoError(t, st.Close())
	st = openTestStore(t, dir, partitions.WithShards(2))
	defer st.Close()
	got = rowsOf(t, st)
	sortRows(got)
	require.Equal(t, want, got)
}

// crashStore copies the data directory as it is on disk at this moment,
// closes the store without letting the copy see the close, and puts the
// copy back: the on-disk state of a process killed right now.
func crashStore(t *testing.T, st *partitions.Store, dir string) {
	snap := t.TempDir()
	require.NoError(t, os.CopyFS(snap, os.DirFS(dir)))
	require.NoError(t, st.Close())
	require.NoError(t, os.RemoveAll(dir))
	require.NoError(t, os.CopyFS(dir, os.DirFS(snap)))
}

func TestQuarantine(t *testing.T) {
	dir := t.TempDir()
	rng := rand.New(rand.NewPCG(5, 6))
	st := openTestStore(t, dir, partitions.WithShards(1))
	b, want := genBatch(rng, 0, 300, 2)
	require.NoError(t, st.Append(context.Background(), b))
	require.NoError(t, st.Close())

	parts, err := filepath.Glob(filepath.Join(dir, "parts", "*"))
	require.NoError(t, err)
	require.Len(t, parts, 2)
	segs, err := filepath.Glob(filepath.Join(parts[0], "*.seg"))
	require.NoError(t, err)
	require.Len(t, segs, 1)
	// A stray segment not in the manifest, a temp file and a damaged segment.
	stray := filepath.Join(parts[1], "00000000000000ff-0000.seg")
	require.NoError(t, os.WriteFile(stray, []byte("stray"), 0o644))
	tmp := filepath.Join(parts[1], "0000000000000002-0000.seg.tmp")
	require.NoError(t, os.WriteFile(tmp, []byte("half written"), 0o644))
	data, err := os.ReadFile(segs[0])
	require.NoError(t, err)
	data[len(data)-40] ^= 0x10 // inside the trailer/stats
	require.NoError(t, os.WriteFile(segs[0], data, 0o644))

	logs := &syncBuffer{} // the background scrub logs while the test reads
	st = openTestStore(t, dir, partitions.WithShards(1), partitions.WithLogger(slog.New(slog.NewTextHandler(logs, nil))))
	defer st.Close()
	got := rowsOf(t, st)
	for _, f := range []string{stray, segs[0]} {
		require.Contains(t, logs.String(), filepath.Base(f), "a log line names the quarantined file")
	}
	// Only the damaged partition's rows are gone; the rest is intact.
	var wantLeft []row
	for _, r := range want {
		if !lostIn(parts[0], r) {
			wantLeft = append(wantLeft, r)
		}
	}
	sortRows(got)
	require.Equal(t, wantLeft, got)
	_, err = os.Stat(tmp)
	require.True(t, os.IsNotExist(err), "temp file removed")
	for _, f := range []string{stray, segs[0]} {
		_, err := os.Stat(filepath.Join(dir, "quarantine", filepath.Base(filepath.Dir(f)), filepath.Base(f)))
		require.NoError(t, err, "quarantined %s", f)
	}
}

func lostIn(partDir string, r row) bool {
	k, err := partitions.ParseDirName(filepath.Base(partDir))
	if err != nil {
		return false
	}
	return r.ts >= k.MinTS() && r.ts <= k.MaxTS()
}

func TestCorruptManifestQuarantinesPartition(t *testing.T) {
	dir := t.TempDir()
	st := openTestStore(t, dir, partitions.WithShards(1))
	b, want := genBatch(rand.New(rand.NewPCG(7, 8)), 0, 100, 1)
	require.NoError(t, st.Append(context.Background(), b))
	require.NoError(t, st.Close())
	parts, _ := filepath.Glob(filepath.Join(dir, "parts", "*"))
	require.Len(t, parts, 1)
	man := filepath.Join(parts[0], "MANIFEST")
	data, err := os.ReadFile(man)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(man, []byte(strings.Replace(string(data), "\"rows\"", "\"rowz\"", 1)), 0o644))

	st = openTestStore(t, dir, partitions.WithShards(1))
	require.Empty(t, rowsOf(t, st))
	require.NoError(t, st.Close())
	_, err = os.Stat(filepath.Join(dir, "quarantine", filepath.Base(parts[0]), "MANIFEST"))
	require.NoError(t, err)
	require.Len(t, want, 100)
}

func TestCompactionKeepsRowsAndOrder(t *testing.T) {
	dir := t.TempDir()
	rng := rand.New(rand.NewPCG(9, 10))
	st := openTestStore(t, dir, partitions.WithShards(1), partitions.WithBatchRows(64))
	var want []row
	for i := 0; i < 6; i++ {
		b, w := genBatch(rng, int64(len(want)), 300, 1)
		require.NoError(t, st.Append(context.Background(), b))
		require.NoError(t, st.Flush())
		want = append(want, w...)
	}
	before := st.Segments() // readers holding the inputs across the merge
	require.Len(t, before, 6)
	// The bytes written, counted for the write amplification, are the
	// files' sizes.
	fileSize := func(path string) int64 {
		fi, err := os.Stat(path)
		require.NoError(t, err)
		return fi.Size()
	}
	var flushed int64
	for _, s := range before {
		flushed += fileSize(s.Path)
	}
	require.Equal(t, flushed, st.Stats().FlushBytesWritten)
	require.Zero(t, st.Stats().CompactionBytesWritten)
	n, err := st.Compact()
	require.NoError(t, err)
	require.Equal(t, 1, n)
	for _, s := range before {
		require.True(t, s.Retired())
		r, err := s.Reader()
		require.NoError(t, err, "retired segment still readable while referenced")
		_, err = r.Rows(0)
		require.NoError(t, err)
	}
	after := st.Segments()
	require.Len(t, after, 1)
	require.Equal(t, fileSize(after[0].Path), st.Stats().CompactionBytesWritten)
	require.Equal(t, flushed, st.Stats().FlushBytesWritten)
	after[0].DecRef()
	got := rowsOf(t, st)
	sortRows(got)
	require.Equal(t, want, got)
	checkPlacement(t, st)
	for _, s := range before {
		s.DecRef()
		_, err := os.Stat(s.Path)
		require.True(t, os.IsNotExist(err), "retired file removed after the last reader")
	}
	require.NoError(t, st.Close())
	st = openTestStore(t, dir, partitions.WithShards(1))
	defer st.Close()
	got = rowsOf(t, st)
	sortRows(got)
	require.Equal(t, want, got)
	q, _ := filepath.Glob(filepath.Join(dir, "quarantine", "*", "*"))
	require.Empty(t, q)
}

func TestRetention(t *testing.T) {
	dir := t.TempDir()
	now := time.Date(2026, 11, 10, 12, 0, 0, 0, time.UTC)
	st := openTestStore(t, dir, partitions.WithShards(1), partitions.WithRetention(72*time.Hour),
		partitions.WithClock(func() time.Time { return now }))
	defer st.Close()
	b, want := genBatch(rand.New(rand.NewPCG(11, 12)), 0, 1000, 9) // Nov 1 .. Nov 9
	require.NoError(t, st.Append(context.Background(), b))
	require.NoError(t, st.Flush())
	held := st.Segments()
	require.NoError(t, st.ApplyRetention())
	cutoff := now.Add(-72 * time.Hour).UnixMicro()
	var wantLeft []row
	for _, r := range want {
		if partitions.BucketStart(r.ts, 86_400_000_000)+86_400_000_000-1 >= cutoff {
			wantLeft = append(wantLeft, r)
		}
	}
	got := rowsOf(t, st)
	sortRows(got)
	require.Equal(t, wantLeft, got)
	for _, s := range held {
		if s.Retired() {
			_, err := os.Stat(s.Path)
			require.NoError(t, err, "dropped segment kept while a reader holds it")
		}
		s.DecRef()
	}
	parts, _ := filepath.Glob(filepath.Join(dir, "parts", "*"))
	require.Len(t, parts, 3, "Nov 7, 8, 9 remain: %v", parts)
}

func TestSecondOpenIsRefused(t *testing.T) {
	dir := t.TempDir()
	st := openTestStore(t, dir)
	defer st.Close()
	_, err := partitions.Open(dir)
	require.ErrorIs(t, err, partitions.ErrLocked)
}

// TestWALDamageStopsStart copies the WAL of a running store (what a crash
// leaves), damages a record before the tail, and checks that start-up stops
// naming the file and offset, and that the repair flag starts with the rows
// of the intact records only.
func TestWALDamageStopsStart(t *testing.T) {
	dir := t.TempDir()
	rng := rand.New(rand.NewPCG(7, 8))
	st := openTestStore(t, dir, partitions.WithShards(1))
	var want [][]row
	for i := range 5 {
		b, rows := genBatch(rng, int64(i)*100, 100, 1)
		require.NoError(t, st.Append(context.Background(), b)) // one record, fsynced
		want = append(want, rows)
	}
	crashed := t.TempDir()
	walFiles, err := filepath.Glob(filepath.Join(dir, "wal", "*"))
	require.NoError(t, err)
	require.Len(t, walFiles, 1)
	data, err := os.ReadFile(walFiles[0])
	require.NoError(t, err)
	require.NoError(t, st.Close())

	// Damage the second record's payload: records are large and similar, so
	// a byte at 30% of the file lies inside record 2 of 5.
	off := len(data) * 3 / 10
	data[off] ^= 0x40
	walCopy := filepath.Join(crashed, "wal", filepath.Base(walFiles[0]))
	require.NoError(t, os.MkdirAll(filepath.Dir(walCopy), 0o755))
	require.NoError(t, os.WriteFile(walCopy, data, 0o644))

	_, err = partitions.Open(crashed, partitions.WithCompactInterval(0), partitions.WithShards(1))
	require.Error(t, err)
	require.Contains(t, err.Error(), walCopy)
	require.Contains(t, err.Error(), "offset")

	st = openTestStore(t, crashed, partitions.WithShards(1), partitions.WithWALRepair(true))
	defer st.Close()
	got := rowsOf(t, st)
	sortRows(got)
	var expect []row
	for i, rows := range want {
		if i != 1 {
			expect = append(expect, rows...)
		}
	}
	sortRows(expect)
	require.Equal(t, expect, got, "repair keeps exactly the intact records")
}
