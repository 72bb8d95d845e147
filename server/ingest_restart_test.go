package server

import (
	"cmp"
	"net/http/httptest"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"logq/partitions"
)

// TestIngestMalformedInputSurvivesRestart sends every request of the
// malformed-input table to a real store, restarts the store, and checks that
// exactly the accepted rows are there: the answer's accepted count is a
// promise about durable data, not about a buffer.
func TestIngestMalformedInputSurvivesRestart(t *testing.T) {
	for _, tc := range ingestCases(t) {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			st, err := partitions.Open(dir, partitions.WithCompactInterval(0))
			require.NoError(t, err)
			cfg := IngestConfig{Now: func() time.Time { return testNow }}
			if tc.cfg != nil {
				tc.cfg(&cfg)
			}
			srv := httptest.NewServer(NewIngestHandler(st, cfg, nil))
			status, resp := doIngest(t, srv, tc.method, tc.query, tc.encoding, tc.body, tc.chunked)
			srv.Close()
			require.Equal(t, tc.status, status, "answer: %+v", resp)
			require.Equal(t, tc.accepted, resp.Accepted, "answer: %+v", resp)
			// Close flushes to segments; rows surviving a kill instead are
			// the crash test's job (partitions/crash_test.go).
			require.NoError(t, st.Close())

			st, err = partitions.Open(dir, partitions.WithCompactInterval(0))
			require.NoError(t, err)
			defer st.Close()
			got := storedRows(t, st)
			require.Len(t, got, int(resp.Accepted), "accepted rows after restart")
			require.Equal(t, sortedRows(tc.rows), got)
		})
	}
}

// storedRows reads every row of st, segments and buffers, in a canonical
// order.
func storedRows(t testing.TB, st *partitions.Store) []testRow {
	var rows []testRow
	segs := st.Segments()
	defer func() {
		for _, s := range segs {
			s.DecRef()
		}
	}()
	for _, s := range segs {
		r, err := s.Reader()
		require.NoError(t, err)
		for bi := 0; bi < r.NumBatches(); bi++ {
			b, err := r.Rows(bi)
			require.NoError(t, err)
			rows = append(rows, batchRows(b)...)
		}
	}
	st.View(func(buf []partitions.Buffered) {
		for _, p := range buf {
			for _, b := range p.Batches {
				rows = append(rows, batchRows(b)...)
			}
			for _, seg := range p.Sealed {
				for bi := range seg.Stats.Batches {
					rows = append(rows, batchRows(seg.Batch(bi))...)
				}
			}
		}
	})
	return sortedRows(rows)
}

func sortedRows(rows []testRow) []testRow {
	rows = slices.Clone(rows)
	slices.SortFunc(rows, func(a, b testRow) int {
		return cmp.Or(cmp.Compare(a.TS, b.TS), cmp.Compare(a.Message, b.Message), cmp.Compare(a.TraceID, b.TraceID))
	})
	if rows == nil {
		rows = []testRow{}
	}
	return rows
}
