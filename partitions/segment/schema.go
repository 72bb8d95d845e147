package segment

import (
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"

	"logq/partitions/columns"
)

// colKind is the physical encoding of one Arrow field of a segment.
type colKind uint8

const (
	kindTSU32 colKind = iota + 1 // ts as uint32 row-to-row deltas
	kindTSI64                    // ts as int64 row-to-row deltas
	kindDict                     // dictionary<int8|uint8|int16|int32, utf8>
	kindUTF8                     // utf8
	kindHex8                     // trace_id as fixed_size_binary(8)
	kindInt                      // BIGINT as int8|int16|int32|int64
	kindFloat                    // DOUBLE as float64
	kindBool                     // BOOLEAN as bool
)

// physCol describes one field of a segment's Arrow schema as the reader
// decodes it.
type physCol struct {
	name  string
	kind  colKind
	typ   columns.Type   // logical type of a dynamic column, 0 for a core one
	width int            // kindInt: bytes per value
	phys  arrow.DataType // the stored type
	out   arrow.DataType // the type Reader.Batch returns
}

var hexType = &arrow.FixedSizeBinaryType{ByteWidth: 8}

// arrowSchema returns the Arrow schema of the layout: the six core columns
// in order, then the dynamic columns under their logical names.
func (l *layout) arrowSchema() *arrow.Schema {
	fields := make([]arrow.Field, 0, len(columns.CoreNames)+len(l.dyn))
	ts := arrow.DataType(arrow.PrimitiveTypes.Uint32)
	if l.tsWide {
		ts = arrow.PrimitiveTypes.Int64
	}
	fields = append(fields,
		arrow.Field{Name: columns.TS, Type: ts},
		arrow.Field{Name: columns.Level, Type: stringType(l.level), Nullable: true},
		arrow.Field{Name: columns.Service, Type: stringType(l.service), Nullable: true},
		arrow.Field{Name: columns.Host, Type: stringType(l.host), Nullable: true})
	trace := arrow.DataType(arrow.BinaryTypes.String)
	if l.traceHex {
		trace = hexType
	}
	fields = append(fields,
		arrow.Field{Name: columns.TraceID, Type: trace, Nullable: true},
		arrow.Field{Name: columns.Message, Type: arrow.BinaryTypes.String, Nullable: true})
	for _, dl := range l.dyn {
		fields = append(fields, arrow.Field{Name: dl.col.Name, Type: dl.arrowType(), Nullable: true})
	}
	return arrow.NewSchema(fields, nil)
}

// stringType returns the Arrow type of a string column: its dictionary type,
// or utf8 when it has no dictionary.
func stringType(d *strDict) arrow.DataType {
	if d == nil {
		return arrow.BinaryTypes.String
	}
	return d.dictType()
}

// arrowType returns the stored Arrow type of a dynamic column.
func (dl *dynLayout) arrowType() arrow.DataType {
	switch dl.col.Type {
	case columns.TypeInt64:
		return intTypes[dl.width]
	case columns.TypeFloat64:
		return arrow.PrimitiveTypes.Float64
	case columns.TypeBool:
		return arrow.FixedWidthTypes.Boolean
	}
	return stringType(dl.dict)
}

// intTypes maps a width in bytes to the signed integer type.
var intTypes = map[int]arrow.DataType{
	1: arrow.PrimitiveTypes.Int8,
	2: arrow.PrimitiveTypes.Int16,
	4: arrow.PrimitiveTypes.Int32,
	8: arrow.PrimitiveTypes.Int64,
}

// physColumns checks a segment's Arrow schema against its statistics and
// returns how to decode each field. The error does not carry the path.
func physColumns(s *arrow.Schema, st *Stats) ([]physCol, error) {
	if want := len(columns.CoreNames) + len(st.Columns); s.NumFields() != want {
		return nil, fmt.Errorf("schema has %d fields, want %d", s.NumFields(), want)
	}
	out := make([]physCol, s.NumFields())
	for i, f := range s.Fields() {
		c := &out[i]
		c.phys = f.Type
		var ok bool
		if i < len(columns.CoreNames) {
			c.name = columns.CoreNames[i]
			ok = c.classifyCore(i)
		} else {
			info := st.Columns[i-len(columns.CoreNames)]
			c.name, c.typ = info.Name, info.Type
			ok = c.classifyDynamic()
		}
		if f.Name != c.name {
			return nil, fmt.Errorf("field %d is named %q, want %q", i, f.Name, c.name)
		}
		if !ok {
			return nil, fmt.Errorf("field %q has unexpected type %s", f.Name, f.Type)
		}
	}
	return out, nil
}

// classifyCore sets the kind of core field i from its stored type and
// reports whether that type is one the format allows.
func (c *physCol) classifyCore(i int) bool {
	switch i {
	case 0:
		c.out = arrow.PrimitiveTypes.Int64
		switch c.phys.ID() {
		case arrow.UINT32:
			c.kind = kindTSU32
		case arrow.INT64:
			c.kind = kindTSI64
		}
	case 1, 2, 3:
		c.classifyString()
	case 4:
		c.out = arrow.BinaryTypes.String
		if arrow.TypeEqual(c.phys, hexType) {
			c.kind = kindHex8
		} else if c.phys.ID() == arrow.STRING {
			c.kind = kindUTF8
		}
	case 5:
		if c.phys.ID() == arrow.STRING {
			c.kind, c.out = kindUTF8, c.phys
		}
	}
	return c.kind != 0
}

// classifyString accepts utf8 or a dictionary of utf8 with an index type the
// writer uses.
func (c *physCol) classifyString() {
	c.out = c.phys
	switch c.phys.ID() {
	case arrow.STRING:
		c.kind = kindUTF8
	case arrow.DICTIONARY:
		dt := c.phys.(*arrow.DictionaryType)
		switch dt.IndexType.ID() {
		case arrow.INT8, arrow.UINT8, arrow.INT16, arrow.INT32:
			if dt.ValueType.ID() == arrow.STRING {
				c.kind = kindDict
			}
		}
	}
}

// classifyDynamic checks the stored type of a dynamic field against its
// logical type.
func (c *physCol) classifyDynamic() bool {
	switch c.typ {
	case columns.TypeInt64:
		c.out = arrow.PrimitiveTypes.Int64
		for w, t := range intTypes {
			if arrow.TypeEqual(c.phys, t) {
				c.kind, c.width = kindInt, w
			}
		}
	case columns.TypeFloat64:
		if c.phys.ID() == arrow.FLOAT64 {
			c.kind, c.out = kindFloat, c.phys
		}
	case columns.TypeBool:
		if c.phys.ID() == arrow.BOOL {
			c.kind, c.out = kindBool, c.phys
		}
	case columns.TypeString:
		c.classifyString()
	}
	return c.kind != 0
}
