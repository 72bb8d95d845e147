package wal

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"
)

// edit returns a copy of f whose bytes are transformed by fn.
func edit(f specFile, fn func(b []byte) []byte) specFile {
	f.data = fn(slices.Clone(f.data))
	return f
}

func flipAt(off int64) func([]byte) []byte {
	return func(b []byte) []byte { b[off] ^= 0x5a; return b }
}

func insertAt(off int64, junk []byte) func([]byte) []byte {
	return func(b []byte) []byte { return slices.Insert(b, int(off), junk...) }
}

func zeroFrom(off int64) func([]byte) []byte {
	return func(b []byte) []byte { clear(b[off:]); return b }
}

func cutAt(n int64) func([]byte) []byte {
	return func(b []byte) []byte { return b[:n] }
}

func setUint32(off int64, v uint32) func([]byte) []byte {
	return func(b []byte) []byte { binary.LittleEndian.PutUint32(b[off:], v); return b }
}

func junk(n int, withSync bool) []byte {
	rng := rand.New(rand.NewPCG(uint64(n), 9))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(rng.UintN(256))
	}
	if withSync {
		for i := 0; i+4 <= n; i += 97 {
			copy(b[i:], []byte{0xC1, 0xF7, 0x5A, 0xA5})
		}
	}
	return b
}

// absurdRecord is a record header with a valid checksum whose length is
// above MaxRecordBytes.
func absurdRecord(gen uint64, group int64) []byte {
	h := specRecord(gen, group, nil)
	binary.LittleEndian.PutUint32(h[4:], MaxRecordBytes+1)
	seeded := binary.LittleEndian.AppendUint64(nil, gen)
	binary.LittleEndian.PutUint32(h[20:], crc32.Checksum(append(seeded, h[:20]...), testCRC))
	return h
}

// damageCase is a set of files, possibly damaged, and what Replay must do
// with them without and with Repair.
type damageCase struct {
	name  string
	files []specFile
	// errGen and errOff locate the ErrCorrupt Replay reports without
	// Repair; errOff < 0 means no error.
	errGen uint64
	errOff int64
	// want is what replays without Repair when there is no error.
	want      []replayed
	truncated int64
	// repaired is what replays with Repair (nil: same as want), and
	// repairedBytes the damaged bytes it drops.
	repaired      []replayed
	repairedBytes int64
	// removed lists generations whose file the replay deletes.
	removed []uint64
}

func damageCases() []damageCase {
	p := testPayloads(6)
	q := testPayloads(9)[6:]
	one := buildFile(1, singles(p)...)
	two := buildFile(2, singles(q)...)
	recLen := func(i int) int64 { return one.ends[i] - one.offs[i] }
	all, others := want(1, p...), want(2, q...)
	without := func(skip ...int) []replayed {
		var out []replayed
		for i, r := range all {
			if !slices.Contains(skip, i) {
				out = append(out, r)
			}
		}
		return out
	}
	grouped := buildFile(1, [][]byte{p[0]}, [][]byte{p[1], p[2], p[3]}, [][]byte{p[4]}, [][]byte{p[5]})
	lastGroup := buildFile(1, [][]byte{p[0]}, [][]byte{p[1]}, [][]byte{p[2], p[3], p[4], p[5]})
	mid := one.offs[3]
	return []damageCase{
		{name: "intact", files: []specFile{one, two}, errOff: -1, want: append(all, others...)},
		{name: "bad payload checksum in last record", files: []specFile{edit(one, flipAt(one.offs[5]+25))},
			errOff: -1, want: all[:5], truncated: recLen(5)},
		{name: "bad header checksum in last record", files: []specFile{edit(one, flipAt(one.offs[5]+10))},
			errOff: -1, want: all[:5], truncated: recLen(5)},
		{name: "zeroed tail", files: []specFile{edit(one, func(b []byte) []byte { return append(b, make([]byte, 4096)...) })},
			errOff: -1, want: all, truncated: 4096},
		{name: "last records zeroed", files: []specFile{edit(one, zeroFrom(one.offs[4]))},
			errOff: -1, want: all[:4], truncated: recLen(4) + recLen(5)},
		{name: "bad payload checksum in middle record", files: []specFile{edit(one, flipAt(one.offs[2]+30))},
			errGen: 1, errOff: one.offs[2], repaired: without(2), repairedBytes: recLen(2)},
		{name: "bad length in middle record", files: []specFile{edit(one, setUint32(one.offs[3]+4, 100))},
			errGen: 1, errOff: one.offs[3], repaired: without(3), repairedBytes: recLen(3)},
		{name: "absurd length with valid header checksum", files: []specFile{edit(one, insertAt(mid, absurdRecord(1, mid)))},
			errGen: 1, errOff: mid, repaired: all, repairedBytes: recordHeaderBytes},
		{name: "garbage inserted in the middle", files: []specFile{edit(one, insertAt(mid, junk(1000, false)))},
			errGen: 1, errOff: mid, repaired: all, repairedBytes: 1000},
		{name: "garbage with sync words inserted", files: []specFile{edit(one, insertAt(mid, junk(3000, true)))},
			errGen: 1, errOff: mid, repaired: all, repairedBytes: 3000},
		{name: "two damaged records", files: []specFile{edit(edit(one, flipAt(one.offs[1]+24)), flipAt(one.offs[3]+2))},
			errGen: 1, errOff: one.offs[1], repaired: without(1, 3), repairedBytes: recLen(1) + recLen(3)},
		{name: "damage in an earlier commit group", files: []specFile{edit(grouped, flipAt(grouped.offs[2]+30))},
			errGen: 1, errOff: grouped.offs[2], repaired: without(2), repairedBytes: recLen(2)},
		{name: "damage in the last commit group is torn", files: []specFile{edit(lastGroup, flipAt(lastGroup.offs[3]+30))},
			errOff: -1, want: all[:3], truncated: lastGroup.ends[5] - lastGroup.offs[3]},
		{name: "damaged tail of a non-last file", files: []specFile{edit(one, flipAt(one.offs[5]+25)), two},
			errGen: 1, errOff: one.offs[5], repaired: append(without(5), others...), repairedBytes: recLen(5)},
		{name: "torn non-last file", files: []specFile{edit(one, cutAt(one.ends[4]+10)), two},
			errGen: 1, errOff: one.ends[4], repaired: append(without(5), others...), repairedBytes: 10},
		{name: "bad magic with records", files: []specFile{edit(one, flipAt(0))},
			errGen: 1, errOff: 0, repaired: all, repairedBytes: fileHeaderBytes},
		{name: "header names another generation", files: []specFile{edit(one, func(b []byte) []byte { return append(specHeader(9), b[24:]...) })},
			errGen: 1, errOff: 0, repaired: all, repairedBytes: fileHeaderBytes},
		{name: "empty last file", files: []specFile{one, edit(two, cutAt(0))},
			errOff: -1, want: all, removed: []uint64{2}},
		{name: "partial header in last file", files: []specFile{one, edit(two, cutAt(10))},
			errOff: -1, want: all, truncated: 10, removed: []uint64{2}},
		{name: "zero header in last file", files: []specFile{one, edit(two, func([]byte) []byte { return make([]byte, 24) })},
			errOff: -1, want: all, truncated: 24, removed: []uint64{2}},
		{name: "header-only last file", files: []specFile{one, edit(two, cutAt(24))}, errOff: -1, want: all},
		{name: "empty non-last file", files: []specFile{edit(one, cutAt(0)), two},
			errGen: 1, errOff: 0, repaired: others},
		{name: "records of another generation", files: []specFile{one, {gen: 2, data: append(specHeader(2), one.data[24:]...)}},
			errOff: -1, want: all, truncated: one.ends[5] - fileHeaderBytes},
	}
}

func TestReplayDamage(t *testing.T) {
	for _, tc := range damageCases() {
		for _, repair := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/repair=%v", tc.name, repair), func(t *testing.T) {
				runDamageCase(t, tc, repair)
			})
		}
	}
}

func runDamageCase(t *testing.T, tc damageCase, repair bool) {
	dir := t.TempDir()
	writeFiles(t, dir, tc.files...)
	before := readDir(t, dir)
	got, res, err := replayAll(t, dir, repair)
	wantRecs, wantRepaired := tc.want, int64(0)
	if tc.errOff >= 0 {
		wantRecs = tc.repaired
		if !repair {
			path := filepath.Join(dir, fileName(tc.errGen))
			require.ErrorIs(t, err, ErrCorrupt)
			require.ErrorContains(t, err, fmt.Sprintf("%s at offset %d:", path, tc.errOff))
			require.Equal(t, before, readDir(t, dir), "a corrupt WAL must not be changed")
			if len(got) > 0 {
				require.Equal(t, wantRecs[:len(got)], got, "records before the damage")
			}
			return
		}
		wantRepaired = tc.repairedBytes
	} else if repair && tc.repaired != nil {
		wantRecs = tc.repaired
	}
	require.NoError(t, err)
	require.Equal(t, wantRecs, got)
	require.Equal(t, tc.truncated, res.TruncatedBytes, "truncated bytes")
	require.Equal(t, wantRepaired, res.RepairedBytes, "repaired bytes")
	require.Equal(t, tc.files[len(tc.files)-1].gen, res.LastGen)
	for _, gen := range tc.removed {
		require.NoFileExists(t, filepath.Join(dir, fileName(gen)))
	}
	requireCleanReplay(t, dir, got, res.LastGen)
}

// requireCleanReplay checks that a replayed dir now replays the same records
// without damage, and that a WAL opened above it adds records after them.
func requireCleanReplay(t *testing.T, dir string, recs []replayed, lastGen uint64) {
	t.Helper()
	again, res, err := replayAll(t, dir, false)
	require.NoError(t, err)
	require.Equal(t, recs, again)
	require.Zero(t, res.TruncatedBytes)
	require.Zero(t, res.RepairedBytes)

	w, err := Open(dir, lastGen+1, Options{})
	require.NoError(t, err)
	tk, err := w.Append([]byte("next"))
	require.NoError(t, err)
	require.NoError(t, w.Wait(context.Background(), tk))
	require.NoError(t, w.Close())
	after, _, err := replayAll(t, dir, false)
	require.NoError(t, err)
	require.Equal(t, append(slices.Clone(recs), replayed{lastGen + 1, "next"}), after)
}

func readDir(t *testing.T, dir string) map[string]string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	out := map[string]string{}
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		require.NoError(t, err)
		out[e.Name()] = string(b)
	}
	return out
}

// TestReplayTornAtEveryCut cuts the last file after every byte: the records
// wholly before the cut replay, the rest is truncated back to the last
// record boundary (or the file removed when its header is cut).
func TestReplayTornAtEveryCut(t *testing.T) {
	// Small records keep the cuts (each costing an fsync) few.
	p := [][]byte{nil, []byte("a"), []byte("hello"), make([]byte, 100), []byte("tail record")}
	f := buildFile(1, singles(p)...)
	dir := t.TempDir()
	path := filepath.Join(dir, fileName(1))
	for cut := range int64(len(f.data)) {
		require.NoError(t, os.WriteFile(path, f.data[:cut], 0o644))
		got, res, err := replayAll(t, dir, false)
		require.NoError(t, err, "cut %d", cut)
		n := 0
		for n < len(f.ends) && f.ends[n] <= cut {
			n++
		}
		require.Equal(t, want(1, p[:n]...), got, "cut %d", cut)
		boundary := int64(fileHeaderBytes)
		if n > 0 {
			boundary = f.ends[n-1]
		}
		if cut < fileHeaderBytes {
			require.Equal(t, cut, res.TruncatedBytes, "cut %d", cut)
			require.NoFileExists(t, path)
			continue
		}
		require.Equal(t, cut-boundary, res.TruncatedBytes, "cut %d", cut)
		st, err := os.Stat(path)
		require.NoError(t, err)
		require.Equal(t, boundary, st.Size(), "cut %d", cut)
		if cut%37 == 0 {
			requireCleanReplay(t, dir, got, 1)
			require.NoError(t, os.Remove(filepath.Join(dir, fileName(2))))
		}
	}
}

func TestReplayUnsupportedVersion(t *testing.T) {
	f := buildFile(1, singles(testPayloads(2))...)
	binary.LittleEndian.PutUint32(f.data[8:], 2)
	binary.LittleEndian.PutUint32(f.data[20:], crc32.Checksum(f.data[:20], testCRC))
	for _, repair := range []bool{false, true} {
		dir := t.TempDir()
		writeFiles(t, dir, f)
		_, _, err := replayAll(t, dir, repair)
		require.ErrorIs(t, err, errors.ErrUnsupported)
		require.NotErrorIs(t, err, ErrCorrupt)
		require.Equal(t, map[string]string{fileName(1): string(f.data)}, readDir(t, dir))
	}
}

func TestReplayMisc(t *testing.T) {
	t.Run("missing dir", func(t *testing.T) {
		res, err := Replay(filepath.Join(t.TempDir(), "nope"), ReplayOptions{}, nil)
		require.NoError(t, err)
		require.Equal(t, ReplayResult{}, res)
	})
	t.Run("callback error stops replay", func(t *testing.T) {
		dir := t.TempDir()
		writeFiles(t, dir, buildFile(1, singles(testPayloads(3))...))
		boom := errors.New("boom")
		calls := 0
		_, err := Replay(dir, ReplayOptions{}, func(uint64, []byte) error { calls++; return boom })
		require.ErrorIs(t, err, boom)
		require.Equal(t, 1, calls)
	})
	t.Run("leftover repair file is removed", func(t *testing.T) {
		dir := t.TempDir()
		f := buildFile(1, singles(testPayloads(3))...)
		writeFiles(t, dir, f)
		require.NoError(t, os.WriteFile(filepath.Join(dir, fileName(1)+repairExt), []byte("junk"), 0o644))
		require.NoError(t, os.WriteFile(filepath.Join(dir, "unrelated"), []byte("x"), 0o644))
		got, _, err := replayAll(t, dir, false)
		require.NoError(t, err)
		require.Len(t, got, 3)
		require.Equal(t, map[string]string{fileName(1): string(f.data), "unrelated": "x"}, readDir(t, dir))
	})
}

// scanBytes runs the replay scan of one file over in-memory bytes, as
// generation 2, collecting the records it delivers.
func scanBytes(data []byte, last, repair bool) ([]string, scanOutcome, *scanner, error) {
	var recs []string
	r := fileReplay{path: "mem.wal", gen: 2, last: last, repair: repair, log: quietLog,
		fn: func(_ uint64, rec []byte) error { recs = append(recs, string(rec)); return nil }}
	size := int64(len(data))
	s := &scanner{wr: windowReader{r: bytes.NewReader(data), size: size}, size: size, gen: 2, seed: genSeed(2)}
	out, err := r.scan(s, &ReplayResult{})
	return recs, out, s, err
}

// FuzzReplay scans arbitrary bytes as a WAL file (the last one or not, with
// or without Repair). It must never panic; every record it delivers must be
// a payload that the input holds under a header that checks out; and the
// file Replay would leave behind (truncated or rewritten) must scan clean
// and deliver the same records. The scan runs in memory: on disk, every
// truncation costs an fsync, which would starve the fuzzer. The file side
// is covered by TestReplayDamage.
func FuzzReplay(f *testing.F) {
	p := testPayloads(5)
	valid := buildFile(2, singles(p)...)
	f.Add(valid.data, true, false)
	f.Add(buildFile(2, [][]byte{p[0], p[1]}, [][]byte{p[2]}).data, true, true)
	f.Add(edit(valid, flipAt(valid.offs[2]+3)).data, true, false)
	f.Add(edit(valid, flipAt(valid.offs[2]+3)).data, false, true)
	f.Add(edit(valid, insertAt(valid.offs[3], junk(50, true))).data, true, true)
	f.Add(edit(valid, zeroFrom(valid.offs[4])).data, true, false)
	f.Add(valid.data[:30], false, false)
	f.Add([]byte{}, true, true)
	f.Fuzz(func(t *testing.T, data []byte, last, repair bool) {
		recs, out, s, err := scanBytes(data, last, repair)
		if err != nil {
			if !errors.Is(err, errors.ErrUnsupported) {
				require.ErrorIs(t, err, ErrCorrupt)
			}
			require.False(t, repair && errors.Is(err, ErrCorrupt), "Repair must not fail on damage")
			return
		}
		for _, rec := range recs {
			require.True(t, holdsRecord(data, 2, []byte(rec)), "delivered record not in input")
		}
		require.True(t, last || out.tornAt < 0, "only the last file has a torn tail")
		var fixed []byte
		switch {
		case out.repaired:
			var buf bytes.Buffer
			require.NoError(t, writeRecords(&buf, 2, s, out.kept))
			fixed = buf.Bytes()
		case out.tornAt < 0:
			fixed = data
		case out.tornAt < fileHeaderBytes:
			require.Empty(t, recs, "a file with a torn header holds no records")
			return
		default:
			fixed = data[:out.tornAt]
		}
		again, out2, _, err := scanBytes(fixed, last, false)
		require.NoError(t, err)
		require.Equal(t, recs, again)
		require.Equal(t, int64(-1), out2.tornAt)
		require.False(t, out2.repaired)
	})
}

// holdsRecord reports whether data contains payload right after a record
// header of generation gen whose checksums cover it, per FORMAT.md.
func holdsRecord(data []byte, gen uint64, payload []byte) bool {
	seeded := binary.LittleEndian.AppendUint64(nil, gen)
	for i := recordHeaderBytes; i+len(payload) <= len(data); i++ {
		h := data[i-recordHeaderBytes : i]
		if string(h[:4]) != "\xC1\xF7\x5A\xA5" ||
			binary.LittleEndian.Uint32(h[4:]) != uint32(len(payload)) ||
			binary.LittleEndian.Uint32(h[16:]) != crc32.Checksum(payload, testCRC) ||
			binary.LittleEndian.Uint32(h[20:]) != crc32.Checksum(append(slices.Clone(seeded), h[:20]...), testCRC) {
			continue
		}
		if string(data[i:i+len(payload)]) == string(payload) {
			return true
		}
	}
	return false
}
