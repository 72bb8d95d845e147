package segment

import (
	"fmt"
	"math"
	"slices"
	"strings"

	"logq/partitions/columns"
)

// checkStats checks that decoded statistics are consistent with each other,
// so that the reader and the catalog can rely on them: batch rows add up,
// time ranges nest and follow each other, counts do not exceed rows, sets are
// sorted. It returns a plain error; the caller adds the path and offset.
func checkStats(st *Stats, blocks []blockInfo) error {
	if len(st.Batches) == 0 {
		return fmt.Errorf("no batches")
	}
	if err := checkColumns(st.Columns); err != nil {
		return err
	}
	var rows, raw int64
	for i := range st.Batches {
		b := &st.Batches[i]
		if err := checkBatch(st, b, blocks[i]); err != nil {
			return fmt.Errorf("batch %d: %w", i, err)
		}
		if i > 0 && b.MinTS < st.Batches[i-1].MaxTS {
			return fmt.Errorf("batch %d starts at %d, before batch %d ends at %d", i, b.MinTS, i-1, st.Batches[i-1].MaxTS)
		}
		rows += int64(b.Rows)
		if raw += b.RawBytes; raw < 0 {
			return fmt.Errorf("raw bytes overflow")
		}
	}
	last := &st.Batches[len(st.Batches)-1]
	switch {
	case rows != st.Rows:
		return fmt.Errorf("batches hold %d rows, segment says %d", rows, st.Rows)
	case st.MinTS != st.Batches[0].MinTS || st.MaxTS != last.MaxTS || st.MaxTS < st.MinTS:
		return fmt.Errorf("segment time range [%d, %d] does not match its batches", st.MinTS, st.MaxTS)
	case raw > st.RawBytes:
		return fmt.Errorf("batches hold %d raw bytes, segment says %d", raw, st.RawBytes)
	}
	return nil
}

// checkColumns checks the dynamic column list: valid types, unique names
// that do not shadow core columns.
func checkColumns(cols []ColumnInfo) error {
	seen := make(map[string]bool, len(cols))
	for _, c := range cols {
		switch {
		case !c.Type.Valid():
			return fmt.Errorf("column %q has invalid type %d", c.Name, c.Type)
		case columns.IsCore(c.Name):
			return fmt.Errorf("dynamic column %q shadows a core column", c.Name)
		case seen[c.Name]:
			return fmt.Errorf("duplicate column %q", c.Name)
		}
		seen[c.Name] = true
	}
	return nil
}

// checkBatch checks the statistics of one batch and its block extents.
func checkBatch(st *Stats, b *BatchStats, blk blockInfo) error {
	switch {
	case b.Rows < 1 || b.Rows > maxBatchRows:
		return fmt.Errorf("%d rows", b.Rows)
	case b.MaxTS < b.MinTS || b.MaxTS > st.MaxTS:
		return fmt.Errorf("time range [%d, %d] outside the segment's", b.MinTS, b.MaxTS)
	case blk.meta < 8 || blk.meta%8 != 0 || blk.meta > math.MaxInt32:
		return fmt.Errorf("bad arrow metadata length %d", blk.meta)
	case b.CompressedBytes%8 != 0:
		return fmt.Errorf("bad arrow body length %d", b.CompressedBytes)
	}
	if err := checkColRanges(b, blk); err != nil {
		return err
	}
	if err := checkLevels(b); err != nil {
		return err
	}
	for _, vs := range []struct {
		name string
		s    *ValueSet
	}{{"services", &b.Services}, {"hosts", &b.Hosts}, {"trace_ids", &b.TraceIDs}} {
		if err := checkValueSet(vs.s, b.Rows); err != nil {
			return fmt.Errorf("%s: %w", vs.name, err)
		}
	}
	if err := checkTuples(b); err != nil {
		return fmt.Errorf("tuples: %w", err)
	}
	if err := checkMeasures(st, b); err != nil {
		return fmt.Errorf("measures: %w", err)
	}
	if err := checkMinutes(b); err != nil {
		return fmt.Errorf("minute counts: %w", err)
	}
	for j, c := range st.Columns {
		if err := checkColumnStats(c.Type, &b.Dynamic[j], b.Rows); err != nil {
			return fmt.Errorf("column %q: %w", c.Name, err)
		}
	}
	return nil
}

// checkColRanges checks that the per-field ranges of a block (stats
// version 4), if any, tile its body: Arrow pads every buffer to 8 bytes, so
// each range is a multiple of 8, and they add up to the body length.
func checkColRanges(b *BatchStats, blk blockInfo) error {
	if blk.cols == nil {
		return nil
	}
	var sum int64
	for j, c := range blk.cols {
		if c.len%8 != 0 || c.len > b.CompressedBytes-sum {
			return fmt.Errorf("field %d of %d bytes at %d in an arrow body of %d", j, c.len, sum, b.CompressedBytes)
		}
		sum += c.len
	}
	if sum != b.CompressedBytes {
		return fmt.Errorf("fields of %d bytes in an arrow body of %d", sum, b.CompressedBytes)
	}
	return nil
}

// checkLevels checks that level counts are sorted, distinct, positive and
// add up with the NULLs to the batch's rows, unless they overflowed.
func checkLevels(b *BatchStats) error {
	if b.LevelNulls > b.Rows {
		return fmt.Errorf("%d level nulls in %d rows", b.LevelNulls, b.Rows)
	}
	if b.LevelsOverflow {
		if len(b.Levels) != 0 {
			return fmt.Errorf("level counts despite overflow")
		}
		return nil
	}
	sum := b.LevelNulls
	for i, lc := range b.Levels {
		if lc.Count < 1 || (i > 0 && strings.Compare(b.Levels[i-1].Value, lc.Value) >= 0) {
			return fmt.Errorf("level counts not sorted, distinct and positive at %d", i)
		}
		sum += lc.Count
	}
	if sum != b.Rows || len(b.Levels) > maxLevelCounts {
		return fmt.Errorf("level counts add up to %d in %d rows", sum, b.Rows)
	}
	return nil
}

// checkTuples checks the (level, service, host) counts against the lists
// they index: exact lists, indices in range, sorted and distinct triples,
// positive counts that add up to the rows, to every level's count, and that
// name every value of the lists and no NULL the lists do not count.
func checkTuples(b *BatchStats) error {
	if b.Tuples == nil {
		return nil
	}
	if b.LevelsOverflow || !b.Services.Exact() || !b.Hosts.Exact() || len(b.Tuples) > maxTuples {
		return fmt.Errorf("%d counts over lists that are not exact", len(b.Tuples))
	}
	levels := make([]int, len(b.Levels)+1) // rows per level index, NULL last
	services := make([]int, len(b.Services.Values)+1)
	hosts := make([]int, len(b.Hosts.Values)+1)
	at := func(i uint16, n int) (int, bool) {
		if i == NullIndex {
			return n - 1, true
		}
		return int(i), int(i) < n-1
	}
	rows := 0
	for k, t := range b.Tuples {
		l, okL := at(t.Level, len(levels))
		s, okS := at(t.Service, len(services))
		h, okH := at(t.Host, len(hosts))
		if !okL || !okS || !okH || t.Count < 1 {
			return fmt.Errorf("entry %d: index out of range or count 0", k)
		}
		if k > 0 && !tupleLess(b.Tuples[k-1], t) {
			return fmt.Errorf("entries not sorted and distinct at %d", k)
		}
		levels[l] += int(t.Count)
		services[s] += int(t.Count)
		hosts[h] += int(t.Count)
		rows += int(t.Count)
	}
	if rows != b.Rows {
		return fmt.Errorf("counts add up to %d in %d rows", rows, b.Rows)
	}
	for i, lc := range b.Levels {
		if levels[i] != lc.Count {
			return fmt.Errorf("level %q: %d rows, its count says %d", lc.Value, levels[i], lc.Count)
		}
	}
	switch {
	case levels[len(b.Levels)] != b.LevelNulls:
		return fmt.Errorf("%d NULL levels, the level counts say %d", levels[len(b.Levels)], b.LevelNulls)
	case services[len(services)-1] != b.Services.Nulls || hosts[len(hosts)-1] != b.Hosts.Nulls:
		return fmt.Errorf("NULL services or hosts do not match their value sets")
	case slices.Contains(services[:len(services)-1], 0) || slices.Contains(hosts[:len(hosts)-1], 0):
		return fmt.Errorf("a service or host of the value sets has no rows")
	}
	return nil
}

// checkMeasures checks the per-tuple sums: over known tuples, of distinct
// BIGINT columns in ascending order, one per tuple, with no more values
// than the tuple has rows, min ≤ max, and a sum between count × min and
// count × max.
func checkMeasures(st *Stats, b *BatchStats) error {
	if b.Measures == nil {
		return nil
	}
	if b.Tuples == nil {
		return fmt.Errorf("sums of %d columns without tuple counts", len(b.Measures))
	}
	for i, tm := range b.Measures {
		switch {
		case tm.Column < 0 || tm.Column >= len(st.Columns) || st.Columns[tm.Column].Type != columns.TypeInt64:
			return fmt.Errorf("column %d is not a BIGINT column of the segment", tm.Column)
		case i > 0 && tm.Column <= b.Measures[i-1].Column:
			return fmt.Errorf("columns not sorted and distinct at %d", i)
		case len(tm.Values) != len(b.Tuples):
			return fmt.Errorf("column %d: %d sums for %d tuples", tm.Column, len(tm.Values), len(b.Tuples))
		}
		for k, m := range tm.Values {
			if m.Count > b.Tuples[k].Count {
				return fmt.Errorf("column %d, tuple %d: %d values in %d rows", tm.Column, k, m.Count, b.Tuples[k].Count)
			}
			if m.Count == 0 {
				if m.Sum != 0 || m.Min != 0 || m.Max != 0 {
					return fmt.Errorf("column %d, tuple %d: sums of no values", tm.Column, k)
				}
				continue
			}
			lo, loOK := mulInt64(int64(m.Count), m.Min)
			hi, hiOK := mulInt64(int64(m.Count), m.Max)
			if m.Min > m.Max || loOK && m.Sum < lo || hiOK && m.Sum > hi {
				return fmt.Errorf("column %d, tuple %d: sum %d of %d values in [%d, %d]", tm.Column, k, m.Sum, m.Count, m.Min, m.Max)
			}
		}
	}
	return nil
}

// mulInt64 returns a × b and whether it fits an int64.
func mulInt64(a, b int64) (int64, bool) {
	p := a * b
	if a != 0 && (p/a != b || a == -1 && b == math.MinInt64) {
		return 0, false
	}
	return p, true
}

// checkMinutes checks the counts per minute and level: exact level counts,
// sorted and distinct entries with positive counts inside the batch's time
// range (the first entry in its first minute, the last in its last), that
// add up to the level counts.
func checkMinutes(b *BatchStats) error {
	if b.Minutes == nil {
		return nil
	}
	if b.LevelsOverflow || len(b.Minutes) > maxMinuteCounts {
		return fmt.Errorf("%d counts over levels that are not exact", len(b.Minutes))
	}
	levels := make([]int, len(b.Levels)+1) // rows per level index, NULL last
	for k, mc := range b.Minutes {
		l := int(mc.Level)
		if mc.Level == NullIndex {
			l = len(b.Levels)
		}
		if l >= len(levels) || mc.Count < 1 {
			return fmt.Errorf("entry %d: level out of range or count 0", k)
		}
		if k > 0 {
			prev := b.Minutes[k-1]
			if mc.Minute < prev.Minute || mc.Minute == prev.Minute && mc.Level <= prev.Level {
				return fmt.Errorf("entries not sorted and distinct at %d", k)
			}
		}
		levels[l] += int(mc.Count)
	}
	first, last := b.Minutes[0].Minute, b.Minutes[len(b.Minutes)-1].Minute
	if span := FirstMinute(b.MaxTS) - FirstMinute(b.MinTS); first != 0 || int64(last) != span {
		return fmt.Errorf("minutes %d to %d in a batch spanning %d", first, last, span)
	}
	for i, lc := range b.Levels {
		if levels[i] != lc.Count {
			return fmt.Errorf("level %q: %d rows, its count says %d", lc.Value, levels[i], lc.Count)
		}
	}
	if levels[len(b.Levels)] != b.LevelNulls {
		return fmt.Errorf("%d NULL levels, the level counts say %d", levels[len(b.Levels)], b.LevelNulls)
	}
	return nil
}

// tupleLess orders TupleCounts by (Level, Service, Host).
func tupleLess(a, b TupleCount) bool {
	if a.Level != b.Level {
		return a.Level < b.Level
	}
	if a.Service != b.Service {
		return a.Service < b.Service
	}
	return a.Host < b.Host
}

// checkValueSet checks the NULL count and, for an exact set, that the values
// are sorted, distinct and not more than the non-NULL rows.
func checkValueSet(s *ValueSet, rows int) error {
	if s.Nulls > rows {
		return fmt.Errorf("%d nulls in %d rows", s.Nulls, rows)
	}
	if s.Bloom != nil {
		return nil
	}
	if len(s.Values) > rows-s.Nulls {
		return fmt.Errorf("%d distinct values in %d non-null rows", len(s.Values), rows-s.Nulls)
	}
	for i := 1; i < len(s.Values); i++ {
		if s.Values[i-1] >= s.Values[i] {
			return fmt.Errorf("values not sorted and distinct at %d", i)
		}
	}
	return nil
}

// checkDynValues checks the value list of a VARCHAR column: at most
// maxExactDynValues, sorted and distinct, not more than its non-NULL rows,
// and none unless there is at least one non-NULL row.
func checkDynValues(t columns.Type, c *ColumnStats, rows int) error {
	switch {
	case t != columns.TypeString || !c.HasValues:
		return fmt.Errorf("a value list on a %s column", t)
	case len(c.Values) > maxExactDynValues || len(c.Values) > rows-c.Nulls:
		return fmt.Errorf("%d values in %d non-null rows", len(c.Values), rows-c.Nulls)
	case c.Nulls < rows && len(c.Values) == 0:
		return fmt.Errorf("no values in %d non-null rows", rows-c.Nulls)
	}
	for i := 1; i < len(c.Values); i++ {
		if c.Values[i-1] >= c.Values[i] {
			return fmt.Errorf("values not sorted and distinct at %d", i)
		}
	}
	return nil
}

// checkColumnStats checks a zone map: NULLs within the rows, and a min/max
// only for a column with a non-NULL value, in order.
func checkColumnStats(t columns.Type, c *ColumnStats, rows int) error {
	if c.HasValues || c.Values != nil {
		if err := checkDynValues(t, c, rows); err != nil {
			return err
		}
	}
	switch {
	case c.Nulls > rows:
		return fmt.Errorf("%d nulls in %d rows", c.Nulls, rows)
	case !c.HasMinMax:
		return nil
	case c.Nulls == rows:
		return fmt.Errorf("min/max of an all-NULL column")
	case t == columns.TypeInt64 && c.MaxInt < c.MinInt:
		return fmt.Errorf("min %d > max %d", c.MinInt, c.MaxInt)
	case t == columns.TypeFloat64 && !(c.MinFloat <= c.MaxFloat):
		return fmt.Errorf("min %v > max %v", c.MinFloat, c.MaxFloat)
	}
	return nil
}
