package bench

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestParseReady(t *testing.T) {
	for _, tc := range []struct {
		line string
		want map[string]string
	}{
		{"ready http=127.0.0.1:8080", map[string]string{"http": "127.0.0.1:8080"}},
		{"ready mysql=127.0.0.1:3306 http=127.0.0.1:8080", map[string]string{"mysql": "127.0.0.1:3306", "http": "127.0.0.1:8080"}},
		{"ready  http=[::1]:80  pid=7 later", map[string]string{"http": "[::1]:80", "pid": "7"}},
		{"ready", map[string]string{}},
		{"ready =x http=", map[string]string{"http": ""}},
	} {
		require.Equal(t, tc.want, parseReady(tc.line), tc.line)
	}
}

func TestParseIngestCounts(t *testing.T) {
	for _, tc := range []struct {
		name               string
		lines              []string
		accepted, rejected int64
		counted            bool
	}{
		{"key=value", []string{"done: accepted=3000 rejected=2"}, 3000, 2, true},
		{"logq ingest summary", []string{
			"logq ingest: 2.0 GB of 2.2 GB sent (88%), 8846447 rows, 125020 rows/s",
			"files:    1", "accepted: 10000000 lines", "rejected: 0 lines", "bytes:    2228347191 (2.2 GB)",
		}, 10_000_000, 0, true},
		{"colon and commas", []string{"Accepted: 10,000,000  Rejected: 0"}, 10_000_000, 0, true},
		{"json", []string{`{"accepted":12,"rejected":1,"errors":[]}`}, 12, 1, true},
		{"number first", []string{"10,000,000 rows accepted, 3 rejected in 9.1s"}, 10_000_000, 3, true},
		{"last mention wins", []string{"accepted=5", "progress", "accepted=9 rejected=0"}, 9, 0, true},
		{"no counts", []string{"sent 2.2 GB in 9 s", "done"}, 0, 0, false},
		{"only rejected", []string{"rejected=4"}, 0, 4, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a, r, c := parseIngestCounts(tc.lines)
			require.Equal(t, []any{tc.accepted, tc.rejected, tc.counted}, []any{a, r, c})
		})
	}
}

func TestCheckAccepted(t *testing.T) {
	require.NoError(t, checkAccepted(ingestRun{}, 10))
	require.NoError(t, checkAccepted(ingestRun{counted: true, accepted: 10}, 10))
	require.ErrorContains(t, checkAccepted(ingestRun{counted: true, accepted: 9}, 10), "accepted 9 and rejected 0 of 10")
	require.Error(t, checkAccepted(ingestRun{counted: true, accepted: 10, rejected: 1}, 10))
}

func TestLineWriter(t *testing.T) {
	var got []string
	w := &lineWriter{fn: func(l string) { got = append(got, l) }}
	for _, chunk := range []string{"ab", "c\nde", "f\r\n", "\n", "progress 1\rprogress 2\r", "tail"} {
		n, err := w.Write([]byte(chunk))
		require.NoError(t, err)
		require.Equal(t, len(chunk), n)
	}
	require.Equal(t, []string{"abc", "def", "progress 1", "progress 2"}, got)

	got = nil
	_, _ = w.Write([]byte("\n" + strings.Repeat("x", 3*maxLine) + "\nok\n"))
	require.Equal(t, []string{"tail", strings.Repeat("x", maxLine), "ok"}, got)
}

func TestLineTail(t *testing.T) {
	tail := newLineTail(3)
	require.Empty(t, tail.text())
	for _, l := range []string{"1", "2", "3", "4"} {
		tail.add(l)
	}
	require.Equal(t, "; last output:\n    2\n    3\n    4", tail.text())
}
