package compat

import (
	"bytes"
	"context"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/vitess/go/mysql"
	"github.com/dolthub/vitess/go/sqltypes"
	querypb "github.com/dolthub/vitess/go/vt/proto/query"
)

// MySQLWire wraps go-mysql-server's protocol handler (gmsserver.
// NewServerWithHandler) so that text results carry values as MySQL writes
// them: a DATETIME or TIMESTAMP with fractional seconds always has as many
// digits as its column declares ('10:00:00.120000', not '10:00:00.12';
// '10:00:00.000000', not '10:00:00'). go-mysql-server formats them with
// trailing zeros dropped, which changes the text a client compares, sorts
// or parses by position. The binary protocol encodes the parsed value and
// is right either way. It also keeps the backslash of \% and \_ in string
// literals, as MySQL does (escapes.go), and gives the result columns the
// engine recorded a declared type for (ResultTypes, DeclaringTable) that
// type, in the text and the binary protocol. Like WithMySQLSemantics, it
// does not depend on any table; the tests' and the benchmark's reference
// servers use it too.
func MySQLWire(h mysql.Handler) (mysql.Handler, error) {
	return &mysqlWire{Handler: h}, nil
}

type mysqlWire struct {
	mysql.Handler
}

func (w *mysqlWire) ComQuery(ctx context.Context, c *mysql.Conn, query string, callback mysql.ResultSpoolFn) error {
	ctx, rt := withResultTypes(ctx)
	return w.Handler.ComQuery(ctx, c, mysqlEscapes(query), fixedFractions(rt, callback))
}

// ComMultiQuery returns the rest of the rewritten text, which comes back
// here for the next statement: mysqlEscapes leaves its own output alone.
func (w *mysqlWire) ComMultiQuery(ctx context.Context, c *mysql.Conn, query string, callback mysql.ResultSpoolFn) (string, error) {
	ctx, rt := withResultTypes(ctx)
	return w.Handler.ComMultiQuery(ctx, c, mysqlEscapes(query), fixedFractions(rt, callback))
}

// ComStmtExecute declares the result's column types. Binary rows need no
// padding: they carry the parsed value, and the client formats it with
// the column's decimals.
//
// The column definitions of the answer to COM_STMT_PREPARE stay
// go-mysql-server's (DATETIME for a column declared TIMESTAMP): it builds
// them from the unanalysed plan, which no rule sees. Clients read a result
// by the definitions that come with it here.
func (w *mysqlWire) ComStmtExecute(ctx context.Context, c *mysql.Conn, prepare *mysql.PrepareData, callback func(*sqltypes.Result) error) error {
	ctx, rt := withResultTypes(ctx)
	return w.Handler.ComStmtExecute(ctx, c, prepare, func(res *sqltypes.Result) error {
		if res != nil {
			declareFields(rt, res.Fields)
		}
		return callback(res)
	})
}

// declareFields gives the DATETIME columns of fields that rt declares
// otherwise (TIMESTAMP(6), say) their declared type and decimals.
func declareFields(rt *ResultTypes, fields []*querypb.Field) {
	if len(rt.Declared) != len(fields) {
		return // not the statement rt was filled in for
	}
	for i, t := range rt.Declared {
		dt, ok := t.(sql.DatetimeType)
		if !ok || fields[i].Type != sqltypes.Datetime {
			continue
		}
		fields[i].Type = dt.Type()
		fields[i].Decimals = uint32(dt.Precision())
	}
}

// fixedFractions returns callback with the result's column types declared
// (rt) and the fractional seconds of every DATETIME and TIMESTAMP value
// padded to its column's decimals. The fields come with a result's first
// part; later parts of the same result reuse them.
func fixedFractions(rt *ResultTypes, callback mysql.ResultSpoolFn) mysql.ResultSpoolFn {
	var fields []*querypb.Field
	return func(res *sqltypes.Result, more bool) error {
		if res != nil && len(res.Fields) > 0 {
			declareFields(rt, res.Fields)
			fields = res.Fields
		}
		if res != nil && len(res.Rows) > 0 && len(fields) > 0 {
			for k, f := range fields {
				if (f.Type != sqltypes.Datetime && f.Type != sqltypes.Timestamp) || f.Decimals == 0 || f.Decimals > 6 {
					continue
				}
				for _, row := range res.Rows {
					if k < len(row) && !row[k].IsNull() {
						if fixed, ok := padFraction(row[k].Raw(), int(f.Decimals)); ok {
							row[k] = sqltypes.MakeTrusted(f.Type, fixed)
						}
					}
				}
			}
		}
		return callback(res, more)
	}
}

// padFraction returns v ('2006-01-02 15:04:05[.f]') with exactly decimals
// fraction digits, and false when v already has them.
func padFraction(v []byte, decimals int) ([]byte, bool) {
	dot := bytes.IndexByte(v, '.')
	have := 0
	if dot >= 0 {
		have = len(v) - dot - 1
	}
	if have >= decimals {
		return nil, false
	}
	out := make([]byte, 0, len(v)+1+decimals)
	out = append(out, v...)
	if dot < 0 {
		out = append(out, '.')
	}
	for range decimals - have {
		out = append(out, '0')
	}
	return out, true
}
