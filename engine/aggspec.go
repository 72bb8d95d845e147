package engine

import (
	"slices"

	"logq/partitions"
)

// aggSpec is the partial aggregate of a query, as the executor computes
// it: per batch, in parallel, over columns, then merged.
type aggSpec struct {
	push    *pushed // the claimed WHERE conditions; nil: none
	grouped bool    // GROUP BY present: no rows in, no rows out
	keys    []aggKey
	aggs    []aggFn
	cols    *colSet // the columns the scan converts
	stats   statsPlan
	view    *partitions.ColumnView // the query's view of the dynamic columns
}

// readNames lists the columns q's keys and aggregates read, ts first.
func (q *aggSpec) readNames() []string {
	names := []string{"ts"}
	for _, k := range q.keys {
		if k.kind == keyString {
			names = append(names, k.col.name)
		}
	}
	for _, fn := range q.aggs {
		if fn.arg != argRows {
			names = append(names, fn.col.name)
		}
	}
	return names
}

// finish sets what q converts, the columns names its keys, aggregates and
// outputs read plus those of the claimed conditions, and how statistics
// answer it.
func (q *aggSpec) finish(names []string) {
	kept := names
	if q.push != nil && q.push.pred != nil {
		names = q.push.pred.columns(slices.Clone(names))
	}
	q.cols = newColSet(names).withScratch(kept)
	q.stats = statsPlanOf(q)
}
