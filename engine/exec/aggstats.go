package exec

import (
	"math"
	"slices"
	"strings"
	"time"

	"logq/partitions/columns"
	"logq/partitions/segment"
)

// statsPlan says whether, and how, an aggregate can take a batch's answer
// from its statistics instead of its rows: when the batch lies wholly inside
// the query's ts range, the only other condition is one on level (= or IN),
// it groups by nothing or by level, and it asks only for counts of rows (and
// MIN/MAX(ts) when nothing else narrows the rows). The statistics hold the
// exact row count, ts range and count of every level of each batch.
//
// A second, wider mode (tuples) uses the batch's counts of every (level,
// service, host) combination, where the segment has them: any keys among
// those three columns, any claimed condition that reads only them, and
// counts (COUNT(*), COUNT and COUNT(DISTINCT) of the three), and COUNT,
// SUM, AVG, MIN and MAX of BIGINT columns from the per-tuple sums
// (segment.BatchStats.Measures). The combinations act as a small batch
// whose rows stand for count rows each.
//
// A third mode (minutes) uses the batch's counts per minute and level:
// keys that are time buckets of whole minutes (keyEpochDiv, keyEpochFloor,
// keyLocal, see minuteKey) and level, a claimed condition on level only,
// and counts of rows. The (minute, level) pairs act as a small batch too,
// each row at its minute's first microsecond.
type statsPlan struct {
	ok          bool
	Tuples      bool     // answered from the tuple counts (see above)
	Measured    []string // tuples: the BIGINT columns summed, as stored
	Minutes     bool     // answered from the counts per minute and level
	local       bool     // minutes: a key is a wall-clock bucket (keyLocal)
	cond        Pred     // minutes: the claimed condition; nil: none
	implied     bool     // minutes: cond reads service or host (see minutesCond)
	distinct    int      // DISTINCT of this core column (colLevel..colTraceID); 0: none
	distinctDyn string   // or of this dynamic VARCHAR column
	byLevel     bool     // the one key is level
	levelIn     *inPred  // the condition on level; nil: none
	levelCounts bool     // the answer needs the batch's level counts
}

// statsPlanOf works out the statsPlan of q: the level counts where they
// answer, else the tuple counts where they answer.
func statsPlanOf(q *AggSpec) statsPlan {
	if sp := countsPlanOf(q); sp.ok {
		return sp
	}
	if measured, ok := tuplesAnswer(q); ok {
		return statsPlan{ok: true, Tuples: true, Measured: measured}
	}
	return minutesPlanOf(q)
}

// minutesPlanOf is the statsPlan of the counts per minute and level: at
// least one key a time bucket of whole minutes, the others level; counts
// of rows or of levels; a claimed condition on level alone.
func minutesPlanOf(q *AggSpec) statsPlan {
	sp := statsPlan{Minutes: true}
	timed := false
	for k := range q.Keys {
		key := &q.Keys[k]
		switch {
		case key.Kind == KeyString && key.Col.Core == ColLevel:
		case minuteKey(key):
			timed = true
			sp.local = sp.local || key.Kind == KeyLocal
		default:
			return statsPlan{}
		}
	}
	for _, fn := range q.Aggs {
		switch {
		case fn.Op == OpCount && (fn.Arg == ArgRows || fn.Arg == ArgTS):
		case fn.Op == OpCount && fn.Arg == ArgString && fn.Col.Core == ColLevel:
		default:
			return statsPlan{}
		}
	}
	if q.Push != nil && q.Push.pred != nil {
		sp.cond = q.Push.pred
		for _, name := range sp.cond.Columns(nil) {
			switch name {
			case "level":
			case "service", "host":
				// Only where the batch's values all meet the condition on
				// them (Grafana's "All": every service of a menu), which
				// withoutImplied then drops.
				sp.implied = true
			default:
				return statsPlan{}
			}
		}
	}
	sp.ok = timed
	return sp
}

// minutesCond is the condition the minute counts of st are filtered by:
// the claimed one without the conjuncts every row of the batch meets; ok
// is false when what is left reads more than level.
func (sp statsPlan) minutesCond(st *segment.BatchStats) (cond Pred, ok bool) {
	if !sp.implied {
		return sp.cond, true
	}
	cond = withoutImplied(sp.cond, st)
	return cond, cond == nil || readsOnly(cond, "level")
}

// readsOnly reports whether cond reads no column but col.
func readsOnly(cond Pred, col string) bool {
	for _, name := range cond.Columns(nil) {
		if name != col {
			return false
		}
	}
	return true
}

// minuteKey reports whether every row of a UTC minute falls in one group
// of the time key k: buckets of whole minutes since the epoch. FLOOR's
// rounding to 10 decimals (epochFloor) moves the last microseconds of a
// bucket into the next one only past 20,000 s; a wall-clock key is whole
// minutes in zones whose offsets are (checked per batch: wholeMinuteZone).
func minuteKey(k *AggKey) bool {
	switch k.Kind {
	case KeyEpochDiv:
		return k.N%60 == 0
	case KeyEpochFloor:
		return k.N%60 == 0 && k.N <= 20_000
	case KeyLocal:
		return k.Unit >= 60
	}
	return false
}

// wholeMinuteZone reports whether loc's offset from UTC is whole minutes,
// and changes only at whole UTC minutes, between the UTC microseconds lo
// and hi: a minute of UTC is then a minute of the wall clock.
func wholeMinuteZone(loc *time.Location, lo, hi int64) bool {
	sec, last := floorDiv(lo, 1_000_000), floorDiv(hi, 1_000_000)
	for {
		t := time.Unix(sec, 0).In(loc)
		if _, off := t.Zone(); off%60 != 0 {
			return false
		}
		_, end := t.ZoneBounds()
		if end.IsZero() || end.Unix() > last {
			return true
		}
		if end.Unix()%60 != 0 {
			return false
		}
		sec = end.Unix()
	}
}

// tupleColumn reports whether a core column is one the tuple counts name.
func tupleColumn(core int) bool {
	return core == ColLevel || core == ColService || core == ColHost
}

// tuplesAnswer reports whether q can be answered from tuple counts: keys
// and counted columns among level, service and host, aggregates of BIGINT
// columns but COUNT(DISTINCT) (returned as stored, for answers to check
// each batch has their sums), and a claimed condition that reads nothing
// else.
func tuplesAnswer(q *AggSpec) (measured []string, ok bool) {
	for _, k := range q.Keys {
		if k.Kind != KeyString || !tupleColumn(k.Col.Core) {
			return nil, false
		}
	}
	for _, fn := range q.Aggs {
		switch {
		case fn.Op == OpCount && (fn.Arg == ArgRows || fn.Arg == ArgTS):
		case (fn.Op == OpCount || fn.Op == OpCountDistinct) && fn.Arg == ArgString && tupleColumn(fn.Col.Core):
		case fn.Arg == ArgInt && fn.Op != OpCountDistinct:
			measured = append(measured, q.View.Stored(fn.Col.Name))
		default:
			return nil, false
		}
	}
	if q.Push != nil && q.Push.pred != nil {
		for _, name := range q.Push.pred.Columns(nil) {
			if name != "level" && name != "service" && name != "host" {
				return nil, false
			}
		}
	}
	return measured, true
}

// hasMeasures reports whether batch bi of seg has the per-tuple sums of
// the dynamic column stored as name, or lacks the column (NULL in every
// row); false when it has it without sums (another type, a sum past
// int64, or stats from before version 5).
func hasMeasures(seg *segment.Stats, bi int, name string) bool {
	j := slices.IndexFunc(seg.Columns, func(c segment.ColumnInfo) bool { return c.Name == name })
	return j < 0 || slices.ContainsFunc(seg.Batches[bi].Measures, func(tm segment.TupleMeasures) bool { return tm.Column == j })
}

// countsPlanOf is the statsPlan of the level counts and value sets.
func countsPlanOf(q *AggSpec) statsPlan {
	var sp statsPlan
	if len(q.Aggs) == 0 && len(q.Keys) == 1 && (q.Push == nil || q.Push.pred == nil) {
		// DISTINCT of one column: the batch's exact set of values.
		if k := q.Keys[0]; k.Kind == KeyString && k.Col.Core >= ColLevel && k.Col.Core <= ColTraceID {
			sp.ok, sp.distinct = true, k.Col.Core
			return sp
		}
		if k := q.Keys[0]; k.Kind == KeyString && k.Col.Core < 0 {
			sp.ok, sp.distinctDyn = true, q.View.Stored(k.Col.Name)
			return sp
		}
	}
	if len(q.Keys) > 1 {
		return sp
	}
	if len(q.Keys) == 1 {
		if k := q.Keys[0]; k.Kind != KeyString || k.Col.Core != ColLevel {
			return sp
		}
		sp.byLevel = true
	}
	if q.Push != nil && q.Push.pred != nil {
		in, ok := q.Push.pred.(inPred)
		if !ok || in.col.Core != ColLevel {
			return sp
		}
		sp.levelIn = &in
	}
	sp.levelCounts = sp.byLevel || sp.levelIn != nil
	for _, fn := range q.Aggs {
		switch {
		case fn.Op == OpCount && (fn.Arg == ArgRows || fn.Arg == ArgTS):
		case fn.Op == OpCount && fn.Arg == ArgString && fn.Col.Core == ColLevel:
			sp.levelCounts = true
		case (fn.Op == OpMin || fn.Op == OpMax) && fn.Arg == ArgTS && !sp.byLevel && sp.levelIn == nil:
		default:
			return sp
		}
	}
	sp.ok = true
	return sp
}

// Answers reports whether batch bi of a segment whose statistics are seg,
// inside the ts range or not, can be answered from its statistics.
func (sp statsPlan) Answers(seg *segment.Stats, bi int, inside bool) bool {
	st := &seg.Batches[bi]
	if sp.distinctDyn != "" {
		cs, present := DynColumnStats(seg, bi, sp.distinctDyn)
		return sp.ok && inside && (!present || cs != nil && cs.HasValues)
	}
	if sp.Tuples {
		if !sp.ok || !inside || st.Tuples == nil {
			return false
		}
		for _, name := range sp.Measured {
			if !hasMeasures(seg, bi, name) {
				return false
			}
		}
		return true
	}
	if sp.Minutes {
		if !sp.ok || !inside || st.Minutes == nil {
			return false
		}
		_, ok := sp.minutesCond(st)
		return ok
	}
	if sp.distinct != 0 {
		set := distinctSet(st, sp.distinct)
		return sp.ok && inside && (set == nil && !st.LevelsOverflow || set != nil && set.Exact())
	}
	return sp.ok && inside && (!st.LevelsOverflow || !sp.levelCounts)
}

// inZone reports whether the minute counts of st answer in the session
// zone loc: always, unless a key is a wall-clock bucket and loc is not
// whole minutes over the batch (wholeMinuteZone).
func (sp statsPlan) inZone(loc *time.Location, st *segment.BatchStats) bool {
	return !sp.Minutes || !sp.local || wholeMinuteZone(loc, st.MinTS, st.MaxTS)
}

// DynColumnStats returns the statistics of the dynamic column stored as
// name (see partitions.ColumnView.Stored) in batch bi of seg: nil and false
// when the segment does not have the column (NULL in every row), nil and
// true when it has it with another type than VARCHAR (written before the
// column widened).
func DynColumnStats(seg *segment.Stats, bi int, name string) (*segment.ColumnStats, bool) {
	for j, c := range seg.Columns {
		if c.Name == name {
			if c.Type != columns.TypeString {
				return nil, true
			}
			return &seg.Batches[bi].Dynamic[j], true
		}
	}
	return nil, false
}

// distinctSet is the value set of a core column in st; nil for level,
// whose values are its counts.
func distinctSet(st *segment.BatchStats, col int) *segment.ValueSet {
	switch col {
	case ColService:
		return &st.Services
	case ColHost:
		return &st.Hosts
	case ColTraceID:
		return &st.TraceIDs
	}
	return nil
}

// distinctPartial is the groups of a DISTINCT from the batch's values.
func (sp statsPlan) distinctPartial(q *AggSpec, seg *segment.Stats, bi int) *AggTable {
	st := &seg.Batches[bi]
	t := NewAggTable(q)
	add := func(v *string) {
		var tup GroupTuple
		if v != nil {
			tup[0] = t.Dicts[0].code(*v, false)
		}
		t.Group(tup)
	}
	if sp.distinctDyn != "" {
		cs, _ := DynColumnStats(seg, bi, sp.distinctDyn)
		if cs == nil {
			add(nil) // the segment has no such column
			return t
		}
		for i := range cs.Values {
			add(&cs.Values[i])
		}
		if cs.Nulls > 0 {
			add(nil)
		}
		return t
	}
	if set := distinctSet(st, sp.distinct); set != nil {
		for i := range set.Values {
			add(&set.Values[i])
		}
		if set.Nulls > 0 {
			add(nil)
		}
		return t
	}
	for i := range st.Levels {
		if st.Levels[i].Count > 0 {
			add(&st.Levels[i].Value)
		}
	}
	if st.LevelNulls > 0 {
		add(nil)
	}
	return t
}

// tupleRows is a batch's tuple counts as a batch with one row per
// combination, carrying level, service and host as dictionary codes into
// the batch's lists (ts is the batch's first; the other columns are empty),
// the rows each stands for, and the sums of the BIGINT columns over them
// (by stored name; read-only, shared with the statistics). The counts per
// minute and level are a tupleRows too, with ts and level only.
type tupleRows struct {
	b        *columns.Batch
	counts   []int64
	measures map[string][]segment.Measure
}

// levelValues is the batch's levels, in the order of its level counts.
func levelValues(st *segment.BatchStats) []string {
	levels := make([]string, len(st.Levels))
	for i := range st.Levels {
		levels[i] = st.Levels[i].Value
	}
	return levels
}

// setCodes fills s with the values vals[idx[i]] (NullIndex: NULL) as
// dictionary codes into vals.
func setCodes(s *columns.Strings, vals []string, idx []uint16) {
	codes := make([]int32, len(idx))
	for i, k := range idx {
		if k == segment.NullIndex {
			s.AppendNull()
		} else {
			s.AppendString(vals[k])
			codes[i] = int32(k)
		}
	}
	s.Codes = codes
	s.Dict = make([][]byte, len(vals))
	for k, v := range vals {
		s.Dict[k] = []byte(v)
	}
}

// newMinuteRows builds the tupleRows of the counts per minute and level of
// st, which are known: each row at its minute's first microsecond, the
// first at the batch's first ts.
func newMinuteRows(st *segment.BatchStats) *tupleRows {
	n := len(st.Minutes)
	tr := &tupleRows{b: &columns.Batch{TS: make([]int64, n)}, counts: make([]int64, n)}
	first := segment.FirstMinute(st.MinTS)
	idx := make([]uint16, n)
	for i, mc := range st.Minutes {
		tr.b.TS[i] = max(st.MinTS, (first+int64(mc.Minute))*60_000_000)
		tr.counts[i] = int64(mc.Count)
		idx[i] = mc.Level
	}
	setCodes(&tr.b.Level, levelValues(st), idx)
	return tr
}

// newTupleRows builds the tupleRows of batch bi of seg, whose Tuples are
// known.
func newTupleRows(seg *segment.Stats, bi int) *tupleRows {
	st := &seg.Batches[bi]
	n := len(st.Tuples)
	tr := &tupleRows{b: &columns.Batch{TS: make([]int64, n)}, counts: make([]int64, n)}
	for _, tm := range st.Measures {
		if tr.measures == nil {
			tr.measures = map[string][]segment.Measure{}
		}
		tr.measures[seg.Columns[tm.Column].Name] = tm.Values
	}
	levels := levelValues(st)
	cols := []struct {
		s    *columns.Strings
		vals []string
		idx  func(t segment.TupleCount) uint16
	}{
		{&tr.b.Level, levels, func(t segment.TupleCount) uint16 { return t.Level }},
		{&tr.b.Service, st.Services.Values, func(t segment.TupleCount) uint16 { return t.Service }},
		{&tr.b.Host, st.Hosts.Values, func(t segment.TupleCount) uint16 { return t.Host }},
	}
	for _, c := range cols {
		idx := make([]uint16, n)
		for i, t := range st.Tuples {
			idx[i] = c.idx(t)
		}
		setCodes(c.s, c.vals, idx)
	}
	for i, t := range st.Tuples {
		tr.b.TS[i] = st.MinTS
		tr.counts[i] = int64(t.Count)
	}
	return tr
}

// newSegmentTupleRows merges the tuple counts of every batch of seg into
// one tupleRows, and the sums of the BIGINT columns every batch has sums
// of: a query over whole segments (a week at 100M rows is 1,700 batches of
// some 700 tuples, in 290 segments of some 1,000) then aggregates a
// quarter of the rows. It has no rows when a batch has no tuple counts, or
// the segment more than 65,535 values of a column; a column whose sum over
// a tuple leaves int64 has no sums.
func newSegmentTupleRows(seg *segment.Stats) *tupleRows {
	return newMergedTupleRows([]*segment.Stats{seg})
}

// newMergedTupleRows is newSegmentTupleRows over every batch of several
// segments, a partition's: a week at 100M rows is then 36 sets of tuple
// counts to aggregate instead of 290. Its ts is the segments' first.
func newMergedTupleRows(segs []*segment.Stats) *tupleRows {
	empty := &tupleRows{b: &columns.Batch{}}
	lists := [3][]string{}
	batches := 0
	minTS := int64(math.MaxInt64)
	for _, seg := range segs {
		minTS = min(minTS, seg.MinTS)
		for i := range seg.Batches {
			st := &seg.Batches[i]
			if st.Tuples == nil {
				return empty
			}
			lists[0] = append(lists[0], levelValues(st)...)
			lists[1] = append(lists[1], st.Services.Values...)
			lists[2] = append(lists[2], st.Hosts.Values...)
			batches++
		}
	}
	for c := range lists {
		slices.Sort(lists[c])
		lists[c] = slices.Compact(lists[c])
		if len(lists[c]) >= int(segment.NullIndex) {
			return empty
		}
	}
	// The columns with sums in every batch, by stored name.
	measured := map[string]int{}
	for _, seg := range segs {
		for i := range seg.Batches {
			for _, tm := range seg.Batches[i].Measures {
				measured[seg.Columns[tm.Column].Name]++
			}
		}
	}
	var names []string
	for name, n := range measured {
		if n == batches {
			names = append(names, name)
		}
	}
	slices.Sort(names)
	type triple [3]uint16
	at := map[triple]int{}
	var idx [3][]uint16
	var counts []int64
	sums := make([][]segment.Measure, len(names))
	wrapped := make([]bool, len(names))
	for _, seg := range segs {
		for i := range seg.Batches {
			st := &seg.Batches[i]
			// Each batch's list indices in the merged lists.
			local := [3][]uint16{}
			for c, vals := range [3][]string{levelValues(st), st.Services.Values, st.Hosts.Values} {
				local[c] = make([]uint16, len(vals))
				for k, v := range vals {
					j, _ := slices.BinarySearch(lists[c], v)
					local[c][k] = uint16(j)
				}
			}
			global := func(c int, k uint16) uint16 {
				if k == segment.NullIndex {
					return k
				}
				return local[c][k]
			}
			batchSums := make([][]segment.Measure, len(names))
			for _, tm := range st.Measures {
				if j, ok := slices.BinarySearch(names, seg.Columns[tm.Column].Name); ok {
					batchSums[j] = tm.Values
				}
			}
			for k, tc := range st.Tuples {
				key := triple{global(0, tc.Level), global(1, tc.Service), global(2, tc.Host)}
				row, ok := at[key]
				if !ok {
					row = len(counts)
					at[key] = row
					for c := range idx {
						idx[c] = append(idx[c], key[c])
					}
					counts = append(counts, 0)
					for j := range sums {
						sums[j] = append(sums[j], segment.Measure{})
					}
				}
				counts[row] += int64(tc.Count)
				for j := range sums {
					wrapped[j] = mergeMeasure(&sums[j][row], &batchSums[j][k]) || wrapped[j]
				}
			}
		}
	}
	tr := &tupleRows{b: &columns.Batch{TS: make([]int64, len(counts))}, counts: counts}
	for i := range tr.b.TS {
		tr.b.TS[i] = minTS
	}
	for c, s := range []*columns.Strings{&tr.b.Level, &tr.b.Service, &tr.b.Host} {
		setCodes(s, lists[c], idx[c])
	}
	for j, name := range names {
		if !wrapped[j] {
			if tr.measures == nil {
				tr.measures = map[string][]segment.Measure{}
			}
			tr.measures[name] = sums[j]
		}
	}
	return tr
}

// mergeMeasure adds o into m and reports whether the sum left int64.
func mergeMeasure(m, o *segment.Measure) (wrapped bool) {
	if o.Count == 0 {
		return false
	}
	if m.Count == 0 {
		*m = *o
		return false
	}
	m.Min, m.Max = min(m.Min, o.Min), max(m.Max, o.Max)
	m.Count += o.Count
	sum := m.Sum + o.Sum
	wrapped = (sum^m.Sum)&(sum^o.Sum) < 0
	m.Sum = sum
	return wrapped
}

// answersWhole reports whether tr, the tuple counts of a whole segment,
// answers the plan: it has rows and the sums of the columns measured.
func (sp statsPlan) answersWhole(tr *tupleRows) bool {
	if len(tr.counts) == 0 {
		return false
	}
	for _, name := range sp.Measured {
		if _, ok := tr.measures[name]; !ok {
			return false
		}
	}
	return true
}

// Bytes is the memory tr holds, for the batch cache's budget (the
// measures are the statistics', not counted again).
func (tr *tupleRows) bytes() int64 { return approxBytes(tr.b) + 8*int64(len(tr.counts)) }

// tuplePartial adds to t the partial aggregate of a batch from its tuple
// counts: the combinations that meet the claimed condition, each weighing
// its count.
func (q *AggSpec) tuplePartial(t *AggTable, tr *tupleRows, loc *time.Location) error {
	var cond Pred
	if q.Push != nil {
		cond = q.Push.pred
	}
	return q.tuplePartialWhere(t, tr, cond, loc)
}

// tuplePartialWhere is tuplePartial with the combinations that meet cond
// (nil: all).
func (q *AggSpec) tuplePartialWhere(t *AggTable, tr *tupleRows, cond Pred, loc *time.Location) error {
	sel := make([]int32, len(tr.counts))
	for i := range sel {
		sel[i] = int32(i)
	}
	if cond != nil {
		sel = filterSel(cond, tr.b, sel)
	}
	return q.aggregateBatchInto(t, tr.b, sel, loc, tr)
}

// partial is the partial aggregate of batch bi of seg, from its level
// counts or value sets (not tuples: see tuplePartial).
func (sp statsPlan) partial(q *AggSpec, seg *segment.Stats, bi int) *AggTable {
	if sp.distinct != 0 || sp.distinctDyn != "" {
		return sp.distinctPartial(q, seg, bi)
	}
	t := NewAggTable(q)
	sp.addCounts(t, q, &seg.Batches[bi])
	return t
}

// mergedLevels returns statistics standing for every batch of seg at once,
// for addCounts: their rows, time range and level counts summed (NULL
// levels too; overflowed when a batch's did). At 100M rows a week's level
// counts are 1,700 batches' in 290 segments.
func mergedLevels(seg *segment.Stats) *segment.BatchStats {
	m := &segment.BatchStats{Rows: int(seg.Rows), MinTS: seg.MinTS, MaxTS: seg.MaxTS}
	counts := map[string]int{}
	for i := range seg.Batches {
		st := &seg.Batches[i]
		m.LevelNulls += st.LevelNulls
		m.LevelsOverflow = m.LevelsOverflow || st.LevelsOverflow
		for _, lc := range st.Levels {
			counts[lc.Value] += lc.Count
		}
	}
	if !m.LevelsOverflow {
		for v, n := range counts {
			m.Levels = append(m.Levels, segment.ValueCount{Value: v, Count: n})
		}
		slices.SortFunc(m.Levels, func(a, b segment.ValueCount) int { return strings.Compare(a.Value, b.Value) })
	}
	return m
}

// addCounts adds to t the partial aggregate of batch statistics st from
// their level counts (a plan without DISTINCT): one table takes every batch
// of a query, since a table per batch cost more than the counts at 100M
// rows.
func (sp statsPlan) addCounts(t *AggTable, q *AggSpec, st *segment.BatchStats) {
	// add merges into group tup the aggregates value gives each.
	add := func(tup GroupTuple, value func(fn *AggFn, o *acc)) {
		accs := t.AccsOf(t.Group(tup))
		for a := range q.Aggs {
			var o acc
			value(&q.Aggs[a], &o)
			accs[a].merge(&q.Aggs[a], &o)
		}
	}
	addLevel := func(level *string, rows int) {
		if rows == 0 {
			return
		}
		var tup GroupTuple
		if sp.byLevel && level != nil {
			tup[0] = t.Dicts[0].code(*level, false)
		}
		add(tup, func(fn *AggFn, o *acc) {
			if fn.Op == OpCount && fn.Arg == ArgString && level == nil {
				return // COUNT(level) leaves out the NULL levels
			}
			o.n = int64(rows) // COUNT(*), COUNT(ts), COUNT(level)
		})
	}
	switch {
	case sp.levelIn != nil:
		for i := range st.Levels {
			if lc := &st.Levels[i]; sp.levelIn.matches(ViewBytes(lc.Value)) {
				addLevel(&lc.Value, lc.Count)
			}
		}
	case sp.byLevel:
		for i := range st.Levels {
			addLevel(&st.Levels[i].Value, st.Levels[i].Count)
		}
		addLevel(nil, st.LevelNulls)
	default:
		// Every row; COUNT(level) leaves out the NULL levels.
		add(GroupTuple{}, func(fn *AggFn, o *acc) {
			switch {
			case fn.Op == OpCount && fn.Arg == ArgString:
				o.n = int64(st.Rows - st.LevelNulls)
			case fn.Op == OpCount:
				o.n = int64(st.Rows)
			case fn.Op == OpMin:
				o.i, o.n = st.MinTS, int64(st.Rows)
			case fn.Op == OpMax:
				o.i, o.n = st.MaxTS, int64(st.Rows)
			}
		})
	}
}

// withoutImplied returns cond without the conjuncts that every row of the
// batch st satisfies, by its statistics: `col IN (...)` on level, service
// or host when the batch has no NULL there and each of its exact values is
// in the list. nil when nothing is left. Grafana's "All" sends every value
// of a menu as such a list; a batch then skips the filter.
func withoutImplied(cond Pred, st *segment.BatchStats) Pred {
	switch p := cond.(type) {
	case andPred:
		l, r := withoutImplied(p.l, st), withoutImplied(p.r, st)
		switch {
		case l == nil:
			return r
		case r == nil:
			return l
		}
		return andPred{l, r}
	case inPred:
		if impliedIn(p, st) {
			return nil
		}
	}
	return cond
}

// impliedIn reports whether every row of st has its value of p's column in
// p's list.
func impliedIn(p inPred, st *segment.BatchStats) bool {
	var values []string
	switch p.col.Core {
	case ColLevel:
		if st.LevelsOverflow || st.LevelNulls > 0 {
			return false
		}
		for _, lc := range st.Levels {
			values = append(values, lc.Value)
		}
	case ColService, ColHost:
		set := distinctSet(st, p.col.Core)
		if !set.Exact() || set.Nulls > 0 {
			return false
		}
		values = set.Values
	default:
		return false
	}
	for _, v := range values {
		if !p.matches(ViewBytes(v)) {
			return false
		}
	}
	return true
}
