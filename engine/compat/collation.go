package compat

import (
	"bytes"
	"encoding/hex"
	"fmt"
	"strings"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/analyzer"
	"github.com/dolthub/go-mysql-server/sql/expression"
	"github.com/dolthub/go-mysql-server/sql/expression/function/aggregation"
	"github.com/dolthub/go-mysql-server/sql/plan"
	"github.com/dolthub/go-mysql-server/sql/rowexec"
	"github.com/dolthub/go-mysql-server/sql/transform"
	"github.com/dolthub/go-mysql-server/sql/types"

	"logq/partitions/collate"
)

// go-mysql-server v0.20.0 compares and groups strings under their
// collation (=, IN, GROUP BY, ORDER BY), but two operators hash a value's
// bytes instead: DISTINCT and COUNT(DISTINCT). Under level's, service's
// and host's utf8mb4_0900_ai_ci it answers 'ERROR' and 'error' as two
// values where MySQL sees one. The rule here makes both compare under the
// collation, on the row path and in the reference engines alike; logq's
// pushed-down aggregate does the same with collation keys.

// collatedDistinctRule replaces every DISTINCT (plan.Distinct or
// OrderedDistinct) whose rows hold a string with a non-binary collation by
// a Distinct.
func collatedDistinctRule(_ *sql.Context, _ *analyzer.Analyzer, n sql.Node, _ *plan.Scope, _ analyzer.RuleSelector, _ *sql.QueryFlags) (sql.Node, transform.TreeIdentity, error) {
	return transform.Node(n, func(n sql.Node) (sql.Node, transform.TreeIdentity, error) {
		var child sql.Node
		switch d := n.(type) {
		case *plan.Distinct:
			child = d.Child
		case *plan.OrderedDistinct:
			child = d.Child
		}
		if child == nil || !hasCollatedString(child.Schema()) {
			return n, transform.SameTree, nil
		}
		return &Distinct{UnaryNode: plan.UnaryNode{Child: child}}, transform.NewTree, nil
	})
}

// hasCollatedString reports whether a column of s is a string compared
// under a collation other than a binary one.
func hasCollatedString(s sql.Schema) bool {
	for _, c := range s {
		if collated(c.Type) {
			return true
		}
	}
	return false
}

// collated reports whether values of t compare under a non-binary
// collation.
func collated(t sql.Type) bool {
	st, ok := t.(sql.StringType)
	if !ok {
		return false
	}
	c := st.Collation()
	return c != sql.Collation_binary && c != sql.Collation_utf8mb4_0900_bin && c.Sorter() != nil
}

// Distinct is SELECT DISTINCT with rows compared as MySQL compares
// them: strings by their collation's weights. It streams, keeping the first
// row of each distinct value as go-mysql-server's Distinct does.
type Distinct struct {
	plan.UnaryNode
}

var _ sql.ExecSourceRel = (*Distinct)(nil)

// Resolved implements sql.Node.
func (d *Distinct) Resolved() bool { return d.Child.Resolved() }

// IsReadOnly implements sql.Node.
func (d *Distinct) IsReadOnly() bool { return d.Child.IsReadOnly() }

// String implements sql.Node: a line of EXPLAIN.
func (d *Distinct) String() string {
	p := sql.NewTreePrinter()
	_ = p.WriteNode("Distinct(under the columns' collations)")
	_ = p.WriteChildren(d.Child.String())
	return p.String()
}

// WithChildren implements sql.Node.
func (d *Distinct) WithChildren(children ...sql.Node) (sql.Node, error) {
	if len(children) != 1 {
		return nil, sql.ErrInvalidChildrenNumber.New(d, len(children), 1)
	}
	return &Distinct{UnaryNode: plan.UnaryNode{Child: children[0]}}, nil
}

// CollationCoercibility implements sql.CollationCoercible, as Distinct does.
func (d *Distinct) CollationCoercibility(ctx *sql.Context) (sql.CollationID, byte) {
	return sql.GetCoercibility(ctx, d.Child)
}

// RowIter implements sql.ExecSourceRel, for engines with go-mysql-server's
// own builder (the reference engines); an engine with a builder of its own
// calls Build.
func (d *Distinct) RowIter(ctx *sql.Context, row sql.Row) (sql.RowIter, error) {
	return d.Build(ctx, rowexec.DefaultBuilder, row, nil)
}

// KeyBudget is charged for the keys a Distinct's iterator keeps, one per
// distinct row: an engine's per-statement memory limit.
type KeyBudget interface {
	// AddKey charges one more kept key of n bytes; an error fails the
	// statement. The iterator calls it from the goroutine that consumes its
	// rows, never concurrently.
	AddKey(n int) error
	// Release gives back everything charged; the iterator calls it when it
	// closes. It may be called again.
	Release()
}

// Build returns the rows of d with its child built by b, charging each new
// key to keys (nil: none). The iterator owns keys until it closes.
func (d *Distinct) Build(ctx *sql.Context, b sql.NodeExecBuilder, row sql.Row, keys KeyBudget) (sql.RowIter, error) {
	child, err := b.Build(ctx, d.Child, row)
	if err != nil {
		return nil, err
	}
	return &distinctIter{child: child, schema: d.Child.Schema(), seen: map[string]struct{}{}, keys: keys}, nil
}

type distinctIter struct {
	child  sql.RowIter
	schema sql.Schema
	seen   map[string]struct{}
	key    bytes.Buffer
	keys   KeyBudget // the keys in seen; nil: not charged
}

func (it *distinctIter) Next(ctx *sql.Context) (sql.Row, error) {
	for {
		row, err := it.child.Next(ctx)
		if err != nil {
			return nil, err
		}
		if err := it.rowKey(ctx, row); err != nil {
			return nil, err
		}
		if _, dup := it.seen[it.key.String()]; !dup {
			it.seen[it.key.String()] = struct{}{}
			if it.keys != nil {
				if err := it.keys.AddKey(it.key.Len()); err != nil {
					return nil, err
				}
			}
			return row, nil
		}
	}
}

// rowKey writes into it.key a key equal for two rows exactly when every
// column is equal: strings by collation weights, the rest by their text as
// go-mysql-server's Distinct hashes them; each value is length-prefixed.
func (it *distinctIter) rowKey(ctx *sql.Context, row sql.Row) error {
	it.key.Reset()
	var v bytes.Buffer
	for i, x := range row {
		v.Reset()
		x, err := sql.UnwrapAny(ctx, x)
		if err != nil {
			return err
		}
		switch {
		case x == nil:
			v.WriteByte(0)
		case i < len(it.schema) && collated(it.schema[i].Type):
			s, _, err := types.ConvertToCollatedString(ctx, x, it.schema[i].Type)
			if err != nil {
				return err
			}
			v.WriteByte(1)
			if err := it.schema[i].Type.(sql.StringType).Collation().WriteWeightString(&v, s); err != nil {
				return err
			}
		default:
			fmt.Fprintf(&v, "\x02%v", x)
		}
		fmt.Fprintf(&it.key, "%d:", v.Len())
		it.key.Write(v.Bytes())
	}
	return nil
}

func (it *distinctIter) Close(ctx *sql.Context) error {
	if it.keys != nil {
		it.keys.Release()
	}
	return it.child.Close(ctx)
}

// collatedCountDistinct makes COUNT(DISTINCT x) of a string x under a
// non-binary collation count x's collation keys; nil: e is something else.
func collatedCountDistinct(e sql.Expression) sql.Expression {
	cd, ok := e.(*aggregation.CountDistinct)
	if !ok || len(cd.Children()) != 1 {
		return nil
	}
	x := cd.Children()[0]
	if _, done := x.(*CollationKey); done || !collated(x.Type()) {
		return nil
	}
	out, err := cd.WithChildren(&CollationKey{expression.UnaryExpression{Child: x}})
	if err != nil {
		return nil
	}
	return out
}

// CollationKey is the text of its string argument's collation key, equal
// for two strings exactly when the collation calls them equal; NULL stays
// NULL. COUNT(DISTINCT) counts these, as MySQL counts under the collation.
type CollationKey struct {
	expression.UnaryExpression
}

var _ sql.CollationCoercible = (*CollationKey)(nil)

// Type implements sql.Expression: the key is text.
func (k *CollationKey) Type() sql.Type { return types.LongText }

// String implements sql.Expression: the argument's, as written.
func (k *CollationKey) String() string { return k.Child.String() }

// CollationCoercibility implements sql.CollationCoercible: keys compare
// by their bytes.
func (k *CollationKey) CollationCoercibility(*sql.Context) (sql.CollationID, byte) {
	return sql.Collation_utf8mb4_0900_bin, 4
}

// WithChildren implements sql.Expression.
func (k *CollationKey) WithChildren(children ...sql.Expression) (sql.Expression, error) {
	if len(children) != 1 {
		return nil, sql.ErrInvalidChildrenNumber.New(k, len(children), 1)
	}
	return &CollationKey{expression.UnaryExpression{Child: children[0]}}, nil
}

// Eval implements sql.Expression.
func (k *CollationKey) Eval(ctx *sql.Context, row sql.Row) (any, error) {
	v, err := k.Child.Eval(ctx, row)
	if err != nil || v == nil {
		return nil, err
	}
	st := k.Child.Type().(sql.StringType)
	s, _, err := types.ConvertToCollatedString(ctx, v, st)
	if err != nil {
		return nil, err
	}
	if st.Collation() == collate.ID {
		return hex.EncodeToString([]byte(collate.Key(s))), nil
	}
	var w bytes.Buffer
	if err := st.Collation().WriteWeightString(&w, s); err != nil {
		return nil, err
	}
	return hex.EncodeToString(w.Bytes()), nil
}

// showColumnsRule makes SHOW [FULL] COLUMNS (and DESCRIBE) show types and
// collations as MySQL does: go-mysql-server writes the collation into the
// type of a column whose collation is not its own default
// ("varchar(16383) COLLATE utf8mb4_0900_ai_ci") and reports every text
// column's collation as that default in SHOW FULL COLUMNS. DBeaver and
// other tools read the collation from there. A column declared with
// another type (DeclaringTable) shows that type.
func showColumnsRule(_ *sql.Context, _ *analyzer.Analyzer, n sql.Node, _ *plan.Scope, _ analyzer.RuleSelector, _ *sql.QueryFlags) (sql.Node, transform.TreeIdentity, error) {
	return transform.Node(n, func(n sql.Node) (sql.Node, transform.TreeIdentity, error) {
		if sc, ok := n.(*plan.ShowColumns); ok {
			return &mysqlShowColumns{ShowColumns: sc}, transform.NewTree, nil
		}
		return n, transform.SameTree, nil
	})
}

// mysqlShowColumns is a ShowColumns whose rows are corrected (see
// showColumnsRule).
type mysqlShowColumns struct {
	*plan.ShowColumns
}

var _ sql.ExecSourceRel = (*mysqlShowColumns)(nil)

func (s *mysqlShowColumns) WithChildren(children ...sql.Node) (sql.Node, error) {
	n, err := s.ShowColumns.WithChildren(children...)
	if err != nil {
		return nil, err
	}
	return &mysqlShowColumns{ShowColumns: n.(*plan.ShowColumns)}, nil
}

// WithTargetSchema and WithExpressions keep the wrapper: go-mysql-server's
// rules that resolve column defaults call them after compat's rules.
func (s *mysqlShowColumns) WithTargetSchema(schema sql.Schema) (sql.Node, error) {
	n, err := s.ShowColumns.WithTargetSchema(schema)
	if err != nil {
		return nil, err
	}
	return &mysqlShowColumns{ShowColumns: n.(*plan.ShowColumns)}, nil
}

func (s *mysqlShowColumns) WithExpressions(exprs ...sql.Expression) (sql.Node, error) {
	n, err := s.ShowColumns.WithExpressions(exprs...)
	if err != nil {
		return nil, err
	}
	return &mysqlShowColumns{ShowColumns: n.(*plan.ShowColumns)}, nil
}

func (s *mysqlShowColumns) RowIter(ctx *sql.Context, row sql.Row) (sql.RowIter, error) {
	iter, err := rowexec.DefaultBuilder.Build(ctx, s.ShowColumns, row)
	if err != nil {
		return nil, err
	}
	rows, err := sql.RowIterToRows(ctx, iter)
	if err != nil {
		return nil, err
	}
	target := s.TargetSchema()
	rt, _ := s.Child.(*plan.ResolvedTable)
	for i, r := range rows {
		if i >= len(target) {
			break
		}
		if rt != nil && len(r) > 1 {
			if d := DeclaredType(rt.Table, target[i].Name); d != nil {
				r[1] = d.String() // timestamp(6) for logq's ts, say
			}
		}
		st, ok := target[i].Type.(sql.StringType)
		if !ok || len(r) < 2 {
			continue
		}
		if typ, ok := r[1].(string); ok {
			if cut := strings.Index(typ, " CHARACTER SET "); cut >= 0 {
				r[1] = typ[:cut]
			} else if cut := strings.Index(typ, " COLLATE "); cut >= 0 {
				r[1] = typ[:cut]
			}
		}
		if s.Full && len(r) > 2 && r[2] != nil {
			r[2] = st.Collation().String()
		}
	}
	return sql.RowsToRowIter(rows...), nil
}
