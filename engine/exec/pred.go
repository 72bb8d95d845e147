package exec

import (
	"bytes"

	"logq/partitions/collate"
	"logq/partitions/columns"
)

// tri is a value of SQL's three-valued logic.
type tri int8

const (
	triFalse tri = iota
	triTrue
	triNull
)

func (a tri) and(b tri) tri {
	switch {
	case a == triFalse || b == triFalse:
		return triFalse
	case a == triNull || b == triNull:
		return triNull
	}
	return triTrue
}

func (a tri) or(b tri) tri {
	switch {
	case a == triTrue || b == triTrue:
		return triTrue
	case a == triNull || b == triNull:
		return triNull
	}
	return triFalse
}

func (a tri) not() tri {
	switch a {
	case triTrue:
		return triFalse
	case triFalse:
		return triTrue
	}
	return triNull
}

func triOf(b bool) tri {
	if b {
		return triTrue
	}
	return triFalse
}

// Pred is a claimed WHERE condition, evaluated over a batch row by row with
// SQL's three-valued logic; a row qualifies when the result is triTrue.
// Each node evaluates exactly as go-mysql-server evaluates the expression it
// replaces, so that claiming a condition never changes an answer.
type Pred interface {
	eval(r *batchRow) tri
	String() string
	// Columns appends the names of the columns the condition reads.
	Columns(dst []string) []string
}

// batchRow is the row a predicate looks at: row i of a batch, with the
// batch's columns for the dynamic columns predicates refer to.
type batchRow struct {
	b   *columns.Batch
	i   int
	dyn map[string]*columns.Dynamic // by name; nil entry: absent from the batch
}

func (r *batchRow) column(name string) *columns.Dynamic {
	d, ok := r.dyn[name]
	if !ok {
		d = r.b.Column(name)
		r.dyn[name] = d
	}
	return d
}

type andPred struct{ l, r Pred }
type orPred struct{ l, r Pred }
type notPred struct{ p Pred }

func (p andPred) eval(r *batchRow) tri {
	a := p.l.eval(r)
	if a == triFalse {
		return triFalse
	}
	return a.and(p.r.eval(r))
}
func (p orPred) eval(r *batchRow) tri {
	a := p.l.eval(r)
	if a == triTrue {
		return triTrue
	}
	return a.or(p.r.eval(r))
}
func (p notPred) eval(r *batchRow) tri { return p.p.eval(r).not() }

func (p andPred) String() string { return "(" + p.l.String() + " AND " + p.r.String() + ")" }
func (p orPred) String() string  { return "(" + p.l.String() + " OR " + p.r.String() + ")" }
func (p notPred) String() string { return "NOT " + p.p.String() }

// tsPred is lo <= ts <= hi (UTC microseconds, inclusive).
type tsPred struct {
	lo, hi int64
	text   string
}

func (p tsPred) eval(r *batchRow) tri {
	ts := r.b.TS[r.i]
	return triOf(ts >= p.lo && ts <= p.hi)
}
func (p tsPred) String() string { return p.text }

// StringAccessor reads a string column of a batch row: a core column or a
// dynamic VARCHAR column (whose narrower batches read as their text).
type StringAccessor struct {
	Core int    // colLevel..colMessage, or -1 for a dynamic column
	Name string // the column's name, core or dynamic
}

// value returns the row's value and whether it is non-NULL. scratch may be
// used to build the text of a dynamic column stored with a narrower type.
func (a StringAccessor) value(r *batchRow, scratch []byte) ([]byte, bool) {
	if a.Core >= 0 {
		s := CoreStrings(r.b, a.Core)
		if s.IsNull(r.i) {
			return nil, false
		}
		return s.Value(r.i), true
	}
	d := r.column(a.Name)
	if d == nil || d.IsNull(r.i) {
		return nil, false
	}
	if d.Type == columns.TypeString {
		return d.Strs.Value(r.i), true
	}
	return d.AppendText(scratch[:0], r.i), true
}

// CoreStrings returns the core string column of b at schema position col.
func CoreStrings(b *columns.Batch, col int) *columns.Strings {
	return b.CoreString(col - ColLevel)
}

// inPred is col IN (values) (col = v for one value). Under a binary
// collation equality is equality of bytes; under utf8mb4_0900_ai_ci
// (folded) values holds the constants' collation keys and a value matches
// when its key is among them.
type inPred struct {
	col    StringAccessor
	values [][]byte
	folded bool
	text   string
}

func (p inPred) eval(r *batchRow) tri {
	var scratch [32]byte
	v, ok := p.col.value(r, scratch[:])
	if !ok {
		return triNull
	}
	return triOf(p.matches(v))
}

// matches reports whether the non-NULL value v is in the list.
func (p inPred) matches(v []byte) bool {
	if p.folded {
		var buf [64]byte
		v = collate.AppendKey(buf[:0], v)
	}
	for _, w := range p.values {
		if bytes.Equal(v, w) {
			return true
		}
	}
	return false
}
func (p inPred) String() string { return p.text }

// likePred is col LIKE pattern under one of the collations logq compares
// itself, matched as go-mysql-server matches (collate.Like).
type likePred struct {
	col  StringAccessor
	m    *collate.Like
	text string
	// What m was built from (newLikePred), for the plan.
	pattern   string
	escape    rune
	collation collate.LikeCollation
}

func (p likePred) eval(r *batchRow) tri {
	var scratch [32]byte
	v, ok := p.col.value(r, scratch[:])
	if !ok {
		return triNull
	}
	return triOf(p.matches(v))
}

// matches reports whether the non-NULL value v matches the pattern.
func (p likePred) matches(v []byte) bool { return p.m.Match(v) }

func (p likePred) String() string { return p.text }

// strCmpPred orders a string column against a string constant (<, <=, >,
// >=) under a bytewise collation: UTF-8 bytes order as code points, which
// is how utf8mb4_0900_bin orders.
type strCmpPred struct {
	col  StringAccessor
	op   cmpOp
	v    []byte
	text string
}

func (p strCmpPred) eval(r *batchRow) tri {
	var scratch [32]byte
	v, ok := p.col.value(r, scratch[:])
	if !ok {
		return triNull
	}
	return triOf(p.op.holds(bytes.Compare(v, p.v)))
}
func (p strCmpPred) String() string { return p.text }

// nullPred is col IS NULL.
type nullPred struct {
	col  string // a dynamic column or a core string column
	core int
	text string
}

func (p nullPred) eval(r *batchRow) tri {
	if p.core >= 0 {
		return triOf(CoreStrings(r.b, p.core).IsNull(r.i))
	}
	d := r.column(p.col)
	return triOf(d == nil || d.IsNull(r.i))
}
func (p nullPred) String() string { return p.text }

// cmpOp is a comparison operator.
type cmpOp uint8

const (
	opEQ cmpOp = iota
	opNE
	opLT
	opLE
	opGT
	opGE
)

// compare applies op to x and v.
func compare[T int64 | float64](op cmpOp, x, v T) tri {
	switch {
	case x < v:
		return triOf(op.holds(-1))
	case x > v:
		return triOf(op.holds(1))
	}
	return triOf(op.holds(0))
}

func (op cmpOp) holds(c int) bool {
	switch op {
	case opEQ:
		return c == 0
	case opNE:
		return c != 0
	case opLT:
		return c < 0
	case opLE:
		return c <= 0
	case opGT:
		return c > 0
	}
	return c >= 0
}

// intCmpPred compares a BIGINT dynamic column with an integer.
type intCmpPred struct {
	name string
	op   cmpOp
	v    int64
	text string
}

func (p intCmpPred) eval(r *batchRow) tri {
	d := r.column(p.name)
	if d == nil || d.IsNull(r.i) {
		return triNull
	}
	if d.Type != columns.TypeInt64 {
		// The column widened after the query fixed its schema.
		return floatCmpPred{op: p.op, v: float64(p.v)}.compare(d, r.i)
	}
	return compare(p.op, d.Ints[r.i], p.v)
}
func (p intCmpPred) String() string { return p.text }

// floatCmpPred compares a DOUBLE dynamic column (whose older batches may
// hold BIGINT values) with a number.
type floatCmpPred struct {
	name string
	op   cmpOp
	v    float64
	text string
}

func (p floatCmpPred) eval(r *batchRow) tri {
	d := r.column(p.name)
	if d == nil || d.IsNull(r.i) {
		return triNull
	}
	return p.compare(d, r.i)
}

// compare compares non-NULL row i of d with the constant.
func (p floatCmpPred) compare(d *columns.Dynamic, i int) tri {
	var x float64
	switch d.Type {
	case columns.TypeInt64:
		x = float64(d.Ints[i])
	case columns.TypeFloat64:
		x = d.Floats[i]
	default:
		return triNull // widened to another type after the query fixed its schema
	}
	return compare(p.op, x, p.v)
}
func (p floatCmpPred) String() string { return p.text }

func (p andPred) Columns(dst []string) []string  { return p.r.Columns(p.l.Columns(dst)) }
func (p orPred) Columns(dst []string) []string   { return p.r.Columns(p.l.Columns(dst)) }
func (p notPred) Columns(dst []string) []string  { return p.p.Columns(dst) }
func (p tsPred) Columns(dst []string) []string   { return append(dst, "ts") }
func (p inPred) Columns(dst []string) []string   { return append(dst, p.col.columnName()) }
func (p likePred) Columns(dst []string) []string { return append(dst, p.col.columnName()) }
func (p strCmpPred) Columns(dst []string) []string {
	return append(dst, p.col.columnName())
}
func (p nullPred) Columns(dst []string) []string {
	if p.core >= 0 {
		return append(dst, columns.CoreNames[p.core])
	}
	return append(dst, p.col)
}
func (p intCmpPred) Columns(dst []string) []string   { return append(dst, p.name) }
func (p floatCmpPred) Columns(dst []string) []string { return append(dst, p.name) }

// columnName is the name of the column the accessor reads.
func (a StringAccessor) columnName() string {
	if a.Core >= 0 {
		return columns.CoreNames[a.Core]
	}
	return a.Name
}
