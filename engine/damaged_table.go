package engine

import (
	"cmp"
	"path"
	"slices"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/types"

	"logq/catalog"
	"logq/partitions"
)

// DamagedTableName is the table listing damaged data, logq.damaged.
const DamagedTableName = "damaged"

// damagedTable is logq.damaged: one row per record batch set aside as
// damaged (the rest of its segment still answers) and per segment set aside
// whole, with the time range and rows no query can read any more. It is a
// snapshot taken when the query reads it, small (damage is rare), and
// read-only.
type damagedTable struct {
	store *partitions.Store
	cat   *catalog.Catalog
}

var _ sql.Table = (*damagedTable)(nil)

// damagedSchema: file is the segment file under its partition directory
// (parts/<file> in the data directory; quarantine/<file> for a whole
// segment set aside); batch is NULL for a whole segment; min_ts and max_ts
// are shown in the session's time zone, as logs.ts is.
var damagedSchema = func() sql.Schema {
	col := func(name string, t sql.Type, nullable bool) *sql.Column {
		return &sql.Column{Name: name, Type: t, Nullable: nullable, Source: DamagedTableName, DatabaseSource: DatabaseName}
	}
	return sql.Schema{
		col("file", varcharType, false),
		col("batch", types.Int64, true),
		col("min_ts", tsType, false),
		col("max_ts", tsType, false),
		col("rows", types.Int64, false),
		col("reason", messageType, false),
	}
}()

// Name implements sql.Table.
func (t *damagedTable) Name() string { return DamagedTableName }

// String implements sql.Table.
func (t *damagedTable) String() string { return DamagedTableName }

// Schema implements sql.Table.
func (t *damagedTable) Schema() sql.Schema { return damagedSchema }

// Collation implements sql.Table.
func (t *damagedTable) Collation() sql.CollationID { return sql.Collation_Default }

// Partitions implements sql.Table: one partition.
func (t *damagedTable) Partitions(*sql.Context) (sql.PartitionIter, error) {
	return sql.PartitionsToPartitionIter(wholeTable{}), nil
}

// PartitionRows implements sql.Table: damaged batches, then damaged
// segments, each in partition and file order.
func (t *damagedTable) PartitionRows(ctx *sql.Context, _ sql.Partition) (sql.RowIter, error) {
	loc, err := sessionLocation(ctx)
	if err != nil {
		return nil, err
	}
	all := slices.Concat(t.cat.DamagedBatches(), t.store.DamagedSegments())
	slices.SortStableFunc(all, func(a, b partitions.Damage) int {
		if c := cmp.Compare(a.Key.DirName(), b.Key.DirName()); c != 0 {
			return c
		}
		if c := cmp.Compare(a.File, b.File); c != 0 {
			return c
		}
		return cmp.Compare(a.Batch, b.Batch)
	})
	rows := make([]sql.Row, len(all))
	for i, d := range all {
		var batch any
		if !d.Whole() {
			batch = int64(d.Batch)
		}
		rows[i] = sql.Row{path.Join(d.Key.DirName(), d.File), batch, localDatetime(d.MinTS, loc),
			localDatetime(d.MaxTS, loc), d.Rows, d.Reason}
	}
	return sql.RowsToRowIter(rows...), nil
}
