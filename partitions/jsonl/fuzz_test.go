package jsonl

import (
	"bytes"
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"logq/partitions/columns"
)

// FuzzParse checks that no input makes Parse panic, that every non-blank
// line is either accepted or rejected, that the batch stays consistent, and
// that every accepted line is valid JSON by encoding/json's judgement.
func FuzzParse(f *testing.F) {
	seeds := []string{
		string(workloadLines(3, 5)),
		`{"ts":"2026-11-03T13:30:00.371000+05:30","level":"info","a":{"b":[1,{"c":null}]},"d":1.5e3}`,
		`{"ts":1793692800,"A":1,"a":"x","a.b":true,"A":{"B":false}}` + "\r\n" + `  ` + "\n" + `{"ts":1793692800123}`,
		`{"ts":"2026-11-03 08:00:00","message":"\ud83d\ude00 \u00e9 \" \\ \/ \b\f\n\r\t","host":{"x":[ ]}}`,
		`{"ts":"bad"}` + "\n" + `[1]` + "\n" + `{"a":"\ud800"}` + "\n" + "{\"a\":\"\xff\"}\n" + `{"a":1`,
		`{"ts":1793692800,"n":9223372036854775808,"m":-9223372036854775808,"f":1e400}`,
		`{"ts":null,"":1}`,
		`{"ts":1793692800,"a":[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]}`,
		"{\"ts\":1793692800,\"k\\u0000\":1,\"\\u00C9\":2}",
	}
	for _, s := range seeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var b columns.Batch
		p := NewParser(Options{MaxLineBytes: 4096, IngestTime: 0})
		n, errs := p.Parse(data, 1, &b)
		requireConsistent(t, &b)
		require.Equal(t, n, b.Len())

		lines := bytes.Split(data, []byte("\n"))
		rejected := map[int]bool{}
		last := 0
		for _, e := range errs {
			require.Greater(t, e.Line, last, "errors out of order")
			require.LessOrEqual(t, e.Line, len(lines))
			require.NotEmpty(t, e.Reason)
			rejected[e.Line] = true
			last = e.Line
		}
		nonBlank := 0
		for i, line := range lines {
			if len(bytes.TrimLeft(line, " \t\r\n")) == 0 {
				require.False(t, rejected[i+1], "blank line %d rejected", i+1)
				continue
			}
			nonBlank++
			if !rejected[i+1] {
				require.True(t, json.Valid(line), "accepted invalid JSON on line %d: %q", i+1, line)
			}
		}
		require.Equal(t, nonBlank, n+len(errs))
	})
}

// FuzzParseTimestamp checks that no input makes ParseTimestamp panic and
// that it agrees with time.Parse to the microsecond whenever both accept.
func FuzzParseTimestamp(f *testing.F) {
	for _, s := range []string{
		"2026-11-03T13:30:00.371000+05:30", "2026-11-03T08:00:00Z", "2026-11-03 08:00:00", "2026-11-03t08:00:00z",
		"2024-02-29T23:59:59.999999999-23:59", "1970-01-01T00:00:00,5+0100", "2026-11-03T08:00:00+09",
		"1793692800", "1793692800.371", "1793692800371123456", "-1.5e3", "2026-13-45T99:99:99Z", "",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := ParseTimestamp([]byte(s))
		if err != nil {
			require.ErrorIs(t, err, ErrTimestamp)
			return
		}
		if want, werr := time.Parse(time.RFC3339Nano, s); werr == nil {
			require.Equal(t, want.UnixMicro(), got, s)
		}
	})
}
