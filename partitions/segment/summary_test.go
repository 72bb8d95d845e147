package segment

import (
	"bytes"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
)

// withoutSizes returns a copy of st with its byte sizes zeroed, the only
// statistics Summarize does not compute.
func withoutSizes(st *Stats) *Stats {
	c := *st
	c.CompressedBytes, c.RawBytes = 0, 0
	c.Batches = append([]BatchStats(nil), st.Batches...)
	for i := range c.Batches {
		c.Batches[i].CompressedBytes, c.Batches[i].RawBytes = 0, 0
	}
	return &c
}

// TestSummarize: the statistics of rows summarized in memory equal those
// read back from a segment file encoded from the same rows, and the
// brute-force expectations of expect_test.go, byte sizes aside.
func TestSummarize(t *testing.T) {
	for i, tc := range roundTripCases() {
		t.Run(tc.name, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(uint64(i), 42))
			b := tc.gen(rng)
			got, err := Summarize(b, tc.opts)
			require.NoError(t, err)

			path, _, _ := writeSegment(t, b, tc.opts)
			read, err := ReadStats(path)
			require.NoError(t, err)
			require.Equal(t, withoutSizes(read), got, "stats read back from the file")

			full, _ := tc.opts.withDefaults()
			want := expectStats(b, expectFields(b, full.BatchRows), full.BatchRows, full.BloomBitsPerKey)
			require.Equal(t, withoutSizes(want), got, "brute-force expectations")
		})
	}
}

// TestSummarizeRefuses: Summarize checks its input as Encode does.
func TestSummarizeRefuses(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	b := genWorkload(rng, 100)
	b.TS[0], b.TS[1] = b.TS[1]+1, b.TS[0]
	_, err := Summarize(b, WriteOptions{})
	_, encErr := Encode(&bytes.Buffer{}, b, WriteOptions{})
	require.Error(t, err)
	require.EqualError(t, err, encErr.Error())

	_, err = Summarize(genWorkload(rng, 0), WriteOptions{})
	require.ErrorIs(t, err, ErrEmpty)
}
