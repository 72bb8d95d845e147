package partitions

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"

	"logq/partitions/columns"
	"logq/partitions/segment"
)

// AppendOptions are the per-call settings of AppendWith.
type AppendOptions struct {
	// MaxNewColumns bounds the columns this call may create: fields of
	// further new names go to the catch-all column. Zero means no bound but
	// the store's column limit; a negative value lets the call create none.
	// The ingest handler passes what is left of a request's budget, so that
	// one request cannot take every free column.
	MaxNewColumns int
}

// AppendResult says where the fields of an appended batch went.
type AppendResult struct {
	// NewColumns counts the columns the batch created.
	NewColumns int
	// OverflowFields counts the values stored in the catch-all column
	// instead of a column of their own.
	OverflowFields int64
	// DeniedFields counts the values dropped by the deny list.
	DeniedFields int64
}

// ColumnPolicy says which fields may get a column of their own. Patterns
// are field names (lower case, nested names with dots) in which '*' matches
// any run of characters, dots included: "http.*", "*_id", "debug". Core
// fields (ts, level, service, host, trace_id, message) are never subject to
// it.
type ColumnPolicy struct {
	// Deny drops matching fields: they are stored nowhere (use it for
	// secrets and noise). Deny wins over Allow.
	Deny []string
	// Allow, when not empty, gives columns only to matching fields; the
	// others go to the catch-all column, where they stay queryable.
	Allow []string
}

// ParsePatterns splits a comma-separated list of field name patterns, as
// the serve flags take them, lower-cased and trimmed; empty entries are
// dropped.
func ParsePatterns(list string) []string {
	var out []string
	for _, p := range strings.Split(list, ",") {
		if p = strings.ToLower(strings.TrimSpace(p)); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// Actions of the admission of one dynamic column of an appended batch.
const (
	admitKeep     = iota // its own column
	admitOverflow        // the catch-all column
	admitDrop            // denied: stored nowhere
)

// action applies the policy to a field name.
func (p *ColumnPolicy) action(name string) int {
	switch {
	case name == CatchAllColumn:
		return admitOverflow
	case matchAny(p.Deny, name):
		return admitDrop
	case len(p.Allow) > 0 && !matchAny(p.Allow, name):
		return admitOverflow
	}
	return admitKeep
}

func matchAny(patterns []string, name string) bool {
	for _, p := range patterns {
		if matchGlob(p, name) {
			return true
		}
	}
	return false
}

// matchGlob reports whether name matches pattern, where '*' matches any run
// of bytes and every other byte itself.
func matchGlob(pattern, name string) bool {
	star := strings.IndexByte(pattern, '*')
	if star < 0 {
		return pattern == name
	}
	if !strings.HasPrefix(name, pattern[:star]) {
		return false
	}
	name, pattern = name[star:], pattern[star+1:]
	for i := 0; i <= len(name); i++ {
		if matchGlob(pattern, name[i:]) {
			return true
		}
	}
	return false
}

// AppendWith is Append with per-call options, reporting where the batch's
// fields went. Fields that cannot have a column of their own (column limit,
// o.MaxNewColumns, allow list) go to the catch-all column and denied fields
// are dropped: a batch is never refused for its field names. b is rewritten
// in place accordingly.
func (s *Store) AppendWith(ctx context.Context, b *columns.Batch, o AppendOptions) (AppendResult, error) {
	if b.Len() == 0 {
		return AppendResult{}, nil
	}
	if err := s.space.admit(); err != nil {
		return AppendResult{}, err // before columns are admitted for nothing
	}
	var res AppendResult
	var added []string
	if len(b.Dynamic) > 0 {
		res, added = s.admitColumns(b, o)
	}
	appended := false
	err := s.appendAdmitted(ctx, b, &appended)
	if err != nil && !appended && len(added) > 0 {
		s.releaseColumns(added)
	}
	return res, err
}

// releaseColumns gives back the columns an append reserved and then did not
// store, unless another append stored them meanwhile.
func (s *Store) releaseColumns(stored []string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, name := range stored {
		if held, ok := s.mu.columns[name]; ok && !held {
			delete(s.mu.columns, name)
		}
	}
}

// admitColumns decides where each dynamic column of b goes and rewrites b:
// admitted columns under their stored names, overflow into the catch-all
// column, denied ones removed. New columns are taken under the store's lock,
// so concurrent appends never pass the limit together; a new column is
// reserved until the append stores it (or fails and releases it). It returns
// the stored names of the columns it reserved.
func (s *Store) admitColumns(b *columns.Batch, o AppendOptions) (AppendResult, []string) {
	var res AppendResult
	var added []string
	acts := make([]int, len(b.Dynamic))
	stored := make([]string, len(b.Dynamic))
	for i, d := range b.Dynamic {
		acts[i] = s.cfg.policy.action(d.Name)
	}
	budget := o.MaxNewColumns
	s.mu.Lock()
	view := s.view.Load()
	for i, d := range b.Dynamic {
		if acts[i] != admitKeep {
			continue
		}
		stored[i] = view.Stored(d.Name)
		if _, ok := s.mu.columns[stored[i]]; ok {
			continue
		}
		if len(s.mu.columns) >= s.cfg.maxColumns || budget < 0 || budget > 0 && res.NewColumns >= budget {
			acts[i] = admitOverflow
			continue
		}
		s.mu.columns[stored[i]] = false
		added = append(added, stored[i])
		res.NewColumns++
	}
	s.mu.Unlock()
	rewriteColumns(b, acts, stored, view.Stored(CatchAllColumn), &res)
	return res, added
}

// rewriteColumns applies the admission of b's dynamic columns.
func rewriteColumns(b *columns.Batch, acts []int, stored []string, catchAll string, res *AppendResult) {
	same := true
	for i, d := range b.Dynamic {
		if acts[i] != admitKeep || stored[i] != d.Name {
			same = false
		}
	}
	if same {
		return
	}
	ds := make([]*columns.Dynamic, 0, len(b.Dynamic)+1)
	var over []*columns.Dynamic
	for i, d := range b.Dynamic {
		switch acts[i] {
		case admitKeep:
			d.Name = stored[i]
			ds = append(ds, d)
		case admitOverflow:
			over = append(over, d)
			res.OverflowFields += countValid(d)
		case admitDrop:
			res.DeniedFields += countValid(d)
		}
	}
	if len(over) > 0 {
		ds = append(ds, catchAllColumn(catchAll, over, b.Len()))
	}
	b.SetDynamic(ds)
}

func countValid(d *columns.Dynamic) int64 {
	var n int64
	for _, v := range d.Valid {
		if v {
			n++
		}
	}
	return n
}

// catchAllColumn builds the catch-all column of n rows from the overflow
// columns over: per row, a JSON object of the non-NULL values, or NULL when
// the row has none. The text is the one MySQL prints for a JSON value (keys
// shorter first, then in byte order; ", " and ": " between), so that SQL
// shows it as MySQL would without re-encoding it per row.
func catchAllColumn(name string, over []*columns.Dynamic, n int) *columns.Dynamic {
	slices.SortFunc(over, func(a, b *columns.Dynamic) int {
		return cmp.Or(cmp.Compare(len(a.Name), len(b.Name)), strings.Compare(a.Name, b.Name))
	})
	d := columns.NewDynamic(name, columns.TypeString)
	var buf []byte
	for i := range n {
		buf = buf[:0]
		for _, o := range over {
			if !o.Valid[i] {
				continue
			}
			if len(buf) == 0 {
				buf = append(buf, '{')
			} else {
				buf = append(buf, ", "...)
			}
			buf = columns.AppendJSONString(buf, []byte(o.Name))
			buf = append(buf, ": "...)
			buf = o.AppendJSON(buf, i)
		}
		if len(buf) == 0 {
			d.AppendNull()
			continue
		}
		d.AppendString(append(buf, '}'))
	}
	return d
}

// noteColumnsLocked records the live column names of stored rows (at
// recovery, and once an append's record is in the WAL). Dead generations and
// the catch-all column do not count against the limit. REQUIRES: mu held
// (or recovery, which runs alone).
func (s *Store) noteColumnsLocked(cols []segment.ColumnInfo) {
	for _, c := range cols {
		name, live := s.view.Load().Live(c.Name)
		if live && name != CatchAllColumn {
			s.mu.columns[c.Name] = true
		}
	}
}

// ColumnNames returns the names of the live dynamic columns, the catch-all
// column excluded: the ones that count against the column limit. The order
// is unspecified.
func (s *Store) ColumnNames() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	view := s.view.Load()
	out := make([]string, 0, len(s.mu.columns))
	for stored := range s.mu.columns {
		name, _ := view.Live(stored)
		out = append(out, name)
	}
	return out
}

// ColumnView returns the current mapping of stored to visible columns. A
// query takes it once, with its schema. Safe for concurrent use.
func (s *Store) ColumnView() *ColumnView { return s.view.Load() }

// errNoColumn formats the error of dropping a column that does not exist.
func errNoColumn(name string) error {
	return fmt.Errorf("%w: %q", ErrNoSuchColumn, name)
}
