package engine

import (
	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/types"
	"github.com/dolthub/vitess/go/sqltypes"

	"logq/partitions"
	"logq/partitions/collate"
	"logq/partitions/columns"
	"logq/partitions/segment"
)

// Names of the database and its one table.
const (
	DatabaseName = "logq"
	TableName    = "logs"
)

// Types of the columns. VARCHAR columns take utf8mb4's longest VARCHAR so
// that no stored value is ever too long for its declared type.
//
// level, service and host take MySQL 8's default collation,
// utf8mb4_0900_ai_ci, as a MySQL table created with defaults would: level =
// 'error' matches ERROR, and GROUP BY service puts 'Svc-1' and 'svc-1' in one
// group. trace_id, message and the dynamic columns stay binary
// (utf8mb4_0900_bin): IDs and text searches compare exactly, and LIKE
// '%timed out%' over the messages runs as a byte search.
var (
	tsType      = types.MustCreateDatetimeType(sqltypes.Datetime, 6)
	varcharType = types.MustCreateStringWithDefaults(sqltypes.VarChar, 16383)
	nameType    = types.MustCreateString(sqltypes.VarChar, 16383, collate.ID)
	messageType = types.Text
)

// coreColumns are the first columns of logs, in order.
func coreColumns() sql.Schema {
	col := func(name string, t sql.Type, nullable bool) *sql.Column {
		return &sql.Column{Name: name, Type: t, Nullable: nullable, Source: TableName, DatabaseSource: DatabaseName}
	}
	return sql.Schema{
		col("ts", tsType, false),
		col("level", nameType, true),
		col("service", nameType, true),
		col("host", nameType, true),
		col("trace_id", varcharType, true),
		col("message", messageType, true),
	}
}

// buildSchema returns the schema of logs with the dynamic columns dyn.
func buildSchema(dyn []segment.ColumnInfo) sql.Schema {
	s := coreColumns()
	for _, c := range dyn {
		t := sqlType(c.Type)
		if c.Name == partitions.CatchAllColumn && c.Type == columns.TypeString {
			t = types.JSON
		}
		s = append(s, &sql.Column{Name: c.Name, Type: t, Nullable: true,
			Source: TableName, DatabaseSource: DatabaseName})
	}
	return s
}

// sqlType maps a dynamic column's type to its SQL type.
func sqlType(t columns.Type) sql.Type {
	switch t {
	case columns.TypeInt64:
		return types.Int64
	case columns.TypeFloat64:
		return types.Float64
	case columns.TypeBool:
		return types.Boolean
	}
	return varcharType
}
