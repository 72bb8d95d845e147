package jsonl

import (
	"math"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"logq/partitions/columns"
)

const tsField = `"ts":"2026-11-03T08:00:00Z"`

func TestParseAccepted(t *testing.T) {
	t0 := micros(t, "2026-11-03T08:00:00Z")
	// want returns the expected row: ts t0, core columns NULL, the given
	// dynamic values; edit fields on the result for the rest.
	want := func(dyn map[string]any) row {
		if dyn == nil {
			dyn = map[string]any{}
		}
		return row{TS: t0, Dyn: dyn}
	}
	with := func(r row, f func(*row)) row { f(&r); return r }
	tests := []struct {
		name string
		line string
		want row
	}{
		{"workload line",
			`{"ts":"2026-11-03T13:30:00.371000+05:30","level":"INFO","service":"svc-4","host":"host-16",` +
				`"trace_id":"45e1107f8b92357a","status":200,"latency_ms":29,` +
				`"message":"GET /api/v1/orders/48072 completed status=200 duration=29ms"}`,
			row{TS: t0 + 371000, Level: "INFO", Service: "svc-4", Host: "host-16", TraceID: "45e1107f8b92357a",
				Message: "GET /api/v1/orders/48072 completed status=200 duration=29ms",
				Dyn:     map[string]any{"status": int64(200), "latency_ms": int64(29)}}},
		{"names are case-insensitive",
			`{"TS":"2026-11-03T08:00:00Z","LEVEL":"warning","Service":"a","HOST":"h","Trace_ID":"t","MESSAGE":"m","Status":1}`,
			row{TS: t0, Level: "WARN", Service: "a", Host: "h", TraceID: "t", Message: "m", Dyn: map[string]any{"status": int64(1)}}},
		{"core fields keep the JSON text of other types",
			`{` + tsField + `,"service":12,"host":true,"trace_id":1.50e0,"message":{ "a" : [1, "x\u0041"] },"level":[ ]}`,
			with(want(nil), func(r *row) {
				r.Service, r.Host, r.TraceID, r.Message, r.Level = "12", "true", "1.50e0", `{"a":[1,"x\u0041"]}`, "[]"
			})},
		{"core null is NULL", `{` + tsField + `,"level":null,"service":null,"message":""}`,
			with(want(nil), func(r *row) { r.Message = "" })},
		{"level pino number", `{` + tsField + `,"level":50}`, with(want(nil), func(r *row) { r.Level = "ERROR" })},
		{"level pino string", `{` + tsField + `,"level":"10"}`, with(want(nil), func(r *row) { r.Level = "TRACE" })},
		{"level unknown kept trimmed", `{` + tsField + `,"level":"  Verbose\t"}`, with(want(nil), func(r *row) { r.Level = "Verbose" })},
		{"level alias", `{` + tsField + `,"level":" CRITICAL "}`, with(want(nil), func(r *row) { r.Level = "FATAL" })},
		{"dynamic types",
			`{` + tsField + `,"i":-42,"z":-0,"f":1.5,"e":1e2,"g":-2.5E-3,"big":12345678901234567890,"t":true,"fa":false,` +
				`"s":"x","n":null,"max":9223372036854775807,"min":-9223372036854775808,"over":9223372036854775808,"tiny":1e-400}`,
			want(map[string]any{"i": int64(-42), "z": int64(0), "f": 1.5, "e": 100.0, "g": -2.5e-3, "big": 12345678901234567890.0,
				"t": true, "fa": false, "s": "x", "max": int64(math.MaxInt64), "min": int64(math.MinInt64),
				"over": 9223372036854775808.0, "tiny": 0.0})},
		{"arrays are compact JSON text",
			`{` + tsField + `,"a":[ 1 , -2.50 , "s\"\u00e9" , true , null , { "k" : [ ] , "K":{} } , [ [ ] ] ],"b":[]}`,
			want(map[string]any{"a": `[1,-2.50,"s\"\u00e9",true,null,{"k":[],"K":{}},[[]]]`, "b": "[]"})},
		{"nested objects flatten with dots",
			`{` + tsField + `,"HTTP":{"Status":200,"req":{"path":"/x","ts":1},"empty":{}},"x":{}}`,
			want(map[string]any{"http.status": int64(200), "http.req.path": "/x", "http.req.ts": int64(1)})},
		{"string escapes",
			`{` + tsField + `,"s":"q\" b\\ s\/ \b\f\n\r\t \u00e9\u4E2D \ud83d\ude00 nul\u0000 end"}`,
			want(map[string]any{"s": "q\" b\\ s/ \b\f\n\r\t é中 😀 nul\x00 end"})},
		{"raw UTF-8", `{` + tsField + `,"message":"héllo 世界 😀","ключ":"значение"}`,
			with(want(map[string]any{"ключ": "значение"}), func(r *row) { r.Message = "héllo 世界 😀" })},
		{"escaped and non-ASCII names are lower-cased",
			`{` + tsField + `,"st\u0061TUS":1,"ÄPFEL":2,"\u00c9t\u00c9":3,"\ud83d\ude00":4}`,
			want(map[string]any{"status": int64(1), "äpfel": int64(2), "été": int64(3), "😀": int64(4)})},
		{"white space everywhere",
			" \t{ \"ts\" :\t\"2026-11-03T08:00:00Z\" ,\r\"a\" : [ 1 ,2 ] , \"b\" : { \"c\" : true } } \t",
			want(map[string]any{"a": "[1,2]", "b.c": true})},
		{"empty object", `{}` + "", row{}},
		{"last duplicate wins", `{"ts":"bad","a":1,"a":"x",` + tsField + `,"level":"x","level":null}`,
			want(map[string]any{"a": "x"})},
		{"duplicates after lower-casing", `{` + tsField + `,"A":1,"a":2,"Level":"debug","LEVEL":"info"}`,
			with(want(map[string]any{"a": int64(2)}), func(r *row) { r.Level = "INFO" })},
		{"duplicates after flattening", `{` + tsField + `,"a.b":1,"a":{"b":2},"c":{"d":3},"c.d":null}`,
			want(map[string]any{"a.b": int64(2)})},
		{"name of 64 bytes", `{` + tsField + `,"` + strings.Repeat("n", 64) + `":1,"a":{"` + strings.Repeat("m", 62) + `":2}}`,
			want(map[string]any{strings.Repeat("n", 64): int64(1), "a." + strings.Repeat("m", 62): int64(2)})},
		{"ts epoch seconds", `{"ts":1793692800}`, want(nil)},
		{"ts epoch milliseconds", `{"ts":1793692800123}`, with(want(nil), func(r *row) { r.TS += 123000 })},
		{"ts epoch microseconds", `{"ts":1793692800123456}`, with(want(nil), func(r *row) { r.TS += 123456 })},
		{"ts epoch nanoseconds", `{"ts":1793692800123456789}`, with(want(nil), func(r *row) { r.TS += 123456 })},
		{"ts epoch fraction", `{"ts":1793692800.1234567}`, with(want(nil), func(r *row) { r.TS += 123456 })},
		{"ts epoch exponent", `{"ts":1.7936928001234567e18}`, with(want(nil), func(r *row) { r.TS += 123456 })},
		{"ts epoch digits string", `{"ts":"1793692800123"}`, with(want(nil), func(r *row) { r.TS += 123000 })},
		{"ts without offset is UTC", `{"ts":"2026-11-03 08:00:00.5"}`, with(want(nil), func(r *row) { r.TS += 500000 })},
		{"ts lower case", `{"ts":"2026-11-03t09:00:00+01:00"}`, want(nil)},
		{"ts escaped", `{"ts":"2026-11-03T08:00:00\u005a"}`, want(nil)},
		{"ts first valid TIMESTAMP", `{"ts":"1970-01-01T00:00:01Z"}`, row{TS: MinTimestampMicros, Dyn: map[string]any{}}},
		{"ts last valid TIMESTAMP", `{"ts":"2038-01-19T03:14:07.9999999Z"}`, row{TS: MaxTimestampMicros, Dyn: map[string]any{}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if tc.line == "{}" { // the one case that needs ingest time
				b, n, errs := parseAll(t, Options{IngestTime: 42}, tc.line)
				require.Empty(t, errs)
				require.Equal(t, 1, n)
				require.Equal(t, row{TS: 42, Dyn: map[string]any{}}, rowAt(b, 0))
				return
			}
			b, n, errs := parseAll(t, Options{}, tc.line)
			require.Empty(t, errs)
			require.Equal(t, 1, n)
			require.Equal(t, tc.want, rowAt(b, 0))
		})
	}
}

func TestParseRejected(t *testing.T) {
	long := strings.Repeat("n", 65)
	tests := []struct {
		name   string
		opts   Options
		line   string
		reason string
	}{
		{"trailing comma", Options{}, `{"ts":1,}`, "invalid JSON at byte 8: unexpected '}', expected a field name"},
		{"missing colon", Options{}, `{"ts" 1}`, "invalid JSON at byte 6: unexpected '1', expected ':'"},
		{"unquoted name", Options{}, `{ts:1}`, "invalid JSON at byte 1"},
		{"single quotes", Options{}, `{'ts':1}`, "invalid JSON at byte 1"},
		{"leading zero", Options{}, `{"a":01}`, "invalid JSON at byte 6"},
		{"bare fraction", Options{}, `{"a":.5}`, "invalid JSON at byte 5"},
		{"dot without digits", Options{}, `{"a":1.}`, "invalid JSON at byte 7: invalid number"},
		{"exponent without digits", Options{}, `{"a":1e+}`, "invalid JSON at byte 8: invalid number"},
		{"minus alone", Options{}, `{"a":-}`, "invalid JSON at byte 6: invalid number"},
		{"plus sign", Options{}, `{"a":+1}`, "invalid JSON at byte 5"},
		{"NaN", Options{}, `{"a":NaN}`, "invalid JSON at byte 5"},
		{"bad literal", Options{}, `{"a":True}`, "invalid JSON at byte 5"},
		{"misspelt literal", Options{}, `{"a":nul}`, "invalid JSON at byte 5: invalid literal"},
		{"literal with tail", Options{}, `{"a":truex}`, "invalid JSON at byte 9"},
		{"missing comma", Options{}, `{"a":"x" "b":1}`, "invalid JSON at byte 9: unexpected '\"', expected ',' or '}'"},
		{"data after object", Options{}, `{"ts":1} x`, "invalid JSON at byte 9: unexpected data after the object"},
		{"two objects", Options{}, `{"ts":1}{"ts":2}`, "invalid JSON at byte 8: unexpected data"},
		{"array trailing comma", Options{}, `{"a":[1,]}`, "invalid JSON at byte 8"},
		{"array missing comma", Options{}, `{"a":[1 2]}`, "invalid JSON at byte 8: unexpected '2', expected ',' or ']'"},
		{"nested object error", Options{}, `{"a":{"b"}}`, "invalid JSON at byte 9: unexpected '}', expected ':'"},
		{"object in array error", Options{}, `{"a":[{"b":1,}]}`, "invalid JSON at byte 13"},
		{"invalid escape", Options{}, `{"a":"\x"}`, `invalid JSON at byte 6: invalid escape "\\x"`},
		{"invalid hex escape", Options{}, `{"a":"\u12G4"}`, "invalid JSON at byte 6: invalid escape"},
		{"control character", Options{}, "{\"a\":\"x\ty\"}", "invalid JSON at byte 7: control character 0x09"},
		{"control character in name", Options{}, "{\"a\x01\":1}", "invalid JSON at byte 3: control character 0x01"},
		{"unexpected byte", Options{}, "{\"a\":1,\x00}", "invalid JSON at byte 7"},
		{"truncated string", Options{}, `{"ts":"2026`, "truncated JSON: the line ends at byte 11 inside a string"},
		{"truncated object", Options{}, `{"a":1`, "truncated JSON: the line ends at byte 6 inside an object"},
		{"truncated after comma", Options{}, `{"a":1,`, "truncated JSON: the line ends at byte 7 inside an object"},
		{"truncated before value", Options{}, `{"a":`, "truncated JSON"},
		{"truncated name", Options{}, `{"a`, "truncated JSON: the line ends at byte 3 inside a string"},
		{"truncated open brace", Options{}, `{`, "truncated JSON: the line ends at byte 1 inside an object"},
		{"truncated array", Options{}, `{"a":[1,2`, "truncated JSON: the line ends at byte 9 inside an array"},
		{"truncated nested", Options{}, `{"a":{"b":1}`, "truncated JSON: the line ends at byte 12 inside an object"},
		{"truncated literal", Options{}, `{"a":tr`, "truncated JSON: the line ends at byte 7 inside a literal"},
		{"truncated number", Options{}, `{"a":-`, "truncated JSON: the line ends at byte 6 inside a number"},
		{"truncated exponent", Options{}, `{"a":1e`, "truncated JSON: the line ends at byte 7 inside a number"},
		{"truncated escape", Options{}, `{"a":"\u12`, "truncated JSON"},
		{"truncated surrogate pair", Options{}, `{"a":"\ud83d`, "truncated JSON"},
		{"truncated surrogate pair 2", Options{}, `{"a":"\ud83d\`, "truncated JSON"},
		{"array line", Options{}, `[{"ts":1}]`, "not a JSON object: the line holds an array"},
		{"string line", Options{}, `"x"`, "not a JSON object: the line holds a string"},
		{"number line", Options{}, `12`, "not a JSON object: the line holds a number"},
		{"boolean line", Options{}, `true`, "not a JSON object: the line holds a boolean"},
		{"null line", Options{}, `null`, "not a JSON object: the line holds null"},
		{"garbage line", Options{}, `hello`, "invalid JSON at byte 0: unexpected 'h', expected '{'"},
		{"invalid UTF-8 in value", Options{}, "{\"a\":\"x\xffy\"}", "invalid UTF-8 at byte 7"},
		{"invalid UTF-8 in name", Options{}, "{\"a\xff\":1}", "invalid UTF-8 at byte 3"},
		{"invalid UTF-8 in array", Options{}, "{\"a\":[\"\xc3\"]}", "invalid UTF-8 at byte 7"},
		{"invalid UTF-8 outside strings", Options{}, "{\"a\":1 \xe2\x80}", "invalid UTF-8 at byte 7"},
		{"invalid UTF-8 after syntax error", Options{}, "{\"a\":1,,\"\xff\"}", "invalid UTF-8 at byte 9"},
		{"invalid UTF-8 line start", Options{}, "\xef\xbb{}", "invalid UTF-8 at byte 0"},
		{"overlong UTF-8", Options{}, "{\"a\":\"\xc0\xaf\"}", "invalid UTF-8 at byte 6"},
		{"UTF-8 encoded surrogate", Options{}, "{\"a\":\"\xed\xa0\x80\"}", "invalid UTF-8 at byte 6"},
		{"lone high surrogate", Options{}, `{"a":"\ud800"}`, `invalid JSON at byte 6: unpaired UTF-16 surrogate \ud800`},
		{"lone low surrogate", Options{}, `{"a":"\udc00x"}`, `unpaired UTF-16 surrogate \udc00`},
		{"high surrogate then other escape", Options{}, `{"a":"\ud800\u0041"}`, `unpaired UTF-16 surrogate \ud800`},
		{"high surrogate then text", Options{}, `{"a":"\ud800abcdef"}`, `unpaired UTF-16 surrogate`},
		{"lone surrogate in name", Options{}, `{"\udfff":1}`, `unpaired UTF-16 surrogate`},
		{"lone surrogate in array", Options{}, `{"a":["\ud800"]}`, `unpaired UTF-16 surrogate`},
		{"line too long", Options{MaxLineBytes: 20}, `{"ts":1793692800,"a":1}`, "line of 23 bytes is longer than the limit of 20"},
		{"too many fields", Options{MaxFields: 3}, `{"ts":1793692800,"a":1,"b":{"c":null,"d":[1,2]}}`, "more than 3 fields"},
		{"too many core fields", Options{MaxFields: 2}, `{"ts":1793692800,"level":1,"host":2}`, "more than 2 fields"},
		{"repeated names count", Options{MaxFields: 2}, `{"a":1,"a":1,"a":1}`, "more than 2 fields"},
		{"too deep object", Options{MaxDepth: 3}, `{"a":{"b":{"c":{"d":1}}}}`, "nesting deeper than 3 levels at byte 15"},
		{"too deep array", Options{MaxDepth: 3}, `{"a":[[[1]]]}`, "nesting deeper than 3 levels at byte 7"},
		{"too deep in core", Options{MaxDepth: 2}, `{"message":{"a":[1]}}`, "nesting deeper than 2 levels at byte 16"},
		{"too deep default", Options{}, `{"a":` + strings.Repeat("[", 16) + strings.Repeat("]", 16) + `}`, "nesting deeper than 16 levels"},
		{"empty name", Options{}, `{"":1}`, "empty field name at byte 1"},
		{"empty nested name", Options{}, `{"a":{"":1}}`, "empty field name at byte 6"},
		{"empty escaped name", Options{}, `{"ts":1793692800,"":{}}`, "empty field name"},
		{"NUL in name", Options{}, `{"a\u0000b":1}`, `field name "a\x00b" at byte 1 contains a NUL character`},
		{"name too long", Options{}, `{"` + long + `":1}`, `field name "` + long[:64] + `"… is longer than 64 bytes`},
		{"flattened name too long", Options{}, `{"` + long[:40] + `":{"` + long[:30] + `":1}}`, "is longer than 64 bytes"},
		{"lower-cased name too long", Options{}, `{"` + strings.Repeat("Ⱥ", 22) + `":1}`, "is longer than 64 bytes"},
		{"number out of range", Options{}, `{"ts":1793692800,"a":-1e400}`, `number "-1e400" at byte 21 is out of the range of DOUBLE`},
		{"missing ts", Options{}, `{"level":"INFO"}`, "missing ts"},
		{"null ts", Options{}, `{"ts":null}`, "missing ts"},
		{"empty object", Options{}, `{}`, "missing ts"},
		{"nested ts is not ts", Options{}, `{"a":{"ts":1793692800}}`, "missing ts"},
		{"boolean ts", Options{}, `{"ts":true}`, "ts must be a string or a number, not a boolean: true"},
		{"object ts", Options{}, `{"ts":{"s": 1}}`, `ts must be a string or a number, not an object: {"s":1}`},
		{"array ts", Options{}, `{"ts":[1]}`, "ts must be a string or a number, not an array: [1]"},
		{"unparseable ts", Options{}, `{"ts":"yesterday"}`, `ts "yesterday": invalid timestamp: want RFC 3339`},
		{"bad month", Options{}, `{"ts":"2026-13-03T08:00:00Z"}`, `ts "2026-13-03T08:00:00Z": invalid timestamp: month 13 out of range`},
		{"bad day", Options{}, `{"ts":"2026-02-29T08:00:00Z"}`, "day 29 out of range for 2026-02"},
		{"bad offset", Options{}, `{"ts":"2026-11-03T08:00:00+24:00"}`, "offset hour 24 out of range"},
		{"last ts wins", Options{}, `{"ts":1793692800,"ts":"x"}`, `ts "x"`},
		{"ts huge number", Options{}, `{"ts":1e30}`, "ts 1e30: invalid timestamp: epoch \"1e30\" out of range"},
		{"ts before 1970", Options{}, `{"ts":"1969-12-31T23:59:59Z"}`,
			`ts "1969-12-31T23:59:59Z" (1969-12-31T23:59:59Z) is outside the accepted window [1970-01-01T00:00:01Z, 2038-01-19T03:14:07.999999Z]`},
		{"ts at epoch", Options{}, `{"ts":0}`, "ts 0 (1970-01-01T00:00:00Z) is outside the accepted window"},
		{"ts after 2038", Options{}, `{"ts":"2038-01-19T03:14:08Z"}`, "is outside the accepted window"},
		{"ts before window", Options{MinTS: 1_793_692_800_000_001}, `{"ts":1793692800}`,
			"ts 1793692800 (2026-11-03T08:00:00Z) is outside the accepted window [2026-11-03T08:00:00.000001Z, 2038-01-19T03:14:07.999999Z]"},
		{"ts after window", Options{MaxTS: 1_793_692_799_999_999}, `{"ts":1793692800000}`,
			"ts 1793692800000 (2026-11-03T08:00:00Z) is outside the accepted window [1970-01-01T00:00:01Z, 2026-11-03T07:59:59.999999Z]"},
		{"window clamped", Options{MinTS: -1, MaxTS: math.MaxInt64}, `{"ts":"2040-01-01T00:00:00Z"}`, "is outside the accepted window"},
		{"ingest time does not save a bad ts", Options{IngestTime: 1}, `{"ts":"x"}`, `ts "x"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var b columns.Batch
			n, errs := NewParser(tc.opts).Parse([]byte(tc.line), 7, &b)
			require.Zero(t, n)
			require.Len(t, errs, 1)
			require.Equal(t, 7, errs[0].Line)
			require.Contains(t, errs[0].Reason, tc.reason)
			require.Equal(t, "line 7: "+errs[0].Reason, errs[0].Error())
			require.Zero(t, b.Len())
			require.Empty(t, b.Dynamic)
			require.Zero(t, b.Level.Len()+b.Service.Len()+b.Host.Len()+b.TraceID.Len()+b.Message.Len())
		})
	}
}

// TestParseLimitsInclusive checks that each limit admits its own value.
func TestParseLimitsInclusive(t *testing.T) {
	line := `{"ts":1793692800,"a":{"b":[1]}}`
	for _, o := range []Options{{MaxLineBytes: len(line)}, {MaxFields: 2}, {MaxDepth: 3},
		{MinTS: 1_793_692_800_000_000, MaxTS: 1_793_692_800_000_000}} {
		_, n, errs := parseAll(t, o, line)
		require.Empty(t, errs, "%+v", o)
		require.Equal(t, 1, n)
	}
}

func TestParseIngestTime(t *testing.T) {
	b, n, errs := parseAll(t, Options{IngestTime: 1_800_000_000_000_000},
		`{"msg":"no ts"}`+"\n"+`{"ts":null}`+"\n"+`{"ts":1793692800}`)
	require.Empty(t, errs)
	require.Equal(t, 3, n)
	require.Equal(t, []int64{1_800_000_000_000_000, 1_800_000_000_000_000, 1_793_692_800_000_000}, b.TS)
}

func TestParseLines(t *testing.T) {
	const good = `{"ts":1793692800,"n":%d}`
	line := func(i int) string { return strings.Replace(good, "%d", string(rune('0'+i)), 1) }
	tests := []struct {
		name     string
		data     string
		accepted []int64 // values of n, in order
		rejected []int   // line numbers, counted from 10
	}{
		{"empty", "", nil, nil},
		{"one line without newline", line(1), []int64{1}, nil},
		{"one line with newline", line(1) + "\n", []int64{1}, nil},
		{"CRLF", line(1) + "\r\n" + line(2) + "\r\n", []int64{1, 2}, nil},
		{"mixed terminators", line(1) + "\n" + line(2) + "\r\n" + line(3), []int64{1, 2, 3}, nil},
		{"blank lines are skipped but numbered", "\n \t\n" + line(1) + "\n\r\n\n" + "{\n" + line(2) + "\n  \n",
			[]int64{1, 2}, []int{15}},
		{"only blank lines", "\n\n \r\n\t", nil, nil},
		{"bad lines keep good ones", "x\n" + line(1) + "\n{\n" + line(2) + "\n{\"ts\":0}", []int64{1, 2}, []int{10, 12, 14}},
		{"lone CR inside a line is white space", "{\"ts\":1793692800,\r\"n\":4}\r", []int64{4}, nil},
		{"truncated last line", line(1) + "\n" + line(2)[:10], []int64{1}, []int{11}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var b columns.Batch
			n, errs := NewParser(Options{}).Parse([]byte(tc.data), 10, &b)
			requireConsistent(t, &b)
			require.Equal(t, len(tc.accepted), n)
			var lines []int
			for _, e := range errs {
				lines = append(lines, e.Line)
			}
			require.Equal(t, tc.rejected, lines)
			var got []int64
			if d := b.Column("n"); d != nil {
				got = d.Ints
			}
			require.Equal(t, tc.accepted, got)
		})
	}
}

// TestParseColumns checks column creation, padding and widening over rows.
func TestParseColumns(t *testing.T) {
	data := strings.Join([]string{
		`{"ts":1793692800,"a":1,"b":true,"c":"x"}`,
		`{"ts":1793692800,"d":null,"a":2.5}`,
		`{"ts":1793692800,"b":7,"e":"new","a":3}`,
		`bad`,
		`{"ts":1793692800,"c":1,"f":{"g":null},"h":{"i":[]}}`,
		`{"ts":1793692800,"x":"first","x":5,"y":null,"y":false}`,
	}, "\n")
	b, n, errs := parseAll(t, Options{}, data)
	require.Equal(t, 5, n)
	require.Len(t, errs, 1)
	type col struct {
		name string
		typ  columns.Type
		vals []any // nil for NULL
	}
	want := []col{
		{"a", columns.TypeFloat64, []any{1.0, 2.5, 3.0, nil, nil}},
		{"b", columns.TypeString, []any{"true", nil, "7", nil, nil}},
		{"c", columns.TypeString, []any{"x", nil, nil, "1", nil}},
		{"e", columns.TypeString, []any{nil, nil, "new", nil, nil}},
		{"h.i", columns.TypeString, []any{nil, nil, nil, "[]", nil}},
		{"x", columns.TypeInt64, []any{nil, nil, nil, nil, int64(5)}},
		{"y", columns.TypeBool, []any{nil, nil, nil, nil, false}},
	}
	require.Len(t, b.Dynamic, len(want))
	for i, w := range want {
		d := b.Dynamic[i]
		require.Equal(t, w.name, d.Name)
		require.Equal(t, w.typ, d.Type, d.Name)
		for r, v := range w.vals {
			require.Equal(t, v, rowAt(b, r).Dyn[d.Name], "%s row %d", d.Name, r)
		}
	}
}

// TestParserReuse parses into several batches with one parser, including a
// batch that was reset and one whose columns the caller added.
func TestParserReuse(t *testing.T) {
	p := NewParser(Options{})
	var b1, b2 columns.Batch
	line := `{"ts":1793692800,"a":1,"b":"x"}` + "\n"
	_, errs := p.Parse([]byte(line+line), 1, &b1)
	require.Empty(t, errs)
	_, errs = p.Parse([]byte(`{"ts":1793692800,"b":"y"}`), 1, &b2)
	require.Empty(t, errs)
	b1.Reset()
	b1.AddColumn("b", columns.TypeBool, 0)
	_, errs = p.Parse([]byte(line), 1, &b1)
	require.Empty(t, errs)
	_, errs = p.Parse([]byte(line), 2, &b2)
	require.Empty(t, errs)
	for _, b := range []*columns.Batch{&b1, &b2} {
		requireConsistent(t, b)
	}
	require.Equal(t, []string{"b", "a"}, []string{b1.Dynamic[0].Name, b1.Dynamic[1].Name})
	require.Equal(t, map[string]any{"a": int64(1), "b": "x"}, rowAt(&b1, 0).Dyn)
	require.Equal(t, map[string]any{"b": "y"}, rowAt(&b2, 0).Dyn)
	require.Equal(t, map[string]any{"a": int64(1), "b": "x"}, rowAt(&b2, 1).Dyn)
}

func TestParseSteadyStateDoesNotAllocate(t *testing.T) {
	data := workloadLines(100, 2)
	p := NewParser(Options{})
	var b columns.Batch
	p.Parse(data, 1, &b) // grow the batch and the scratch space
	allocs := testing.AllocsPerRun(20, func() {
		b.TS = b.TS[:0]
		b.Level.Reset()
		b.Service.Reset()
		b.Host.Reset()
		b.TraceID.Reset()
		b.Message.Reset()
		for _, d := range b.Dynamic {
			d.Ints, d.Valid = d.Ints[:0], d.Valid[:0]
		}
		if n, _ := p.Parse(data, 1, &b); n != 100 {
			t.Fatal(n)
		}
	})
	require.Zero(t, allocs)
}

func TestParseByteOrderMark(t *testing.T) {
	b, n, errs := parseAll(t, Options{}, "\xef\xbb\xbf{\"ts\":1793692800}\n\xef\xbb\xbf\n  \xef\xbb\xbf {\"ts\":1793692800,\"a\":\"\xef\xbb\xbf\"}\n{\"ts\":\xef\xbb\xbf1}")
	require.Equal(t, 2, n)
	require.Equal(t, []LineError{{Line: 4, Reason: `invalid JSON at byte 6: unexpected byte 0xef, expected a value`}}, errs)
	require.Equal(t, map[string]any{"a": "\ufeff"}, rowAt(b, 1).Dyn)
}

// TestParseDuplicateKeys checks the duplicate-key rule: the last value of a
// repeated name is stored, as MySQL's JSON type keeps it, and every
// overwritten field of an accepted line is counted.
func TestParseDuplicateKeys(t *testing.T) {
	t0 := micros(t, "2026-11-03T08:00:00Z")
	tests := []struct {
		name  string
		lines string
		dups  int64
		want  []row // the accepted rows
	}{
		{"no duplicates", `{` + tsField + `,"a":1,"b":{"c":2}}`, 0,
			[]row{{TS: t0, Dyn: map[string]any{"a": int64(1), "b.c": int64(2)}}}},
		{"repeated dynamic field", `{` + tsField + `,"a":1,"a":2,"a":"three"}`, 2,
			[]row{{TS: t0, Dyn: map[string]any{"a": "three"}}}},
		{"repeated ts keeps the last", `{"ts":"2026-11-03T07:00:00Z","ts":"2026-11-03T08:00:00Z"}`, 1,
			[]row{{TS: t0, Dyn: map[string]any{}}}},
		{"repeated level, message, trace_id", `{` + tsField + `,"level":"debug","level":"error","message":"a","Message":"b","trace_id":"x","trace_id":null}`, 3,
			[]row{{TS: t0, Level: "ERROR", Message: "b", Dyn: map[string]any{}}}},
		{"case-folded names", `{` + tsField + `,"A":1,"a":2}`, 1,
			[]row{{TS: t0, Dyn: map[string]any{"a": int64(2)}}}},
		{"flattened name then dotted name", `{` + tsField + `,"a":{"b":1},"a.b":2}`, 1,
			[]row{{TS: t0, Dyn: map[string]any{"a.b": int64(2)}}}},
		{"dotted name then flattened name", `{` + tsField + `,"a.b":1,"a":{"b":2}}`, 1,
			[]row{{TS: t0, Dyn: map[string]any{"a.b": int64(2)}}}},
		{"repeated object merges leaf by leaf", `{` + tsField + `,"a":{"b":1},"a":{"c":2}}`, 0,
			[]row{{TS: t0, Dyn: map[string]any{"a.b": int64(1), "a.c": int64(2)}}}},
		{"null last stores NULL", `{` + tsField + `,"a":1,"a":null}`, 1,
			[]row{{TS: t0, Dyn: map[string]any{}}}},
		{"rejected lines do not count", `{"ts":"bad","a":1,"a":2}` + "\n" + `{` + tsField + `,"a":1,"a":2,"a":3}`, 2,
			[]row{{TS: t0, Dyn: map[string]any{"a": int64(3)}}}},
		{"counts add up over lines", `{` + tsField + `,"x":1,"x":2}` + "\n" + `{` + tsField + `,"ts":1793692800,"x":3}`, 2,
			[]row{{TS: t0, Dyn: map[string]any{"x": int64(2)}}, {TS: t0, Dyn: map[string]any{"x": int64(3)}}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := NewParser(Options{})
			var b columns.Batch
			n, _ := p.Parse([]byte(tc.lines), 1, &b)
			require.Equal(t, len(tc.want), n)
			for i, w := range tc.want {
				require.Equal(t, w, rowAt(&b, i), "row %d", i)
			}
			require.Equal(t, tc.dups, p.DuplicateKeys())
		})
	}
}
