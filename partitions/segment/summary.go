package segment

import "logq/partitions/columns"

// Summarize returns the statistics Encode would write for b, without
// encoding anything: the same checks of the input, the same batches of
// BatchRows rows, the same segment-wide dictionary choices (on which the
// value lists and the tuple counts depend) and the same bloom filters. Only
// the byte sizes differ: CompressedBytes and RawBytes are zero, since
// nothing is compressed or laid out as Arrow buffers.
//
// The store uses it to seal buffered rows in memory (partitions.Segment), so
// that pruning and the answers from statistics treat rows not yet flushed
// as they treat a segment file. b must be sorted by ts; it is only read.
// The Stats refer to no memory of b.
func Summarize(b *columns.Batch, o WriteOptions) (*Stats, error) {
	o, err := o.withDefaults()
	if err != nil {
		return nil, err
	}
	if err := checkInput(b); err != nil {
		return nil, err
	}
	l := planDicts(b, o.BatchRows)
	sc := newStatsScratch(o.BloomBitsPerKey)
	n := b.Len()
	batches := make([]BatchStats, 0, (n+o.BatchRows-1)/o.BatchRows)
	for lo := 0; lo < n; lo += o.BatchRows {
		batches = append(batches, l.batchStats(sc, lo, min(lo+o.BatchRows, n)))
	}
	return l.stats(batches), nil
}

// stats returns the segment-wide statistics of l's rows over the given
// batch statistics, without byte sizes.
func (l *layout) stats(batches []BatchStats) *Stats {
	n := l.b.Len()
	st := &Stats{Rows: int64(n), MinTS: l.b.TS[0], MaxTS: l.b.TS[n-1], Batches: batches}
	for _, dl := range l.dyn {
		st.Columns = append(st.Columns, ColumnInfo{Name: dl.col.Name, Type: dl.col.Type})
	}
	return st
}
