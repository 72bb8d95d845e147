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

// BatchError is the ErrCorrupt error of one record batch: its block fails
// its checksum, or its bytes do not decode, while the regions every batch
// depends on (trailer, stats block, meta head and tail) are intact, so the
// other batches of the file still read. Err names the file and the offset
// of the block. Anything else wrong with a file is damage to all of it.
type BatchError struct {
	Batch int   // index of the damaged record batch
	Err   error // wraps ErrCorrupt
}

// Error implements error.
func (e *BatchError) Error() string { return e.Err.Error() }

// Unwrap returns Err, so that errors.Is(err, ErrCorrupt) holds.
func (e *BatchError) Unwrap() error { return e.Err }

// DamagedBatch returns the record batch that err, returned by a Reader or
// VerifyBatches, says is damaged alone, and false when err is not such an
// error (an I/O error, or damage to the whole file).
func DamagedBatch(err error) (int, bool) {
	var be *BatchError
	if errors.As(err, &be) {
		return be.Batch, true
	}
	return 0, false
}

// corruptf returns an error wrapping ErrCorrupt that names the file and the
// offset of the damaged region.
func corruptf(path string, off int64, format string, args ...any) error {
	return fmt.Errorf("segment %s: offset %d: %s: %w", path, off, fmt.Sprintf(format, args...), ErrCorrupt)
}

// corruptErr is corruptf for an underlying error, which it keeps in the chain.
func corruptErr(path string, off int64, what string, err error) error {
	return fmt.Errorf("segment %s: offset %d: %s: %w: %w", path, off, what, ErrCorrupt, err)
}
