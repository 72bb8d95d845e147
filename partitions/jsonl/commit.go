package jsonl

import (
	"slices"
	"unicode"
	"unicode/utf8"

	"logq/partitions/columns"
)

// orderEntry remembers which column the field at one position of the
// previous row went to. Lines of one source repeat their key order, so
// checking the entry first skips most map lookups.
type orderEntry struct {
	name string // the column's name; "" matches no field
	col  int32  // index in Parser.cols
}

// claim tracks one distinct field name within the row being committed: the
// positions of its first and last occurrence (the last one wins) and its
// column, -1 until the column exists.
type claim struct {
	serial      uint64
	first, last int32
	col         int32
}

// bind makes the caches of commitFields describe dst. They survive between
// Parse calls as long as dst's dynamic columns are the ones last seen.
func (p *Parser) bind(dst *columns.Batch) {
	if p.dst == dst && slices.Equal(p.cols, dst.Dynamic) {
		return
	}
	p.dst = dst
	p.cols = append(p.cols[:0], dst.Dynamic...)
	clear(p.colIdx)
	for i, d := range p.cols {
		p.colIdx[d.Name] = int32(i)
	}
	p.order = p.order[:0]
}

// commit appends the scratch row, whose ts is ts, to dst.
func (p *Parser) commit(dst *columns.Batch, ts int64) {
	row := dst.Len()
	dst.TS = append(dst.TS, ts)
	if lv := &p.core[coreLevel-coreLevel]; lv.set {
		dst.Level.Append(NormalizeLevel(lv.v))
	} else {
		dst.Level.AppendNull()
	}
	appendCore(&dst.Service, &p.core[coreService-coreLevel])
	appendCore(&dst.Host, &p.core[coreHost-coreLevel])
	appendCore(&dst.TraceID, &p.core[coreTraceID-coreLevel])
	appendCore(&dst.Message, &p.core[coreMessage-coreLevel])
	p.dupKeys += int64(p.coreDups)
	if len(p.fields) > 0 {
		p.commitFields(dst, row)
	}
	dst.PadDynamic(row + 1)
}

func appendCore(s *columns.Strings, v *coreValue) {
	if v.set {
		s.Append(v.v)
	} else {
		s.AppendNull()
	}
}

// commitFields appends the dynamic fields of the scratch row, which becomes
// row number row of dst. When a name occurs more than once, the last value
// wins; a new column is created where the name first occurs (so columns
// keep their order of first sight) with the type of the winning value, and
// not at all when that value is null.
func (p *Parser) commitFields(dst *columns.Batch, row int) {
	p.serial++
	ncols := int32(len(p.cols))
	if len(p.newNames) > 0 {
		p.newNames = p.newNames[:0]
		clear(p.newIdx)
	}
	for i := range p.fields {
		f := &p.fields[i]
		f.slot = p.slotOf(i, f.name, ncols)
		p.claim(f.slot, int32(i), ncols)
	}
	p.order = p.order[:0]
	for i := range p.fields {
		f := &p.fields[i]
		c := &p.claims[f.slot]
		if c.col < 0 && c.first == int32(i) {
			p.createColumn(dst, c, f.slot-ncols, row)
		}
		if c.col < 0 {
			p.order = append(p.order, orderEntry{})
			continue
		}
		d := p.cols[c.col]
		p.order = append(p.order, orderEntry{name: d.Name, col: c.col})
		if c.last == int32(i) {
			appendValue(d, f)
		}
	}
}

// slotOf returns the slot of field i called name: the index of its column
// when the column exists, otherwise ncols plus the index of the name among
// the row's new names.
func (p *Parser) slotOf(i int, name []byte, ncols int32) int32 {
	if i < len(p.order) && p.order[i].name == string(name) {
		return p.order[i].col
	}
	if col, ok := p.colIdx[string(name)]; ok {
		return col
	}
	if k, ok := p.newIdx[string(name)]; ok {
		return ncols + k
	}
	k := int32(len(p.newNames))
	s := string(name)
	p.newNames = append(p.newNames, s)
	p.newIdx[s] = k
	return ncols + k
}

// claim records that field i of the current row has slot.
func (p *Parser) claim(slot, i, ncols int32) {
	if int(slot) >= len(p.claims) {
		p.claims = append(p.claims, make([]claim, int(slot)+1-len(p.claims))...)
	}
	c := &p.claims[slot]
	if c.serial == p.serial {
		c.last = i
		p.dupKeys++
		return
	}
	col := slot
	if slot >= ncols {
		col = -1
	}
	*c = claim{serial: p.serial, first: i, last: i, col: col}
}

// createColumn adds the column of the new name k, typed after the value that
// wins, unless that value is null.
func (p *Parser) createColumn(dst *columns.Batch, c *claim, k int32, row int) {
	w := &p.fields[c.last]
	if w.kind == kindNull {
		return
	}
	name := p.newNames[k]
	d := dst.AddColumn(name, kindType[w.kind], row)
	c.col = int32(len(p.cols))
	p.cols = append(p.cols, d)
	p.colIdx[name] = c.col
}

// appendValue appends a field's value to its column; a null appends nothing
// and is padded by the caller.
func appendValue(d *columns.Dynamic, f *field) {
	switch f.kind {
	case kindInt:
		d.AppendInt(f.num)
	case kindFloat:
		d.AppendFloat(f.flt)
	case kindBool:
		d.AppendBool(f.num != 0)
	case kindString:
		d.AppendString(f.str)
	}
}

// appendLower appends name lower-cased: ASCII letters directly, other
// characters by unicode.ToLower (the folding MySQL and go-mysql-server apply
// to column names). name must be valid UTF-8.
func appendLower(dst, name []byte) []byte {
	for i := 0; i < len(name); {
		c := name[i]
		if c < utf8.RuneSelf {
			if c-'A' < 26 {
				c += 'a' - 'A'
			}
			dst = append(dst, c)
			i++
			continue
		}
		r, size := utf8.DecodeRune(name[i:])
		dst = utf8.AppendRune(dst, unicode.ToLower(r))
		i += size
	}
	return dst
}
