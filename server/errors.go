package server

import "errors"

// ErrTooLarge marks a request that passed one of the ingest size limits (body
// bytes, decompressed bytes or gzip expansion ratio); the handler answers 413.
// The wrapping error names the limit.
var ErrTooLarge = errors.New("request too large")
