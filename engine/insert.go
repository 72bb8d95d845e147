package engine

import (
	"fmt"
	"time"

	"github.com/dolthub/go-mysql-server/sql"

	"logq/engine/compat"
	exec "logq/engine/exec"
	"logq/partitions"
	"logq/partitions/columns"
	"logq/partitions/jsonl"
)

var _ sql.InsertableTable = (*Table)(nil)

// Inserter implements sql.InsertableTable: INSERT INTO logs takes the same
// durable path as HTTP ingest. The rows of a statement are appended as one
// batch when it completes, and the statement succeeds only once they are in
// the write-ahead log on disk.
func (t *Table) Inserter(ctx *sql.Context) sql.RowInserter {
	loc, err := compat.SessionLocation(ctx)
	return &inserter{t: t, loc: loc, err: err}
}

type inserter struct {
	t     *Table
	loc   *time.Location // the session's zone, in which ts values are given
	err   error          // the zone could not be read
	batch *columns.Batch
}

// StatementBegin implements sql.EditOpenerCloser.
func (w *inserter) StatementBegin(*sql.Context) { w.batch = &columns.Batch{} }

// DiscardChanges implements sql.EditOpenerCloser: nothing was stored yet.
func (w *inserter) DiscardChanges(*sql.Context, error) error {
	w.batch = nil
	return nil
}

// StatementComplete implements sql.EditOpenerCloser: the statement's rows
// become durable.
func (w *inserter) StatementComplete(ctx *sql.Context) error {
	b := w.batch
	w.batch = nil
	if b == nil || b.Len() == 0 {
		return nil
	}
	_, err := w.t.appender.AppendWith(ctx, b, partitions.AppendOptions{})
	return err
}

// Insert implements sql.RowInserter. row follows the table's full schema.
func (w *inserter) Insert(ctx *sql.Context, row sql.Row) error {
	if w.batch == nil {
		w.batch = &columns.Batch{}
	}
	if w.err != nil {
		return w.err
	}
	loc := w.loc
	b := w.batch
	n := b.Len()
	tv, ok := row[exec.ColTS].(time.Time)
	if !ok {
		return fmt.Errorf("INSERT INTO logs: ts must be a date and time, got %T", row[exec.ColTS])
	}
	// The value is a DATETIME in the session's zone, as MySQL reads a value
	// given for a TIMESTAMP column.
	local := time.Date(tv.Year(), tv.Month(), tv.Day(), tv.Hour(), tv.Minute(), tv.Second(), tv.Nanosecond(), loc)
	us := local.UnixMicro()
	if us < jsonl.MinTimestampMicros || us > jsonl.MaxTimestampMicros {
		return fmt.Errorf("INSERT INTO logs: ts %s is outside the TIMESTAMP range 1970-01-01 00:00:01 .. 2038-01-19 03:14:07.999999 UTC",
			local.UTC().Format("2006-01-02 15:04:05.999999"))
	}
	b.TS = append(b.TS, us)
	for col := exec.ColLevel; col <= exec.ColMessage; col++ {
		s := exec.CoreStrings(b, col)
		switch v := row[col].(type) {
		case nil:
			s.AppendNull()
		case string:
			if col == exec.ColLevel {
				s.Append(jsonl.NormalizeLevel([]byte(v)))
			} else {
				s.AppendString(v)
			}
		default:
			return fmt.Errorf("INSERT INTO logs: %s must be a string, got %T", w.t.schema[col].Name, v)
		}
	}
	for j, c := range w.t.dyn {
		v := row[exec.NumCore+j]
		if v == nil {
			continue // PadDynamic makes it NULL
		}
		if c.Name == partitions.CatchAllColumn {
			// The store would take a value for _extra as a field called
			// _extra and nest it inside the catch-all object.
			return fmt.Errorf("INSERT INTO logs: %s holds the fields that have no column of their own; logq fills it, it cannot be inserted", c.Name)
		}
		d := b.AddColumn(c.Name, c.Type, n)
		switch c.Type {
		case columns.TypeInt64:
			x, ok := compat.ExactInt(v)
			if !ok {
				return fmt.Errorf("INSERT INTO logs: %s must be an integer, got %T", c.Name, v)
			}
			d.AppendInt(x)
		case columns.TypeFloat64:
			x, ok := floatOf(v)
			if !ok {
				return fmt.Errorf("INSERT INTO logs: %s must be a number, got %T", c.Name, v)
			}
			d.AppendFloat(x)
		case columns.TypeBool:
			x, ok := compat.ExactInt(v)
			if !ok {
				return fmt.Errorf("INSERT INTO logs: %s must be a boolean, got %T", c.Name, v)
			}
			d.AppendBool(x != 0)
		default:
			s, ok := v.(string)
			if !ok {
				return fmt.Errorf("INSERT INTO logs: %s must be a string, got %T", c.Name, v)
			}
			d.AppendString([]byte(s))
		}
	}
	b.PadDynamic(n + 1)
	return nil
}

// Close implements sql.RowInserter.
func (w *inserter) Close(*sql.Context) error { return nil }
