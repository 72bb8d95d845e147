package wal

import (
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

// File layout (partitions/FORMAT.md, "WAL"). All integers are little-endian.
//
//	file header, 24 bytes:
//	  0  magic     "LQWAL\r\n\x1a"
//	  8  version   u32 = 1
//	  12 gen       u64, equal to the generation in the file name
//	  20 crc       u32, CRC32C of bytes 0..20
//
//	record header, 24 bytes, followed by length payload bytes:
//	  0  sync      C1 F7 5A A5
//	  4  length    u32, payload bytes, at most MaxRecordBytes
//	  8  group     u64, file offset of the first record of this record's
//	               commit group: every byte before it was synced before
//	               this record was written
//	  16 data crc  u32, CRC32C of the payload
//	  20 hdr crc   u32, CRC32C of gen (u64) followed by bytes 0..20
const (
	fileMagic         = "LQWAL\r\n\x1a"
	formatVersion     = 1
	fileHeaderBytes   = 24
	recordHeaderBytes = 24
	fileExt           = ".wal"
	// repairExt marks the temporary file Replay writes while repairing; a
	// leftover one is removed by the next Replay.
	repairExt = ".repair"

	// MaxRecordBytes is the largest payload Append accepts. Replay treats a
	// checksummed length above it as corruption, so the value belongs to the
	// format: raising it needs a new version.
	MaxRecordBytes = 1 << 30
)

// syncWord starts every record header. C1 and F7 never occur in UTF-8, so the
// word cannot appear in JSON text and forward scans rarely stop on a false
// candidate.
var syncWord = [4]byte{0xC1, 0xF7, 0x5A, 0xA5}

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// fileHeader returns the header of the file of generation gen.
func fileHeader(gen uint64) []byte {
	h := make([]byte, 0, fileHeaderBytes)
	h = append(h, fileMagic...)
	h = binary.LittleEndian.AppendUint32(h, formatVersion)
	h = binary.LittleEndian.AppendUint64(h, gen)
	return binary.LittleEndian.AppendUint32(h, crc32.Checksum(h, castagnoli))
}

// genSeed returns the CRC32C of gen's eight bytes: the running checksum that
// every record header checksum of that generation continues from, so that a
// record is valid only in the file it was written to.
func genSeed(gen uint64) uint32 {
	var b [8]byte
	binary.LittleEndian.PutUint64(b[:], gen)
	return crc32.Checksum(b[:], castagnoli)
}

// appendRecord appends one record: header and payload. dataCRC is the
// CRC32C of payload and group the file offset of the record's commit group.
func appendRecord(dst []byte, seed uint32, group int64, dataCRC uint32, payload []byte) []byte {
	h := len(dst)
	dst = append(dst, syncWord[:]...)
	dst = binary.LittleEndian.AppendUint32(dst, uint32(len(payload)))
	dst = binary.LittleEndian.AppendUint64(dst, uint64(group))
	dst = binary.LittleEndian.AppendUint32(dst, dataCRC)
	dst = binary.LittleEndian.AppendUint32(dst, crc32.Update(seed, castagnoli, dst[h:h+20]))
	return append(dst, payload...)
}

// recordHeader is a decoded record header.
type recordHeader struct {
	length  int64
	group   int64
	dataCRC uint32
}

// parseRecordHeader checks the record header h found at file offset off and
// returns why it is invalid, or "" when it checks out. It does not look at
// the payload.
func parseRecordHeader(h []byte, seed uint32, off int64) (recordHeader, string) {
	if [4]byte(h[:4]) != syncWord {
		if isZero(h) {
			return recordHeader{}, "zero bytes instead of a record header"
		}
		return recordHeader{}, "no record sync word"
	}
	if crc32.Update(seed, castagnoli, h[:20]) != binary.LittleEndian.Uint32(h[20:]) {
		return recordHeader{}, "bad record header checksum"
	}
	rh := recordHeader{
		length:  int64(binary.LittleEndian.Uint32(h[4:])),
		dataCRC: binary.LittleEndian.Uint32(h[16:]),
	}
	group := binary.LittleEndian.Uint64(h[8:])
	switch {
	case rh.length > MaxRecordBytes:
		return recordHeader{}, fmt.Sprintf("record length %d above the %d-byte limit", rh.length, MaxRecordBytes)
	case group < fileHeaderBytes || group > uint64(off):
		return recordHeader{}, fmt.Sprintf("commit group offset %d outside [%d, %d]", group, fileHeaderBytes, off)
	}
	rh.group = int64(group)
	return rh, ""
}

func isZero(b []byte) bool {
	for _, c := range b {
		if c != 0 {
			return false
		}
	}
	return true
}

// fileName returns the base name of generation gen's file.
func fileName(gen uint64) string { return fmt.Sprintf("%016x%s", gen, fileExt) }

// filePath returns the path of generation gen's file in dir.
func filePath(dir string, gen uint64) string { return filepath.Join(dir, fileName(gen)) }

// parseFileName returns the generation of a WAL file name.
func parseFileName(name string) (uint64, bool) {
	hex, ok := strings.CutSuffix(name, fileExt)
	if !ok || len(hex) != 16 {
		return 0, false
	}
	gen, err := strconv.ParseUint(hex, 16, 64)
	if err != nil || fileName(gen) != name { // reject upper-case spellings
		return 0, false
	}
	return gen, true
}

// listGens returns the generations of the WAL files in dir, ascending.
func listGens(dir string) ([]uint64, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var gens []uint64
	for _, e := range entries {
		if gen, ok := parseFileName(e.Name()); ok && e.Type().IsRegular() {
			gens = append(gens, gen)
		}
	}
	slices.Sort(gens)
	return gens, nil
}
