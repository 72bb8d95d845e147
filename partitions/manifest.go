package partitions

import (
	"bytes"
	"encoding/json"
	"fmt"
	"hash/crc32"
	"os"
	"strconv"
)

// manifestVersion is the version of the MANIFEST format (FORMAT.md).
const manifestVersion = 1

// manifestMagic starts the first line of every MANIFEST.
const manifestMagic = "LOGQ-MANIFEST"

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// manifest is the durable list of a partition's live segments. It is the only
// authority on which segment files belong to a partition: a file in the
// directory that the manifest does not list is quarantined at start-up.
type manifest struct {
	// FlushedGen is the highest WAL generation whose rows for this partition
	// are all in listed segments; replay skips those records.
	FlushedGen uint64 `json:"flushed_wal_gen"`
	// NextID is the ID the next new segment gets.
	NextID uint64 `json:"next_segment_id"`
	// Segments are the live segments in ID order.
	Segments []manifestSegment `json:"segments"`
	// Lost are the segments set aside whole as damaged (Damage): no longer
	// live, still listed so that queries over their time range are warned.
	Lost []manifestLost `json:"damaged_segments,omitempty"`
}

type manifestSegment struct {
	ID    uint64 `json:"id"`
	File  string `json:"file"`
	Rows  int64  `json:"rows"`
	Bytes int64  `json:"bytes"`
	MinTS int64  `json:"min_ts"`
	MaxTS int64  `json:"max_ts"`
	// Damaged are the record batches that failed verification, in
	// increasing order; queries skip them.
	Damaged []manifestBadBatch `json:"damaged_batches,omitempty"`
}

// manifestBadBatch is a BadBatch on disk.
type manifestBadBatch struct {
	Batch        int    `json:"batch"`
	Reason       string `json:"reason"`
	Acknowledged bool   `json:"acknowledged,omitempty"`
}

// manifestLost is a segment set aside whole: its former manifest entry,
// why, and where its file went (empty when there was no file to move).
type manifestLost struct {
	ID          uint64 `json:"id"`
	File        string `json:"file"`
	Rows        int64  `json:"rows"`
	MinTS       int64  `json:"min_ts"`
	MaxTS       int64  `json:"max_ts"`
	Reason      string `json:"reason"`
	Quarantined string `json:"quarantined_as,omitempty"`
}

// encodeManifest renders m as its file bytes: a header line
// "LOGQ-MANIFEST <version> <crc32c of the body, hex>\n" and a JSON body. JSON
// keeps the file readable with cat during an incident; the CRC catches damage.
func encodeManifest(m *manifest) []byte {
	body, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		panic("BUG: manifest does not marshal: " + err.Error())
	}
	body = append(body, '\n')
	header := fmt.Sprintf("%s %d %08x\n", manifestMagic, manifestVersion, crc32.Checksum(body, castagnoli))
	return append([]byte(header), body...)
}

// decodeManifest parses file bytes written by encodeManifest.
func decodeManifest(path string, data []byte) (*manifest, error) {
	nl := bytes.IndexByte(data, '\n')
	if nl < 0 {
		return nil, fmt.Errorf("%w: manifest %s: no header line", ErrCorrupt, path)
	}
	fields := bytes.Fields(data[:nl])
	if len(fields) != 3 || string(fields[0]) != manifestMagic {
		return nil, fmt.Errorf("%w: manifest %s: bad header %q", ErrCorrupt, path, data[:nl])
	}
	if v, err := strconv.Atoi(string(fields[1])); err != nil || v != manifestVersion {
		return nil, fmt.Errorf("%w: manifest %s: unsupported version %q", ErrCorrupt, path, fields[1])
	}
	want, err := strconv.ParseUint(string(fields[2]), 16, 32)
	body := data[nl+1:]
	if err != nil || uint32(want) != crc32.Checksum(body, castagnoli) {
		return nil, fmt.Errorf("%w: manifest %s: checksum mismatch", ErrCorrupt, path)
	}
	var m manifest
	if err := json.Unmarshal(body, &m); err != nil {
		return nil, fmt.Errorf("%w: manifest %s: %v", ErrCorrupt, path, err)
	}
	for i, s := range m.Segments {
		if s.ID >= m.NextID || (i > 0 && s.ID <= m.Segments[i-1].ID) {
			return nil, fmt.Errorf("%w: manifest %s: segment ids out of order", ErrCorrupt, path)
		}
		for j, d := range s.Damaged {
			if d.Batch < 0 || (j > 0 && d.Batch <= s.Damaged[j-1].Batch) {
				return nil, fmt.Errorf("%w: manifest %s: damaged batches of segment %d out of order", ErrCorrupt, path, s.ID)
			}
		}
	}
	return &m, nil
}

// readManifest reads a partition's manifest; os.ErrNotExist when absent.
func readManifest(path string) (*manifest, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return decodeManifest(path, data)
}

// segmentFileName is the file name of segment id (FORMAT.md): 16 hex digits
// of the ID and a 4-digit compaction level, so a merged segment that keeps the
// ID of its first input never reuses a file name still open by readers.
func segmentFileName(id uint64, level int) string {
	return fmt.Sprintf("%016x-%04d%s", id, level, segmentFileExt)
}
