package bench

import (
	gosql "database/sql"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// answer is one query's complete result as the client received it: column
// names, which columns hold approximate numbers, and every row as text.
// The warm-up run of each query captures it on logq and on the baseline,
// and the two are compared (sameAnswer) before any figure is reported.
type answer struct {
	cols   []string
	approx []bool // DOUBLE, FLOAT or DECIMAL: compared at answerDecimals
	rows   [][]cell
}

// cell is one value; null tells SQL NULL from the empty string.
type cell struct {
	s    string
	null bool
}

// answerShape says how a query's rows may legitimately differ in order
// between two correct engines.
type answerShape struct {
	// order lists the columns of the query's ORDER BY, or is nil when it
	// has none and the rows compare as a multiset.
	order []int
	// limited is set for ORDER BY ... LIMIT: the group of rows with the
	// last order key may be cut anywhere, so each engine may return any
	// subset of that key's rows.
	limited bool
}

// newAnswer prepares an answer for the columns of rows.
func newAnswer(rows *gosql.Rows) (*answer, error) {
	types, err := rows.ColumnTypes()
	if err != nil {
		return nil, err
	}
	a := &answer{cols: make([]string, len(types)), approx: make([]bool, len(types))}
	for i, t := range types {
		a.cols[i] = t.Name()
		switch t.DatabaseTypeName() {
		case "DECIMAL", "DOUBLE", "FLOAT":
			a.approx[i] = true
		}
	}
	return a, nil
}

// add appends a row read into raw; it copies the bytes (the driver reuses
// them).
func (a *answer) add(raw []gosql.RawBytes) {
	r := make([]cell, len(raw))
	for i, b := range raw {
		r[i] = cell{s: string(b), null: b == nil}
	}
	a.rows = append(a.rows, r)
}

// sameAnswer compares the answers of logq (got) and of the baseline (want)
// to the same query and returns "" when they agree, else what differs,
// naming the first differing row.
//
// The rules, which the README repeats:
//   - Column names must be equal, and every row must be equal cell by
//     cell; NULL equals only NULL.
//   - Numbers in DOUBLE, FLOAT and DECIMAL columns are equal when they
//     round to the same value at answerDecimals places: the scale MySQL
//     gives AVG over integer columns (div_precision_increment 4), so that
//     two engines summing in different orders, or one answering DOUBLE and
//     the other DECIMAL, still agree, while any difference a MySQL client
//     would display is caught.
//   - Without ORDER BY the rows compare as multisets.
//   - With ORDER BY the sequence of order keys must be equal, and the rows
//     that share a key compare as multisets (ties may come back in any
//     order). With a LIMIT, the rows of the last key are compared by key
//     only: the cut may keep a different subset of them.
func sameAnswer(shape answerShape, got, want *answer) string {
	if !slices.Equal(got.cols, want.cols) {
		return fmt.Sprintf("columns differ: logq %q, baseline %q", got.cols, want.cols)
	}
	approx := make([]bool, len(got.cols))
	for i := range approx {
		approx[i] = got.approx[i] || want.approx[i]
	}
	g, w := canonical(got.rows, approx), canonical(want.rows, approx)
	if shape.order == nil {
		return sameMultiset(g, w, 0, len(got.rows), len(want.rows))
	}
	return sameOrdered(shape, g, w, len(got.rows), len(want.rows))
}

// sameOrdered compares ordered answers: keys in sequence, then each run of
// equal keys as a multiset, except the run cut by a LIMIT.
func sameOrdered(shape answerShape, g, w []string, nGot, nWant int) string {
	key := func(rows []string, i int) string { return orderKey(rows[i], shape.order) }
	for i := range min(len(g), len(w)) {
		if key(g, i) != key(w, i) {
			return differAt(i, g, w, nGot, nWant)
		}
	}
	if len(g) != len(w) {
		return differAt(min(len(g), len(w)), g, w, nGot, nWant)
	}
	for start := 0; start < len(g); {
		end := start + 1
		for end < len(g) && key(g, end) == key(g, start) {
			end++
		}
		if shape.limited && end == len(g) {
			break // the run the LIMIT cut: its keys matched above
		}
		if d := sameMultiset(g[start:end], w[start:end], start, nGot, nWant); d != "" {
			return d
		}
		start = end
	}
	return ""
}

// sameMultiset compares two runs of rows regardless of order; first is
// the index of their first row in the whole answer, for the message.
func sameMultiset(g, w []string, first, nGot, nWant int) string {
	if len(g) == 1 && len(w) == 1 {
		if g[0] != w[0] {
			return fmt.Sprintf("%d rows from logq, %d from the baseline; first differing row %d: logq %s, baseline %s",
				nGot, nWant, first+1, showRow(g, 0), showRow(w, 0))
		}
		return ""
	}
	g, w = slices.Sorted(slices.Values(g)), slices.Sorted(slices.Values(w))
	for i := range max(len(g), len(w)) {
		if i >= len(g) || i >= len(w) || g[i] != w[i] {
			return fmt.Sprintf("%d rows from logq, %d from the baseline; rows %d-%d differ as a multiset (their order is free); "+
				"first difference in sorted order: logq %s, baseline %s",
				nGot, nWant, first+1, first+max(len(g), len(w)), showRow(g, i), showRow(w, i))
		}
	}
	return ""
}

// differAt describes the first differing row, i (from 0), of ordered
// answers.
func differAt(i int, g, w []string, nGot, nWant int) string {
	return fmt.Sprintf("%d rows from logq, %d from the baseline; first differing row %d: logq %s, baseline %s",
		nGot, nWant, i+1, showRow(g, i), showRow(w, i))
}

// showRow prints canonical row i of rows in brackets, or (none) past the
// end.
func showRow(rows []string, i int) string {
	if i >= len(rows) {
		return "(none)"
	}
	return "[" + strings.ReplaceAll(rows[i], cellSep, ", ") + "]"
}

// cellSep separates the cells of a canonical row. Cells are quoted
// (strconv.Quote), so no cell holds it unquoted.
const cellSep = "\x1f"

// canonical renders each row as one comparable string: cells quoted, NULL
// unquoted, approximate numbers rounded to answerDecimals.
func canonical(rows [][]cell, approx []bool) []string {
	out := make([]string, len(rows))
	var b strings.Builder
	for i, r := range rows {
		b.Reset()
		for j, c := range r {
			if j > 0 {
				b.WriteString(cellSep)
			}
			switch {
			case c.null:
				b.WriteString("NULL")
			case j < len(approx) && approx[j]:
				b.WriteString(strconv.Quote(roundNumber(c.s)))
			default:
				b.WriteString(strconv.Quote(c.s))
			}
		}
		out[i] = b.String()
	}
	return out
}

// roundNumber formats s with answerDecimals places; s is kept when it is
// not a number.
func roundNumber(s string) string {
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return s
	}
	r := strconv.FormatFloat(f, 'f', answerDecimals, 64)
	if strings.Trim(r, "-0.") == "" {
		return strconv.FormatFloat(0, 'f', answerDecimals, 64) // -0.0000 is 0.0000
	}
	return r
}

// orderKey returns the cells of a canonical row at cols.
func orderKey(row string, cols []int) string {
	cells := strings.Split(row, cellSep)
	key := make([]string, len(cols))
	for i, c := range cols {
		key[i] = cells[min(c, len(cells)-1)]
	}
	return strings.Join(key, cellSep)
}
