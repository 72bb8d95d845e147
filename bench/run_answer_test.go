package bench

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// mkAnswer builds an answer from rows of "|"-separated cells; a cell
// written \N is NULL. Columns named avg are approximate.
func mkAnswer(cols string, rows ...string) *answer {
	a := &answer{cols: strings.Split(cols, ",")}
	for _, c := range a.cols {
		a.approx = append(a.approx, c == "avg")
	}
	for _, r := range rows {
		var row []cell
		for _, c := range strings.Split(r, "|") {
			row = append(row, cell{s: c, null: c == `\N`})
			if c == `\N` {
				row[len(row)-1].s = ""
			}
		}
		a.rows = append(a.rows, row)
	}
	return a
}

func TestSameAnswer(t *testing.T) {
	unordered := answerShape{}
	byTS := answerShape{order: []int{0}}
	byTSLimit := answerShape{order: []int{0}, limited: true}
	q7 := answerShape{order: []int{1, 0}, limited: true}
	for _, tc := range []struct {
		name      string
		shape     answerShape
		got, want *answer
		diff      string // "" for the same answer, else a part of the message
	}{
		{name: "identical", shape: byTS,
			got: mkAnswer("ts,m", "1|a", "2|b"), want: mkAnswer("ts,m", "1|a", "2|b")},
		{name: "empty", shape: unordered, got: mkAnswer("ts,m"), want: mkAnswer("ts,m")},
		{name: "unordered in another order", shape: unordered,
			got: mkAnswer("ts,m", "2|b", "1|a", "1|a"), want: mkAnswer("ts,m", "1|a", "2|b", "1|a")},
		{name: "unordered with another row", shape: unordered,
			got: mkAnswer("ts,m", "2|b", "1|a"), want: mkAnswer("ts,m", "1|a", "2|c"),
			diff: `2 rows from logq, 2 from the baseline; rows 1-2 differ as a multiset (their order is free); first difference in sorted order: logq ["2", "b"], baseline ["2", "c"]`},
		{name: "unordered with a row twice", shape: unordered,
			got: mkAnswer("ts,m", "1|a", "1|a"), want: mkAnswer("ts,m", "1|a", "2|a"),
			diff: `first difference in sorted order: logq ["1", "a"], baseline ["2", "a"]`},
		{name: "unordered with a row missing", shape: unordered,
			got: mkAnswer("ts,m", "1|a"), want: mkAnswer("ts,m", "1|a", "2|a"),
			diff: `1 rows from logq, 2 from the baseline; rows 1-2 differ as a multiset (their order is free); first difference in sorted order: logq (none), baseline ["2", "a"]`},
		{name: "ordered, ties in another order", shape: byTS,
			got: mkAnswer("ts,m", "1|a", "2|c", "2|b", "3|d"), want: mkAnswer("ts,m", "1|a", "2|b", "2|c", "3|d")},
		{name: "ordered, out of order", shape: byTS,
			got: mkAnswer("ts,m", "1|a", "3|d", "2|b"), want: mkAnswer("ts,m", "1|a", "2|b", "3|d"),
			diff: `3 rows from logq, 3 from the baseline; first differing row 2: logq ["3", "d"], baseline ["2", "b"]`},
		{name: "ordered, a tie's row differs", shape: byTS,
			got: mkAnswer("ts,m", "1|a", "2|c", "2|x", "3|d"), want: mkAnswer("ts,m", "1|a", "2|b", "2|c", "3|d"),
			diff: `rows 2-3 differ as a multiset (their order is free); first difference in sorted order: logq ["2", "c"], baseline ["2", "b"]`},
		{name: "ordered, a row more", shape: byTS,
			got: mkAnswer("ts,m", "1|a", "2|b", "3|c"), want: mkAnswer("ts,m", "1|a", "2|b"),
			diff: `3 rows from logq, 2 from the baseline; first differing row 3: logq ["3", "c"], baseline (none)`},
		{name: "ordered without LIMIT: the last run is compared", shape: byTS,
			got: mkAnswer("ts,m", "1|a", "2|b", "2|x"), want: mkAnswer("ts,m", "1|a", "2|b", "2|c"),
			diff: `rows 2-3 differ as a multiset`},
		{name: "LIMIT: the cut run may hold other rows of its key", shape: byTSLimit,
			got: mkAnswer("ts,m", "3|a", "2|b", "2|x"), want: mkAnswer("ts,m", "3|a", "2|b", "2|c")},
		{name: "LIMIT: but its key and size must match", shape: byTSLimit,
			got: mkAnswer("ts,m", "3|a", "2|b"), want: mkAnswer("ts,m", "3|a", "2|b", "2|c"),
			diff: `2 rows from logq, 3 from the baseline; first differing row 3: logq (none), baseline ["2", "c"]`},
		{name: "LIMIT: runs before the cut are compared", shape: byTSLimit,
			got: mkAnswer("ts,m", "3|x", "2|b"), want: mkAnswer("ts,m", "3|a", "2|b"),
			diff: `2 rows from logq, 2 from the baseline; first differing row 1: logq ["3", "x"], baseline ["3", "a"]`},
		{name: "Q7: n then service", shape: q7,
			got: mkAnswer("service,n", "svc-1|9", "svc-0|9", "svc-2|4"), want: mkAnswer("service,n", "svc-0|9", "svc-1|9", "svc-2|4"),
			diff: `first differing row 1: logq ["svc-1", "9"], baseline ["svc-0", "9"]`},
		{name: "Q7 in its order", shape: q7,
			got: mkAnswer("service,n", "svc-0|9", "svc-1|9", "svc-2|4"), want: mkAnswer("service,n", "svc-0|9", "svc-1|9", "svc-2|4")},
		{name: "NULL is not the empty string", shape: unordered,
			got: mkAnswer("ts,m", `1|\N`), want: mkAnswer("ts,m", "1|"),
			diff: `logq ["1", NULL], baseline ["1", ""]`},
		{name: "NULL is not the text NULL", shape: unordered,
			got: mkAnswer("ts,m", `1|\N`), want: mkAnswer("ts,m", "1|NULL"),
			diff: `logq ["1", NULL], baseline ["1", "NULL"]`},
		{name: "other column names", shape: unordered,
			got: mkAnswer("ts,msg", "1|a"), want: mkAnswer("ts,m", "1|a"),
			diff: `columns differ: logq ["ts" "msg"], baseline ["ts" "m"]`},
		{name: "approximate numbers at MySQL's 4 places", shape: byTS,
			got: mkAnswer("s,avg", "a|40.123449999", "b|7", "c|-0.00001"), want: mkAnswer("s,avg", "a|40.1234", "b|7.0000", "c|0")},
		{name: "approximate numbers that a client shows differently", shape: byTS,
			got: mkAnswer("s,avg", "a|40.12345001"), want: mkAnswer("s,avg", "a|40.1234"),
			diff: `first differing row 1: logq ["a", "40.1235"], baseline ["a", "40.1234"]`},
		{name: "exact columns are compared as text", shape: byTS,
			got: mkAnswer("s,n", "a|7"), want: mkAnswer("s,n", "a|7.0"),
			diff: `logq ["a", "7"], baseline ["a", "7.0"]`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := sameAnswer(tc.shape, tc.got, tc.want)
			if tc.diff == "" {
				require.Empty(t, d)
				return
			}
			require.Contains(t, d, tc.diff)
		})
	}
}

// TestSameAnswerApproxEitherSide checks that a column approximate on one
// side only (DOUBLE from one engine, BIGINT from the other) is rounded.
func TestSameAnswerApproxEitherSide(t *testing.T) {
	got := &answer{cols: []string{"x"}, approx: []bool{true}, rows: [][]cell{{{s: "2.00001"}}}}
	want := &answer{cols: []string{"x"}, approx: []bool{false}, rows: [][]cell{{{s: "2"}}}}
	require.Empty(t, sameAnswer(answerShape{}, got, want))
}

func TestRoundNumber(t *testing.T) {
	for in, want := range map[string]string{
		"40.123449": "40.1234", "40.12345001": "40.1235", "7": "7.0000", "-0.00001": "0.0000",
		"1e3": "1000.0000", "abc": "abc", "": "",
	} {
		require.Equal(t, want, roundNumber(in), in)
	}
}
