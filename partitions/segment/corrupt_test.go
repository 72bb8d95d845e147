package segment

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/stretchr/testify/require"

	"logq/partitions/columns"
)

// corruptFixture is a small segment with several batches, dictionaries and
// dynamic columns, so that every kind of region exists.
type corruptFixture struct {
	batch   *columns.Batch
	file    []byte
	stats   *Stats
	regions map[string][2]int // region name -> [start, end) offsets, from the trailer
}

func newCorruptFixture(t *testing.T) *corruptFixture {
	rng := rand.New(rand.NewPCG(3, 3))
	b := genRandom(rng, randSpec{rows: 900, nullPct: 10, maxGapUS: 1e5, cards: [3]int{5, 20, 40}, traceHex: true, dynamic: true})
	_, file, st := writeSegment(t, b, WriteOptions{BatchRows: 300})
	tr := file[len(file)-trailerSize:]
	le := binary.LittleEndian
	arrowLen, headLen, tailOff := int(le.Uint64(tr[8:])), int(le.Uint64(tr[16:])), int(le.Uint64(tr[24:]))
	size := len(file)
	return &corruptFixture{batch: b, file: file, stats: st, regions: map[string][2]int{
		"arrow head":   {0, headLen},
		"arrow blocks": {headLen, tailOff},
		"arrow tail":   {tailOff, arrowLen},
		"stats":        {arrowLen, size - trailerSize},
		"trailer":      {size - trailerSize, size},
	}}
}

// check writes damaged bytes to a file and reads it in every way. Verify
// must fail with an error wrapping ErrCorrupt that names the file; every
// other operation must either fail so or return exactly the original data.
// It returns whether any read operation failed.
func (fx *corruptFixture) check(t *testing.T, damaged []byte, what string) bool {
	t.Helper()
	path := filepath.Join(t.TempDir(), "damaged.seg")
	require.NoError(t, os.WriteFile(path, damaged, 0o600))
	detected := false
	fail := func(err error) {
		t.Helper()
		require.ErrorIs(t, err, ErrCorrupt, what)
		require.ErrorContains(t, err, path, what)
		detected = true
	}
	// Every byte is under a checksum, so the full check finds any damage.
	verr := Verify(path)
	require.ErrorIs(t, verr, ErrCorrupt, "Verify: %s", what)
	require.ErrorContains(t, verr, path, what)
	if st, err := ReadStats(path); err != nil {
		fail(err)
	} else {
		require.Equal(t, fx.stats, st, what)
	}
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	r, err := Open(path, WithAllocator(mem))
	if err != nil {
		fail(err)
		return true
	}
	defer r.Close()
	for i := range r.NumBatches() {
		lo, hi := i*300, min((i+1)*300, fx.batch.Len())
		if rec, err := r.Batch(i, nil); err != nil {
			fail(err)
		} else {
			requireLogical(t, rec, fx.batch, lo, hi)
			rec.Release()
		}
		if rows, err := r.Rows(i); err != nil {
			fail(err)
		} else {
			requireSameRows(t, rowsRange(fx.batch, lo, hi), rows)
		}
	}
	return detected
}

// offsets returns offsets to damage in every region: its first and last
// bytes and a sample in between.
func (fx *corruptFixture) offsets(rng *rand.Rand, perRegion int) map[string][]int {
	out := make(map[string][]int)
	for name, r := range fx.regions {
		if r[1] <= r[0] {
			continue
		}
		offs := []int{r[0], r[0] + 1, r[1] - 1, (r[0] + r[1]) / 2}
		if name == "trailer" { // small: every byte
			offs = offs[:0]
			for off := r[0]; off < r[1]; off++ {
				offs = append(offs, off)
			}
		}
		for range perRegion {
			offs = append(offs, r[0]+rng.IntN(r[1]-r[0]))
		}
		out[name] = offs
	}
	return out
}

func TestCorruptBitFlips(t *testing.T) {
	fx := newCorruptFixture(t)
	rng := rand.New(rand.NewPCG(4, 4))
	for name, offs := range fx.offsets(rng, 200) {
		t.Run(name, func(t *testing.T) {
			for _, off := range offs {
				damaged := append([]byte(nil), fx.file...)
				damaged[off] ^= 1 << rng.IntN(8)
				what := fmt.Sprintf("bit flip at %d (%s)", off, name)
				require.True(t, fx.check(t, damaged, what), "undetected %s", what)
			}
		})
	}
}

func TestCorruptTruncation(t *testing.T) {
	fx := newCorruptFixture(t)
	lengths := []int{0, 1, 7, 8, 63, 64, 65, len(fx.file) - 1, len(fx.file) - trailerSize}
	for _, r := range fx.regions {
		lengths = append(lengths, r[0], r[0]+1, r[1]-1)
	}
	for n := 0; n < len(fx.file); n += len(fx.file) / 97 {
		lengths = append(lengths, n)
	}
	for _, n := range lengths {
		if n < 0 || n >= len(fx.file) {
			continue
		}
		what := fmt.Sprintf("truncated to %d of %d bytes", n, len(fx.file))
		require.True(t, fx.check(t, fx.file[:n], what), "undetected %s", what)
	}
	what := "16 bytes appended"
	require.True(t, fx.check(t, append(append([]byte(nil), fx.file...), make([]byte, 16)...), what), "undetected %s", what)
}

func TestCorruptZeroPages(t *testing.T) {
	fx := newCorruptFixture(t)
	const page = 4096
	var starts []int
	for off := 0; off < len(fx.file); off += page {
		starts = append(starts, off)
	}
	starts = append(starts, 100, len(fx.file)-page/2, len(fx.file)-page-3)
	for _, off := range starts {
		off = max(0, off)
		damaged := append([]byte(nil), fx.file...)
		clear(damaged[off:min(off+page, len(damaged))])
		if string(damaged) == string(fx.file) {
			continue
		}
		what := fmt.Sprintf("zero page at %d", off)
		require.True(t, fx.check(t, damaged, what), "undetected %s", what)
	}
}

func TestCorruptErrorsWrap(t *testing.T) {
	err := corruptf("/x/seg", 12, "bad %s", "thing")
	require.True(t, errors.Is(err, ErrCorrupt))
	require.EqualError(t, err, "segment /x/seg: offset 12: bad thing: segment: corrupt")
	inner := errors.New("inner")
	err = corruptErr("/x/seg", 3, "stats", inner)
	require.ErrorIs(t, err, ErrCorrupt)
	require.ErrorIs(t, err, inner)
}

// rowsRange returns rows [lo, hi) of b as a new batch.
func rowsRange(b *columns.Batch, lo, hi int) *columns.Batch {
	idx := make([]int32, 0, hi-lo)
	for i := lo; i < hi; i++ {
		idx = append(idx, int32(i))
	}
	return b.Take(idx)
}
