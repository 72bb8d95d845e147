package columns

import (
	"fmt"
	"strings"
)

// Names of the core columns, in schema order.
const (
	TS      = "ts"
	Level   = "level"
	Service = "service"
	Host    = "host"
	TraceID = "trace_id"
	Message = "message"
)

// CoreNames lists the core columns in schema order. Dynamic columns follow them.
var CoreNames = []string{TS, Level, Service, Host, TraceID, Message}

// IsCore reports whether name is one of the core columns.
func IsCore(name string) bool {
	switch name {
	case TS, Level, Service, Host, TraceID, Message:
		return true
	}
	return false
}

// Type is the logical type of a dynamic column. The zero value is invalid.
type Type uint8

// Logical types of dynamic columns, ordered so that a wider type has a larger
// value only along the numeric chain (Int64 < Float64); every other conflict
// widens to String. See Widen.
const (
	TypeInt64 Type = iota + 1
	TypeFloat64
	TypeBool
	TypeString
)

// String returns the SQL name of the type.
func (t Type) String() string {
	switch t {
	case TypeInt64:
		return "BIGINT"
	case TypeFloat64:
		return "DOUBLE"
	case TypeBool:
		return "BOOLEAN"
	case TypeString:
		return "VARCHAR"
	}
	return fmt.Sprintf("Type(%d)", uint8(t))
}

// Valid reports whether t is one of the defined types.
func (t Type) Valid() bool { return t >= TypeInt64 && t <= TypeString }

// Widen returns the type a column takes when values of types a and b meet:
// equal types stay, BIGINT and DOUBLE widen to DOUBLE (a JSON number with a
// fraction in a column of integers is still a number), and any other conflict
// widens to VARCHAR. A zero type means "not seen yet" and yields the other.
func Widen(a, b Type) Type {
	switch {
	case a == 0:
		return b
	case b == 0 || a == b:
		return a
	case (a == TypeInt64 && b == TypeFloat64) || (a == TypeFloat64 && b == TypeInt64):
		return TypeFloat64
	}
	return TypeString
}

// GenerationMark separates a dynamic column's name from its generation in
// the name it is stored under: a column dropped once and created again is
// stored as "name@G1" (see partitions.ColumnView). Field names are lower
// case, so no field name holds it.
const GenerationMark = "@G"

// BaseName returns a stored dynamic column name without its generation:
// "latency@G2" → "latency"; other names are returned as they are.
func BaseName(stored string) string {
	i := strings.LastIndex(stored, GenerationMark)
	if i <= 0 || i+len(GenerationMark) == len(stored) {
		return stored
	}
	for _, c := range []byte(stored[i+len(GenerationMark):]) {
		if c < '0' || c > '9' {
			return stored
		}
	}
	return stored[:i]
}
