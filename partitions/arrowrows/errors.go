package arrowrows

import "errors"

// ErrMalformed marks a record that Batch refuses: a missing or NULL-holding
// ts, a column of an unexpected type, duplicate column names, or Arrow
// buffers inconsistent with the array's length. Errors wrap it and name the
// column; test for it with errors.Is.
var ErrMalformed = errors.New("arrowrows: malformed record")
