package catalog

import (
	"maps"
	"slices"

	"logq/partitions/columns"
	"logq/partitions/segment"
)

// columnSet is one immutable version of the dynamic column registry.
type columnSet struct {
	list  []segment.ColumnInfo // in order of first registration
	index map[string]int       // name → position in list
}

// ColumnsSeen registers dynamic columns, from flushed segments (at start-up
// and after each flush) and from rows still buffered. A known column's type
// widens with columns.Widen; a new one is appended. Entries without a valid
// type are ignored. Names are compared exactly. The caller keeps cols.
//
// The common case, columns that are all known with their current types, only
// loads a snapshot and takes no lock, so ingest may call this for every batch.
func (c *Catalog) ColumnsSeen(cols []segment.ColumnInfo) {
	if c.cols.Load().covers(cols) {
		return
	}
	c.colsMu.Lock()
	defer c.colsMu.Unlock()
	cur := c.cols.Load()
	if cur.covers(cols) {
		return
	}
	next := &columnSet{list: slices.Clone(cur.list), index: maps.Clone(cur.index)}
	if next.index == nil {
		next.index = make(map[string]int, len(cols))
	}
	for _, col := range cols {
		next.add(col)
	}
	c.cols.Store(next)
}

// Columns returns the union of the dynamic columns registered so far, in
// order of first registration (a stable order for DESCRIBE), with their
// widened types. The caller owns the returned slice.
func (c *Catalog) Columns() []segment.ColumnInfo {
	return slices.Clone(c.cols.Load().list)
}

// covers reports whether registering cols would change nothing.
func (s *columnSet) covers(cols []segment.ColumnInfo) bool {
	for _, col := range cols {
		if !col.Type.Valid() {
			continue
		}
		i, ok := s.index[col.Name]
		if !ok || columns.Widen(s.list[i].Type, col.Type) != s.list[i].Type {
			return false
		}
	}
	return true
}

// add registers one column. REQUIRES: s not yet published.
func (s *columnSet) add(col segment.ColumnInfo) {
	if !col.Type.Valid() {
		return
	}
	if i, ok := s.index[col.Name]; ok {
		s.list[i].Type = columns.Widen(s.list[i].Type, col.Type)
		return
	}
	s.index[col.Name] = len(s.list)
	s.list = append(s.list, col)
}
