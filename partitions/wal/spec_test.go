package wal

import (
	"encoding/binary"
	"hash/crc32"
	"log/slog"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

// This file builds WAL files byte by byte from FORMAT.md, independently of
// the package's encoder, so that tests can craft any commit-group layout and
// check the writer's output against the spec.

var testCRC = crc32.MakeTable(crc32.Castagnoli)

func specHeader(gen uint64) []byte {
	b := []byte("LQWAL\r\n\x1a")
	b = binary.LittleEndian.AppendUint32(b, 1)
	b = binary.LittleEndian.AppendUint64(b, gen)
	return binary.LittleEndian.AppendUint32(b, crc32.Checksum(b, testCRC))
}

func specRecord(gen uint64, group int64, payload []byte) []byte {
	h := []byte{0xC1, 0xF7, 0x5A, 0xA5}
	h = binary.LittleEndian.AppendUint32(h, uint32(len(payload)))
	h = binary.LittleEndian.AppendUint64(h, uint64(group))
	h = binary.LittleEndian.AppendUint32(h, crc32.Checksum(payload, testCRC))
	seeded := binary.LittleEndian.AppendUint64(nil, gen)
	h = binary.LittleEndian.AppendUint32(h, crc32.Checksum(append(seeded, h...), testCRC))
	return append(h, payload...)
}

// specFile is a file built from commit groups of payloads.
type specFile struct {
	gen  uint64
	data []byte
	offs []int64 // file offset of each record, in order
	ends []int64 // file offset just past each record
}

func buildFile(gen uint64, groups ...[][]byte) specFile {
	f := specFile{gen: gen, data: specHeader(gen)}
	for _, g := range groups {
		start := int64(len(f.data))
		for _, p := range g {
			f.offs = append(f.offs, int64(len(f.data)))
			f.data = append(f.data, specRecord(gen, start, p)...)
			f.ends = append(f.ends, int64(len(f.data)))
		}
	}
	return f
}

// singles puts every payload in its own commit group, as sequential
// Append+Wait calls do.
func singles(payloads [][]byte) [][][]byte {
	groups := make([][][]byte, len(payloads))
	for i, p := range payloads {
		groups[i] = [][]byte{p}
	}
	return groups
}

// testPayloads returns n payloads of varied sizes (including empty) and
// contents that differ from each other.
func testPayloads(n int) [][]byte {
	sizes := []int{0, 1, 100, 5000, 17, 300, 70000, 3}
	out := make([][]byte, n)
	for i := range out {
		p := make([]byte, sizes[i%len(sizes)])
		for j := range p {
			p[j] = byte(i*31 + j*7)
		}
		if len(p) > 0 {
			p[0] = byte(i)
		}
		out[i] = p
	}
	return out
}

func writeFiles(t testing.TB, dir string, files ...specFile) {
	t.Helper()
	for _, f := range files {
		require.NoError(t, os.WriteFile(filepath.Join(dir, fileName(f.gen)), f.data, 0o644))
	}
}

// quietLog discards what Replay logs about the damage tests inflict.
var quietLog = slog.New(slog.DiscardHandler)

// replayed is one record passed to Replay's callback.
type replayed struct {
	gen     uint64
	payload string
}

func replayAll(t testing.TB, dir string, repair bool) ([]replayed, ReplayResult, error) {
	t.Helper()
	var got []replayed
	res, err := Replay(dir, ReplayOptions{Repair: repair, Logger: quietLog}, func(gen uint64, rec []byte) error {
		got = append(got, replayed{gen, string(rec)})
		return nil
	})
	return got, res, err
}

func want(gen uint64, payloads ...[]byte) []replayed {
	var out []replayed
	for _, p := range payloads {
		out = append(out, replayed{gen, string(p)})
	}
	return out
}
