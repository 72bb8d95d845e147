package arrowrows

import (
	"fmt"
	"slices"

	"github.com/apache/arrow-go/v18/arrow"

	"logq/partitions/columns"
)

// Column is one column of a Schema: a core column by its name alone (Type
// 0), or a dynamic column by its stored name and its type.
type Column struct {
	Name string
	Type columns.Type // dynamic columns only; 0 for a core column
}

// Schema is the column list of every record of one stream: the same names,
// types and order in each, whatever batch the rows come from, so that a
// reader of several streams (a merge) sees one Arrow schema. It is
// immutable and safe for concurrent use.
type Schema struct {
	cols  []Column
	arrow *arrow.Schema
}

// tsType is the Arrow type of ts: UTC microseconds, as logq stores them.
var tsType = &arrow.TimestampType{Unit: arrow.Microsecond, TimeZone: tsTimeZone}

// NewSchema returns the schema of records holding cols, in that order. ts
// must be one of them: a record's rows are rows of a batch, which has a
// timestamp each. Names must be distinct, core columns must have Type 0 and
// dynamic ones a valid type.
func NewSchema(cols []Column) (*Schema, error) {
	seen := make(map[string]bool, len(cols))
	fields := make([]arrow.Field, len(cols))
	for i, c := range cols {
		switch core := columns.IsCore(c.Name); {
		case core && c.Type != 0:
			return nil, fmt.Errorf("arrowrows: schema: core column %q given type %s", c.Name, c.Type)
		case !core && !c.Type.Valid():
			return nil, fmt.Errorf("arrowrows: schema: dynamic column %q has invalid type %s", c.Name, c.Type)
		case seen[c.Name]:
			return nil, fmt.Errorf("arrowrows: schema: column %q twice", c.Name)
		}
		seen[c.Name] = true
		fields[i] = field(c)
	}
	if !seen[columns.TS] {
		return nil, fmt.Errorf("arrowrows: schema: no %q column", columns.TS)
	}
	return &Schema{cols: slices.Clone(cols), arrow: arrow.NewSchema(fields, nil)}, nil
}

// SchemaOf returns the schema of every column of batches: ts, the five core
// columns, then the dynamic columns in order of first sight, each of the
// type columns.Widen gives over the batches holding it. Records of it can
// carry the rows of any of the batches.
func SchemaOf(batches ...*columns.Batch) (*Schema, error) {
	cols := make([]Column, 0, len(columns.CoreNames))
	for _, name := range columns.CoreNames {
		cols = append(cols, Column{Name: name})
	}
	at := map[string]int{}
	for _, b := range batches {
		for _, d := range b.Dynamic {
			if k, ok := at[d.Name]; ok {
				cols[k].Type = columns.Widen(cols[k].Type, d.Type)
				continue
			}
			at[d.Name] = len(cols)
			cols = append(cols, Column{Name: d.Name, Type: d.Type})
		}
	}
	return NewSchema(cols)
}

// field returns the Arrow field of a column.
func field(c Column) arrow.Field {
	switch {
	case c.Name == columns.TS:
		return arrow.Field{Name: c.Name, Type: tsType}
	case c.Type == 0: // another core column
		return arrow.Field{Name: c.Name, Type: arrow.BinaryTypes.String, Nullable: true}
	}
	return arrow.Field{Name: c.Name, Type: dynamicType(c.Type), Nullable: true}
}

// dynamicType returns the Arrow type of a dynamic column of type t.
func dynamicType(t columns.Type) arrow.DataType {
	switch t {
	case columns.TypeInt64:
		return arrow.PrimitiveTypes.Int64
	case columns.TypeFloat64:
		return arrow.PrimitiveTypes.Float64
	case columns.TypeBool:
		return arrow.FixedWidthTypes.Boolean
	case columns.TypeString:
		return arrow.BinaryTypes.String
	}
	panic("BUG: arrowrows: dynamic column of invalid type " + t.String())
}

// Arrow returns the Arrow schema of the records. It is shared: do not
// modify it.
func (s *Schema) Arrow() *arrow.Schema { return s.arrow }

// Columns returns the columns of the schema in field order.
func (s *Schema) Columns() []Column { return slices.Clone(s.cols) }
