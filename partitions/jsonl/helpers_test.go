package jsonl

import (
	"bytes"
	"encoding/json"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"logq/partitions/columns"
)

// row is one row of a batch in a comparable form: core string columns are nil
// for NULL, and Dyn holds the non-NULL dynamic values as int64, float64, bool
// or string.
type row struct {
	TS                                     int64
	Level, Service, Host, TraceID, Message any
	Dyn                                    map[string]any
}

// rowAt reads row i of b.
func rowAt(b *columns.Batch, i int) row {
	r := row{
		TS:      b.TS[i],
		Level:   stringAt(&b.Level, i),
		Service: stringAt(&b.Service, i),
		Host:    stringAt(&b.Host, i),
		TraceID: stringAt(&b.TraceID, i),
		Message: stringAt(&b.Message, i),
		Dyn:     map[string]any{},
	}
	for _, d := range b.Dynamic {
		if d.IsNull(i) {
			continue
		}
		switch d.Type {
		case columns.TypeInt64:
			r.Dyn[d.Name] = d.Ints[i]
		case columns.TypeFloat64:
			r.Dyn[d.Name] = d.Floats[i]
		case columns.TypeBool:
			r.Dyn[d.Name] = d.Bools[i]
		default:
			r.Dyn[d.Name] = string(d.Strs.Value(i))
		}
	}
	return r
}

func stringAt(s *columns.Strings, i int) any {
	if s.IsNull(i) {
		return nil
	}
	return string(s.Value(i))
}

// requireConsistent checks that every column of b has b.Len() rows.
func requireConsistent(t testing.TB, b *columns.Batch) {
	t.Helper()
	n := b.Len()
	for _, s := range []*columns.Strings{&b.Level, &b.Service, &b.Host, &b.TraceID, &b.Message} {
		require.Equal(t, n, s.Len())
		if s.Valid != nil {
			require.Len(t, s.Valid, n)
		}
	}
	for _, d := range b.Dynamic {
		require.Equal(t, n, d.Len(), "column %s", d.Name)
		switch d.Type {
		case columns.TypeInt64:
			require.Len(t, d.Ints, n, "column %s", d.Name)
		case columns.TypeFloat64:
			require.Len(t, d.Floats, n, "column %s", d.Name)
		case columns.TypeBool:
			require.Len(t, d.Bools, n, "column %s", d.Name)
		default:
			require.Equal(t, n, d.Strs.Len(), "column %s", d.Name)
		}
	}
}

// testLevels is the alias table of the documentation, kept apart from
// NormalizeLevel's so that tests check one against the other.
var testLevels = map[string]string{
	"trace": "TRACE", "10": "TRACE",
	"debug": "DEBUG", "dbg": "DEBUG", "20": "DEBUG",
	"info": "INFO", "information": "INFO", "informational": "INFO", "notice": "INFO", "30": "INFO",
	"warn": "WARN", "warning": "WARN", "40": "WARN",
	"error": "ERROR", "err": "ERROR", "50": "ERROR",
	"fatal": "FATAL", "critical": "FATAL", "crit": "FATAL", "panic": "FATAL", "emerg": "FATAL",
	"emergency": "FATAL", "alert": "FATAL", "60": "FATAL",
}

// referenceRow decodes a good line with encoding/json and applies the data
// model's rules to it, independently of the parser. It assumes names do not
// collide after lower-casing and flattening (map order would make "last
// wins" undefined) and that ts is RFC 3339 or an epoch number.
func referenceRow(t testing.TB, line string) row {
	t.Helper()
	var top map[string]json.RawMessage
	require.NoError(t, json.Unmarshal([]byte(line), &top), line)
	r := row{Dyn: map[string]any{}}
	for k, raw := range top {
		switch name := strings.ToLower(k); name {
		case "ts":
			r.TS = referenceTS(t, raw)
		case "level":
			r.Level = referenceCore(t, raw)
			if s, ok := r.Level.(string); ok {
				s = strings.TrimSpace(s)
				if c, ok := testLevels[strings.ToLower(s)]; ok {
					s = c
				}
				r.Level = s
			}
		case "service":
			r.Service = referenceCore(t, raw)
		case "host":
			r.Host = referenceCore(t, raw)
		case "trace_id":
			r.TraceID = referenceCore(t, raw)
		case "message":
			r.Message = referenceCore(t, raw)
		default:
			referenceFlatten(t, r.Dyn, name, raw)
		}
	}
	return r
}

// referenceTS reads an RFC 3339 string with time.Parse or an epoch number by
// the magnitude rule.
func referenceTS(t testing.TB, raw json.RawMessage) int64 {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		ts, err := time.Parse(time.RFC3339Nano, s)
		require.NoError(t, err)
		return ts.UnixMicro()
	}
	num := string(raw)
	if i := strings.IndexByte(num, '.'); i >= 0 {
		sec, err := strconv.ParseInt(num[:i], 10, 64)
		require.NoError(t, err)
		frac := (num[i+1:] + "000000")[:6]
		us, err := strconv.ParseInt(frac, 10, 64)
		require.NoError(t, err)
		return sec*1e6 + us
	}
	v, err := strconv.ParseInt(num, 10, 64)
	require.NoError(t, err)
	switch {
	case v < 1e11:
		return v * 1e6
	case v < 1e14:
		return v * 1e3
	case v < 1e17:
		return v
	}
	return v / 1e3
}

// referenceCore is the value of a core string column.
func referenceCore(t testing.TB, raw json.RawMessage) any {
	switch raw[0] {
	case 'n':
		return nil
	case '"':
		var s string
		require.NoError(t, json.Unmarshal(raw, &s))
		return s
	case '{', '[':
		return compact(t, raw)
	}
	return string(raw)
}

// referenceFlatten adds the leaves of the value raw named name to dyn.
func referenceFlatten(t testing.TB, dyn map[string]any, name string, raw json.RawMessage) {
	switch raw[0] {
	case 'n':
	case '{':
		var obj map[string]json.RawMessage
		require.NoError(t, json.Unmarshal(raw, &obj))
		for k, v := range obj {
			referenceFlatten(t, dyn, name+"."+strings.ToLower(k), v)
		}
	case '[':
		dyn[name] = compact(t, raw)
	case '"':
		var s string
		require.NoError(t, json.Unmarshal(raw, &s))
		dyn[name] = s
	case 't', 'f':
		dyn[name] = raw[0] == 't'
	default:
		num := string(raw)
		if !strings.ContainsAny(num, ".eE") {
			if v, err := strconv.ParseInt(num, 10, 64); err == nil {
				dyn[name] = v
				return
			}
		}
		v, err := strconv.ParseFloat(num, 64)
		require.NoError(t, err)
		dyn[name] = v
	}
}

func compact(t testing.TB, raw json.RawMessage) string {
	var buf bytes.Buffer
	require.NoError(t, json.Compact(&buf, raw))
	return buf.String()
}

// parseAll parses data with a fresh default parser into a new batch.
func parseAll(t testing.TB, o Options, data string) (*columns.Batch, int, []LineError) {
	t.Helper()
	var b columns.Batch
	n, errs := NewParser(o).Parse([]byte(data), 1, &b)
	requireConsistent(t, &b)
	return &b, n, errs
}

// micros returns the UTC microseconds of a time given in RFC 3339.
func micros(t testing.TB, s string) int64 {
	t.Helper()
	ts, err := time.Parse(time.RFC3339Nano, s)
	require.NoError(t, err)
	return ts.UnixMicro()
}
