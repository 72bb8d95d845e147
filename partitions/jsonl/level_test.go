package jsonl

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestNormalizeLevel(t *testing.T) {
	// Every alias of the documented table, in three spellings.
	for alias, want := range testLevels {
		for _, in := range []string{alias, strings.ToUpper(alias), " \t" + strings.ToUpper(alias[:1]) + alias[1:] + " "} {
			require.Equal(t, want, string(NormalizeLevel([]byte(in))), "%q", in)
		}
	}
	kept := []struct{ in, want string }{
		{"", ""},
		{"   ", ""},
		{"Verbose", "Verbose"},
		{"  Verbose\n", "Verbose"},
		{"informationa", "informationa"},
		{"informational!", "informational!"},
		{"a much longer level name", "a much longer level name"},
		{"70", "70"},
		{"30.0", "30.0"},
		{"ínfo", "ínfo"},
		{"\u00a0INFO\u00a0", "INFO"}, // Unicode white space is trimmed too
	}
	for _, tc := range kept {
		require.Equal(t, tc.want, string(NormalizeLevel([]byte(tc.in))), "%q", tc.in)
	}
}

func TestNormalizeLevelDoesNotAllocate(t *testing.T) {
	for _, s := range []string{"INFO", "warning", " Err ", "Verbose", "30"} {
		in := []byte(s)
		require.Zero(t, testing.AllocsPerRun(100, func() { NormalizeLevel(in) }), s)
	}
}
