package exec

import "unsafe"

// Positions of the core columns in every schema.
const (
	ColTS = iota
	ColLevel
	ColService
	ColHost
	ColTraceID
	ColMessage
	NumCore
)

// mapEntryBytes is a hash map entry beyond its key and value: control
// bytes, load factor and growth, averaged.
const MapEntryBytes = 24

// ViewString returns the bytes of an immutable batch as a string without
// copying them: decoded and buffered batches are never modified, and a row
// that outlives its batch keeps the batch's memory alive.
func ViewString(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	return unsafe.String(&b[0], len(b))
}

// ViewBytes is the bytes of s without a copy; they must not be modified.
func ViewBytes(s string) []byte { return unsafe.Slice(unsafe.StringData(s), len(s)) }
