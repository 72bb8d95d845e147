package columns

import (
	"strconv"
)

// Dynamic is a nullable column created for a top-level field that is not a
// core column. Exactly one of Ints, Floats, Bools or Strs holds the values,
// chosen by Type; Valid has one entry per row and is false where the row did
// not carry the field (or carried JSON null).
type Dynamic struct {
	Name   string
	Type   Type
	Ints   []int64
	Floats []float64
	Bools  []bool
	Strs   Strings
	Valid  []bool
}

// NewDynamic returns an empty column of type t.
func NewDynamic(name string, t Type) *Dynamic {
	if !t.Valid() {
		panic("BUG: columns.NewDynamic with invalid type")
	}
	return &Dynamic{Name: name, Type: t}
}

// Len returns the number of rows.
func (d *Dynamic) Len() int { return len(d.Valid) }

// slice returns rows [lo, hi) of d over its memory (Batch.Slice).
func (d *Dynamic) slice(lo, hi int) *Dynamic {
	out := &Dynamic{Name: d.Name, Type: d.Type, Valid: d.Valid[lo:hi:hi]}
	switch d.Type {
	case TypeInt64:
		out.Ints = d.Ints[lo:hi:hi]
	case TypeFloat64:
		out.Floats = d.Floats[lo:hi:hi]
	case TypeBool:
		out.Bools = d.Bools[lo:hi:hi]
	default:
		out.Strs = d.Strs.slice(lo, hi)
	}
	return out
}

// IsNull reports whether row i is NULL.
func (d *Dynamic) IsNull(i int) bool { return !d.Valid[i] }

// AppendNull adds a NULL row.
func (d *Dynamic) AppendNull() {
	switch d.Type {
	case TypeInt64:
		d.Ints = append(d.Ints, 0)
	case TypeFloat64:
		d.Floats = append(d.Floats, 0)
	case TypeBool:
		d.Bools = append(d.Bools, false)
	case TypeString:
		d.Strs.Append(nil)
	}
	d.Valid = append(d.Valid, false)
}

// AppendNulls adds n NULL rows.
func (d *Dynamic) AppendNulls(n int) {
	for i := 0; i < n; i++ {
		d.AppendNull()
	}
}

// AppendInt adds an integer, widening the column when it holds another type.
func (d *Dynamic) AppendInt(v int64) {
	d.WidenTo(TypeInt64)
	switch d.Type {
	case TypeInt64:
		d.Ints = append(d.Ints, v)
	case TypeFloat64:
		d.Floats = append(d.Floats, float64(v))
	default:
		d.Strs.Data = strconv.AppendInt(d.Strs.Data, v, 10)
		d.Strs.Ends = append(d.Strs.Ends, uint32(len(d.Strs.Data)))
	}
	d.Valid = append(d.Valid, true)
}

// AppendFloat adds a floating-point number, widening the column as needed.
func (d *Dynamic) AppendFloat(v float64) {
	d.WidenTo(TypeFloat64)
	if d.Type == TypeFloat64 {
		d.Floats = append(d.Floats, v)
	} else {
		d.Strs.Data = AppendFloatText(d.Strs.Data, v)
		d.Strs.Ends = append(d.Strs.Ends, uint32(len(d.Strs.Data)))
	}
	d.Valid = append(d.Valid, true)
}

// AppendBool adds a boolean, widening the column as needed.
func (d *Dynamic) AppendBool(v bool) {
	d.WidenTo(TypeBool)
	if d.Type == TypeBool {
		d.Bools = append(d.Bools, v)
	} else {
		d.Strs.Data = AppendBoolText(d.Strs.Data, v)
		d.Strs.Ends = append(d.Strs.Ends, uint32(len(d.Strs.Data)))
	}
	d.Valid = append(d.Valid, true)
}

// AppendString adds a string, widening the column to VARCHAR if needed.
func (d *Dynamic) AppendString(v []byte) {
	d.WidenTo(TypeString)
	d.Strs.Append(v)
	d.Valid = append(d.Valid, true)
}

// WidenTo converts the column so that it can hold values of type t, following
// Widen. Existing values are converted in place: integers to doubles, anything
// to its text form for VARCHAR.
func (d *Dynamic) WidenTo(t Type) {
	to := Widen(d.Type, t)
	if to == d.Type {
		return
	}
	n := d.Len()
	switch to {
	case TypeFloat64: // only from TypeInt64
		d.Floats = make([]float64, n)
		for i, v := range d.Ints {
			d.Floats[i] = float64(v)
		}
		d.Ints = nil
	case TypeString:
		var s Strings
		for i := 0; i < n; i++ {
			if d.Valid[i] {
				s.Data = d.AppendText(s.Data, i)
			}
			s.Ends = append(s.Ends, uint32(len(s.Data)))
		}
		d.Strs, d.Ints, d.Floats, d.Bools = s, nil, nil, nil
	}
	d.Type = to
}

// AppendText appends the text form of row i to dst: the value a VARCHAR
// column holds after widening.
func (d *Dynamic) AppendText(dst []byte, i int) []byte {
	switch d.Type {
	case TypeInt64:
		return strconv.AppendInt(dst, d.Ints[i], 10)
	case TypeFloat64:
		return AppendFloatText(dst, d.Floats[i])
	case TypeBool:
		return AppendBoolText(dst, d.Bools[i])
	}
	return append(dst, d.Strs.Value(i)...)
}

// appendFrom appends row i of src, widening d as needed.
func (d *Dynamic) appendFrom(src *Dynamic, i int) {
	if !src.Valid[i] {
		d.AppendNull()
		return
	}
	switch src.Type {
	case TypeInt64:
		d.AppendInt(src.Ints[i])
	case TypeFloat64:
		d.AppendFloat(src.Floats[i])
	case TypeBool:
		d.AppendBool(src.Bools[i])
	default:
		d.AppendString(src.Strs.Value(i))
	}
}

// AppendFloatText appends the text a DOUBLE takes when a column widens to
// VARCHAR: the shortest decimal form that parses back to the same value.
func AppendFloatText(dst []byte, v float64) []byte {
	return strconv.AppendFloat(dst, v, 'g', -1, 64)
}

// AppendBoolText appends "true" or "false", the JSON spelling of a boolean.
func AppendBoolText(dst []byte, v bool) []byte {
	return strconv.AppendBool(dst, v)
}
