package collate

import "errors"

// ErrLikePattern marks a LIKE pattern that go-mysql-server refuses to
// compile, and CompileLike therefore too.
var ErrLikePattern = errors.New("collate: invalid LIKE pattern")
