package segment

import "unsafe"

// MemoryBytes estimates the heap the statistics hold: what the catalog
// keeps in memory for the segment whether or not a query reads it. Bloom
// filters dominate (the trace_id filter of a full batch is ~80 KB at the
// default 10 bits per key).
func (st *Stats) MemoryBytes() int64 {
	n := int64(unsafe.Sizeof(*st))
	for _, c := range st.Columns {
		n += int64(unsafe.Sizeof(c)) + int64(len(c.Name))
	}
	for i := range st.Batches {
		n += st.Batches[i].memoryBytes()
	}
	return n
}

func (b *BatchStats) memoryBytes() int64 {
	n := int64(unsafe.Sizeof(*b))
	for _, v := range b.Levels {
		n += int64(unsafe.Sizeof(v)) + int64(len(v.Value))
	}
	for _, vs := range []*ValueSet{&b.Services, &b.Hosts, &b.TraceIDs} {
		n += stringsBytes(vs.Values)
		if vs.Bloom != nil {
			n += int64(unsafe.Sizeof(*vs.Bloom)) + int64(len(vs.Bloom.Blocks))*int64(unsafe.Sizeof(vs.Bloom.Blocks[0]))
		}
	}
	n += int64(len(b.Tuples)) * int64(unsafe.Sizeof(TupleCount{}))
	for _, tm := range b.Measures {
		n += int64(unsafe.Sizeof(tm)) + int64(len(tm.Values))*int64(unsafe.Sizeof(Measure{}))
	}
	n += int64(len(b.Minutes)) * int64(unsafe.Sizeof(MinuteCount{}))
	for i := range b.Dynamic {
		n += int64(unsafe.Sizeof(b.Dynamic[i])) + stringsBytes(b.Dynamic[i].Values)
	}
	return n
}

// stringsBytes is the heap of a string slice: headers and bytes.
func stringsBytes(v []string) int64 {
	n := int64(len(v)) * int64(unsafe.Sizeof(""))
	for _, s := range v {
		n += int64(len(s))
	}
	return n
}
