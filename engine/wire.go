package engine

import (
	"bytes"
	"context"

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
// literals, as MySQL does (escapes.go). Like WithMySQLSemantics, it does not depend on logs;
// the tests' and the benchmark's reference servers use it too.
func MySQLWire(h mysql.Handler) (mysql.Handler, error) {
	return &mysqlWire{Handler: h}, nil
}

type mysqlWire struct {
	mysql.Handler
}

func (w *mysqlWire) ComQuery(ctx context.Context, c *mysql.Conn, query string, callback mysql.ResultSpoolFn) error {
	return w.Handler.ComQuery(ctx, c, mysqlEscapes(query), fixedFractions(callback))
}

// ComMultiQuery returns the rest of the rewritten text, which comes back
// here for the next statement: mysqlEscapes leaves its own output alone.
func (w *mysqlWire) ComMultiQuery(ctx context.Context, c *mysql.Conn, query string, callback mysql.ResultSpoolFn) (string, error) {
	return w.Handler.ComMultiQuery(ctx, c, mysqlEscapes(query), fixedFractions(callback))
}

// fixedFractions returns callback with the fractional seconds of every
// DATETIME and TIMESTAMP value padded to its column's decimals. The fields
// come with a result's first part; later parts of the same result reuse
// them.
func fixedFractions(callback mysql.ResultSpoolFn) mysql.ResultSpoolFn {
	var fields []*querypb.Field
	return func(res *sqltypes.Result, more bool) error {
		if res != nil && len(res.Fields) > 0 {
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
