package exec

import (
	"slices"

	"logq/partitions"
)

// AggSpec is the partial aggregate of a query, as the executor computes
// it: per batch, in parallel, over columns, then merged.
type AggSpec struct {
	Push    *Pushed // the claimed WHERE conditions; nil: none
	Grouped bool    // GROUP BY present: no rows in, no rows out
	Keys    []AggKey
	Aggs    []AggFn
	cols    *ColSet // the columns the scan converts
	Stats   statsPlan
	View    *partitions.ColumnView // the query's view of the dynamic columns
}

// ReadNames lists the columns q's keys and aggregates read, ts first.
func (q *AggSpec) ReadNames() []string {
	names := []string{"ts"}
	for _, k := range q.Keys {
		if k.Kind == KeyString {
			names = append(names, k.Col.Name)
		}
	}
	for _, fn := range q.Aggs {
		if fn.Arg != ArgRows {
			names = append(names, fn.Col.Name)
		}
	}
	return names
}

// Finish sets what q converts, the columns names its keys, aggregates and
// outputs read plus those of the claimed conditions, and how statistics
// answer it.
func (q *AggSpec) Finish(names []string) {
	kept := names
	if q.Push != nil && q.Push.pred != nil {
		names = q.Push.pred.Columns(slices.Clone(names))
	}
	q.cols = NewColSet(names).withScratch(kept)
	q.Stats = statsPlanOf(q)
}
