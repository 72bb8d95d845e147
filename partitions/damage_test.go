package partitions_test

import (
	"context"
	"encoding/binary"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"

	"logq/partitions"
	"logq/partitions/segment"
)

// seqsPerBatch reads the intact segment file at path and returns its rows,
// batch by batch: the reference for what damage to one batch takes away.
func seqsPerBatch(t *testing.T, path string) [][]row {
	r, err := segment.Open(path)
	require.NoError(t, err)
	defer r.Close()
	out := make([][]row, r.NumBatches())
	for i := range out {
		b, err := r.Rows(i)
		require.NoError(t, err)
		for j := range b.Len() {
			out[i] = append(out[i], row{ts: b.TS[j], service: string(b.Service.Value(j)),
				message: string(b.Message.Value(j)), seq: b.Column("seq").Ints[j]})
		}
	}
	return out
}

// failingBatch returns the one batch of the segment file at path that a
// fresh reader fails to read.
func failingBatch(t *testing.T, path string) int {
	r, err := segment.Open(path)
	require.NoError(t, err)
	defer r.Close()
	bad := -1
	for i := range r.NumBatches() {
		if _, err := r.Rows(i); err != nil {
			require.Equal(t, -1, bad, "one batch is damaged")
			bad = i
		}
	}
	require.GreaterOrEqual(t, bad, 0)
	return bad
}

// flipTailByte flips a bit in the Arrow footer of the segment file at path
// (FORMAT.md: arrow_len and tail_off are trailer bytes 8 and 24), which
// start-up does not read.
func flipTailByte(t *testing.T, path string) {
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	tr := data[len(data)-64:]
	arrowLen, tailOff := binary.LittleEndian.Uint64(tr[8:]), binary.LittleEndian.Uint64(tr[24:])
	data[(tailOff+arrowLen)/2] ^= 0x20
	require.NoError(t, os.WriteFile(path, data, 0o644))
	_, err = segment.ReadStats(path)
	require.NoError(t, err, "the damage is in the footer only")
}

// rowsWithout returns all but the rows of lost (by seq), sorted by seq.
func rowsWithout(all, lost []row) []row {
	gone := map[int64]bool{}
	for _, r := range lost {
		gone[r.seq] = true
	}
	var out []row
	for _, r := range all {
		if !gone[r.seq] {
			out = append(out, r)
		}
	}
	sortRows(out)
	return out
}

// damageRow is a partitions.Damage without its key and reason.
type damageRow struct {
	file         string
	batch        int
	rows         int64
	minTS, maxTS int64
}

// batchDamage is the expected damage of batch b holding rows.
func batchDamage(file string, b int, rows []row) damageRow {
	d := wholeDamage(file, rows)
	d.batch = b
	return d
}

// wholeDamage is the expected damage of a whole segment holding rows.
func wholeDamage(file string, rows []row) damageRow {
	d := damageRow{file: file, batch: -1, rows: int64(len(rows)), minTS: rows[0].ts, maxTS: rows[0].ts}
	for _, r := range rows {
		d.minTS, d.maxTS = min(d.minTS, r.ts), max(d.maxTS, r.ts)
	}
	return d
}

// damageOf lists what st has set aside: damaged batches of live segments,
// then whole segments. Every entry gives a reason.
func damageOf(t *testing.T, st *partitions.Store) []damageRow {
	var out []damageRow
	segs := st.Segments()
	defer func() {
		for _, s := range segs {
			s.DecRef()
		}
	}()
	for _, s := range segs {
		for _, b := range s.BadBatches() {
			require.NotEmpty(t, b.Reason)
			bs := s.Stats.Batches[b.Batch]
			out = append(out, damageRow{file: filepath.Base(s.Path), batch: b.Batch, rows: int64(bs.Rows), minTS: bs.MinTS, maxTS: bs.MaxTS})
		}
	}
	for _, d := range st.DamagedSegments() {
		require.NotEmpty(t, d.Reason)
		require.True(t, d.Whole())
		out = append(out, damageRow{file: d.File, batch: d.Batch, rows: d.Rows, minTS: d.MinTS, maxTS: d.MaxTS})
	}
	return out
}

// liveRowsOf returns the rows a query can read: those of every live
// segment except its damaged batches, and the buffered ones, sorted by seq.
func liveRowsOf(t *testing.T, st *partitions.Store) []row {
	out := rowsOf(t, st)
	sortRows(out)
	return out
}

// TestReportDamage checks what a reader that meets damage tells the store:
// a damaged batch is set aside at once and recorded (once, however often
// it is reported), damage to the file takes the whole segment, and errors
// that are not damage change nothing.
func TestReportDamage(t *testing.T) {
	dir := t.TempDir()
	parts, _, _ := twoSegmentsPerDay(t, dir)
	batchHit := filepath.Join(parts[0], "0000000000000001-0000.seg")
	wholeHit := filepath.Join(parts[1], "0000000000000002-0000.seg")
	perBatch := seqsPerBatch(t, batchHit)
	all := slices.Concat(seqsPerBatch(t, wholeHit)...)
	flipDataByte(t, batchHit)
	victim := failingBatch(t, batchHit)

	st := openTestStore(t, dir, partitions.WithShards(1), partitions.WithScrub(false))
	defer st.Close()
	segs := st.Segments()
	defer func() {
		for _, s := range segs {
			s.DecRef()
		}
	}()
	byPath := map[string]*partitions.Segment{}
	for _, s := range segs {
		byPath[s.Path] = s
	}
	seg := byPath[batchHit]
	r, err := seg.Reader()
	require.NoError(t, err)
	_, rerr := r.Rows(victim)
	require.ErrorIs(t, rerr, segment.ErrCorrupt)
	require.NoError(t, st.ReportDamage(seg, os.ErrDeadlineExceeded), "not damage")
	require.Empty(t, seg.BadBatches())
	for range 3 {
		require.NoError(t, st.ReportDamage(seg, rerr))
	}
	require.Equal(t, []damageRow{batchDamage(filepath.Base(batchHit), victim, perBatch[victim])}, damageOf(t, st))
	require.False(t, seg.Retired())

	// The footer of another segment is damaged before its first read.
	flipTailByte(t, wholeHit)
	_, oerr := byPath[wholeHit].Reader()
	require.ErrorIs(t, oerr, segment.ErrCorrupt)
	require.NoError(t, st.ReportDamage(byPath[wholeHit], oerr))
	require.True(t, byPath[wholeHit].Retired())
	require.Equal(t, []damageRow{
		batchDamage(filepath.Base(batchHit), victim, perBatch[victim]),
		wholeDamage(filepath.Base(wholeHit), all),
	}, damageOf(t, st))
	require.Equal(t, int64(1), st.Stats().SegmentsQuarantined)
	man, err := os.ReadFile(filepath.Join(parts[0], "MANIFEST"))
	require.NoError(t, err)
	require.Contains(t, string(man), `"damaged_batches"`)
}

// TestCompactionLeavesDamagedSegments checks that compaction neither
// merges a segment with a damaged batch nor stops at one it finds damaged
// while merging: it sets the batch aside and merges nothing that time, and
// the next pass merges around it.
func TestCompactionLeavesDamagedSegments(t *testing.T) {
	dir := t.TempDir()
	st := openTestStore(t, dir, partitions.WithShards(1), partitions.WithBatchRows(64), partitions.WithScrub(false))
	rng := rand.New(rand.NewPCG(21, 22))
	var all []row
	for range 8 {
		b, w := genBatch(rng, int64(len(all)), 300, 1)
		require.NoError(t, st.Append(context.Background(), b))
		require.NoError(t, st.Flush())
		all = append(all, w...)
	}
	require.NoError(t, st.Close())
	parts, err := filepath.Glob(filepath.Join(dir, "parts", "*"))
	require.NoError(t, err)
	require.Len(t, parts, 1)
	hit := filepath.Join(parts[0], "0000000000000002-0000.seg")
	perBatch := seqsPerBatch(t, hit)
	flipDataByte(t, hit)
	victim := failingBatch(t, hit)
	want := rowsWithout(all, perBatch[victim])

	st = openTestStore(t, dir, partitions.WithShards(1), partitions.WithBatchRows(64), partitions.WithScrub(false))
	defer st.Close()
	n, err := st.Compact()
	require.NoError(t, err, "damage is set aside, not a compaction error")
	require.Zero(t, n)
	require.Equal(t, []damageRow{batchDamage(filepath.Base(hit), victim, perBatch[victim])}, damageOf(t, st))
	n, err = st.Compact()
	require.NoError(t, err)
	require.Equal(t, 1, n, "the segments after the damaged one merge")
	require.Equal(t, want, liveRowsOf(t, st))
	require.Equal(t, []damageRow{batchDamage(filepath.Base(hit), victim, perBatch[victim])}, damageOf(t, st),
		"the damaged segment is still there, unmerged")
}

// TestAcknowledge acknowledges a damaged batch and a damaged segment: both
// stop being listed, the batch stays unread, the segment's file stays in
// quarantine, and all of it holds after a restart.
func TestAcknowledge(t *testing.T) {
	dir := t.TempDir()
	parts, first, second := twoSegmentsPerDay(t, dir)
	batchHit := filepath.Join(parts[0], "0000000000000001-0000.seg")
	wholeHit := filepath.Join(parts[1], "0000000000000002-0000.seg")
	perBatch := seqsPerBatch(t, batchHit)
	lost := slices.Concat(seqsPerBatch(t, wholeHit)...)
	flipDataByte(t, batchHit)
	victim := failingBatch(t, batchHit)
	flipTailByte(t, wholeHit)
	want := rowsWithout(rowsWithout(append(slices.Clone(first), second...), perBatch[victim]), lost)
	quarantined := filepath.Join(dir, "quarantine", filepath.Base(parts[1]), filepath.Base(wholeHit))

	st := openTestStore(t, dir, partitions.WithShards(1), partitions.WithScrub(false))
	_, err := st.Scrub(context.Background())
	require.NoError(t, err)
	require.Equal(t, []damageRow{
		batchDamage(filepath.Base(batchHit), victim, perBatch[victim]),
		wholeDamage(filepath.Base(wholeHit), lost),
	}, damageOf(t, st))
	k0, err := partitions.ParseDirName(filepath.Base(parts[0]))
	require.NoError(t, err)
	k1, err := partitions.ParseDirName(filepath.Base(parts[1]))
	require.NoError(t, err)
	for _, tc := range []struct {
		d     partitions.Damage
		found bool
	}{
		{partitions.Damage{Key: k0, File: filepath.Base(batchHit), Batch: victim + 1}, false}, // not damaged
		{partitions.Damage{Key: k1, File: filepath.Base(batchHit), Batch: victim}, false},     // another partition
		{partitions.Damage{Key: k0, File: filepath.Base(batchHit), Batch: victim}, true},
		{partitions.Damage{Key: k0, File: filepath.Base(batchHit), Batch: victim}, false}, // already
		{partitions.Damage{Key: k1, File: filepath.Base(wholeHit), Batch: -1}, true},
		{partitions.Damage{Key: k1, File: filepath.Base(wholeHit), Batch: -1}, false},
	} {
		found, err := st.Acknowledge(tc.d)
		require.NoError(t, err)
		require.Equal(t, tc.found, found, "%+v", tc.d)
	}
	check := func(st *partitions.Store) {
		t.Helper()
		require.Empty(t, st.DamagedSegments())
		segs := st.Segments()
		for _, s := range segs {
			for _, b := range s.BadBatches() {
				require.True(t, b.Acknowledged, "%s batch %d", s.Path, b.Batch)
			}
			s.DecRef()
		}
		require.Equal(t, want, liveRowsOf(t, st), "the batch is still not read")
		_, err := os.Stat(quarantined)
		require.NoError(t, err, "the file stays for inspection")
	}
	check(st)
	require.NoError(t, st.Close())
	st = openTestStore(t, dir, partitions.WithShards(1), partitions.WithScrub(false))
	defer st.Close()
	check(st)
	require.Len(t, damageOf(t, st), 1, "the acknowledged batch is still set aside")
}
