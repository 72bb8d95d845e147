package exec

import (
	"math"
	"strconv"
	"strings"
	"time"
	"unsafe"

	"logq/engine/compat"
	"logq/partitions/collate"
)

// maxAggKeys bounds the GROUP BY expressions of a pushed-down aggregate.
const MaxAggKeys = 4

// GroupTuple identifies a group: per key, a string code (see strDict) or
// a ts bucket.
type GroupTuple [MaxAggKeys]int64

// AggOp is an aggregate function.
type AggOp uint8

const (
	OpCount AggOp = iota
	OpCountDistinct
	OpSum
	OpAvg
	OpMin
	OpMax
)

// argKind is what an aggregate reads.
type argKind uint8

const (
	ArgRows   argKind = iota // COUNT(*): every row
	ArgTS                    // ts, as µs
	ArgString                // a string column (COUNT, COUNT DISTINCT)
	ArgInt                   // a BIGINT dynamic column
	ArgFloat                 // a DOUBLE dynamic column (narrower batches widen)
)

// AggFn is one aggregate of a pushed-down aggregate.
type AggFn struct {
	Op   AggOp
	Arg  argKind
	Col  StringAccessor // the column read (name for argInt, argFloat)
	Text string         // as the query wrote it, for EXPLAIN
	// exact: SUM or AVG of an integer with MySQL's DECIMAL result
	// (compat.Sum, compat.Avg), not go-mysql-server's DOUBLE.
	Exact bool
	// folded: COUNT(DISTINCT) of a string compared by collation key.
	Folded bool
}

// acc accumulates one aggregate of one group.
type acc struct {
	n    int64          // rows counted, or values seen
	sumI compat.WideSum // SUM, AVG of argInt: exact
	sumF float64        // SUM, AVG of argFloat
	i    int64          // MIN, MAX of argInt, argTS
	f    float64        // MIN, MAX of argFloat
	set  map[string]struct{}
}

// merge adds o, of the same aggregate fn, into a, and returns the bytes
// a's set of distinct values grew by (setEntryBytes).
func (a *acc) merge(fn *AggFn, o *acc) (grew int64) {
	if o.n == 0 && o.set == nil {
		return 0
	}
	switch fn.Op {
	case OpMin:
		if a.n == 0 || o.i < a.i {
			a.i = o.i
		}
		if a.n == 0 || o.f < a.f {
			a.f = o.f
		}
	case OpMax:
		if a.n == 0 || o.i > a.i {
			a.i = o.i
		}
		if a.n == 0 || o.f > a.f {
			a.f = o.f
		}
	case OpCountDistinct:
		if a.set == nil {
			a.set = make(map[string]struct{}, len(o.set))
		}
		for v := range o.set {
			n := len(a.set)
			a.set[v] = struct{}{}
			if len(a.set) > n {
				grew += setEntryBytes + int64(len(v))
			}
		}
	}
	a.n += o.n
	a.sumI.Merge(&o.sumI)
	a.sumF += o.sumF
	return grew
}

// Result is the aggregate's value as go-mysql-server's row path gives it
// (COUNT a BIGINT; SUM and AVG a DOUBLE; MIN and MAX the column's type;
// NULL over no values), so that pushing an aggregate down never changes an
// answer.
func (a *acc) Result(fn *AggFn, loc *time.Location) any {
	switch fn.Op {
	case OpCount:
		return a.n
	case OpCountDistinct:
		return int64(len(a.set))
	}
	if a.n == 0 {
		return nil
	}
	switch {
	case fn.Exact && (fn.Op == OpSum || fn.Op == OpAvg):
		return compat.SumResult(&a.sumI, a.n, fn.Op == OpAvg) // MySQL's DECIMAL (compat.Sum, compat.Avg)
	case fn.Op == OpSum:
		return a.sum(fn)
	case fn.Op == OpAvg:
		return a.sum(fn) / float64(a.n)
	}
	switch fn.Arg {
	case ArgTS:
		return compat.LocalDatetime(a.i, loc)
	case ArgInt:
		return a.i
	}
	return a.f
}

func (a *acc) sum(fn *AggFn) float64 {
	if fn.Arg == ArgInt {
		f, _ := a.sumI.Decimal().Float64()
		return f
	}
	return a.sumF
}

// strDict gives the values of a string key small codes; 0 is NULL. A
// folded dictionary gives one code to the values with one collation key
// and shows the group as the least of them, byte by byte, whatever order
// the batches come in (MySQL shows any one).
type strDict struct {
	codes  map[string]int64 // by value, or by collation key when folded
	Vals   []*string
	folded bool
	bytes  int64 // estimated memory of the values (dictEntryBytes each)
}

func newStrDict(folded bool) *strDict {
	return &strDict{codes: map[string]int64{}, Vals: []*string{nil}, folded: folded}
}

// code returns v's code, adding it (cloned when clone: v may view a batch).
func (d *strDict) code(v string, clone bool) int64 {
	if d.folded {
		return d.foldedCode(v, clone)
	}
	if c, ok := d.codes[v]; ok {
		return c
	}
	// A new variable: taking the address of v itself would move v to the
	// heap on every call, hits included.
	s := v
	if clone {
		s = strings.Clone(v)
	}
	c := int64(len(d.Vals))
	d.codes[s] = c
	d.Vals = append(d.Vals, &s)
	d.bytes += dictEntryBytes + int64(len(s))
	return c
}

func (d *strDict) foldedCode(v string, clone bool) int64 {
	var buf [64]byte
	k := collate.AppendKey(buf[:0], ViewBytes(v))
	c, ok := d.codes[string(k)]
	if ok && v >= *d.Vals[c] {
		return c
	}
	s := v
	if clone {
		s = strings.Clone(v)
	}
	if ok {
		d.Vals[c] = &s // a lesser spelling of the group
		return c
	}
	c = int64(len(d.Vals))
	d.codes[string(k)] = c
	d.Vals = append(d.Vals, &s)
	d.bytes += dictEntryBytes + int64(len(k)+len(s))
	return c
}

// AggTable holds groups and their accumulators: one per batch (partial),
// and one for the query that the partials merge into.
type AggTable struct {
	q      *AggSpec
	index  map[GroupTuple]int32
	Tuples []GroupTuple
	MinTS  []int64 // per group: its first ts, which stands for its ts keys
	accs   []acc   // len(q.aggs) per group
	Dicts  [MaxAggKeys]*strDict
	bytes  int64 // estimated memory of the groups and distinct sets; see size
}

func NewAggTable(q *AggSpec) *AggTable {
	t := &AggTable{q: q, index: map[GroupTuple]int32{}}
	for k := range q.Keys {
		if q.Keys[k].Kind == KeyString {
			t.Dicts[k] = newStrDict(q.Keys[k].Folded)
		}
	}
	return t
}

// Group returns the index of the group tup, adding it.
func (t *AggTable) Group(tup GroupTuple) int {
	if g, ok := t.index[tup]; ok {
		return int(g)
	}
	g := len(t.Tuples)
	t.index[tup] = int32(g)
	t.Tuples = append(t.Tuples, tup)
	t.MinTS = append(t.MinTS, math.MaxInt64)
	for range t.q.Aggs {
		t.accs = append(t.accs, acc{})
	}
	t.bytes += tableGroupBytes + int64(len(t.q.Aggs))*accBytes
	return g
}

// Size estimates the memory t holds: its groups, their accumulators, the
// distinct values merged into them and the string keys. It counts what
// mergeFrom merges in; the sets a partial table fills row by row are not
// counted (a partial holds one batch).
func (t *AggTable) Size() int64 {
	n := t.bytes
	for _, d := range t.Dicts {
		if d != nil {
			n += d.bytes
		}
	}
	return n
}

// AccsOf returns the accumulators of group g.
func (t *AggTable) AccsOf(g int) []acc {
	n := len(t.q.Aggs)
	return t.accs[g*n : (g+1)*n]
}

// MergeFrom adds the groups of o into t, translating string codes (each
// of o's once); keys of the kinds in final are mapped through finalKey
// first.
func (t *AggTable) MergeFrom(o *AggTable, final bool) {
	var trans [MaxAggKeys][]int64 // per string key: o's code → t's, -1 until looked up
	for k := range t.q.Keys {
		if t.q.Keys[k].Kind == KeyString {
			trans[k] = make([]int64, len(o.Dicts[k].Vals))
			for c := range trans[k] {
				trans[k][c] = -1
			}
		}
	}
	for g, tup := range o.Tuples {
		var nt GroupTuple
		for k := range t.q.Keys {
			key := &t.q.Keys[k]
			switch {
			case key.Kind == KeyString:
				if v := o.Dicts[k].Vals[tup[k]]; v != nil {
					if trans[k][tup[k]] < 0 {
						trans[k][tup[k]] = t.Dicts[k].code(*v, true)
					}
					nt[k] = trans[k][tup[k]]
				}
			case final && key.Kind == KeyLocal:
				nt[k] = key.identity(tup[k])
			default:
				nt[k] = tup[k]
			}
		}
		ng := t.Group(nt)
		t.MinTS[ng] = min(t.MinTS[ng], o.MinTS[g])
		dst, src := t.AccsOf(ng), o.AccsOf(g)
		for a := range dst {
			t.bytes += dst[a].merge(&t.q.Aggs[a], &src[a])
		}
	}
}

// Estimated sizes of a pushed-down aggregate's state (see aggTable.size).
const (
	// tableGroupBytes is a group beyond its accumulators: its tuple in the
	// index map and in tuples, its minTS, with slice growth averaged.
	tableGroupBytes = int64(unsafe.Sizeof(GroupTuple{}))*2 + 4 + MapEntryBytes + 8
	// accBytes is one accumulator.
	accBytes = int64(unsafe.Sizeof(acc{}))
	// dictEntryBytes is a string key's value beyond its bytes: the map
	// entry (string header, code) and the *string in vals with its header.
	dictEntryBytes = 16 + 8 + MapEntryBytes + 8 + 16
	// setEntryBytes is a value of COUNT(DISTINCT) beyond its bytes.
	setEntryBytes = 16 + MapEntryBytes
)

// distinctText is the text COUNT(DISTINCT) compares a value by.
func distinctText(f float64) string { return strconv.FormatFloat(f, 'g', -1, 64) }
