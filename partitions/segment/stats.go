package segment

import (
	"math"
	"slices"

	"logq/partitions/columns"
)

// Stats describes one segment file: what the catalog keeps in memory to prune
// without opening the file. It is read from the file's stats block, which is
// checksummed separately from the Arrow data so that start-up never decodes data.
// Empty lists are nil. Stats shared by a Reader or the catalog are read-only.
type Stats struct {
	Rows            int64
	MinTS, MaxTS    int64 // UTC microseconds, inclusive
	CompressedBytes int64 // bytes of the Arrow IPC section on disk
	RawBytes        int64 // bytes of the decoded Arrow buffers, dictionaries included
	Columns         []ColumnInfo
	Batches         []BatchStats
}

// ColumnInfo names a dynamic column present in the segment and the logical
// type its values had when written (the catalog may since have widened it).
type ColumnInfo struct {
	Name string
	Type columns.Type
}

// BatchStats describes record batch i of a segment.
type BatchStats struct {
	Rows            int
	MinTS, MaxTS    int64 // UTC microseconds, inclusive
	CompressedBytes int64 // body bytes of the batch's Arrow message in the file
	RawBytes        int64 // decoded buffer bytes, dictionaries excluded

	// Levels counts rows per level value, sorted by value. LevelsOverflow is
	// set when the batch has more distinct levels than maxLevelCounts (256):
	// the counts are then empty and the batch can never be pruned by level.
	// NULL levels are LevelNulls.
	Levels         []ValueCount
	LevelNulls     int
	LevelsOverflow bool

	Services ValueSet
	Hosts    ValueSet
	TraceIDs ValueSet

	// Tuples counts the rows of each (level, service, host) combination
	// of the batch, sorted by (Level, Service, Host). It is nil when
	// unknown: when a list it indexes is not exact (overflowed levels, a
	// bloom filter), when one of the three columns is stored without a
	// dictionary, when the batch has more than maxTuples combinations, and
	// in segments written before stats version 2. Counts of rows grouped
	// by and filtered on these three columns, the common dashboard panels,
	// are then exact without reading the batch.
	Tuples []TupleCount

	// Measures sums up BIGINT dynamic columns per entry of Tuples: for
	// each such column (by ascending index into Stats.Columns) the count,
	// sum, minimum and maximum of its non-NULL values in the rows of each
	// combination. A column is missing when its sum over a combination
	// overflows an int64; all are when Tuples is nil, and before stats
	// version 5. Latency per service, per host, of the errors: answered
	// without reading the batch.
	Measures []TupleMeasures

	// Minutes counts the rows of each (minute, level) of the batch, sorted
	// by (Minute, Level). It is nil when the level counts overflowed, when
	// there are more than maxMinuteCounts entries (a batch spanning days of
	// a quiet stream), and before stats version 5. Counts per time bucket of
	// a minute or more, by level or of some levels (the volume panel of
	// every log dashboard), are then exact without reading the batch.
	Minutes []MinuteCount

	// Dynamic holds one entry per entry of Stats.Columns, same order.
	Dynamic []ColumnStats
}

// TupleCount is the number of rows of one combination of level, service
// and host in a batch. Each field is an index into the batch's own lists
// (Levels, Services.Values, Hosts.Values), or NullIndex for NULL.
type TupleCount struct {
	Level, Service, Host uint16
	Count                uint32
}

// TupleMeasures is the Measures of one BIGINT dynamic column.
type TupleMeasures struct {
	Column int       // index into Stats.Columns
	Values []Measure // one per entry of BatchStats.Tuples, same order
}

// Measure is what the non-NULL values of one column in the rows of one
// tuple add up to. Sum, Min and Max are 0 when Count is 0.
type Measure struct {
	Count         uint32
	Sum, Min, Max int64
}

// MinuteCount is the number of rows of one level in one minute of a batch.
// Minute counts whole UTC minutes from the one holding the batch's MinTS
// (floor(MinTS / 60 s)); Level is an index into the batch's Levels, or
// NullIndex.
type MinuteCount struct {
	Minute uint32
	Level  uint16
	Count  uint32
}

// FirstMinute is the UTC minute, in minutes since the epoch, that
// MinuteCount.Minute counts from: the one holding ts (µs).
func FirstMinute(ts int64) int64 {
	m := ts / 60_000_000
	if ts%60_000_000 < 0 {
		m--
	}
	return m
}

// NullIndex is the index of NULL in a TupleCount; it sorts after every
// value's, as NULL sorts after them in the lists' order of TupleCounts.
const NullIndex = math.MaxUint16

// ValueCount is one distinct value and its number of rows.
type ValueCount struct {
	Value string
	Count int
}

// ColumnStats is the zone map of one dynamic column in one batch. Min and Max
// are set for BIGINT (MinInt/MaxInt) and DOUBLE (MinFloat/MaxFloat) columns
// when at least one value is not NULL; NaN never enters MinFloat/MaxFloat.
// A VARCHAR column lists its distinct non-NULL values (sorted) in Values
// when it has at most maxExactDynValues of them (HasValues); stats version
// 1 has no lists.
type ColumnStats struct {
	Nulls              int
	HasMinMax          bool
	MinInt, MaxInt     int64
	MinFloat, MaxFloat float64
	HasValues          bool
	Values             []string
}

// ValueSet summarises the distinct non-NULL values of a string column in one
// batch: the exact sorted set when small (at most 1,024 values for service
// and host, 64 for trace_id), otherwise a bloom filter of the values.
type ValueSet struct {
	Values []string // sorted and distinct; valid when Bloom is nil
	Bloom  *Bloom
	Nulls  int
}

// MayContain reports whether v may occur in the batch. False is definite.
func (s *ValueSet) MayContain(v string) bool {
	if s.Bloom != nil {
		return s.Bloom.MayContain(v)
	}
	_, ok := slices.BinarySearch(s.Values, v)
	return ok
}

// Exact reports whether the set lists every distinct value.
func (s *ValueSet) Exact() bool { return s.Bloom == nil }

// LevelCount returns the number of rows whose level is v, and false when the
// batch's level counts overflowed (the count is then unknown).
func (b *BatchStats) LevelCount(v string) (int, bool) {
	if b.LevelsOverflow {
		return 0, false
	}
	for _, lc := range b.Levels {
		if lc.Value == v {
			return lc.Count, true
		}
	}
	return 0, true
}
