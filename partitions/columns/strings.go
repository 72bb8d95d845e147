package columns

// Strings is a nullable column of byte strings stored in one arena, in the
// layout of an Arrow utf8 array: value i is Data[Ends[i-1]:Ends[i]] (Ends[-1] is
// 0). Valid is nil when no value is NULL; otherwise Valid[i] is false for a NULL
// (whose byte range is empty).
type Strings struct {
	Data  []byte
	Ends  []uint32
	Valid []bool

	// Codes and Dict, when set, give the same values as dictionary codes:
	// the value of a non-NULL row i is Dict[Codes[i]], distinct entries.
	// Decoding fills them for dictionary-encoded columns, so that filters
	// and groupings compare small integers instead of bytes; appending
	// drops them.
	Codes []int32
	Dict  [][]byte
}

// Len returns the number of values.
func (s *Strings) Len() int { return len(s.Ends) }

// Append adds one non-NULL value.
func (s *Strings) Append(v []byte) {
	s.Codes, s.Dict = nil, nil
	s.Data = append(s.Data, v...)
	s.Ends = append(s.Ends, uint32(len(s.Data)))
	if s.Valid != nil {
		s.Valid = append(s.Valid, true)
	}
}

// AppendString adds one non-NULL value.
func (s *Strings) AppendString(v string) {
	s.Codes, s.Dict = nil, nil
	s.Data = append(s.Data, v...)
	s.Ends = append(s.Ends, uint32(len(s.Data)))
	if s.Valid != nil {
		s.Valid = append(s.Valid, true)
	}
}

// AppendNull adds one NULL.
func (s *Strings) AppendNull() {
	s.Codes, s.Dict = nil, nil
	if s.Valid == nil {
		s.Valid = make([]bool, len(s.Ends), cap(s.Ends)+1)
		for i := range s.Valid {
			s.Valid[i] = true
		}
	}
	s.Ends = append(s.Ends, uint32(len(s.Data)))
	s.Valid = append(s.Valid, false)
}

// IsNull reports whether value i is NULL.
func (s *Strings) IsNull(i int) bool { return s.Valid != nil && !s.Valid[i] }

// Value returns value i; the slice aliases the arena and is valid until the
// next mutation. A NULL returns an empty slice.
func (s *Strings) Value(i int) []byte {
	start := uint32(0)
	if i > 0 {
		start = s.Ends[i-1]
	}
	return s.Data[start:s.Ends[i]]
}

// NullCount returns the number of NULL values.
func (s *Strings) NullCount() int {
	n := 0
	for _, ok := range s.Valid {
		if !ok {
			n++
		}
	}
	return n
}

// Reset empties the column, keeping its capacity.
func (s *Strings) Reset() {
	s.Data = s.Data[:0]
	s.Ends = s.Ends[:0]
	s.Valid = nil
}

// appendFrom appends value i of src.
func (s *Strings) appendFrom(src *Strings, i int) {
	if src.IsNull(i) {
		s.AppendNull()
		return
	}
	s.Append(src.Value(i))
}
