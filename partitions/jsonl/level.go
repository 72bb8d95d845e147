package jsonl

import "bytes"

// Canonical level names. They are returned by NormalizeLevel and must not
// be modified; the full slice expressions stop an append from writing past
// them.
var (
	levelTrace = []byte("TRACE")[:5:5]
	levelDebug = []byte("DEBUG")[:5:5]
	levelInfo  = []byte("INFO")[:4:4]
	levelWarn  = []byte("WARN")[:4:4]
	levelError = []byte("ERROR")[:5:5]
	levelFatal = []byte("FATAL")[:5:5]
)

// maxLevelAliasBytes is the length of the longest alias, "informational".
const maxLevelAliasBytes = 13

// NormalizeLevel maps a level value to its canonical upper-case name. The
// value is trimmed of surrounding white space, then compared without regard
// to case with the aliases below; pino's numeric levels map too. Any other
// value is returned trimmed but otherwise verbatim.
//
//	TRACE  trace, 10
//	DEBUG  debug, dbg, 20
//	INFO   info, information, informational, notice, 30
//	WARN   warn, warning, 40
//	ERROR  error, err, 50
//	FATAL  fatal, critical, crit, panic, emerg, emergency, alert, 60
//
// The result aliases v or a shared canonical slice: the caller must not
// modify it. NormalizeLevel does not allocate.
func NormalizeLevel(v []byte) []byte {
	v = bytes.TrimSpace(v)
	if len(v) == 0 || len(v) > maxLevelAliasBytes {
		return v
	}
	var buf [maxLevelAliasBytes]byte
	for i, c := range v {
		if c-'A' < 26 {
			c += 'a' - 'A'
		}
		buf[i] = c
	}
	switch string(buf[:len(v)]) {
	case "info", "information", "informational", "notice", "30":
		return levelInfo
	case "debug", "dbg", "20":
		return levelDebug
	case "warn", "warning", "40":
		return levelWarn
	case "error", "err", "50":
		return levelError
	case "trace", "10":
		return levelTrace
	case "fatal", "critical", "crit", "panic", "emerg", "emergency", "alert", "60":
		return levelFatal
	}
	return v
}
