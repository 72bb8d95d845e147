package columns

// Column-wise copies for Take and Concat. Copying row by row through the
// append methods grew every column's slices by doubling: at 100M rows the
// flush's Concat and sort (Take) of 64 MiB of buffered rows spent a third of
// the server's CPU in growslice and memmove. These size each column once and
// copy it in one pass, and give the same batches (NULL slots empty, Valid nil
// when no value is NULL, Codes and Dict dropped).

// takeStrings returns the values idx of s, in that order.
func takeStrings(s *Strings, idx []int32) Strings {
	var out Strings
	size, nulls := 0, false
	for _, i := range idx {
		if s.IsNull(int(i)) {
			nulls = true
			continue
		}
		size += int(s.Ends[i] - s.start(int(i)))
	}
	out.Data = make([]byte, 0, size)
	out.Ends = make([]uint32, len(idx))
	if nulls {
		out.Valid = make([]bool, len(idx))
	}
	for k, i := range idx {
		if !s.IsNull(int(i)) {
			out.Data = append(out.Data, s.Data[s.start(int(i)):s.Ends[i]]...)
			if nulls {
				out.Valid[k] = true
			}
		}
		out.Ends[k] = uint32(len(out.Data))
	}
	return out
}

// start is where value i begins in Data.
func (s *Strings) start(i int) uint32 {
	if i == 0 {
		return 0
	}
	return s.Ends[i-1]
}

// concatStrings returns the values of every column in cols, in order.
func concatStrings(cols []*Strings) Strings {
	var out Strings
	rows, size, nulls := 0, 0, false
	for _, s := range cols {
		rows += len(s.Ends)
		size += len(s.Data)
		nulls = nulls || s.NullCount() > 0
	}
	out.Data = make([]byte, 0, size)
	out.Ends = make([]uint32, 0, rows)
	if nulls {
		out.Valid = make([]bool, 0, rows)
	}
	for _, s := range cols {
		if s.NullCount() == 0 {
			base := uint32(len(out.Data))
			out.Data = append(out.Data, s.Data[:s.start(len(s.Ends))]...)
			for _, e := range s.Ends {
				out.Ends = append(out.Ends, base+e)
			}
			if nulls {
				for range s.Ends {
					out.Valid = append(out.Valid, true)
				}
			}
			continue
		}
		for i := range s.Ends {
			null := s.IsNull(i)
			if !null {
				out.Data = append(out.Data, s.Data[s.start(i):s.Ends[i]]...)
			}
			out.Ends = append(out.Ends, uint32(len(out.Data)))
			out.Valid = append(out.Valid, !null)
		}
	}
	return out
}

// takeDynamic returns the values idx of d, in that order, NULL slots zero.
func takeDynamic(d *Dynamic, idx []int32) *Dynamic {
	out := &Dynamic{Name: d.Name, Type: d.Type, Valid: make([]bool, len(idx))}
	for k, i := range idx {
		out.Valid[k] = d.Valid[i]
	}
	switch d.Type {
	case TypeInt64:
		out.Ints = gatherValues(d.Ints, d.Valid, idx)
	case TypeFloat64:
		out.Floats = gatherValues(d.Floats, d.Valid, idx)
	case TypeBool:
		out.Bools = gatherValues(d.Bools, d.Valid, idx)
	default:
		out.Strs = takeStrings(&Strings{Data: d.Strs.Data, Ends: d.Strs.Ends, Valid: d.Valid}, idx)
		out.Strs.Valid = nil // Dynamic.Valid holds the NULLs
	}
	return out
}

// gatherValues returns v[idx], with the zero value where valid is false.
func gatherValues[T int64 | float64 | bool](v []T, valid []bool, idx []int32) []T {
	out := make([]T, len(idx))
	for k, i := range idx {
		if valid[i] {
			out[k] = v[i]
		}
	}
	return out
}

// concatDynamic returns the column name of every batch in order, of type t,
// which all the batches holding it share; batches without it give NULLs.
func concatDynamic(name string, t Type, batches []*Batch) *Dynamic {
	out := &Dynamic{Name: name, Type: t}
	var strs []*Strings
	for _, b := range batches {
		d := b.Column(name)
		if d == nil {
			d = &Dynamic{Name: name, Type: t}
			d.AppendNulls(b.Len())
		}
		out.Valid = append(out.Valid, d.Valid...)
		switch t {
		case TypeInt64:
			out.Ints = appendValues(out.Ints, d.Ints, d.Valid)
		case TypeFloat64:
			out.Floats = appendValues(out.Floats, d.Floats, d.Valid)
		case TypeBool:
			out.Bools = appendValues(out.Bools, d.Bools, d.Valid)
		default:
			strs = append(strs, &Strings{Data: d.Strs.Data, Ends: d.Strs.Ends, Valid: d.Valid})
		}
	}
	if t == TypeString {
		out.Strs = concatStrings(strs)
		out.Strs.Valid = nil
	}
	return out
}

// appendValues appends v to dst, with the zero value where valid is false.
func appendValues[T int64 | float64 | bool](dst, v []T, valid []bool) []T {
	var zero T
	for i, x := range v {
		if !valid[i] {
			x = zero
		}
		dst = append(dst, x)
	}
	return dst
}
