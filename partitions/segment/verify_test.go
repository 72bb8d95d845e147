package segment

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestVerify checks Verify on an intact file and on each kind of damage: nil
// for the first, and for every other an error wrapping ErrCorrupt that names
// the file and the offset of the damaged region. Every case also runs with
// small read buffers, so that regions span many reads and reads cross region
// boundaries, and must give the same answer.
func TestVerify(t *testing.T) {
	fx := newCorruptFixture(t)
	regions := fileRegions(t, fx.file)
	size := len(fx.file)
	head, data, tail, stats := fx.regions["arrow head"], fx.regions["arrow blocks"], fx.regions["arrow tail"], fx.regions["stats"]
	mid := (data[0] + data[1]) / 2
	require.Greater(t, len(regions), 4, "the fixture has several batches")
	require.Greater(t, regionAt(regions, mid), int64(data[0]), "mid is past the first batch")

	flip := func(off int) func([]byte) []byte {
		return func(b []byte) []byte { b[off] ^= 0x08; return b }
	}
	zeroPage := func(off int) func([]byte) []byte {
		return func(b []byte) []byte { clear(b[off : off+4096]); return b }
	}
	cut := func(n int) func([]byte) []byte {
		return func(b []byte) []byte { return b[:n] }
	}
	magicAt := func(fileSize int) int64 { return int64(fileSize - trailerSize + trMagic) }
	cases := []struct {
		name    string
		damage  func([]byte) []byte // nil: intact
		wantOff int64               // offset the error names
	}{
		{"intact", nil, 0},
		{"bit flip in the first byte of data", flip(data[0]), int64(data[0])},
		{"bit flip in the middle of the data", flip(mid), regionAt(regions, mid)},
		{"bit flip in the last byte of data", flip(data[1] - 1), regionAt(regions, data[1]-1)},
		{"bit flip in the metadata head (schema, dictionaries)", flip(head[1] / 2), 0},
		{"bit flip in the metadata tail (footer)", flip((tail[0] + tail[1]) / 2), int64(tail[0])},
		{"bit flip in the stats block", flip((stats[0] + stats[1]) / 2), int64(stats[0])},
		{"bit flip in a trailer field", flip(size - trailerSize + trArrowLen), int64(size - trailerSize)},
		{"bit flip in the trailer checksum", flip(size - trailerSize + trSelfCRC), int64(size - trailerSize)},
		{"bit flip in the trailer magic", flip(size - 1), magicAt(size)},
		{"zeroed 4 KiB page in the data", zeroPage(mid), regionAt(regions, mid)},
		{"zeroed first 4 KiB page", zeroPage(0), 0},
		{"zeroed last 4 KiB page", zeroPage(size - 4096), magicAt(size)},
		{"truncated by one byte", cut(size - 1), magicAt(size - 1)},
		{"truncated to half", cut(size / 2), magicAt(size / 2)},
		{"truncated to the arrow section", cut(stats[0]), magicAt(stats[0])},
		{"shorter than a trailer", cut(trailerSize - 1), 0},
		{"empty", cut(0), 0},
		{"16 bytes appended", func(b []byte) []byte { return append(b, make([]byte, 16)...) }, magicAt(size + 16)},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			file := append([]byte(nil), fx.file...)
			if tc.damage != nil {
				file = tc.damage(file)
			}
			path := filepath.Join(t.TempDir(), "damaged.seg")
			require.NoError(t, os.WriteFile(path, file, 0o600))
			err := Verify(path)
			if tc.damage == nil {
				require.NoError(t, err)
			} else {
				require.ErrorIs(t, err, ErrCorrupt)
				require.ErrorContains(t, err, path)
				require.ErrorContains(t, err, fmt.Sprintf("offset %d:", tc.wantOff))
			}
			for _, bufSize := range []int{7, 4096} {
				f, ferr := os.Open(path)
				require.NoError(t, ferr)
				bad, small := verifyFile(f, path, make([]byte, bufSize))
				if small == nil && len(bad) > 0 {
					small = bad[0]
				}
				require.NoError(t, f.Close())
				require.Equal(t, fmt.Sprint(err), fmt.Sprint(small), "buffer of %d bytes", bufSize)
			}
		})
	}
}

// TestVerifyMissingFile checks that a file that cannot be read is an I/O
// error, not corruption.
func TestVerifyMissingFile(t *testing.T) {
	err := Verify(filepath.Join(t.TempDir(), "missing.seg"))
	require.ErrorIs(t, err, os.ErrNotExist)
	require.NotErrorIs(t, err, ErrCorrupt)
}

// fileRegions returns the checksummed Arrow regions of an intact file.
func fileRegions(t *testing.T, file []byte) []region {
	path := writeFile(t, file)
	f, err := os.Open(path)
	require.NoError(t, err)
	defer f.Close()
	tr, st, blocks, err := readStats(f, path)
	require.NoError(t, err)
	regions, err := arrowRegions(path, tr, st, blocks)
	require.NoError(t, err)
	return regions
}

// regionAt returns the offset of the region holding byte off.
func regionAt(regions []region, off int) int64 {
	for _, g := range regions {
		if int64(off) >= g.off && int64(off) < g.off+g.len {
			return g.off
		}
	}
	panic(fmt.Sprintf("BUG: offset %d outside the arrow regions", off))
}

// TestVerifyBatches checks that VerifyBatches tells damage to single record
// batches from damage to the file, and agrees with reading: every batch it
// lists fails Rows with a BatchError naming that batch, every other batch
// reads, and damage outside the blocks is an error for the whole file.
func TestVerifyBatches(t *testing.T) {
	fx := newCorruptFixture(t)
	regions := fileRegions(t, fx.file)
	require.Len(t, regions, 5, "head, three batches, tail")
	blockMid := func(b int) int { g := regions[1+b]; return int(g.off + g.len/2) }
	head, tail, stats := fx.regions["arrow head"], fx.regions["arrow tail"], fx.regions["stats"]
	size := len(fx.file)
	cases := []struct {
		name  string
		flips []int
		want  []int // damaged batches; nil with whole set: the file
		whole bool
	}{
		{name: "intact"},
		{name: "first batch", flips: []int{blockMid(0)}, want: []int{0}},
		{name: "middle batch", flips: []int{blockMid(1)}, want: []int{1}},
		{name: "first and last batch", flips: []int{blockMid(0), blockMid(2)}, want: []int{0, 2}},
		{name: "first byte of a block", flips: []int{int(regions[2].off)}, want: []int{1}},
		{name: "meta head", flips: []int{head[1] / 2}, whole: true},
		{name: "meta tail", flips: []int{(tail[0] + tail[1]) / 2}, whole: true},
		{name: "stats block", flips: []int{(stats[0] + stats[1]) / 2}, whole: true},
		{name: "trailer", flips: []int{size - trailerSize + trArrowLen}, whole: true},
		{name: "a batch and the tail", flips: []int{blockMid(1), (tail[0] + tail[1]) / 2}, whole: true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			file := append([]byte(nil), fx.file...)
			for _, off := range tc.flips {
				file[off] ^= 0x40
			}
			path := writeFile(t, file)
			bad, err := VerifyBatches(path)
			if tc.whole {
				require.ErrorIs(t, err, ErrCorrupt)
				_, isBatch := DamagedBatch(err)
				require.False(t, isBatch, "damage outside the blocks is the file's: %v", err)
				require.Nil(t, bad)
				return
			}
			require.NoError(t, err)
			var got []int
			for _, be := range bad {
				require.ErrorIs(t, be, ErrCorrupt)
				require.ErrorContains(t, be, path)
				require.ErrorContains(t, be, fmt.Sprintf("offset %d:", regions[1+be.Batch].off))
				got = append(got, be.Batch)
			}
			require.Equal(t, tc.want, got)
			if len(bad) > 0 {
				require.Equal(t, bad[0].Error(), Verify(path).Error(), "Verify reports the first")
			} else {
				require.NoError(t, Verify(path))
			}

			r, err := Open(path)
			require.NoError(t, err, "the file opens: only blocks are damaged")
			defer r.Close()
			var failed []int
			for i := range r.NumBatches() {
				_, err := r.Rows(i)
				if err == nil {
					continue
				}
				require.ErrorIs(t, err, ErrCorrupt)
				b, ok := DamagedBatch(err)
				require.True(t, ok, "%v", err)
				require.Equal(t, i, b)
				failed = append(failed, i)
			}
			require.Equal(t, tc.want, failed, "reading agrees with VerifyBatches")
		})
	}
}
