package engine

import (
	"slices"

	"logq/partitions/segment"
)

// statsPlan says whether, and how, an aggregate can take a batch's answer
// from its statistics instead of its rows: when the batch lies wholly inside
// the query's ts range, the only other condition is one on level (= or IN),
// it groups by nothing or by level, and it asks only for counts of rows (and
// MIN/MAX(ts) when nothing else narrows the rows). The statistics hold the
// exact row count, ts range and count of every level of each batch.
type statsPlan struct {
	ok          bool
	distinct    int      // DISTINCT of this core column (colLevel..colTraceID); 0: none
	byLevel     bool     // the one key is level
	levels      []string // the level condition's values, distinct; nil: no condition
	levelCounts bool     // the answer needs the batch's level counts
}

// statsPlanOf works out the statsPlan of q.
func statsPlanOf(q *aggQuery) statsPlan {
	var sp statsPlan
	if len(q.aggs) == 0 && len(q.keys) == 1 && (q.push == nil || q.push.pred == nil) {
		// DISTINCT of one column: the batch's exact set of values.
		if k := q.keys[0]; k.kind == keyString && k.col.core >= colLevel && k.col.core <= colTraceID {
			sp.ok, sp.distinct = true, k.col.core
			return sp
		}
	}
	if len(q.keys) > 1 {
		return sp
	}
	if len(q.keys) == 1 {
		if k := q.keys[0]; k.kind != keyString || k.col.core != colLevel {
			return sp
		}
		sp.byLevel = true
	}
	if q.push != nil && q.push.pred != nil {
		in, ok := q.push.pred.(inPred)
		if !ok || in.col.core != colLevel {
			return sp
		}
		for _, v := range in.values {
			if !slices.Contains(sp.levels, string(v)) {
				sp.levels = append(sp.levels, string(v))
			}
		}
	}
	sp.levelCounts = sp.byLevel || sp.levels != nil
	for _, fn := range q.aggs {
		switch {
		case fn.op == opCount && (fn.arg == argRows || fn.arg == argTS):
		case fn.op == opCount && fn.arg == argString && fn.col.core == colLevel:
			sp.levelCounts = true
		case (fn.op == opMin || fn.op == opMax) && fn.arg == argTS && !sp.byLevel && sp.levels == nil:
		default:
			return sp
		}
	}
	sp.ok = true
	return sp
}

// answers reports whether batch st, inside the ts range or not, can be
// answered from its statistics.
func (sp statsPlan) answers(st *segment.BatchStats, inside bool) bool {
	if sp.distinct != 0 {
		set := distinctSet(st, sp.distinct)
		return sp.ok && inside && (set == nil && !st.LevelsOverflow || set != nil && set.Exact())
	}
	return sp.ok && inside && (!st.LevelsOverflow || !sp.levelCounts)
}

// distinctSet is the value set of a core column in st; nil for level,
// whose values are its counts.
func distinctSet(st *segment.BatchStats, col int) *segment.ValueSet {
	switch col {
	case colService:
		return &st.Services
	case colHost:
		return &st.Hosts
	case colTraceID:
		return &st.TraceIDs
	}
	return nil
}

// distinctPartial is the groups of a DISTINCT from the batch's values.
func (sp statsPlan) distinctPartial(q *aggQuery, st *segment.BatchStats) *aggTable {
	t := newAggTable(q)
	add := func(v *string) {
		var tup groupTuple
		if v != nil {
			tup[0] = t.dicts[0].code(*v, false)
		}
		t.group(tup)
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

// partial is the batch's partial aggregate, from its statistics.
func (sp statsPlan) partial(q *aggQuery, st *segment.BatchStats) *aggTable {
	if sp.distinct != 0 {
		return sp.distinctPartial(q, st)
	}
	t := newAggTable(q)
	add := func(level *string, rows int) {
		if rows == 0 {
			return
		}
		var tup groupTuple
		if sp.byLevel && level != nil {
			tup[0] = t.dicts[0].code(*level, false)
		}
		g := t.group(tup)
		accs := t.accsOf(g)
		for a := range q.aggs {
			fn, acc := &q.aggs[a], &accs[a]
			switch {
			case fn.op == opCount && fn.arg == argString: // COUNT(level)
				if level != nil {
					acc.n += int64(rows)
				}
			default: // COUNT(*), COUNT(ts)
				acc.n += int64(rows)
			}
		}
	}
	switch {
	case sp.levels != nil:
		for i := range sp.levels {
			n, _ := st.LevelCount(sp.levels[i])
			add(&sp.levels[i], n)
		}
	case sp.byLevel:
		for i := range st.Levels {
			add(&st.Levels[i].Value, st.Levels[i].Count)
		}
		add(nil, st.LevelNulls)
	default:
		// Every row; COUNT(level) leaves out the NULL levels.
		nonNull := st.Rows - st.LevelNulls
		all := st.Rows
		var tup groupTuple
		g := t.group(tup)
		accs := t.accsOf(g)
		for a := range q.aggs {
			fn, acc := &q.aggs[a], &accs[a]
			switch {
			case fn.op == opCount && fn.arg == argString:
				acc.n += int64(nonNull)
			case fn.op == opCount:
				acc.n += int64(all)
			case fn.op == opMin:
				acc.i, acc.n = st.MinTS, int64(all)
			case fn.op == opMax:
				acc.i, acc.n = st.MaxTS, int64(all)
			}
		}
	}
	return t
}
