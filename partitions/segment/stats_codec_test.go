package segment

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"logq/partitions/columns"
)

// decodedStats writes a small segment and returns its decoded stats block.
func decodedStats(t *testing.T) (*Stats, []blockInfo, []byte) {
	b := genRandom(rand.New(rand.NewPCG(8, 8)), randSpec{rows: 50, nullPct: 10, maxGapUS: 100, cards: [3]int{3, 3, 3}, traceHex: true, dynamic: true})
	var buf bytes.Buffer
	_, err := Encode(&buf, b, WriteOptions{BatchRows: 20})
	require.NoError(t, err)
	file := buf.Bytes()
	tr := file[len(file)-trailerSize:]
	arrowLen, statsLen := binary.LittleEndian.Uint64(tr[8:]), binary.LittleEndian.Uint64(tr[32:])
	st, blocks, err := decodeStats(file[arrowLen : arrowLen+statsLen])
	require.NoError(t, err)
	require.NoError(t, checkStats(st, blocks))
	return st, blocks, file
}

// TestStatsInconsistent checks that statistics which decode but contradict
// each other are refused, both by checkStats and by the reader on a file
// whose checksums were recomputed.
func TestStatsInconsistent(t *testing.T) {
	cases := []struct {
		name   string
		mutate func(st *Stats, blocks []blockInfo)
	}{
		{"rows do not add up", func(st *Stats, _ []blockInfo) { st.Rows++ }},
		{"segment min after first batch", func(st *Stats, _ []blockInfo) { st.MinTS++ }},
		{"batch overlaps the next", func(st *Stats, _ []blockInfo) { st.Batches[0].MaxTS = st.Batches[1].MinTS + 1 }},
		{"batch too large", func(st *Stats, _ []blockInfo) { st.Batches[0].Rows = maxBatchRows + 1 }},
		{"level counts do not add up", func(st *Stats, _ []blockInfo) { st.Batches[1].Levels[0].Count++ }},
		{"level counts despite overflow", func(st *Stats, _ []blockInfo) { st.Batches[1].LevelsOverflow = true }},
		{"values not sorted", func(st *Stats, _ []blockInfo) {
			v := st.Batches[0].Services.Values
			v[0], v[1] = v[1], v[0]
		}},
		{"more nulls than rows", func(st *Stats, _ []blockInfo) { st.Batches[2].TraceIDs.Nulls = 11 }},
		{"invalid column type", func(st *Stats, _ []blockInfo) {
			for j, c := range st.Columns {
				if c.Type == columns.TypeBool { // no min/max to encode
					st.Columns[j].Type = 7
				}
			}
		}},
		{"column shadows a core column", func(st *Stats, _ []blockInfo) { st.Columns[1].Name = columns.Message }},
		{"duplicate column", func(st *Stats, _ []blockInfo) { st.Columns[1].Name = st.Columns[0].Name }},
		{"min above max", func(st *Stats, _ []blockInfo) {
			for j, c := range st.Columns {
				if c.Type == columns.TypeFloat64 {
					cs := &st.Batches[0].Dynamic[j]
					cs.MinFloat = cs.MaxFloat + 1
				}
			}
		}},
		{"unaligned arrow metadata", func(_ *Stats, blocks []blockInfo) { blocks[0].meta += 4 }},
		{"raw bytes below the batches'", func(st *Stats, _ []blockInfo) { st.RawBytes = 1 }},
		{"dynamic values not sorted", func(st *Stats, _ []blockInfo) {
			for j, c := range st.Columns {
				if cs := &st.Batches[0].Dynamic[j]; c.Type == columns.TypeString && len(cs.Values) > 1 {
					cs.Values[0], cs.Values[1] = cs.Values[1], cs.Values[0]
					return
				}
			}
			panic("no VARCHAR column with two values")
		}},
		{"more dynamic values than non-NULL rows", func(st *Stats, _ []blockInfo) {
			for j, c := range st.Columns {
				if cs := &st.Batches[0].Dynamic[j]; c.Type == columns.TypeString && cs.HasValues {
					cs.Values = nil
					for k := range st.Batches[0].Rows - cs.Nulls + 1 {
						cs.Values = append(cs.Values, fmt.Sprintf("v%03d", k))
					}
					return
				}
			}
			panic("no VARCHAR column with a value list")
		}},
		{"tuple counts do not add up", func(st *Stats, _ []blockInfo) { st.Batches[0].Tuples[0].Count++ }},
		{"tuple counts disagree with a level's", func(st *Stats, _ []blockInfo) {
			// Move a row between two levels: the rows still add up.
			tu := st.Batches[0].Tuples
			for k := range tu {
				if tu[k].Level != tu[0].Level && tu[k].Count > 1 {
					tu[0].Count++
					tu[k].Count--
					return
				}
			}
			panic("no second level with two rows")
		}},
		{"tuples not sorted", func(st *Stats, _ []blockInfo) {
			tu := st.Batches[1].Tuples
			tu[0], tu[1] = tu[1], tu[0]
		}},
		{"tuple index out of range", func(st *Stats, _ []blockInfo) {
			st.Batches[2].Tuples[len(st.Batches[2].Tuples)-1].Host = uint16(len(st.Batches[2].Hosts.Values))
		}},
		{"tuples over a bloom filter", func(st *Stats, _ []blockInfo) {
			st.Batches[0].Hosts = ValueSet{Bloom: NewBloom(3, 10), Nulls: st.Batches[0].Hosts.Nulls}
		}},
		{"a measure of more values than its tuple has rows", func(st *Stats, _ []blockInfo) {
			m := &st.Batches[0].Measures[0].Values[0]
			m.Count = st.Batches[0].Tuples[0].Count + 1
			m.Min, m.Max, m.Sum = 0, 0, 0
		}},
		{"a sum outside count times min and max", func(st *Stats, _ []blockInfo) {
			for k := range st.Batches[1].Measures[0].Values {
				if m := &st.Batches[1].Measures[0].Values[k]; m.Count > 0 && m.Max < 1<<40 {
					m.Sum = int64(m.Count)*m.Max + 1
					return
				}
			}
			panic("no measure to spoil")
		}},
		{"measures of a column that is not BIGINT", func(st *Stats, _ []blockInfo) {
			for j, c := range st.Columns {
				if c.Type != columns.TypeInt64 {
					st.Batches[0].Measures[0].Column = j
					return
				}
			}
			panic("no column of another type")
		}},
		{"minute counts that do not add up to a level's", func(st *Stats, _ []blockInfo) {
			st.Batches[0].Minutes[0].Count++
		}},
		{"minute counts not sorted", func(st *Stats, _ []blockInfo) {
			mc := st.Batches[1].Minutes
			mc[0], mc[1] = mc[1], mc[0]
		}},
		{"minute counts past the batch's last minute", func(st *Stats, _ []blockInfo) {
			mc := st.Batches[2].Minutes
			mc[len(mc)-1].Minute += 1000
		}},
		{"a service without rows", func(st *Stats, _ []blockInfo) {
			s := &st.Batches[0].Services
			s.Values = append(s.Values, "\xffnot-there")
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			st, blocks, file := decodedStats(t)
			tc.mutate(st, blocks)
			st2, blocks2, err := decodeStats(appendStats(nil, st, blocks))
			if err == nil {
				err = checkStats(st2, blocks2)
			}
			require.Error(t, err)

			resealed := replaceStats(t, file, st, blocks)
			path := filepath.Join(t.TempDir(), "seg")
			require.NoError(t, os.WriteFile(path, resealed, 0o600))
			_, err = ReadStats(path)
			require.ErrorIs(t, err, ErrCorrupt)
			_, err = Open(path)
			require.ErrorIs(t, err, ErrCorrupt)
		})
	}
}

// replaceStats returns file with its stats block replaced and the trailer
// updated to match, checksums included.
func replaceStats(t testing.TB, file []byte, st *Stats, blocks []blockInfo) []byte {
	tr, err := decodeTrailer("x", file[len(file)-trailerSize:], int64(len(file)))
	require.NoError(t, err)
	stats := appendStats(nil, st, blocks)
	tr.statsLen, tr.statsCRC = uint64(len(stats)), crc32.Checksum(stats, castagnoli)
	out := append(append([]byte(nil), file[:tr.arrowLen]...), stats...)
	return append(out, tr.encode()...)
}

func TestStatsRoundTrip(t *testing.T) {
	st, blocks, _ := decodedStats(t)
	for i := range st.Batches {
		require.NotEmpty(t, st.Batches[i].Tuples, "batch %d", i)
	}
	st2, blocks2, err := decodeStats(appendStats(nil, st, blocks))
	require.NoError(t, err)
	require.Equal(t, st, st2)
	require.Equal(t, blocks, blocks2)
}

// TestKeyedBloomNeedsVersion3 holds a reader to the version a keyed filter
// came with: in an older block, kind 2 is not a value set.
func TestKeyedBloomNeedsVersion3(t *testing.T) {
	st, blocks, _ := decodedStats(t)
	st.Batches[0].Tuples = nil
	st.Batches[0].Hosts = ValueSet{Bloom: NewBloom(3, 10), Nulls: st.Batches[0].Hosts.Nulls}
	st.Batches[0].Hosts.Bloom.Keyed = true
	for i := range blocks {
		blocks[i].cols = nil // a version 3 block, which a version 2 one only lacks keys
	}
	enc := appendStats(nil, st, blocks)
	got, _, err := decodeStats(enc)
	require.NoError(t, err)
	require.True(t, got.Batches[0].Hosts.Bloom.Keyed)
	enc[0] = 2
	_, _, err = decodeStats(enc)
	require.ErrorContains(t, err, "keyed bloom filter in stats version 2")
}

func TestStatsDecodeTruncated(t *testing.T) {
	st, blocks, _ := decodedStats(t)
	enc := appendStats(nil, st, blocks)
	for n := range len(enc) {
		_, _, err := decodeStats(enc[:n])
		require.Error(t, err, "prefix of %d bytes", n)
	}
	_, _, err := decodeStats(append(enc, 0))
	require.ErrorContains(t, err, "trailing")
	for _, v := range []byte{0, statsVersion + 1} {
		bad := append([]byte(nil), enc...)
		bad[0] = v
		_, _, err = decodeStats(bad)
		require.ErrorContains(t, err, "version")
	}
}

// TestReadsStatsVersion1 opens a segment written before stats version 2
// (testdata/stats-v1.seg, written by commit 0ae34c2 from the batch below):
// its statistics decode without tuple counts and value lists of dynamic
// columns, and its rows read back.
func TestReadsStatsVersion1(t *testing.T) {
	b := genRandom(rand.New(rand.NewPCG(1, 1)), randSpec{rows: 300, nullPct: 10, maxGapUS: 1000, cards: [3]int{4, 5, 9}, traceHex: true, dynamic: true})
	const batchRows = 128
	for _, bs := range expectStats(b, expectFields(b, batchRows), batchRows, defaultBloomBitsPerKey).Batches {
		require.NotNil(t, bs.Tuples, "version 2 would count tuples here")
	}
	checkOlderSegment(t, "stats-v1.seg", 1, b, batchRows)
}

// TestReadsStatsVersion2 opens a segment written before stats version 3
// (testdata/stats-v2.seg, written by commit dab82be from the batch below):
// its service and host bloom filters decode as unkeyed (values only), and
// its rows read back.
func TestReadsStatsVersion2(t *testing.T) {
	b := genRandom(rand.New(rand.NewPCG(2, 2)), randSpec{rows: 1400, nullPct: 10, maxGapUS: 1000, cards: [3]int{4, 100000, 100000}, traceHex: true, dynamic: true})
	const batchRows = 1200
	fields := expectFields(b, batchRows)
	require.True(t, expectStats(b, fields, batchRows, defaultBloomBitsPerKey).Batches[0].Hosts.Bloom.Keyed, "version 3 would key this filter")
	require.False(t, expectStatsVersion(b, fields, batchRows, defaultBloomBitsPerKey, 2).Batches[0].Hosts.Bloom.Keyed)
	checkOlderSegment(t, "stats-v2.seg", 2, b, batchRows)
}

// checkOlderSegment opens testdata/name, written with stats version v from
// b in batches of batchRows, and checks that its statistics are what
// version v writes and that its rows read back.
func checkOlderSegment(t *testing.T, name string, v int, b *columns.Batch, batchRows int) {
	path := filepath.Join("testdata", name)
	file, err := os.ReadFile(path)
	require.NoError(t, err)
	tr, err := decodeTrailer(path, file[len(file)-trailerSize:], int64(len(file)))
	require.NoError(t, err)
	require.Equal(t, byte(v), file[tr.arrowLen], "the file's stats version")

	want := expectStatsVersion(b, expectFields(b, batchRows), batchRows, defaultBloomBitsPerKey, v)
	want.CompressedBytes = int64(len(arrowSection(t, file)))
	_, bodies := arrowSizes(t, arrowSection(t, file))
	for k := range want.Batches {
		want.Batches[k].CompressedBytes = bodies[k]
	}
	got, err := ReadStats(path)
	require.NoError(t, err)
	require.Equal(t, want, got)

	r, err := Open(path)
	require.NoError(t, err)
	defer r.Close()
	checkReads(t, r, b, batchRows)
}
