package segment

import (
	"errors"
	"fmt"
)

// ErrCorrupt marks damage found in a segment file: a checksum that does not
// match, a length or offset out of range, or Arrow data that does not decode.
// Every such error wraps it and names the file and the byte offset of the
// damaged region.
var ErrCorrupt = errors.New("segment: corrupt")

// ErrEmpty is returned by Encode for a batch without rows: a segment always
// holds at least one row, so that its time range is meaningful.
var ErrEmpty = errors.New("segment: empty batch")

// ErrClosed is returned by the methods of a Reader after Close.
var ErrClosed = errors.New("segment: reader closed")

// corruptf returns an error wrapping ErrCorrupt that names the file and the
// offset of the damaged region.
func corruptf(path string, off int64, format string, args ...any) error {
	return fmt.Errorf("segment %s: offset %d: %s: %w", path, off, fmt.Sprintf(format, args...), ErrCorrupt)
}

// corruptErr is corruptf for an underlying error, which it keeps in the chain.
func corruptErr(path string, off int64, what string, err error) error {
	return fmt.Errorf("segment %s: offset %d: %s: %w: %w", path, off, what, ErrCorrupt, err)
}
