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
	byLevel     bool     // the one key is level
	levels      []string // the level condition's values, distinct; nil: no condition
	levelCounts bool     // the answer needs the batch's level counts
}

// statsPlanOf works out the statsPlan of q.
func statsPlanOf(q *aggQuery) statsPlan {
	var sp statsPlan
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
	return sp.ok && inside && (!st.LevelsOverflow || !sp.levelCounts)
}

// partial is the batch's partial aggregate, from its statistics.
func (sp statsPlan) partial(q *aggQuery, st *segment.BatchStats) *aggTable {
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
