package segment

import (
	"encoding/binary"
	"hash/crc32"
)

// castagnoli is the CRC32C table; Go computes it with the SSE4.2 instruction
// where available, at several GB/s.
var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// trailer is the fixed-size record at the end of a segment file. It locates
// the other sections and carries their checksums; see FORMAT.md.
type trailer struct {
	version  uint16
	flags    uint16
	batches  uint32
	arrowLen uint64 // the Arrow IPC file occupies [0, arrowLen)
	headLen  uint64 // the meta head region is [0, headLen)
	tailOff  uint64 // the meta tail region is [tailOff, arrowLen)
	statsLen uint64 // the stats block is [arrowLen, arrowLen+statsLen)
	statsCRC uint32
	headCRC  uint32
	tailCRC  uint32
}

// Byte offsets of the trailer fields.
const (
	trVersion  = 0
	trFlags    = 2
	trBatches  = 4
	trArrowLen = 8
	trHeadLen  = 16
	trTailOff  = 24
	trStatsLen = 32
	trStatsCRC = 40
	trHeadCRC  = 44
	trTailCRC  = 48
	trSelfCRC  = 52
	trMagic    = 56
)

// encode returns the trailer's bytes, its own checksum and magic included.
func (t *trailer) encode() []byte {
	b := make([]byte, trailerSize)
	le := binary.LittleEndian
	le.PutUint16(b[trVersion:], t.version)
	le.PutUint16(b[trFlags:], t.flags)
	le.PutUint32(b[trBatches:], t.batches)
	le.PutUint64(b[trArrowLen:], t.arrowLen)
	le.PutUint64(b[trHeadLen:], t.headLen)
	le.PutUint64(b[trTailOff:], t.tailOff)
	le.PutUint64(b[trStatsLen:], t.statsLen)
	le.PutUint32(b[trStatsCRC:], t.statsCRC)
	le.PutUint32(b[trHeadCRC:], t.headCRC)
	le.PutUint32(b[trTailCRC:], t.tailCRC)
	le.PutUint32(b[trSelfCRC:], crc32.Checksum(b[:trSelfCRC], castagnoli))
	copy(b[trMagic:], trailerMagic)
	return b
}

// decodeTrailer parses and checks the last trailerSize bytes of a file of
// size fileSize. off is the trailer's offset, for error messages.
func decodeTrailer(path string, b []byte, fileSize int64) (*trailer, error) {
	off := fileSize - trailerSize
	if len(b) != trailerSize {
		return nil, corruptf(path, off, "trailer is %d bytes, want %d", len(b), trailerSize)
	}
	if string(b[trMagic:]) != trailerMagic {
		return nil, corruptf(path, off+trMagic, "bad magic %q", b[trMagic:])
	}
	le := binary.LittleEndian
	if got, want := crc32.Checksum(b[:trSelfCRC], castagnoli), le.Uint32(b[trSelfCRC:]); got != want {
		return nil, corruptf(path, off, "trailer crc32c %08x, want %08x", got, want)
	}
	t := &trailer{
		version:  le.Uint16(b[trVersion:]),
		flags:    le.Uint16(b[trFlags:]),
		batches:  le.Uint32(b[trBatches:]),
		arrowLen: le.Uint64(b[trArrowLen:]),
		headLen:  le.Uint64(b[trHeadLen:]),
		tailOff:  le.Uint64(b[trTailOff:]),
		statsLen: le.Uint64(b[trStatsLen:]),
		statsCRC: le.Uint32(b[trStatsCRC:]),
		headCRC:  le.Uint32(b[trHeadCRC:]),
		tailCRC:  le.Uint32(b[trTailCRC:]),
	}
	if err := t.check(path, off, fileSize); err != nil {
		return nil, err
	}
	return t, nil
}

// check validates the trailer's fields against each other and the file size.
func (t *trailer) check(path string, off, fileSize int64) error {
	switch {
	case t.version != formatVersion:
		return corruptf(path, off+trVersion, "unsupported format version %d", t.version)
	case t.flags != 0:
		return corruptf(path, off+trFlags, "unknown flags %#x", t.flags)
	case t.batches == 0 || int64(t.batches) > fileSize:
		return corruptf(path, off+trBatches, "bad batch count %d", t.batches)
	}
	size := uint64(fileSize - trailerSize)
	switch {
	case t.arrowLen > size || t.statsLen > size-t.arrowLen || t.arrowLen+t.statsLen != size:
		return corruptf(path, off+trArrowLen, "sections (arrow %d, stats %d bytes) do not fill the %d bytes before the trailer",
			t.arrowLen, t.statsLen, size)
	case t.statsLen == 0:
		return corruptf(path, off+trStatsLen, "empty stats block")
	case t.headLen < 8 || t.headLen > t.tailOff || t.tailOff > t.arrowLen:
		return corruptf(path, off+trHeadLen, "bad arrow regions: head [0, %d), tail [%d, %d)", t.headLen, t.tailOff, t.arrowLen)
	}
	return nil
}
