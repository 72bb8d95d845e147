package jsonl

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestParseMalformedInput feeds one request mixing good lines with every
// kind of bad one and checks that each bad line gets its reason at its line
// number, that accepted + rejected = non-blank lines, and that the accepted
// rows equal the good lines as decoded by encoding/json.
func TestParseMalformedInput(t *testing.T) {
	huge := `{"ts":"2026-11-03T08:00:00Z","message":"` + strings.Repeat("x", 300) + `"}`
	manyFields := `{"ts":1793692800` + strings.Repeat(`,"f":1`, 20) + `}`
	tests := []struct {
		line   string
		reason string // "" for a good line
	}{
		{`{"ts":"2026-11-03T13:30:00.371+05:30","level":"info","service":"svc-4","status":200,"latency_ms":29,"message":"ok"}`, ""},
		{`{"ts":"2026-11-03T13:30:00Z","level":"INFO"`, "truncated JSON"},
		{`{"ts":"2026-11-03T13:30:00Z","message":"caf` + "\xe9" + `"}`, "invalid UTF-8 at byte 43"},
		{`{"ts":"2026-11-03T13:30:01Z","http":{"status":404,"path":"/x"},"tags":["a","b"],"ok":false,"ratio":0.25}`, ""},
		{huge, "longer than the limit of 256"},
		{manyFields, "more than 10 fields"},
		{`{"ts":"2026-11-03T13:30:00Z","a":{"b":{"c":{"d":{"e":{"f":1}}}}}}`, "nesting deeper than 5 levels at byte 53"},
		{`{"level":"INFO","message":"no ts"}`, "missing ts"},
		{`{"ts":"03/11/2026 13:30","message":"bad ts"}`, `ts "03/11/2026 13:30"`},
		{`{"ts":"1999-01-01T00:00:00Z"}`, "outside the accepted window"},
		{`{"ts":"2099-01-01T00:00:00Z"}`, "outside the accepted window"},
		{`{"ts":true}`, "ts must be a string or a number"},
		{`{"ts":1793692802,"host":"h-1","trace_id":"abc","level":"Warning","n":-1.5e3}`, ""},
		{`{"ts":1793692802,"status":"oops",}`, "invalid JSON at byte 33"},
		{`{"ts":1793692802,"":1}`, "empty field name"},
		{`{"ts":1793692802,"a":"\ud800"}`, "unpaired UTF-16 surrogate"},
		{`["not","an","object"]`, "not a JSON object"},
		{`{"ts":1793692803123,"message":"tab\tand \"quotes\" \u00e9\ud83d\ude00","level":30}`, ""},
		{`{"ts":1793692804000000,"MiXeD":{"KeY":"v"},"arr":[{"x" : 1}, [ ]]}`, ""},
	}
	var data strings.Builder
	var good []string
	wantErrs := map[int]string{} // line number -> reason
	lineNo, nonBlank := 1, 0
	for i, tc := range tests {
		data.WriteString(tc.line)
		nonBlank++
		if tc.reason == "" {
			good = append(good, tc.line)
		} else {
			wantErrs[lineNo] = tc.reason
		}
		lineNo++
		// Vary the terminators and put blank lines between some lines.
		switch i % 3 {
		case 0:
			data.WriteString("\n")
		case 1:
			data.WriteString("\r\n")
		case 2:
			data.WriteString("\n \t\n")
			lineNo++
		}
	}
	opts := Options{MaxLineBytes: 256, MaxFields: 10, MaxDepth: 5,
		MinTS: micros(t, "2026-01-01T00:00:00Z"), MaxTS: micros(t, "2027-01-01T00:00:00Z")}
	b, n, errs := parseAll(t, opts, data.String())
	require.Equal(t, nonBlank, n+len(errs))
	require.Equal(t, len(good), n)
	require.Len(t, errs, len(wantErrs))
	for _, e := range errs {
		reason, ok := wantErrs[e.Line]
		require.True(t, ok, "unexpected error %v", e)
		require.Contains(t, e.Reason, reason, "line %d", e.Line)
	}
	for i, line := range good {
		require.Equal(t, referenceRow(t, line), rowAt(b, i), line)
	}
}
