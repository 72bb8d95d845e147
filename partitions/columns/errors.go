package columns

import "errors"

// ErrCorrupt marks a batch encoding that DecodeBatch rejects: truncated,
// inconsistent or of an unknown version. Errors wrap it with the byte offset
// of the damage; test for it with errors.Is.
var ErrCorrupt = errors.New("columns: corrupt batch encoding")
