package plan

import (
	"encoding/binary"
	"errors"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
)

// randomPlan returns a valid plan using every kind of condition, key and
// aggregate over the runs of a test.
func randomPlan(r *rand.Rand) *Plan {
	p := &Plan{
		Order:      Order(r.IntN(3)),
		Limit:      r.Int64N(3) * r.Int64N(1000),
		TimeZone:   []string{"", "UTC", "+05:30", "America/New_York"}[r.IntN(4)],
		AllColumns: r.IntN(2) == 0,
	}
	for range r.IntN(4) {
		p.Columns = append(p.Columns, []string{"level", "message", "status", "ratio"}[r.IntN(4)])
	}
	if r.IntN(4) > 0 {
		p.Where = randomExpr(r, 0)
	}
	if r.IntN(2) == 0 {
		a := &Aggregate{Grouped: r.IntN(2) == 0}
		for range r.IntN(4) {
			k := &GroupKey{Kind: KeyKind(r.IntN(4))}
			switch k.Kind {
			case KeyKind_KEY_STRING:
				k.Column, k.Folded = "service", r.IntN(2) == 0
			case KeyKind_KEY_EPOCH_DIV, KeyKind_KEY_EPOCH_FLOOR:
				k.Width = 1 + r.Int64N(86400)
			default:
				k.Unit = []int64{1, 60, 3600, 86400}[r.IntN(4)]
				for range 1 + r.IntN(4) {
					k.Fields = append(k.Fields, DateField(r.IntN(9)))
				}
			}
			a.Keys = append(a.Keys, k)
		}
		for range 1 + r.IntN(4) {
			f := &AggFunc{Op: AggOp(r.IntN(6)), Arg: ArgKind(r.IntN(5)), Exact: r.IntN(2) == 0, Folded: r.IntN(2) == 0, Text: "COUNT(*)"}
			if f.Arg >= ArgKind_ARG_STRING {
				f.Column = "latency_ms"
			}
			a.Funcs = append(a.Funcs, f)
		}
		p.Aggregate = a
	}
	return p
}

func randomExpr(r *rand.Rand, depth int) *Expr {
	kind := ExprKind(1 + r.IntN(11))
	if depth > 4 && kind <= ExprKind_EXPR_NOT {
		kind = ExprKind_EXPR_TS_RANGE
	}
	e := &Expr{Kind: kind, Text: "cond"}
	switch kind {
	case ExprKind_EXPR_AND, ExprKind_EXPR_OR:
		e.Args = []*Expr{randomExpr(r, depth+1), randomExpr(r, depth+1)}
	case ExprKind_EXPR_NOT:
		e.Args = []*Expr{randomExpr(r, depth+1)}
	case ExprKind_EXPR_TS_RANGE:
		e.Lo, e.Hi = r.Int64(), r.Int64()
	case ExprKind_EXPR_IN:
		e.Column, e.Folded = "level", r.IntN(2) == 0
		for range 1 + r.IntN(3) {
			e.Values = append(e.Values, []byte{byte(r.IntN(256)), 'x'})
		}
	case ExprKind_EXPR_LIKE:
		e.Column, e.Pattern, e.Escape, e.Collation = "message", "%timeout_%", '\\', "utf8mb4_0900_ai_ci"
	case ExprKind_EXPR_REGEXP:
		e.Column, e.Pattern = "message", "(?i)time.?out"
	case ExprKind_EXPR_IS_NULL:
		e.Column = "region"
	default:
		e.Column, e.Cmp = "status", CmpOp(r.IntN(6))
		e.IntValue, e.FloatValue, e.BytesValue = r.Int64(), r.NormFloat64(), []byte("500")
	}
	return e
}

// TestRoundTrip: every plan decodes to what was encoded.
func TestRoundTrip(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for range 500 {
		p := randomPlan(r)
		b, err := Encode(p)
		require.NoError(t, err)
		got, err := Decode(b)
		require.NoError(t, err)
		require.True(t, proto.Equal(p, got), "%v\n%v", p, got)
	}
}

// TestDecodeRefusesDamage: a changed byte anywhere, a cut, another version
// and fields this build does not know are errors of the right kind.
func TestDecodeRefusesDamage(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	p := randomPlan(r)
	for p.Where == nil {
		p = randomPlan(r)
	}
	b, err := Encode(p)
	require.NoError(t, err)

	for i := range b {
		d := append([]byte(nil), b...)
		d[i] ^= byte(1 + r.IntN(255))
		_, err := Decode(d)
		require.Error(t, err, "byte %d changed", i)
		require.True(t, errors.Is(err, ErrCorrupt) || errors.Is(err, ErrVersion), "byte %d: %v", i, err)
	}
	for n := range len(b) {
		_, err := Decode(b[:n])
		require.ErrorIs(t, err, ErrCorrupt, "cut at %d", n)
	}

	v2 := append([]byte(nil), b...)
	binary.LittleEndian.PutUint16(v2[len(magic):], Version+1)
	_, err = Decode(v2)
	require.ErrorIs(t, err, ErrVersion)

	// A field number this build does not know, with a valid checksum.
	body := protowire.AppendTag(append([]byte(nil), b[headerSize:]...), 99, protowire.VarintType)
	body = protowire.AppendVarint(body, 1)
	_, err = Decode(frame(body))
	require.ErrorIs(t, err, ErrCorrupt)
}

// frame wraps a body as Encode does, valid checksum included.
func frame(body []byte) []byte {
	out := make([]byte, headerSize, headerSize+len(body))
	copy(out, magic)
	binary.LittleEndian.PutUint16(out[len(magic):], Version)
	binary.LittleEndian.PutUint32(out[len(magic)+2:], crcOf(body))
	return append(out, body...)
}

// TestValidate: plans that do not hold together are refused by Encode and,
// framed with a valid checksum, by Decode.
func TestValidate(t *testing.T) {
	bad := map[string]*Plan{
		"unknown order":      {Order: 7},
		"negative limit":     {Limit: -1},
		"empty column":       {Columns: []string{""}},
		"SYSTEM zone":        {TimeZone: "SYSTEM"},
		"Local zone":         {TimeZone: "Local"},
		"unknown condition":  {Where: &Expr{Kind: 40, Column: "level"}},
		"AND of one":         {Where: &Expr{Kind: ExprKind_EXPR_AND, Args: []*Expr{{Kind: ExprKind_EXPR_TS_RANGE}}}},
		"NOT of nothing":     {Where: &Expr{Kind: ExprKind_EXPR_NOT}},
		"IN without column":  {Where: &Expr{Kind: ExprKind_EXPR_IN, Values: [][]byte{[]byte("x")}}},
		"IN without values":  {Where: &Expr{Kind: ExprKind_EXPR_IN, Column: "level"}},
		"LIKE without coll.": {Where: &Expr{Kind: ExprKind_EXPR_LIKE, Column: "message", Pattern: "%x"}},
		"LIKE bad escape":    {Where: &Expr{Kind: ExprKind_EXPR_LIKE, Column: "message", Collation: "utf8mb4_0900_bin", Escape: -2}},
		"unknown comparison": {Where: &Expr{Kind: ExprKind_EXPR_INT_CMP, Column: "status", Cmp: 9}},
		"ts range on column": {Where: &Expr{Kind: ExprKind_EXPR_TS_RANGE, Column: "level"}},
		"zero bucket":        {Aggregate: &Aggregate{Keys: []*GroupKey{{Kind: KeyKind_KEY_EPOCH_DIV}}}},
		"key without column": {Aggregate: &Aggregate{Keys: []*GroupKey{{Kind: KeyKind_KEY_STRING}}}},
		"local without unit": {Aggregate: &Aggregate{Keys: []*GroupKey{{Kind: KeyKind_KEY_LOCAL}}}},
		"unknown date field": {Aggregate: &Aggregate{Keys: []*GroupKey{{Kind: KeyKind_KEY_LOCAL, Unit: 60, Fields: []DateField{20}}}}},
		"unknown aggregate":  {Aggregate: &Aggregate{Funcs: []*AggFunc{{Op: 9}}}},
		"SUM of no column":   {Aggregate: &Aggregate{Funcs: []*AggFunc{{Op: AggOp_AGG_SUM, Arg: ArgKind_ARG_INT}}}},
	}
	for name, p := range bad {
		_, err := Encode(p)
		require.ErrorIs(t, err, ErrCorrupt, name)
		body, err := proto.Marshal(p)
		require.NoError(t, err)
		_, err = Decode(frame(body))
		require.ErrorIs(t, err, ErrCorrupt, name)
	}
}

// TestDeepConditionsRefused: nesting past maxDepth is an error, not a
// stack overflow.
func TestDeepConditionsRefused(t *testing.T) {
	e := &Expr{Kind: ExprKind_EXPR_TS_RANGE}
	for range maxDepth + 1 {
		e = &Expr{Kind: ExprKind_EXPR_NOT, Args: []*Expr{e}}
	}
	require.ErrorIs(t, (&Plan{Where: e}).Validate(), ErrCorrupt)
}

// FuzzDecode: no input panics Decode, and whatever it accepts encodes and
// decodes to the same plan.
func FuzzDecode(f *testing.F) {
	r := rand.New(rand.NewPCG(5, 6))
	for range 20 {
		b, err := Encode(randomPlan(r))
		require.NoError(f, err)
		f.Add(b)
		f.Add(b[headerSize:]) // a body alone: the fuzzer reframes it
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		for _, in := range [][]byte{b, frame(b)} {
			p, err := Decode(in)
			if err != nil {
				require.True(t, errors.Is(err, ErrCorrupt) || errors.Is(err, ErrVersion), err)
				continue
			}
			again, err := Encode(p)
			require.NoError(t, err)
			q, err := Decode(again)
			require.NoError(t, err)
			require.True(t, proto.Equal(p, q))
		}
	})
}
