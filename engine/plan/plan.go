package plan

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"strings"
	"unicode/utf8"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// Version is the plan encoding this build writes and the only one it reads.
const Version = 1

// The frame: magic, version (uint16 LE), CRC-32C of the body (uint32 LE),
// then the protobuf body.
const (
	magic      = "LQPL"
	headerSize = len(magic) + 2 + 4
)

// maxDepth bounds the nesting of conditions, as protobuf bounds messages:
// a left-deep AND of a thousand conjuncts is a thousand deep.
const maxDepth = 10_000

var (
	// ErrVersion is a plan of another encoding version.
	ErrVersion = errors.New("plan: unknown encoding version")
	// ErrCorrupt is a plan whose bytes are damaged or do not hold together.
	ErrCorrupt = errors.New("plan: corrupt")
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

func crcOf(b []byte) uint32 { return crc32.Checksum(b, castagnoli) }

// Encode returns p framed as Decode reads it.
func Encode(p *Plan) ([]byte, error) {
	if err := p.Validate(); err != nil {
		return nil, err
	}
	body, err := proto.MarshalOptions{Deterministic: true}.Marshal(p)
	if err != nil {
		return nil, fmt.Errorf("plan: encode: %w", err)
	}
	out := make([]byte, headerSize, headerSize+len(body))
	copy(out, magic)
	binary.LittleEndian.PutUint16(out[len(magic):], Version)
	binary.LittleEndian.PutUint32(out[len(magic)+2:], crcOf(body))
	return append(out, body...), nil
}

// Decode returns the plan in b, or an error wrapping ErrVersion or
// ErrCorrupt; it never panics, whatever b holds.
func Decode(b []byte) (*Plan, error) {
	if len(b) < headerSize || string(b[:len(magic)]) != magic {
		return nil, fmt.Errorf("%w: no plan header in %d bytes", ErrCorrupt, len(b))
	}
	if v := binary.LittleEndian.Uint16(b[len(magic):]); v != Version {
		return nil, fmt.Errorf("%w %d (this build reads %d)", ErrVersion, v, Version)
	}
	body := b[headerSize:]
	if want, got := binary.LittleEndian.Uint32(b[len(magic)+2:]), crcOf(body); want != got {
		return nil, fmt.Errorf("%w: checksum %08x, want %08x", ErrCorrupt, got, want)
	}
	p := &Plan{}
	if err := proto.Unmarshal(body, p); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrCorrupt, err)
	}
	if err := unknownFields(p.ProtoReflect()); err != nil {
		return nil, err
	}
	if err := p.Validate(); err != nil {
		return nil, err
	}
	return p, nil
}

// unknownFields refuses fields this build does not know, in m or any
// message under it: a writer adds meaning with a field only under a new
// version, so one here means the bytes are not what they claim.
func unknownFields(m protoreflect.Message) error {
	if len(m.GetUnknown()) > 0 {
		return fmt.Errorf("%w: unknown fields in %s", ErrCorrupt, m.Descriptor().Name())
	}
	var err error
	m.Range(func(fd protoreflect.FieldDescriptor, v protoreflect.Value) bool {
		switch {
		case fd.Message() == nil:
		case fd.IsList():
			for i := 0; i < v.List().Len() && err == nil; i++ {
				err = unknownFields(v.List().Get(i).Message())
			}
		default:
			err = unknownFields(v.Message())
		}
		return err == nil
	})
	return err
}

// Validate reports whether p holds together: every enum value known, every
// condition with its operands and column, every key and aggregate with
// what it reads.
func (p *Plan) Validate() error {
	if p == nil {
		return fmt.Errorf("%w: no plan", ErrCorrupt)
	}
	if _, ok := Order_name[int32(p.Order)]; !ok {
		return corrupt("order %d", p.Order)
	}
	if p.Limit < 0 {
		return corrupt("limit %d", p.Limit)
	}
	if strings.EqualFold(p.TimeZone, "SYSTEM") || strings.EqualFold(p.TimeZone, "Local") {
		// The receiver would read it as its own zone: the sender names it.
		return corrupt("time zone %q: the sender's system zone travels by name", p.TimeZone)
	}
	for _, c := range p.Columns {
		if c == "" {
			return corrupt("empty column name")
		}
	}
	if p.Where != nil {
		if err := p.Where.validate(0); err != nil {
			return err
		}
	}
	if p.Aggregate != nil {
		return p.Aggregate.validate()
	}
	return nil
}

func (e *Expr) validate(depth int) error {
	if e == nil {
		return corrupt("missing condition")
	}
	if depth > maxDepth {
		return corrupt("conditions nested deeper than %d", maxDepth)
	}
	args := 0
	column := true
	switch e.Kind {
	case ExprKind_EXPR_AND, ExprKind_EXPR_OR:
		args, column = 2, false
	case ExprKind_EXPR_NOT:
		args, column = 1, false
	case ExprKind_EXPR_TS_RANGE:
		column = false
	case ExprKind_EXPR_IN:
		if len(e.Values) == 0 {
			return corrupt("IN without values")
		}
	case ExprKind_EXPR_LIKE:
		if e.Collation == "" || !utf8.ValidRune(rune(e.Escape)) {
			return corrupt("LIKE without collation or escape")
		}
	case ExprKind_EXPR_REGEXP, ExprKind_EXPR_IS_NULL:
	case ExprKind_EXPR_STRING_CMP, ExprKind_EXPR_INT_CMP, ExprKind_EXPR_FLOAT_CMP:
		if _, ok := CmpOp_name[int32(e.Cmp)]; !ok {
			return corrupt("comparison %d", e.Cmp)
		}
	default:
		return corrupt("condition kind %d", e.Kind)
	}
	if len(e.Args) != args {
		return corrupt("%s with %d operands", e.Kind, len(e.Args))
	}
	if column != (e.Column != "") {
		return corrupt("%s with column %q", e.Kind, e.Column)
	}
	for _, a := range e.Args {
		if err := a.validate(depth + 1); err != nil {
			return err
		}
	}
	return nil
}

func (a *Aggregate) validate() error {
	for _, k := range a.Keys {
		switch k.Kind {
		case KeyKind_KEY_STRING:
			if k.Column == "" {
				return corrupt("string group key without column")
			}
		case KeyKind_KEY_EPOCH_DIV, KeyKind_KEY_EPOCH_FLOOR:
			if k.Width <= 0 {
				return corrupt("bucket width %d", k.Width)
			}
		case KeyKind_KEY_LOCAL:
			if k.Unit <= 0 {
				return corrupt("local time key without unit")
			}
			for _, f := range k.Fields {
				if _, ok := DateField_name[int32(f)]; !ok {
					return corrupt("date field %d", f)
				}
			}
		default:
			return corrupt("group key kind %d", k.Kind)
		}
	}
	for _, f := range a.Funcs {
		if _, ok := AggOp_name[int32(f.Op)]; !ok {
			return corrupt("aggregate %d", f.Op)
		}
		switch f.Arg {
		case ArgKind_ARG_ROWS, ArgKind_ARG_TS:
		case ArgKind_ARG_STRING, ArgKind_ARG_INT, ArgKind_ARG_FLOAT:
			if f.Column == "" {
				return corrupt("%s of no column", f.Op)
			}
		default:
			return corrupt("aggregate argument %d", f.Arg)
		}
	}
	return nil
}

func corrupt(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrCorrupt}, args...)...)
}
