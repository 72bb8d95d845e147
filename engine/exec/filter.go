package exec

import (
	"bytes"
	"encoding/binary"

	"logq/partitions/columns"
)

// filterSel keeps the rows of sel (positions in b) for which cond is TRUE,
// in order, reusing sel's memory. A row passes an AND exactly when it passes
// every side (FALSE and NULL both reject), so an AND is applied one side at
// a time, each over the whole selection; the common leaves run as tight
// loops over one column. Anything else (OR, NOT) is evaluated per row with
// three-valued logic.
func filterSel(cond Pred, b *columns.Batch, sel []int32) []int32 {
	switch p := cond.(type) {
	case andPred:
		return filterSel(p.r, b, filterSel(p.l, b, sel))
	case tsPred:
		out := sel[:0]
		for _, i := range sel {
			if ts := b.TS[i]; ts >= p.lo && ts <= p.hi {
				out = append(out, i)
			}
		}
		return out
	case inPred:
		if p.col.Core >= 0 {
			return filterIn(CoreStrings(b, p.col.Core), p, sel)
		}
		if d := b.Column(p.col.Name); d == nil {
			return sel[:0] // absent: NULL for every row
		} else if d.Type == columns.TypeString {
			return filterIn(&d.Strs, p, sel, d.Valid)
		}
	case likePred:
		if p.col.Core >= 0 {
			return filterLike(p, CoreStrings(b, p.col.Core), sel)
		}
	case regexpPred:
		if p.col.Core >= 0 {
			return filterRegexp(p, CoreStrings(b, p.col.Core), sel)
		}
	case strCmpPred:
		if p.col.Core >= 0 {
			s := CoreStrings(b, p.col.Core)
			return filterCodes(s, sel, func(v []byte) bool { return p.op.holds(bytes.Compare(v, p.v)) })
		}
	case intCmpPred:
		if d := b.Column(p.name); d == nil {
			return sel[:0]
		} else if d.Type == columns.TypeInt64 {
			out := sel[:0]
			for _, i := range sel {
				if d.Valid[i] && compare(p.op, d.Ints[i], p.v) == triTrue {
					out = append(out, i)
				}
			}
			return out
		}
	}
	r := batchRow{b: b, dyn: map[string]*columns.Dynamic{}}
	out := sel[:0]
	for _, i := range sel {
		r.i = int(i)
		if cond.eval(&r) == triTrue {
			out = append(out, i)
		}
	}
	return out
}

// filterCodes keeps the non-NULL rows of s whose value passes keep,
// deciding each dictionary entry once when s has codes.
func filterCodes(s *columns.Strings, sel []int32, keep func(v []byte) bool) []int32 {
	out := sel[:0]
	if s.Codes != nil {
		pass := make([]bool, len(s.Dict))
		for c, v := range s.Dict {
			pass[c] = keep(v)
		}
		for _, i := range sel {
			if !s.IsNull(int(i)) && pass[s.Codes[i]] {
				out = append(out, i)
			}
		}
		return out
	}
	for _, i := range sel {
		if !s.IsNull(int(i)) && keep(s.Value(int(i))) {
			out = append(out, i)
		}
	}
	return out
}

// filterIn keeps the rows whose value of s is in p's list; valid, when
// given, marks the rows where a dynamic column has a value.
func filterIn(s *columns.Strings, p inPred, sel []int32, valid ...[]bool) []int32 {
	out := sel[:0]
	if s.Codes != nil && len(valid) == 0 {
		// Dictionary codes: decide each dictionary entry once, then each
		// row by its code.
		match := make([]bool, len(s.Dict))
		for c, v := range s.Dict {
			match[c] = p.matches(v)
		}
		for _, i := range sel {
			if !s.IsNull(int(i)) && match[s.Codes[i]] {
				out = append(out, i)
			}
		}
		return out
	}
	if !p.folded && len(p.values) == 1 && len(valid) == 0 {
		return filterEqual(s, p.values[0], sel)
	}
	for _, i := range sel {
		if s.IsNull(int(i)) || len(valid) > 0 && !valid[0][i] {
			continue
		}
		if p.matches(s.Value(int(i))) {
			out = append(out, i)
		}
	}
	return out
}

// filterEqual keeps the rows of sel whose value of s is w, compared as
// bytes: `trace_id = '...'`, over every row of the batches its bloom
// filters could not rule out (at 100M rows a lookup scans ~20 of them),
// so the lengths are compared before the bytes, and nothing per row goes
// through a call.
func filterEqual(s *columns.Strings, w []byte, sel []int32) []int32 {
	out := sel[:0]
	want := string(w)
	n := uint32(len(want))
	if n >= 8 {
		// Values of one length (trace IDs) pass the length test: their
		// first eight bytes, as one word, decide almost every row.
		head := binary.LittleEndian.Uint64(w)
		for _, i := range sel {
			start := uint32(0)
			if i > 0 {
				start = s.Ends[i-1]
			}
			end := s.Ends[i]
			if end-start == n && binary.LittleEndian.Uint64(s.Data[start:end]) == head &&
				string(s.Data[start:end]) == want && !s.IsNull(int(i)) {
				out = append(out, i)
			}
		}
		return out
	}
	for _, i := range sel {
		start := uint32(0)
		if i > 0 {
			start = s.Ends[i-1]
		}
		end := s.Ends[i]
		if end-start == n && string(s.Data[start:end]) == want && !s.IsNull(int(i)) {
			out = append(out, i)
		}
	}
	return out
}
