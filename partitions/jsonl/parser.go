package jsonl

import (
	"bytes"
	"errors"
	"fmt"
	"strconv"

	"logq/partitions/columns"
)

// Options configures a Parser. The zero value of every field selects its
// default.
type Options struct {
	// MaxLineBytes rejects longer lines (counted without the line
	// terminator); default DefaultMaxLineBytes.
	MaxLineBytes int
	// MaxFields rejects lines with more flattened leaf fields (core fields,
	// nulls and arrays count one each); default DefaultMaxFields.
	MaxFields int
	// MaxDepth rejects lines nesting objects and arrays deeper (the line's
	// object is level 1); default DefaultMaxDepth.
	MaxDepth int
	// MinTS and MaxTS are the accept window of ts, inclusive, in UTC
	// microseconds; the caller derives it from the current time. Both are
	// clamped to the range of a MySQL TIMESTAMP(6) (MinTimestampMicros ..
	// MaxTimestampMicros), and zero selects that range's bound. A window
	// with MinTS > MaxTS rejects every ts.
	MinTS, MaxTS int64
	// IngestTime, when not zero, is the ts (UTC microseconds) given to rows
	// without one (or with a null one), for users who opted into ingest
	// time; it is not checked against the window. When zero, a missing ts
	// rejects the line.
	IngestTime int64
}

// Kinds of a dynamic field value in the scratch row.
const (
	kindNull uint8 = iota
	kindInt
	kindFloat
	kindBool
	kindString
)

// kindType maps the kinds of non-null values to column types.
var kindType = [...]columns.Type{
	kindInt:    columns.TypeInt64,
	kindFloat:  columns.TypeFloat64,
	kindBool:   columns.TypeBool,
	kindString: columns.TypeString,
}

// field is one flattened leaf field of the line being parsed.
type field struct {
	name []byte // lower-cased, flattened column name
	str  []byte // kindString value
	num  int64  // kindInt value, or 1 and 0 for kindBool
	flt  float64
	kind uint8
	slot int32 // set by commitFields
}

// Core fields, as told apart by coreOf.
const (
	coreNone = iota
	coreTS
	coreLevel // first of the string core fields, in Batch order
	coreService
	coreHost
	coreTraceID
	coreMessage
	numStringCores = coreMessage - coreLevel + 1
)

// coreValue is the value of a string core field in the scratch row.
type coreValue struct {
	set bool // false: absent or JSON null, stored as NULL
	v   []byte
}

// Kinds of the ts value in the scratch row.
const (
	tsAbsent uint8 = iota
	tsNull
	tsString
	tsNumber
	tsBool
	tsObject
	tsArray
)

// Parser turns JSON lines into rows of a columns.Batch. It keeps scratch
// space between calls, so one Parser per goroutine parses without
// allocating in the steady state. It also remembers the dynamic columns of
// the last batch it filled (and so keeps that batch reachable until the
// next call), which saves rebuilding its name index when consecutive calls
// fill the same batch. A Parser is not safe for concurrent use.
type Parser struct {
	maxLineBytes, maxFields, maxDepth int
	minTS, maxTS, ingestTime          int64

	// The line being parsed and its scratch row. Slices in the row alias
	// the line or the three buffers, which are reset per line.
	line    []byte
	buf     []byte // decoded strings and compact JSON text
	names   []byte // lower-cased and flattened field names
	prefix  []byte // flattened name of the object being parsed, plus '.'
	nfields int
	ts      tsValue
	core    [numStringCores]coreValue
	fields  []field
	// coreSeen has bit c set once core field c occurred in the line, and
	// coreDups counts its repeats, so that they count as duplicate keys
	// once the line is accepted.
	coreSeen uint8
	coreDups int

	// dupKeys counts the overwritten fields of accepted lines (see
	// DuplicateKeys).
	dupKeys int64

	// What commitFields knows of the destination batch (see bind).
	dst      *columns.Batch
	cols     []*columns.Dynamic // dst.Dynamic as last seen
	colIdx   map[string]int32   // name -> index in cols
	order    []orderEntry       // columns of the previous row's fields, by position
	claims   []claim            // by slot; see commitFields
	serial   uint64             // row counter that invalidates old claims
	newNames []string           // names of new columns in the current row
	newIdx   map[string]int32   // name -> index in newNames
}

// tsValue is the last ts member of the line, parsed after the whole line.
type tsValue struct {
	kind uint8
	v    []byte // decoded string or number text
}

// NewParser returns a parser with the given options, defaults filled in.
func NewParser(o Options) *Parser {
	p := &Parser{
		maxLineBytes: o.MaxLineBytes,
		maxFields:    o.MaxFields,
		maxDepth:     o.MaxDepth,
		minTS:        max(o.MinTS, MinTimestampMicros),
		maxTS:        min(o.MaxTS, MaxTimestampMicros),
		ingestTime:   o.IngestTime,
		colIdx:       make(map[string]int32),
		newIdx:       make(map[string]int32),
	}
	if p.maxLineBytes <= 0 {
		p.maxLineBytes = DefaultMaxLineBytes
	}
	if p.maxFields <= 0 {
		p.maxFields = DefaultMaxFields
	}
	if p.maxDepth <= 0 {
		p.maxDepth = DefaultMaxDepth
	}
	if o.MaxTS == 0 {
		p.maxTS = MaxTimestampMicros
	}
	return p
}

// Parse appends one row to dst per good line of data and returns the number
// of accepted lines and the errors of all rejected ones, in line order. Good
// lines are kept when others are bad; a rejected line leaves dst unchanged.
// Lines end with "\n" or "\r\n", and the last may lack its terminator.
// Lines holding only white space are skipped and counted neither accepted
// nor rejected. Lines are numbered from firstLine, so that a caller feeding
// a request in chunks keeps the request's numbering.
func (p *Parser) Parse(data []byte, firstLine int, dst *columns.Batch) (accepted int, errs []LineError) {
	p.bind(dst)
	lineNo := firstLine
	for len(data) > 0 {
		var line []byte
		if i := bytes.IndexByte(data, '\n'); i >= 0 {
			line, data = data[:i], data[i+1:]
		} else {
			line, data = data, nil
		}
		n := lineNo
		lineNo++
		if k := len(line) - 1; k >= 0 && line[k] == '\r' {
			line = line[:k]
		}
		start := skipWS(line, 0)
		if bytes.HasPrefix(line[start:], utf8BOM) {
			start = skipWS(line, start+len(utf8BOM))
		}
		if start == len(line) {
			continue
		}
		ts, err := p.parseLine(line, start)
		if err != nil {
			errs = append(errs, LineError{Line: n, Reason: err.Error()})
			continue
		}
		p.commit(dst, ts)
		accepted++
	}
	p.release()
	return accepted, errs
}

// utf8BOM is the byte order mark some Windows tools put at the start of a
// file. RFC 8259 lets parsers ignore it; Parse ignores it at the start of
// any line.
var utf8BOM = []byte("\xef\xbb\xbf")

// DuplicateKeys returns the number of fields the parser's accepted lines
// held that a later field of the same name overwrote, since NewParser: a
// repeated core field (ts, level, ...) counts once per repeat, and so does a
// repeated leaf name, also after lower-casing and flattening ({"A":1,"a":2}
// or {"a":{"b":1},"a.b":2}). The last value is the one stored (see the
// package documentation). Rejected lines do not count.
func (p *Parser) DuplicateKeys() int64 { return p.dupKeys }

// release drops the scratch row's references into the caller's data, so
// that an idle parser does not keep a request body alive.
func (p *Parser) release() {
	p.line = nil
	p.ts = tsValue{}
	p.core = [numStringCores]coreValue{}
	clear(p.fields[:cap(p.fields)])
}

// parseLine parses one non-blank line, whose first non-space byte is at
// start, into the scratch row and returns its ts.
func (p *Parser) parseLine(line []byte, start int) (int64, error) {
	if len(line) > p.maxLineBytes {
		return 0, fmt.Errorf("line of %d bytes is longer than the limit of %d", len(line), p.maxLineBytes)
	}
	p.resetLine(line)
	if line[start] != '{' {
		return 0, notObject(line, start)
	}
	end, err := p.parseObject(start, 1)
	if err == nil {
		if end = skipWS(line, end); end < len(line) {
			err = &syntaxError{Pos: end, Msg: "unexpected data after the object"}
		}
	}
	if err != nil {
		var se *syntaxError
		var te *truncatedError
		if errors.As(err, &se) || errors.As(err, &te) {
			if r := invalidUTF8Reason(line); r != "" {
				return 0, errors.New(r)
			}
		}
		return 0, err
	}
	return p.timestamp()
}

// resetLine empties the scratch row.
func (p *Parser) resetLine(line []byte) {
	p.line = line
	p.buf = p.buf[:0]
	p.names = p.names[:0]
	p.prefix = p.prefix[:0]
	p.nfields = 0
	p.ts = tsValue{}
	p.core = [numStringCores]coreValue{}
	p.fields = p.fields[:0]
	p.coreSeen, p.coreDups = 0, 0
}

// notObject describes a line that does not hold a JSON object.
func notObject(line []byte, start int) error {
	what := ""
	switch c := line[start]; {
	case c == '[':
		what = "an array"
	case c == '"':
		what = "a string"
	case c == '-' || isDigit(c):
		what = "a number"
	case c == 't' || c == 'f':
		what = "a boolean"
	case c == 'n':
		what = "null"
	default:
		if r := invalidUTF8Reason(line); r != "" {
			return errors.New(r)
		}
		return &syntaxError{Pos: start, Msg: fmt.Sprintf("unexpected %s, expected '{'", describeByte(c))}
	}
	return fmt.Errorf("not a JSON object: the line holds %s", what)
}

// parseObject parses the object whose '{' is at pos, at nesting level depth
// (1 for the line's object), into the scratch row and returns the index
// after its '}'.
func (p *Parser) parseObject(pos, depth int) (int, error) {
	line := p.line
	pos = skipWS(line, pos+1)
	if pos < len(line) && line[pos] == '}' {
		return pos + 1, nil
	}
	for {
		key, next, err := p.scanKey(pos)
		if err != nil {
			return 0, err
		}
		if pos, err = p.colon(next); err != nil {
			return 0, err
		}
		c := coreNone
		if depth == 1 {
			c = coreOf(key)
		}
		if c != coreNone {
			pos, err = p.parseCore(c, pos)
		} else {
			pos, err = p.parseDynamic(key, pos, depth)
		}
		if err != nil {
			return 0, err
		}
		pos = skipWS(line, pos)
		switch {
		case pos >= len(line):
			return 0, &truncatedError{Pos: pos, Inside: "an object"}
		case line[pos] == '}':
			return pos + 1, nil
		case line[pos] != ',':
			return 0, p.unexpected(pos, "',' or '}' after a field value")
		}
		pos = skipWS(line, pos+1)
	}
}

// coreOf tells the core field a lower-cased top-level name selects.
func coreOf(name []byte) int {
	switch string(name) {
	case columns.TS:
		return coreTS
	case columns.Level:
		return coreLevel
	case columns.Service:
		return coreService
	case columns.Host:
		return coreHost
	case columns.TraceID:
		return coreTraceID
	case columns.Message:
		return coreMessage
	}
	return coreNone
}

// scanKey parses the field name at pos and returns it lower-cased, with the
// index after its closing quote. The name aliases the line when it needs
// neither unescaping nor lower-casing.
func (p *Parser) scanKey(pos int) ([]byte, int, error) {
	line := p.line
	if pos >= len(line) {
		return nil, 0, &truncatedError{Pos: pos, Inside: "an object"}
	}
	if line[pos] != '"' {
		return nil, 0, p.unexpected(pos, "a field name in double quotes")
	}
	i := pos + 1
	for i < len(line) && keyPlain[line[i]] {
		i++
	}
	if i < len(line) && line[i] == '"' && i > pos+1 {
		return line[pos+1 : i], i + 1, nil
	}
	return p.scanKeySlow(pos)
}

// scanKeySlow is scanKey for names that are empty, hold escapes, upper-case
// letters or non-ASCII characters, or are invalid.
func (p *Parser) scanKeySlow(pos int) ([]byte, int, error) {
	end, esc, err := p.scanString(pos)
	if err != nil {
		return nil, 0, err
	}
	raw := p.line[pos+1 : end-1]
	if esc {
		start := len(p.names)
		p.names = appendUnescaped(p.names, raw)
		raw = p.names[start:]
	}
	switch {
	case len(raw) == 0:
		return nil, 0, fmt.Errorf("empty field name at byte %d", pos)
	case bytes.IndexByte(raw, 0) >= 0:
		return nil, 0, fmt.Errorf("field name %s at byte %d contains a NUL character", quote(raw), pos)
	}
	start := len(p.names)
	p.names = appendLower(p.names, raw)
	return p.names[start:len(p.names):len(p.names)], end, nil
}

// parseCore parses the value at pos of core field c.
func (p *Parser) parseCore(c int, pos int) (int, error) {
	if err := p.countField(); err != nil {
		return 0, err
	}
	if bit := uint8(1) << c; p.coreSeen&bit != 0 {
		p.coreDups++
	} else {
		p.coreSeen |= bit
	}
	if c == coreTS {
		return p.parseTS(pos)
	}
	cv := &p.core[c-coreLevel]
	line := p.line
	var v []byte
	end, err := 0, error(nil)
	switch ch := line[pos]; {
	case ch == '"':
		v, end, err = p.parseString(pos)
	case ch == 'n':
		end, err = p.literal(pos, "null")
		*cv = coreValue{}
		return end, err
	default: // numbers, booleans, objects and arrays keep their JSON text
		start := len(p.buf)
		end, err = p.compactValue(pos, 2)
		v = p.buf[start:len(p.buf):len(p.buf)]
	}
	*cv = coreValue{set: true, v: v}
	return end, err
}

// parseTS records the ts value at pos; timestamp interprets it once the
// whole line is parsed, so that the last of repeated ts members wins.
func (p *Parser) parseTS(pos int) (int, error) {
	line := p.line
	switch c := line[pos]; {
	case c == '"':
		v, end, err := p.parseString(pos)
		p.ts = tsValue{kind: tsString, v: v}
		return end, err
	case c == '-' || isDigit(c):
		end, _, err := p.scanNumber(pos)
		if err != nil {
			return 0, err
		}
		p.ts = tsValue{kind: tsNumber, v: line[pos:end]}
		return end, nil
	case c == 'n':
		p.ts = tsValue{kind: tsNull}
		return p.literal(pos, "null")
	}
	start := len(p.buf)
	end, err := p.compactValue(pos, 2)
	kind := tsBool
	switch line[pos] {
	case '{':
		kind = tsObject
	case '[':
		kind = tsArray
	}
	p.ts = tsValue{kind: kind, v: p.buf[start:]}
	return end, err
}

// parseDynamic parses the value at pos of a non-core field called key within
// the object at nesting level depth: leaves go to the scratch row, objects
// are flattened.
func (p *Parser) parseDynamic(key []byte, pos, depth int) (int, error) {
	line := p.line
	switch c := line[pos]; c {
	case '{':
		if depth+1 > p.maxDepth {
			return 0, p.depthError(pos)
		}
		saved := len(p.prefix)
		p.prefix = append(append(p.prefix, key...), '.')
		end, err := p.parseObject(pos, depth+1)
		p.prefix = p.prefix[:saved]
		return end, err
	case '"':
		v, end, err := p.parseString(pos)
		if err != nil {
			return 0, err
		}
		return end, p.addField(key, field{kind: kindString, str: v})
	case 't':
		end, err := p.literal(pos, "true")
		if err != nil {
			return 0, err
		}
		return end, p.addField(key, field{kind: kindBool, num: 1})
	case 'f':
		end, err := p.literal(pos, "false")
		if err != nil {
			return 0, err
		}
		return end, p.addField(key, field{kind: kindBool})
	case 'n':
		end, err := p.literal(pos, "null")
		if err != nil {
			return 0, err
		}
		return end, p.addField(key, field{kind: kindNull})
	case '[':
		start := len(p.buf)
		end, err := p.compactValue(pos, depth+1)
		if err != nil {
			return 0, err
		}
		return end, p.addField(key, field{kind: kindString, str: p.buf[start:len(p.buf):len(p.buf)]})
	}
	return p.parseNumberField(key, pos)
}

// parseNumberField parses a number (or reports the unexpected byte) at pos.
func (p *Parser) parseNumberField(key []byte, pos int) (int, error) {
	line := p.line
	if c := line[pos]; c != '-' && !isDigit(c) {
		return 0, p.unexpected(pos, "a value")
	}
	end, isInt, err := p.scanNumber(pos)
	if err != nil {
		return 0, err
	}
	raw := line[pos:end]
	if isInt {
		if v, ok := parseInt(raw); ok {
			return end, p.addField(key, field{kind: kindInt, num: v})
		}
	}
	f, err := strconv.ParseFloat(string(raw), 64)
	if err != nil {
		return 0, fmt.Errorf("number %s at byte %d is out of the range of DOUBLE", quote(raw), pos)
	}
	return end, p.addField(key, field{kind: kindFloat, flt: f})
}

// addField adds a leaf of the object being parsed to the scratch row.
func (p *Parser) addField(key []byte, f field) error {
	if err := p.countField(); err != nil {
		return err
	}
	f.name = key
	if len(p.prefix) > 0 {
		start := len(p.names)
		p.names = append(append(p.names, p.prefix...), key...)
		f.name = p.names[start:len(p.names):len(p.names)]
	}
	if len(f.name) > maxNameBytes {
		return fmt.Errorf("field name %s is longer than %d bytes", quote(f.name), maxNameBytes)
	}
	p.fields = append(p.fields, f)
	return nil
}

// countField counts one leaf field against MaxFields.
func (p *Parser) countField() error {
	p.nfields++
	if p.nfields > p.maxFields {
		return fmt.Errorf("more than %d fields", p.maxFields)
	}
	return nil
}

// timestamp interprets the line's ts member and checks the accept window.
func (p *Parser) timestamp() (int64, error) {
	var us int64
	var err error
	switch p.ts.kind {
	case tsAbsent, tsNull:
		if p.ingestTime != 0 {
			return p.ingestTime, nil
		}
		return 0, errors.New("missing ts")
	case tsString:
		us, err = ParseTimestamp(p.ts.v)
	case tsNumber:
		us, err = ParseEpoch(p.ts.v)
	default:
		return 0, fmt.Errorf("ts must be a string or a number, not %s: %s",
			[...]string{tsBool: "a boolean", tsObject: "an object", tsArray: "an array"}[p.ts.kind], clip(p.ts.v))
	}
	if err != nil {
		return 0, fmt.Errorf("ts %s: %w", p.tsText(), err)
	}
	if us < p.minTS || us > p.maxTS {
		return 0, fmt.Errorf("ts %s (%s) is outside the accepted window [%s, %s]",
			p.tsText(), formatMicros(us), formatMicros(p.minTS), formatMicros(p.maxTS))
	}
	return us, nil
}

// tsText renders the ts value as the line wrote it, for reasons.
func (p *Parser) tsText() string {
	if p.ts.kind == tsNumber {
		return clip(p.ts.v)
	}
	return quote(p.ts.v)
}
