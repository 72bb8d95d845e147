package partitions_test

import (
	"context"
	"math"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"logq/catalog"
	"logq/partitions"
	"logq/partitions/columns"
	"logq/partitions/segment"
)

// snapshotSeqs reads what a query reads, a catalog plan and the open rows
// taken together in one View, and returns the seq of every row it holds:
// files through their readers, sealed segments through their batches.
func snapshotSeqs(t testing.TB, st *partitions.Store, cat *catalog.Catalog) []int64 {
	var plan *catalog.Plan
	var open [][]*columns.Batch
	// As the engine does (takeSnapshot): a plan that met a segment retired
	// between the catalog's snapshot and its reference is made again. A
	// store that left a retired segment published would loop here.
	for attempt := 0; ; attempt++ {
		open = open[:0]
		st.View(func(buf []partitions.Buffered) {
			plan = cat.Plan(catalog.Predicate{MinTS: math.MinInt64, MaxTS: math.MaxInt64})
			for _, p := range buf {
				open = append(open, p.Batches)
			}
		})
		if plan.Stats.SegmentsRetired == 0 {
			break
		}
		plan.Release()
		require.Less(t, attempt, 100, "plans keep meeting retired segments")
	}
	defer plan.Release()
	var seqs []int64
	add := func(b *columns.Batch) {
		seqs = append(seqs, b.Column("seq").Ints...)
	}
	for _, p := range plan.Partitions {
		for _, sp := range p.Segments {
			seg := sp.Segment
			for _, bi := range sp.Batches {
				if b := seg.Batch(bi); b != nil {
					require.True(t, b.Sorted(), "sealed batch %d of %s in row order", bi, seg.Name())
					add(b)
					continue
				}
				r, err := seg.Reader()
				require.NoError(t, err)
				b, err := r.Rows(bi)
				require.NoError(t, err)
				add(b)
			}
		}
	}
	for _, bs := range open {
		for _, b := range bs {
			add(b)
		}
	}
	return seqs
}

// TestSealedRowsSeenExactlyOnce: while writers append, the sealer seals,
// flushes write sealed and open rows together and compactions merge the
// files, every snapshot a query can take holds each acknowledged row
// exactly once; so does the store after a reopen. The reference is the
// set of seqs the writers had acknowledged before the snapshot was taken.
func TestSealedRowsSeenExactlyOnce(t *testing.T) {
	dir := t.TempDir()
	cat := catalog.New()
	st := openTestStore(t, dir, partitions.WithObserver(cat), partitions.WithBatchRows(64),
		partitions.WithSealing(partitions.SealPolicy{Rows: 150, Age: 2 * time.Millisecond, ReadRows: 40, Idle: time.Millisecond}), partitions.WithShards(2))

	const writers, perWriter = 3, 60
	var acked sync.Map // seq -> true once Append returned
	var wg sync.WaitGroup
	for w := 0; w < writers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(w), 7))
			for i := 0; i < perWriter; i++ {
				first := int64(w*perWriter+i) * 1000
				b, rows := genBatch(rng, first, 1+rng.IntN(120), 2)
				if !assertNoError(t, st.Append(context.Background(), b)) {
					return
				}
				for _, r := range rows {
					acked.Store(r.seq, true)
				}
			}
		}()
	}
	done := make(chan struct{})
	var bg sync.WaitGroup
	bg.Add(1)
	go func() { // flushes and compactions race the sealer
		defer bg.Done()
		for i := 0; ; i++ {
			select {
			case <-done:
				return
			case <-time.After(3 * time.Millisecond):
			}
			if i%3 == 0 {
				assertNoError(t, st.Flush())
			} else {
				_, err := st.Compact()
				assertNoError(t, err)
			}
		}
	}()

	writersDone := make(chan struct{})
	go func() { wg.Wait(); close(writersDone) }()
	sealedSeen := false
	for finished := false; !finished; {
		select {
		case <-writersDone:
			finished = true // one more snapshot, of everything
		default:
		}
		var before []int64
		acked.Range(func(k, _ any) bool {
			before = append(before, k.(int64))
			return true
		})
		sealedSeen = sealedSeen || st.Stats().SealedRows > 0
		checkOnce(t, snapshotSeqs(t, st, cat), before)
	}
	close(done)
	bg.Wait()
	require.True(t, sealedSeen, "no snapshot found sealed rows: the test did not test sealing")

	var all []int64
	acked.Range(func(k, _ any) bool {
		all = append(all, k.(int64))
		return true
	})
	checkOnce(t, snapshotSeqs(t, st, cat), all)
	require.Len(t, snapshotSeqs(t, st, cat), len(all))
	require.NoError(t, st.Close())

	cat = catalog.New()
	st = openTestStore(t, dir, partitions.WithObserver(cat))
	defer st.Close()
	got := snapshotSeqs(t, st, cat)
	checkOnce(t, got, all)
	require.Len(t, got, len(all))
}

// checkOnce fails unless seqs holds no seq twice and every seq of want.
func checkOnce(t testing.TB, seqs, want []int64) {
	t.Helper()
	seen := make(map[int64]bool, len(seqs))
	for _, s := range seqs {
		require.False(t, seen[s], "row %d seen twice", s)
		seen[s] = true
	}
	for _, s := range want {
		require.True(t, seen[s], "acknowledged row %d missing", s)
	}
}

// assertNoError is require.NoError for goroutines other than the test's.
func assertNoError(t testing.TB, err error) bool {
	if err != nil {
		t.Errorf("unexpected error: %v", err)
		return false
	}
	return true
}

// TestSealedSegments: with the clock stopped, only the row count seals.
// A sealed segment lists its rows in batches of the store's batch size in
// row order, with statistics that count them (checked against the rows
// appended, not against Summarize); it has no file, is not among the
// store's files, and stops counting as buffered once flushed.
func TestSealedSegments(t *testing.T) {
	cat := catalog.New()
	stopped := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	st := openTestStore(t, t.TempDir(), partitions.WithObserver(cat), partitions.WithShards(1),
		partitions.WithBatchRows(100), partitions.WithSealing(partitions.SealPolicy{Rows: 250}),
		partitions.WithClock(func() time.Time { return stopped }))
	defer st.Close()
	rng := rand.New(rand.NewPCG(3, 4))
	var want []row
	for len(want) < 1000 {
		b, rows := genBatch(rng, int64(len(want)), 60, 1) // one day: one partition
		require.NoError(t, st.Append(context.Background(), b))
		want = append(want, rows...)
	}
	require.Eventually(t, func() bool { return st.Stats().SealedRows >= 750 }, 10*time.Second, time.Millisecond)
	stats := st.Stats()
	require.Equal(t, int64(len(want)), stats.BufferedRows)
	require.Less(t, stats.BufferedRows-stats.SealedRows, int64(250), "open rows past the seal threshold")

	var sealed []*partitions.Segment
	var open int
	st.View(func(buf []partitions.Buffered) {
		require.Len(t, buf, 1)
		sealed = buf[0].Sealed
		for _, b := range buf[0].Batches {
			open += b.Len()
		}
	})
	require.Equal(t, stats.BufferedRows-stats.SealedRows, int64(open))
	var seqs []int64
	for _, seg := range sealed {
		require.True(t, seg.InMemory())
		require.Empty(t, seg.Path)
		_, err := seg.Reader()
		require.Error(t, err)
		var rows int64
		for bi := range seg.Stats.Batches {
			b, bs := seg.Batch(bi), seg.Stats.Batches[bi]
			require.LessOrEqual(t, b.Len(), 100)
			require.True(t, b.Sorted())
			require.Equal(t, b.Len(), bs.Rows)
			require.Equal(t, b.TS[0], bs.MinTS)
			require.Equal(t, b.TS[b.Len()-1], bs.MaxTS)
			require.Equal(t, []segment.ValueCount{{Value: "INFO", Count: b.Len()}}, bs.Levels)
			rows += int64(b.Len())
			seqs = append(seqs, b.Column("seq").Ints...)
		}
		require.Equal(t, seg.Stats.Rows, rows)
	}
	require.Equal(t, stats.SealedRows, int64(len(seqs)))
	files := st.Segments()
	require.Empty(t, files, "sealed segments are not files")

	require.NoError(t, st.Flush())
	stats = st.Stats()
	require.Zero(t, stats.BufferedRows)
	require.Zero(t, stats.SealedRows)
	require.Zero(t, stats.BufferedBytes)
	require.Equal(t, int64(len(want)), stats.SegmentRows)
	for _, seg := range sealed {
		require.True(t, seg.Retired())
		require.False(t, seg.TryIncRef(), "the flush dropped the store's reference")
	}
	got := rowsOf(t, st)
	sortRows(got)
	require.Equal(t, want, got)
}

// TestSealOnRead: open rows a query has read are sealed once they are
// ReadRows or more, or once their partition has not grown for Idle; rows
// no query read wait for the other rules (here, none).
func TestSealOnRead(t *testing.T) {
	var clock atomic.Int64 // microseconds
	clock.Store(time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC).UnixMicro())
	now := func() time.Time { return time.UnixMicro(clock.Load()) }
	st := openTestStore(t, t.TempDir(), partitions.WithShards(1), partitions.WithClock(now),
		partitions.WithSealing(partitions.SealPolicy{ReadRows: 100, Idle: time.Second}))
	defer st.Close()
	rng := rand.New(rand.NewPCG(5, 6))
	appendRows := func(first int64, n int) {
		b, _ := genBatch(rng, first, n, 1)
		require.NoError(t, st.Append(context.Background(), b))
	}
	sealedAfter := func(want int64) {
		t.Helper()
		require.Eventually(t, func() bool { return st.Stats().SealedRows == want }, 10*time.Second, time.Millisecond)
		time.Sleep(20 * time.Millisecond) // and no more
		require.Equal(t, want, st.Stats().SealedRows)
	}
	read := func() { st.View(func([]partitions.Buffered) {}) }

	appendRows(0, 150)
	sealedAfter(0) // unread
	read()
	sealedAfter(150) // read, and past ReadRows

	appendRows(1000, 50)
	read()
	sealedAfter(150) // read, but few and still growing
	clock.Add(time.Second.Microseconds())
	read()
	sealedAfter(200) // read and idle
}
