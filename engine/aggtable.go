package engine

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
const maxAggKeys = 4

// groupTuple identifies a group: per key, a string code (see strDict) or
// a ts bucket.
type groupTuple [maxAggKeys]int64

// aggOp is an aggregate function.
type aggOp uint8

const (
	opCount aggOp = iota
	opCountDistinct
	opSum
	opAvg
	opMin
	opMax
)

// argKind is what an aggregate reads.
type argKind uint8

const (
	argRows   argKind = iota // COUNT(*): every row
	argTS                    // ts, as µs
	argString                // a string column (COUNT, COUNT DISTINCT)
	argInt                   // a BIGINT dynamic column
	argFloat                 // a DOUBLE dynamic column (narrower batches widen)
)

// aggFn is one aggregate of a pushed-down aggregate.
type aggFn struct {
	op   aggOp
	arg  argKind
	col  stringAccessor // the column read (name for argInt, argFloat)
	text string         // as the query wrote it, for EXPLAIN
	// exact: SUM or AVG of an integer with MySQL's DECIMAL result
	// (compat.Sum, compat.Avg), not go-mysql-server's DOUBLE.
	exact bool
	// folded: COUNT(DISTINCT) of a string compared by collation key.
	folded bool
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
func (a *acc) merge(fn *aggFn, o *acc) (grew int64) {
	if o.n == 0 && o.set == nil {
		return 0
	}
	switch fn.op {
	case opMin:
		if a.n == 0 || o.i < a.i {
			a.i = o.i
		}
		if a.n == 0 || o.f < a.f {
			a.f = o.f
		}
	case opMax:
		if a.n == 0 || o.i > a.i {
			a.i = o.i
		}
		if a.n == 0 || o.f > a.f {
			a.f = o.f
		}
	case opCountDistinct:
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

// result is the aggregate's value as go-mysql-server's row path gives it
// (COUNT a BIGINT; SUM and AVG a DOUBLE; MIN and MAX the column's type;
// NULL over no values), so that pushing an aggregate down never changes an
// answer.
func (a *acc) result(fn *aggFn, loc *time.Location) any {
	switch fn.op {
	case opCount:
		return a.n
	case opCountDistinct:
		return int64(len(a.set))
	}
	if a.n == 0 {
		return nil
	}
	switch {
	case fn.exact && (fn.op == opSum || fn.op == opAvg):
		return compat.SumResult(&a.sumI, a.n, fn.op == opAvg) // MySQL's DECIMAL (compat.Sum, compat.Avg)
	case fn.op == opSum:
		return a.sum(fn)
	case fn.op == opAvg:
		return a.sum(fn) / float64(a.n)
	}
	switch fn.arg {
	case argTS:
		return compat.LocalDatetime(a.i, loc)
	case argInt:
		return a.i
	}
	return a.f
}

func (a *acc) sum(fn *aggFn) float64 {
	if fn.arg == argInt {
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
	vals   []*string
	folded bool
	bytes  int64 // estimated memory of the values (dictEntryBytes each)
}

func newStrDict(folded bool) *strDict {
	return &strDict{codes: map[string]int64{}, vals: []*string{nil}, folded: folded}
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
	c := int64(len(d.vals))
	d.codes[s] = c
	d.vals = append(d.vals, &s)
	d.bytes += dictEntryBytes + int64(len(s))
	return c
}

func (d *strDict) foldedCode(v string, clone bool) int64 {
	var buf [64]byte
	k := collate.AppendKey(buf[:0], viewBytes(v))
	c, ok := d.codes[string(k)]
	if ok && v >= *d.vals[c] {
		return c
	}
	s := v
	if clone {
		s = strings.Clone(v)
	}
	if ok {
		d.vals[c] = &s // a lesser spelling of the group
		return c
	}
	c = int64(len(d.vals))
	d.codes[string(k)] = c
	d.vals = append(d.vals, &s)
	d.bytes += dictEntryBytes + int64(len(k)+len(s))
	return c
}

// aggTable holds groups and their accumulators: one per batch (partial),
// and one for the query that the partials merge into.
type aggTable struct {
	q      *aggSpec
	index  map[groupTuple]int32
	tuples []groupTuple
	minTS  []int64 // per group: its first ts, which stands for its ts keys
	accs   []acc   // len(q.aggs) per group
	dicts  [maxAggKeys]*strDict
	bytes  int64 // estimated memory of the groups and distinct sets; see size
}

func newAggTable(q *aggSpec) *aggTable {
	t := &aggTable{q: q, index: map[groupTuple]int32{}}
	for k := range q.keys {
		if q.keys[k].kind == keyString {
			t.dicts[k] = newStrDict(q.keys[k].folded)
		}
	}
	return t
}

// group returns the index of the group tup, adding it.
func (t *aggTable) group(tup groupTuple) int {
	if g, ok := t.index[tup]; ok {
		return int(g)
	}
	g := len(t.tuples)
	t.index[tup] = int32(g)
	t.tuples = append(t.tuples, tup)
	t.minTS = append(t.minTS, math.MaxInt64)
	for range t.q.aggs {
		t.accs = append(t.accs, acc{})
	}
	t.bytes += tableGroupBytes + int64(len(t.q.aggs))*accBytes
	return g
}

// size estimates the memory t holds: its groups, their accumulators, the
// distinct values merged into them and the string keys. It counts what
// mergeFrom merges in; the sets a partial table fills row by row are not
// counted (a partial holds one batch).
func (t *aggTable) size() int64 {
	n := t.bytes
	for _, d := range t.dicts {
		if d != nil {
			n += d.bytes
		}
	}
	return n
}

// accsOf returns the accumulators of group g.
func (t *aggTable) accsOf(g int) []acc {
	n := len(t.q.aggs)
	return t.accs[g*n : (g+1)*n]
}

// mergeFrom adds the groups of o into t, translating string codes (each
// of o's once); keys of the kinds in final are mapped through finalKey
// first.
func (t *aggTable) mergeFrom(o *aggTable, final bool) {
	var trans [maxAggKeys][]int64 // per string key: o's code → t's, -1 until looked up
	for k := range t.q.keys {
		if t.q.keys[k].kind == keyString {
			trans[k] = make([]int64, len(o.dicts[k].vals))
			for c := range trans[k] {
				trans[k][c] = -1
			}
		}
	}
	for g, tup := range o.tuples {
		var nt groupTuple
		for k := range t.q.keys {
			key := &t.q.keys[k]
			switch {
			case key.kind == keyString:
				if v := o.dicts[k].vals[tup[k]]; v != nil {
					if trans[k][tup[k]] < 0 {
						trans[k][tup[k]] = t.dicts[k].code(*v, true)
					}
					nt[k] = trans[k][tup[k]]
				}
			case final && key.kind == keyLocal:
				nt[k] = key.identity(tup[k])
			default:
				nt[k] = tup[k]
			}
		}
		ng := t.group(nt)
		t.minTS[ng] = min(t.minTS[ng], o.minTS[g])
		dst, src := t.accsOf(ng), o.accsOf(g)
		for a := range dst {
			t.bytes += dst[a].merge(&t.q.aggs[a], &src[a])
		}
	}
}

// Estimated sizes of a pushed-down aggregate's state (see aggTable.size).
const (
	// tableGroupBytes is a group beyond its accumulators: its tuple in the
	// index map and in tuples, its minTS, with slice growth averaged.
	tableGroupBytes = int64(unsafe.Sizeof(groupTuple{}))*2 + 4 + mapEntryBytes + 8
	// accBytes is one accumulator.
	accBytes = int64(unsafe.Sizeof(acc{}))
	// dictEntryBytes is a string key's value beyond its bytes: the map
	// entry (string header, code) and the *string in vals with its header.
	dictEntryBytes = 16 + 8 + mapEntryBytes + 8 + 16
	// setEntryBytes is a value of COUNT(DISTINCT) beyond its bytes.
	setEntryBytes = 16 + mapEntryBytes
)

// distinctText is the text COUNT(DISTINCT) compares a value by.
func distinctText(f float64) string { return strconv.FormatFloat(f, 'g', -1, 64) }
