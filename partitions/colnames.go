package partitions

import (
	"maps"
	"strconv"
	"strings"

	"logq/partitions/columns"
	"logq/partitions/segment"
)

// CatchAllColumn is the dynamic column that holds, as one JSON object per
// row, the fields that did not get a column of their own: past the column
// limit (WithMaxColumns), past an append's new-column budget
// (AppendOptions.MaxNewColumns), or outside the allow list
// (WithColumnPolicy). Each key is the name the field's column would have had
// (lower-cased and flattened, so a nested field's key holds dots) and each
// value the JSON value the column would have held (an array as its JSON text,
// in a string), written as MySQL prints JSON (keys shorter first, then in
// byte order). It is stored as a VARCHAR column and the engine shows it to
// SQL as JSON: JSON_EXTRACT(_extra, '$.name'), _extra->>'$."http.path"'. A field
// called _extra in a line is itself such a field, under the key "_extra".
// The catch-all column does not count against the column limit.
const CatchAllColumn = "_extra"

// Dropped columns and generations.
//
// Segments are immutable, so dropping a column cannot remove its values from
// them. Instead every dynamic column name has a generation, 0 until it is
// first dropped; DropColumn increments it durably (the COLUMNS file), and a
// column is stored under a name that carries its generation: the plain name
// in generation 0, the name plus "@G" and the generation after that
// ("latency@G2"). Field names from ingest are lower case, so no field can
// take a stored name of a later generation. A stored column whose generation
// is not the current one of its name is dead: readers skip it, it does not
// count against the column limit, and a name ingested again after a drop
// starts a fresh column that old values can never reach, whatever segment,
// buffer or WAL record they sit in, before or after compaction.
const generationMark = columns.GenerationMark

// storedName is the name under which the generation gen of column name is
// stored.
func storedName(name string, gen uint32) string {
	if gen == 0 {
		return name
	}
	return name + generationMark + strconv.FormatUint(uint64(gen), 10)
}

// parseStoredName splits a stored column name into its column name and
// generation.
func parseStoredName(stored string) (string, uint32) {
	i := strings.LastIndex(stored, generationMark)
	if i <= 0 {
		return stored, 0
	}
	g, err := strconv.ParseUint(stored[i+len(generationMark):], 10, 32)
	if err != nil || g == 0 {
		return stored, 0
	}
	return stored[:i], uint32(g)
}

// ColumnView maps the stored dynamic columns of segments and buffered
// batches to the columns SQL sees: dead generations removed, later
// generations under their plain names. It is immutable; the store replaces
// it when a column is dropped. Safe for concurrent use.
type ColumnView struct {
	gens map[string]uint32 // name → current generation; absent: 0
}

// empty reports whether v maps every stored name to itself. A nil view is
// empty.
func (v *ColumnView) empty() bool { return v == nil || len(v.gens) == 0 }

// emptyView is the view of a store where no column was ever dropped: every
// stored name is its column's name.
var emptyView = &ColumnView{}

// Identity reports whether the view maps every stored name to itself (no
// column was ever dropped), so that callers can skip it.
func (v *ColumnView) Identity() bool { return v.empty() }

// Generation returns the current generation of column name.
func (v *ColumnView) Generation(name string) uint32 {
	if v.empty() {
		return 0
	}
	return v.gens[name]
}

// Stored returns the name under which the current generation of column name
// is stored.
func (v *ColumnView) Stored(name string) string { return storedName(name, v.Generation(name)) }

// Live returns the column name of a stored name, and false when the stored
// column is dead (a generation dropped since).
func (v *ColumnView) Live(stored string) (string, bool) {
	if v.empty() {
		return stored, true
	}
	name, g := parseStoredName(stored)
	return name, v.gens[name] == g
}

// Columns returns the live columns of cols under their column names, in the
// order of cols. The caller owns the result; cols is not modified.
func (v *ColumnView) Columns(cols []segment.ColumnInfo) []segment.ColumnInfo {
	if v.empty() {
		return cols
	}
	out := make([]segment.ColumnInfo, 0, len(cols))
	for _, c := range cols {
		if name, ok := v.Live(c.Name); ok {
			c.Name = name
			out = append(out, c)
		}
	}
	return out
}

// Batch returns b as SQL sees it: without its dead columns and with later
// generations under their column names. It returns b itself when nothing
// changes, otherwise a shallow copy sharing b's arrays (b is not modified).
// b must hold stored names: mapping a mapped batch again would take a later
// generation under its plain name for a dead generation 0.
func (v *ColumnView) Batch(b *columns.Batch) *columns.Batch {
	if v.empty() {
		return b
	}
	same := true
	for _, d := range b.Dynamic {
		if name, ok := v.Live(d.Name); !ok || name != d.Name {
			same = false
			break
		}
	}
	if same {
		return b
	}
	out := *b
	ds := make([]*columns.Dynamic, 0, len(b.Dynamic))
	for _, d := range b.Dynamic {
		name, ok := v.Live(d.Name)
		switch {
		case !ok:
			continue
		case name != d.Name:
			c := *d
			c.Name = name
			d = &c
		}
		ds = append(ds, d)
	}
	out.SetDynamic(ds)
	return &out
}

// HasDead reports whether cols, the stored columns of a segment, include
// a dead one.
func (v *ColumnView) HasDead(cols []segment.ColumnInfo) bool {
	if v.empty() {
		return false
	}
	for _, c := range cols {
		if _, live := v.Live(c.Name); !live {
			return true
		}
	}
	return false
}

// Prune returns b without its dead columns, stored names kept; b itself
// when it has none.
func (v *ColumnView) Prune(b *columns.Batch) *columns.Batch {
	if v.empty() {
		return b
	}
	var ds []*columns.Dynamic
	for i, d := range b.Dynamic {
		if _, live := v.Live(d.Name); live {
			if ds != nil {
				ds = append(ds, d)
			}
			continue
		}
		if ds == nil {
			ds = append(make([]*columns.Dynamic, 0, len(b.Dynamic)), b.Dynamic[:i]...)
		}
	}
	if ds == nil {
		return b
	}
	out := *b
	out.SetDynamic(ds)
	return &out
}

// pruneDead returns the rows a flush or a compaction writes: without the
// columns dropped since they were stored, so that dropped values stop
// taking space once their rows are rewritten, and in row order (which
// compares every column, so it may change when some go).
func (s *Store) pruneDead(rows *columns.Batch) *columns.Batch {
	pruned := s.view.Load().Prune(rows)
	if pruned == rows {
		return rows
	}
	if idx := pruned.SortIndex(); idx != nil {
		pruned = pruned.Take(idx)
	}
	return pruned
}

// Want returns the filter of stored names to decode from a segment for the
// filter of column names want (nil: every live column).
func (v *ColumnView) Want(want func(string) bool) func(string) bool {
	if v.empty() {
		return want
	}
	return func(stored string) bool {
		name, ok := v.Live(stored)
		return ok && (want == nil || want(name))
	}
}

// ColumnName returns the column name of a stored dynamic column name,
// whatever its generation: "latency@G2" is a stored column of latency.
func ColumnName(stored string) string {
	name, _ := parseStoredName(stored)
	return name
}

// withDrop returns the view after dropping column name.
func (v *ColumnView) withDrop(name string) *ColumnView {
	var gens map[string]uint32
	if v != nil {
		gens = maps.Clone(v.gens)
	}
	if gens == nil {
		gens = map[string]uint32{}
	}
	gens[name]++
	return &ColumnView{gens: gens}
}
