package segment

import (
	"errors"
	"fmt"
	"math"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"logq/partitions/columns"
)

// layout is the physical encoding Encode chose for a segment, column by
// column (FORMAT.md, "Columns"). Every choice is made over the whole segment
// because the Arrow schema is the same for all batches of a file.
type layout struct {
	b         *columns.Batch
	batchRows int
	tsWide    bool     // ts deltas are int64 (a gap does not fit uint32)
	level     *strDict // nil: plain utf8
	service   *strDict
	host      *strDict
	traceHex  bool // trace_id is fixed_size_binary(8)
	dyn       []dynLayout
	schema    *arrow.Schema
	bufAt     []int // per field, its first buffer in a message; then the total
}

// dynLayout is the encoding of one dynamic column.
type dynLayout struct {
	col   *columns.Dynamic
	width int      // BIGINT: bytes per value, 1, 2, 4 or 8
	dict  *strDict // VARCHAR: non-nil when dictionary-encoded
}

// checkInput returns an error unless b is a well-formed batch sorted by ts:
// every column has one entry per row, string arenas are consistent, dynamic
// columns have valid types and unique names that do not shadow core columns.
func checkInput(b *columns.Batch) error {
	n := b.Len()
	if n == 0 {
		return ErrEmpty
	}
	if !b.SortedByTS() {
		return errors.New("segment: batch is not sorted by ts")
	}
	core := []*columns.Strings{&b.Level, &b.Service, &b.Host, &b.TraceID, &b.Message}
	for i, s := range core {
		if err := checkStrings(s, n); err != nil {
			return fmt.Errorf("segment: column %s: %w", columns.CoreNames[i+1], err)
		}
	}
	seen := make(map[string]bool, len(b.Dynamic))
	for _, d := range b.Dynamic {
		if err := checkDynamic(d, n); err != nil {
			return fmt.Errorf("segment: column %q: %w", d.Name, err)
		}
		if seen[d.Name] {
			return fmt.Errorf("segment: duplicate column %q", d.Name)
		}
		seen[d.Name] = true
	}
	return nil
}

// checkStrings checks that s has n values and that its ends are monotonic
// and inside its data.
func checkStrings(s *columns.Strings, n int) error {
	if len(s.Ends) != n || (s.Valid != nil && len(s.Valid) != n) {
		return fmt.Errorf("%d values (%d validity entries) for %d rows", len(s.Ends), len(s.Valid), n)
	}
	prev := uint32(0)
	for _, e := range s.Ends {
		if e < prev {
			return errors.New("string ends are not monotonic")
		}
		prev = e
	}
	if int64(prev) > int64(len(s.Data)) {
		return fmt.Errorf("string ends reach %d past %d data bytes", prev, len(s.Data))
	}
	return nil
}

// checkDynamic checks a dynamic column: its name, its type, and one value
// and one validity entry per row.
func checkDynamic(d *columns.Dynamic, n int) error {
	if columns.IsCore(d.Name) {
		return errors.New("dynamic column shadows a core column")
	}
	if len(d.Valid) != n {
		return fmt.Errorf("%d validity entries for %d rows", len(d.Valid), n)
	}
	var got int
	switch d.Type {
	case columns.TypeInt64:
		got = len(d.Ints)
	case columns.TypeFloat64:
		got = len(d.Floats)
	case columns.TypeBool:
		got = len(d.Bools)
	case columns.TypeString:
		return checkStrings(&d.Strs, n) // Dynamic.Valid rules; Strs.Valid is ignored
	default:
		return fmt.Errorf("invalid type %d", d.Type)
	}
	if got != n {
		return fmt.Errorf("%d values for %d rows", got, n)
	}
	return nil
}

// planLayout chooses the encoding of every column of b, which checkInput
// accepted, and builds the shared dictionary arrays. Each choice takes one
// pass over a column; the dictionaries' codes are kept for the batches.
func planLayout(b *columns.Batch, batchRows int, mem memory.Allocator) *layout {
	l := planDicts(b, batchRows)
	l.tsWide = !deltasFitUint32(b.TS, batchRows)
	l.traceHex = allHex16(&b.TraceID)
	for i := range l.dyn {
		if d := l.dyn[i].col; d.Type == columns.TypeInt64 {
			l.dyn[i].width = intWidth(d.Ints, d.Valid)
		}
	}
	for _, d := range l.dicts() {
		d.build(mem)
	}
	l.schema = l.arrowSchema()
	l.bufAt = make([]int, l.schema.NumFields()+1)
	for j, f := range l.schema.Fields() {
		n := 2 // validity and values, or dictionary indices
		if f.Type.ID() == arrow.STRING {
			n = 3 // validity, offsets, data
		}
		l.bufAt[j+1] = l.bufAt[j] + n
	}
	return l
}

// planDicts makes the choices of planLayout that the statistics depend on,
// and only those: which string columns get a segment-wide dictionary (their
// codes give the distinct values and the tuple counts). Summarize stops
// there; Encode goes on to the Arrow encoding.
func planDicts(b *columns.Batch, batchRows int) *layout {
	l := &layout{b: b, batchRows: batchRows}
	l.level = buildDict(&b.Level, b.Level.Valid, maxCoreDictValues)
	l.service = buildDict(&b.Service, b.Service.Valid, maxCoreDictValues)
	l.host = buildDict(&b.Host, b.Host.Valid, maxCoreDictValues)
	for _, d := range b.Dynamic {
		dl := dynLayout{col: d}
		if d.Type == columns.TypeString {
			dl.dict = buildDict(&d.Strs, d.Valid, min(maxDynDictValues, b.Len()/dynDictRowsPerValue))
		}
		l.dyn = append(l.dyn, dl)
	}
	return l
}

// dicts returns the dictionaries of the segment.
func (l *layout) dicts() []*strDict {
	var out []*strDict
	for _, d := range []*strDict{l.level, l.service, l.host} {
		if d != nil {
			out = append(out, d)
		}
	}
	for _, dl := range l.dyn {
		if dl.dict != nil {
			out = append(out, dl.dict)
		}
	}
	return out
}

// release frees the dictionary arrays.
func (l *layout) release() {
	for _, d := range l.dicts() {
		d.release()
	}
}

// deltasFitUint32 reports whether every gap between consecutive rows of the
// same batch fits a uint32 (71.6 minutes of microseconds).
func deltasFitUint32(ts []int64, batchRows int) bool {
	for i := 1; i < len(ts); i++ {
		if i%batchRows != 0 && uint64(ts[i]-ts[i-1]) > math.MaxUint32 {
			return false
		}
	}
	return true
}

// allHex16 reports whether every non-NULL value of s is 16 lower-case hex
// digits, so that it can be stored as 8 bytes and re-encoded exactly.
func allHex16(s *columns.Strings) bool {
	start := uint32(0)
	for i, end := range s.Ends {
		v := s.Data[start:end]
		start = end
		if s.Valid != nil && !s.Valid[i] {
			continue
		}
		if len(v) != 16 {
			return false
		}
		for _, c := range v {
			if hexValue[c] < 0 {
				return false
			}
		}
	}
	return true
}

// intWidth returns the narrowest width in bytes of a signed integer that
// holds every valid value.
func intWidth(vals []int64, valid []bool) int {
	lo, hi := int64(0), int64(0)
	for i, v := range vals {
		if valid[i] {
			lo, hi = min(lo, v), max(hi, v)
		}
	}
	switch {
	case lo >= math.MinInt8 && hi <= math.MaxInt8:
		return 1
	case lo >= math.MinInt16 && hi <= math.MaxInt16:
		return 2
	case lo >= math.MinInt32 && hi <= math.MaxInt32:
		return 4
	}
	return 8
}

// hexValue maps a lower-case hex digit to its value and every other byte to -1.
var hexValue = func() (t [256]int8) {
	for i := range t {
		t[i] = -1
	}
	for i, c := range "0123456789abcdef" {
		t[c] = int8(i)
	}
	return t
}()
