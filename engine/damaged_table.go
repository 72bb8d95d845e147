package engine

import (
	"cmp"
	"fmt"
	"path"
	"slices"
	"strings"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/types"

	"logq/catalog"
	"logq/engine/compat"
	"logq/partitions"
)

// DamagedTableName is the table listing damaged data, logq.damaged.
const DamagedTableName = "damaged"

// damagedTable is logq.damaged: one row per record batch set aside as
// damaged (the rest of its segment still answers) and per segment set aside
// whole, with the time range and rows no query can read any more. It is a
// snapshot taken when the query reads it, and small (damage is rare).
// DELETE acknowledges rows (partitions.Store.Acknowledge): once the lost
// rows are re-ingested, or the loss accepted, they leave the table and
// queries stop warning about them; the damaged bytes are still never read.
type damagedTable struct {
	store *partitions.Store
	cat   *catalog.Catalog
}

var (
	_ sql.Table          = (*damagedTable)(nil)
	_ sql.DeletableTable = (*damagedTable)(nil)
	_ sql.RowDeleter     = (*damageAcknowledger)(nil)
)

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
	loc, err := compat.SessionLocation(ctx)
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
		rows[i] = sql.Row{path.Join(d.Key.DirName(), d.File), batch, compat.LocalDatetime(d.MinTS, loc),
			compat.LocalDatetime(d.MaxTS, loc), d.Rows, d.Reason}
	}
	return sql.RowsToRowIter(rows...), nil
}

// Deleter implements sql.DeletableTable: DELETE FROM logq.damaged [WHERE
// ...] acknowledges the rows it matches.
func (t *damagedTable) Deleter(*sql.Context) sql.RowDeleter {
	return &damageAcknowledger{store: t.store}
}

// damageAcknowledger acknowledges the damage of each row it is handed, at
// once and durably (the partition's manifest): a failing statement keeps
// the rows it acknowledged before the failure, as a MyISAM table would.
type damageAcknowledger struct {
	store *partitions.Store
}

// StatementBegin implements sql.EditOpenerCloser.
func (a *damageAcknowledger) StatementBegin(*sql.Context) {}

// DiscardChanges implements sql.EditOpenerCloser: nothing is held back.
func (a *damageAcknowledger) DiscardChanges(*sql.Context, error) error { return nil }

// StatementComplete implements sql.EditOpenerCloser.
func (a *damageAcknowledger) StatementComplete(*sql.Context) error { return nil }

// Close implements sql.RowDeleter.
func (a *damageAcknowledger) Close(*sql.Context) error { return nil }

// Delete implements sql.RowDeleter: row is a row of damagedSchema.
func (a *damageAcknowledger) Delete(_ *sql.Context, row sql.Row) error {
	file, _ := row[0].(string)
	dir, name := path.Split(file)
	k, err := partitions.ParseDirName(strings.TrimSuffix(dir, "/"))
	if err != nil {
		return fmt.Errorf("BUG: logq.damaged row names no partition: %q", file)
	}
	d := partitions.Damage{Key: k, File: name, Batch: -1}
	if b, ok := row[1].(int64); ok {
		d.Batch = int(b)
	}
	// Not found: acknowledged meanwhile by another session, or dropped by
	// retention; either way the row is gone, as the statement asks.
	_, err = a.store.Acknowledge(d)
	return err
}
