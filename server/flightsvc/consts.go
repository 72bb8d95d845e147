package flightsvc

// maxMessageBytes bounds one gRPC message either way, instead of gRPC's
// default of 4 MiB for receiving: a record of 8192 rows of long messages,
// or the rows of one ingest chunk, can be larger. Senders keep records far
// below it (appendRecordRows); it is a guard against a broken peer, not a
// size anyone aims at.
const maxMessageBytes = 256 << 20

// appendRecordRows is the most rows a forwarded append puts in one record,
// so that a record of ordinary rows stays a few MiB.
const appendRecordRows = 4096
