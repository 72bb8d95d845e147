package segment

import (
	"slices"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/cespare/xxhash/v2"

	"logq/partitions/columns"
)

// strDict is the segment-wide dictionary of one string column. The Arrow IPC
// file format allows one dictionary per field for the whole file, so the
// values of every batch are unified before anything is written.
type strDict struct {
	values []string       // distinct non-NULL values, sorted byte-wise
	codes  []int32        // per row of the segment: index into values, 0 for NULL
	hashes []uint64       // xxhash64 of each value, for bloom filters
	index  arrow.DataType // narrowest index type for len(values)
	arr    arrow.Array    // the dictionary as an Arrow utf8 array
}

// buildDict returns the dictionary of s (NULL where valid is false; nil valid
// means no NULLs), or nil when s has more than limit distinct values.
func buildDict(s *columns.Strings, valid []bool, limit int) *strDict {
	n := s.Len()
	codes := make([]int32, n)
	ids := make(map[string]int32)
	var firstSeen []string
	start := uint32(0)
	for i, end := range s.Ends {
		v := s.Data[start:end]
		start = end
		if valid != nil && !valid[i] {
			continue
		}
		code, ok := ids[string(v)]
		if !ok {
			if len(firstSeen) == limit {
				return nil
			}
			code = int32(len(firstSeen))
			firstSeen = append(firstSeen, string(v))
			ids[firstSeen[code]] = code
		}
		codes[i] = code
	}
	return sortDict(firstSeen, codes, valid)
}

// sortDict sorts the values of a dictionary and renumbers the codes to match.
func sortDict(values []string, codes []int32, valid []bool) *strDict {
	order := make([]int32, len(values))
	for i := range order {
		order[i] = int32(i)
	}
	slices.SortFunc(order, func(a, b int32) int { return strings.Compare(values[a], values[b]) })
	remap := make([]int32, len(values))
	sorted := make([]string, len(values))
	hashes := make([]uint64, len(values))
	for to, from := range order {
		remap[from] = int32(to)
		sorted[to] = values[from]
		hashes[to] = xxhash.Sum64String(values[from])
	}
	for i, c := range codes {
		if valid == nil || valid[i] {
			codes[i] = remap[c]
		}
	}
	return &strDict{values: sorted, codes: codes, hashes: hashes, index: indexType(len(values))}
}

// indexType returns the narrowest dictionary index type for n values.
func indexType(n int) arrow.DataType {
	switch {
	case n <= 128:
		return arrow.PrimitiveTypes.Int8
	case n <= 256:
		return arrow.PrimitiveTypes.Uint8
	case n <= 32768:
		return arrow.PrimitiveTypes.Int16
	default:
		return arrow.PrimitiveTypes.Int32
	}
}

// dictType returns the Arrow type of the column.
func (d *strDict) dictType() *arrow.DictionaryType {
	return &arrow.DictionaryType{IndexType: d.index, ValueType: arrow.BinaryTypes.String}
}

// build creates the Arrow array of the dictionary values. The same array
// (same ArrayData) is attached to every batch, which is how the IPC writer
// knows not to write it again.
func (d *strDict) build(mem memory.Allocator) {
	b := array.NewStringBuilder(mem)
	defer b.Release()
	b.Reserve(len(d.values))
	for _, v := range d.values {
		b.Append(v)
	}
	d.arr = b.NewArray()
}

// release frees the Arrow array of the dictionary.
func (d *strDict) release() {
	if d != nil && d.arr != nil {
		d.arr.Release()
		d.arr = nil
	}
}

// rawBytes returns the decoded size of the dictionary's buffers.
func (d *strDict) rawBytes() int64 {
	n := int64(4 * (len(d.values) + 1))
	for _, v := range d.values {
		n += int64(len(v))
	}
	return n
}
