// Package jsonl parses JSON lines, the body of an ingest request, into rows
// of a columns.Batch. It owns the rules that decide what a log line means:
// which lines are accepted, how each field maps to a column, how ts is read
// and normalised, and the reason given for every rejected line. It does not
// own transport (HTTP, gzip, body limits), the write-ahead log, or where the
// rows go; the caller hands it bytes and a batch.
//
// The parser is a hand-written scanner (about 3.5M rows/s, 800 MB/s, on one
// core for the benchmark's lines; see BenchmarkParse), not encoding/json: it
// scans strings eight bytes at a time, reads timestamps without time.Parse,
// and appends to the batch without allocating in the steady state.
//
// # Lines
//
// Each line holds one JSON object (RFC 8259). Lines end with "\n" or "\r\n";
// the last may lack its terminator. A UTF-8 byte order mark at the start of
// a line is ignored, as RFC 8259 allows. A line of only white space is
// skipped and counted neither accepted nor rejected. Line numbers in errors
// count every line, including skipped ones, from the number the caller gives
// for the first. Good lines are kept when others are bad, and a bad line leaves no
// trace in the batch. Byte offsets in reasons are 0-based within the line.
//
// A line is rejected, with a reason naming the cause, when:
//
//   - it is longer than MaxLineBytes (default 256 KiB, terminator excluded);
//   - it is not valid JSON ("invalid JSON at byte N: ..."), ends before its
//     object does ("truncated JSON"), or holds a JSON value that is not an
//     object ("not a JSON object");
//   - it is not valid UTF-8 anywhere, keys included ("invalid UTF-8 at byte
//     N"), or a \u escape holds an unpaired UTF-16 surrogate (where
//     encoding/json would substitute U+FFFD, logq refuses to alter data);
//   - it has more than MaxFields leaf fields (default 1000; every core field,
//     flattened leaf, null and array counts one, repeated names each time);
//   - it nests objects or arrays more than MaxDepth levels deep (default 16;
//     the line's object is level 1);
//   - a field name is empty, contains U+0000, or (lower-cased and
//     flattened) is longer than 64 bytes, MySQL's identifier limit;
//   - a number does not fit a DOUBLE (such as 1e400);
//   - ts is missing or null (unless the caller set Options.IngestTime, which
//     then becomes the row's ts), is not a string or number, cannot be
//     parsed, or lies outside the accept window [MinTS, MaxTS].
//
// # Field names
//
// Field names are matched case-insensitively and column names are lower case:
// "Level" and "LEVEL" are the core field level, and "HTTP_Status" becomes
// the column http_status. MySQL compares column names without regard to
// case, so two spellings could never be told apart in SQL; lower-casing
// folds them into one column instead of creating columns that no query can
// distinguish. ASCII letters are lower-cased directly and other characters
// by unicode.ToLower.
//
// Nested objects are flattened with dots: {"http":{"Status":200}} fills the
// column http.status. Empty objects contribute nothing.
//
// # Duplicate keys
//
// When a name occurs more than once in a line, also after lower-casing or
// flattening ({"a":1,"A":2} or {"a":{"b":1},"a.b":2}), the value that comes
// last wins, as MySQL's JSON type keeps the last of duplicate keys. This
// holds for core fields too: {"ts":A,"ts":B} has ts B, and a later null
// makes the field NULL. The line is accepted, and every overwritten field
// is counted (Parser.DuplicateKeys; the server exports the count as
// logq_ingest_duplicate_keys_total), so that a sender emitting them can be
// found. Duplicates are resolved leaf by leaf, because every leaf is its own
// column: {"a":{"b":1},"a":{"c":2}} stores a.b = 1 and a.c = 2 and counts
// nothing, where MySQL would keep only the second object.
//
// # Core fields
//
// The top-level fields ts, level, service, host, trace_id and message fill
// the core columns. For level, service, host, trace_id and message, a string
// is stored decoded; a number or boolean is stored as its JSON text as
// written (200, 1.50, true); an object or array as its compact JSON text
// (white space between tokens removed, strings and numbers as written); null
// or absence is NULL. Nested fields with these names ("a.ts") are ordinary
// dynamic columns.
//
// level is trimmed of surrounding white space and aliases map to canonical
// names without regard to case (see NormalizeLevel): trace → TRACE; debug,
// dbg → DEBUG; info, information, informational, notice → INFO; warn,
// warning → WARN; error, err → ERROR; fatal, critical, crit, panic, emerg,
// emergency, alert → FATAL; pino's numbers 10, 20, 30, 40, 50, 60 (as
// numbers or strings) → TRACE through FATAL. Other values are kept as
// written, trimmed.
//
// # Timestamps
//
// ts becomes UTC microseconds (the precision of MySQL's TIMESTAMP(6)); finer
// digits are truncated, never rounded. Accepted forms:
//
//   - a string in RFC 3339 with any offset: "2026-11-03T13:30:00.371+05:30",
//     "2026-11-03T08:00:00Z". The T and Z may be lower case and the T may be
//     a space; the fraction may have any number of digits and may follow a
//     comma; the offset may also be written +0530 or +05;
//   - the same without an offset, "2026-11-03 08:00:00.371", meaning UTC;
//   - a number, or a string holding one, of epoch seconds, milliseconds,
//     microseconds or nanoseconds, told apart by the magnitude of its integer
//     part: below 1e11 seconds, below 1e14 milliseconds, below 1e17
//     microseconds, otherwise nanoseconds. A fraction is honoured down to the
//     microsecond in the detected unit (1793836800.371 seconds,
//     1793836800371.5 milliseconds), computed exactly from the digits.
//
// Calendar fields are validated: month 1-12, day within the month (leap
// years included), hour below 24, minute and second below 60 (no leap
// seconds), offset within ±23:59. A ts outside the accept window is rejected
// with a reason naming the value, its UTC reading and the window. The window
// is Options.MinTS..MaxTS, always clamped to the TIMESTAMP range 1970-01-01
// 00:00:01 .. 2038-01-19 03:14:07.999999 UTC, which is also the default.
//
// # Dynamic fields
//
// Every other leaf becomes a nullable dynamic column, created on first sight:
// an integer (no fraction, no exponent) that fits int64 → BIGINT; any other
// number → DOUBLE; true or false → BOOLEAN; a string → VARCHAR; an array →
// VARCHAR holding its compact JSON text; null → NULL (a column is not created
// for a null alone). A column seen with conflicting types widens as the
// columns package defines: BIGINT and DOUBLE to DOUBLE, anything else to
// VARCHAR. A row without a column's field reads NULL there. Whether a field
// keeps a column of its own is the store's decision, not the parser's: past
// the column limit, a request's budget of new columns or the allow list, the
// store moves it into the catch-all JSON column _extra, and the deny list
// drops it (see partitions.CatchAllColumn).
package jsonl
