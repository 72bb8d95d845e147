package engine

import (
	"fmt"
	"math"
	"time"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/expression"

	"logq/engine/compat"
	exec "logq/engine/exec"
	"logq/partitions"
	"logq/partitions/segment"
)

// Table is logs. A Table value is one query's view of the table: its schema
// is fixed when the query resolves the table, so that dynamic columns that
// appear while the query runs cannot shift its column positions.
type Table struct {
	exec.Env
	schema sql.Schema
	dyn    []segment.ColumnInfo // the dynamic columns, schema[numCore:]
	// view maps the stored columns of batches to dyn (dropped columns and
	// their generations; see partitions.ColumnView). Every batch a scan
	// reads goes through it exactly once.
	view *partitions.ColumnView

	// proj lists the schema positions the query reads (ProjectedTable), in
	// output order; nil reads every column.
	proj       []int
	projSchema sql.Schema
	projNames  []string

	loopback bool       // Options.PlanLoopback
	nodes    exec.Nodes // Options.Nodes
	appender Appender   // Options.Appender, or the store
}

var (
	_ sql.Table                = (*Table)(nil)
	_ sql.PrimaryKeyTable      = (*Table)(nil)
	_ sql.IndexSearchableTable = (*Table)(nil)
	_ sql.IndexedTable         = (*indexedTable)(nil)
	_ sql.ProjectedTable       = (*Table)(nil)
)

// snapshot returns the table with the columns known now: the catalog's,
// less the dropped ones, under their names.
func (t *Table) snapshot() *Table {
	view := t.Store.ColumnView()
	dyn := view.Columns(t.Cat.Columns())
	return &Table{Env: t.Env,
		schema: buildSchema(dyn), dyn: dyn, view: view, loopback: t.loopback, nodes: t.nodes, appender: t.appender}
}

// Name implements sql.Table.
func (t *Table) Name() string { return TableName }

// String implements sql.Table.
func (t *Table) String() string { return TableName }

// Schema implements sql.Table: the projected columns when projected.
func (t *Table) Schema() sql.Schema {
	if t.proj != nil {
		return t.projSchema
	}
	return t.schema
}

// WithProjections implements sql.ProjectedTable: rows then hold only the
// named columns, in that order, and only those are converted. An empty list
// reads every column: go-mysql-server passes one where it still expects
// whole rows (the metamorphic test fails otherwise).
func (t *Table) WithProjections(names []string) sql.Table {
	nt := *t
	nt.proj, nt.projSchema, nt.projNames = nil, nil, nil
	if names == nil {
		return &nt
	}
	for _, name := range names {
		i := t.schema.IndexOfColName(name)
		if i < 0 {
			// go-mysql-server only names columns of the schema it was given.
			panic(fmt.Sprintf("BUG: projection of unknown column %q", name))
		}
		nt.proj = append(nt.proj, i)
		nt.projSchema = append(nt.projSchema, t.schema[i])
	}
	nt.projNames = names
	return &nt
}

// Projections implements sql.ProjectedTable.
func (t *Table) Projections() []string { return t.projNames }

// PrimaryKeySchema implements sql.PrimaryKeyTable: logs has no primary key.
// go-mysql-server needs it of projected tables (GMS-NOTES.md).
func (t *Table) PrimaryKeySchema() sql.PrimaryKeySchema { return sql.NewPrimaryKeySchema(t.schema) }

// Collation implements sql.Table.
func (t *Table) Collation() sql.CollationID { return sql.Collation_Default }

// Partitions implements sql.Table. The table is one logical partition to
// go-mysql-server, which would otherwise concatenate partitions one after
// another; fanning out over the stored partitions is the scan's job.
func (t *Table) Partitions(*sql.Context) (sql.PartitionIter, error) {
	return sql.PartitionsToPartitionIter(wholeTable{}), nil
}

// PartitionRows implements sql.Table: every row, in no particular order.
func (t *Table) PartitionRows(ctx *sql.Context, p sql.Partition) (sql.RowIter, error) {
	loc, err := compat.SessionLocation(ctx)
	if err != nil {
		return nil, err
	}
	if lp, ok := p.(lookupPartition); ok {
		return newScan(ctx, t, loc, lp.options())
	}
	return newScan(ctx, t, loc, scanOptions{})
}

// wholeTable is the one partition of logs.
type wholeTable struct{}

// Key implements sql.Partition.
func (wholeTable) Key() []byte { return []byte(TableName) }

// GetIndexes implements sql.IndexAddressable: the ordered index on ts.
func (t *Table) GetIndexes(*sql.Context) ([]sql.Index, error) { return []sql.Index{&tsIndex{}}, nil }

// PreciseMatch implements sql.IndexAddressable: the conditions a lookup
// claims are evaluated exactly, so go-mysql-server drops them.
func (t *Table) PreciseMatch() bool { return true }

// SkipIndexCosting implements sql.IndexSearchable. It is false so that
// go-mysql-server uses the ts index for ORDER BY ts without a WHERE; with a
// WHERE, LookupForExpressions always answers, so go-mysql-server never builds
// ranges of its own that the scan would have to honour.
func (t *Table) SkipIndexCosting() bool { return false }

// LookupForExpressions implements sql.IndexSearchable: it claims every
// conjunct it can evaluate exactly and leaves the rest to go-mysql-server.
func (t *Table) LookupForExpressions(ctx *sql.Context, exprs ...sql.Expression) (sql.IndexLookup, *sql.FuncDepSet, sql.Expression, bool, error) {
	loc, err := compat.SessionLocation(ctx)
	if err != nil {
		return sql.IndexLookup{}, nil, nil, false, err
	}
	push, rest := pushdown(ctx, t, loc, exprs)
	lookup := sql.IndexLookup{
		Index:  &tsIndex{push: push},
		Ranges: sql.MySQLRangeCollection{{tsRange(push.Prune.MinTS, push.Prune.MaxTS, loc)}},
	}
	var remaining sql.Expression
	if len(rest) > 0 {
		remaining = expression.JoinAnd(rest...)
	}
	return lookup, nil, remaining, true, nil
}

// tsRange is the ts range of a lookup, in the session's zone: go-mysql-server
// only shows it (EXPLAIN) and checks that it is one range; the scan applies
// the claimed conditions themselves.
func tsRange(lo, hi int64, loc *time.Location) sql.MySQLRangeColumnExpr {
	switch {
	case lo > hi:
		return sql.AllRangeColumnExpr(tsType) // matches nothing; the scan knows
	case lo == math.MinInt64 && hi == math.MaxInt64:
		return sql.AllRangeColumnExpr(tsType)
	case lo == math.MinInt64:
		return sql.LessOrEqualRangeColumnExpr(compat.LocalDatetime(hi, loc), tsType)
	case hi == math.MaxInt64:
		return sql.GreaterOrEqualRangeColumnExpr(compat.LocalDatetime(lo, loc), tsType)
	}
	return sql.ClosedRangeColumnExpr(compat.LocalDatetime(lo, loc), compat.LocalDatetime(hi, loc), tsType)
}

// IndexedAccess implements sql.IndexAddressable.
func (t *Table) IndexedAccess(_ *sql.Context, lookup sql.IndexLookup) sql.IndexedTable {
	it := &indexedTable{Table: t}
	if x, ok := lookup.Index.(*tsIndex); ok {
		it.push = x.push
	}
	return it
}

// indexedTable is logs read through the ts index: in ts order. It is a
// sql.FilteredTable only so that EXPLAIN PLAN shows, under the index access,
// the conditions logs evaluates itself and what pruning keeps; go-mysql-server
// v0.20 never hands filters to a table through that interface.
type indexedTable struct {
	*Table
	push *exec.Pushed
}

var _ sql.FilteredTable = (*indexedTable)(nil)

// WithProjections keeps an indexed table indexed.
func (t *indexedTable) WithProjections(names []string) sql.Table {
	return &indexedTable{Table: t.Table.WithProjections(names).(*Table), push: t.push}
}

// Filters implements sql.FilteredTable for EXPLAIN: the claimed conditions
// and the pruning of a plan made now.
func (t *indexedTable) Filters() []sql.Expression {
	return []sql.Expression{explainNote(t.explain())}
}

// HandledFilters implements sql.FilteredTable: none through this interface.
func (t *indexedTable) HandledFilters([]sql.Expression) []sql.Expression { return nil }

// WithFilters implements sql.FilteredTable: unused by go-mysql-server.
func (t *indexedTable) WithFilters(*sql.Context, []sql.Expression) sql.Table { return t }

// LookupPartitions implements sql.IndexedTable.
func (t *indexedTable) LookupPartitions(_ *sql.Context, lookup sql.IndexLookup) (sql.PartitionIter, error) {
	var push *exec.Pushed
	if x, ok := lookup.Index.(*tsIndex); ok {
		push = x.push
	}
	return sql.PartitionsToPartitionIter(lookupPartition{push: push, reverse: lookup.IsReverse}), nil
}

// lookupPartition is the one partition of an indexed read.
type lookupPartition struct {
	push    *exec.Pushed
	reverse bool
}

// Key implements sql.Partition.
func (lookupPartition) Key() []byte { return []byte(TableName) }

func (p lookupPartition) options() scanOptions {
	return scanOptions{push: p.push, ordered: true, reverse: p.reverse}
}
