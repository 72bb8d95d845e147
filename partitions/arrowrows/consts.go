package arrowrows

import "math"

// maxUTF8Bytes bounds the value bytes of one utf8 array of a record: Arrow
// utf8 offsets are int32. columns.Strings holds up to 4 GiB (uint32 ends), so
// a selection of more bytes than this must be sent as several records.
const maxUTF8Bytes = math.MaxInt32

// tsTimeZone is the time zone of the ts field. Every timestamp in logq is UTC
// microseconds; naming the zone lets Arrow readers outside logq (pyarrow,
// DuckDB) read instants instead of wall-clock times.
const tsTimeZone = "UTC"
