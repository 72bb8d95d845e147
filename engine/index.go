package engine

import (
	"github.com/dolthub/go-mysql-server/sql"

	exec "logq/engine/exec"
)

// tsIndex is the ordered index on ts that logs offers go-mysql-server. It
// is not a stored structure: segments and batches are sorted by ts and
// carry their ts ranges, and the scan merges them. Through it go-mysql-server
// drops its Sort for ORDER BY ts [DESC] and hands WHERE conditions to
// LookupForExpressions.
//
// A lookup made by LookupForExpressions carries the claimed conditions in
// push; the lookup go-mysql-server builds itself (ORDER BY ts without WHERE)
// has none.
type tsIndex struct {
	push *exec.Pushed
}

var _ sql.OrderedIndex = (*tsIndex)(nil)

// tsIndexID names the index (SHOW INDEXES, EXPLAIN).
const tsIndexID = "ts"

func (x *tsIndex) ID() string       { return tsIndexID }
func (x *tsIndex) Database() string { return DatabaseName }
func (x *tsIndex) Table() string    { return TableName }
func (x *tsIndex) Expressions() []string {
	return []string{TableName + ".ts"}
}
func (x *tsIndex) IsUnique() bool    { return false }
func (x *tsIndex) IsSpatial() bool   { return false }
func (x *tsIndex) IsFullText() bool  { return false }
func (x *tsIndex) IsVector() bool    { return false }
func (x *tsIndex) Comment() string   { return "segments and batches sorted by ts, with ts ranges" }
func (x *tsIndex) IndexType() string { return "BTREE" }
func (x *tsIndex) IsGenerated() bool { return false }
func (x *tsIndex) ColumnExpressionTypes() []sql.ColumnExpressionType {
	return []sql.ColumnExpressionType{{Expression: TableName + ".ts", Type: tsType}}
}
func (x *tsIndex) CanSupport(*sql.Context, ...sql.Range) bool { return true }
func (x *tsIndex) CanSupportOrderBy(sql.Expression) bool      { return false }
func (x *tsIndex) PrefixLengths() []uint16                    { return nil }
func (x *tsIndex) Order() sql.IndexOrder                      { return sql.IndexOrderAsc }
func (x *tsIndex) Reversible() bool                           { return true }
