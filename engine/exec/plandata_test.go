package exec

import (
	"math/rand/v2"
	"regexp"
	"testing"

	"github.com/stretchr/testify/require"

	"logq/engine/plan"
	"logq/partitions/collate"
	"logq/partitions/columns"
)

// TestPredPlanRoundTrip builds conditions of every kind the compiler
// claims, sends each through its plan's encoding, and requires the rebuilt
// condition to give the original's three-valued answer on every row of
// random batches (NULLs, case and accent variants, a dynamic column that
// some rows lack), and the same text for EXPLAIN.
func TestPredPlanRoundTrip(t *testing.T) {
	r := rand.New(rand.NewPCG(17, 18))
	b := planTestBatch(r, 400)
	for range 300 {
		p := planTestPred(t, r, 0)
		pl, err := RoundTrip(&plan.Plan{Where: exprOf(p)})
		require.NoError(t, err)
		q, err := predOf(pl.Where)
		require.NoError(t, err)
		require.Equal(t, p.String(), q.String())
		require.Equal(t, p.Columns(nil), q.Columns(nil))
		rp := batchRow{b: b, dyn: map[string]*columns.Dynamic{}}
		rq := batchRow{b: b, dyn: map[string]*columns.Dynamic{}}
		for i := range b.Len() {
			rp.i, rq.i = i, i
			require.Equal(t, p.eval(&rp), q.eval(&rq), "row %d: %s", i, p)
		}
	}
}

// TestPredOfRefusesLikeUnderOtherCollations: a plan may name only the
// collations logq matches LIKE under itself; any other is an error, not
// an answer under the wrong collation.
func TestPredOfRefusesLikeUnderOtherCollations(t *testing.T) {
	e := &plan.Expr{Kind: plan.ExprKind_EXPR_LIKE, Column: "message", Pattern: "time%", Escape: '\\', Text: "like"}
	for _, coll := range []string{"binary", "utf8mb4_0900_bin", "UTF8MB4_0900_AI_CI"} {
		e.Collation = coll
		_, err := predOf(e)
		require.NoError(t, err, coll)
	}
	for _, coll := range []string{"utf8mb4_general_ci", "utf8mb4_bin", "latin1_swedish_ci", "no_such_collation"} {
		e.Collation = coll
		_, err := predOf(e)
		require.ErrorContains(t, err, coll)
	}
	e.Collation, e.Pattern = "utf8mb4_0900_bin", `time\`
	_, err := predOf(e)
	require.ErrorIs(t, err, collate.ErrLikePattern, "a trailing escape")
}

// planTestBatch returns n rows with NULLs in every nullable column.
func planTestBatch(r *rand.Rand, n int) *columns.Batch {
	b := &columns.Batch{}
	status := b.AddColumn("status", columns.TypeInt64, 0)
	ratio := b.AddColumn("ratio", columns.TypeFloat64, 0)
	region := b.AddColumn("region", columns.TypeString, 0)
	pick := func(s *columns.Strings, values ...string) {
		if r.IntN(8) == 0 {
			s.AppendNull()
			return
		}
		s.AppendString(values[r.IntN(len(values))])
	}
	for range n {
		b.TS = append(b.TS, r.Int64N(1000))
		pick(&b.Level, "ERROR", "error", "Érror", "INFO", "WARN")
		pick(&b.Service, "api", "API", "billing", "ápi")
		pick(&b.Host, "host-1", "HOST-1", "host-2")
		pick(&b.TraceID, "abc", "ABC", "def")
		pick(&b.Message, "request timeout after 30s", "Timeout!", "ok", "connection reset", "50% done")
		if r.IntN(5) == 0 {
			status.AppendNull()
		} else {
			status.AppendInt(int64(200 + 100*r.IntN(4)))
		}
		if r.IntN(5) == 0 {
			ratio.AppendNull()
		} else {
			ratio.AppendFloat(float64(r.IntN(8)) / 4)
		}
		if r.IntN(3) == 0 {
			region.AppendNull()
		} else {
			region.AppendString([]byte([]string{"eu", "EU", "us"}[r.IntN(3)]))
		}
	}
	return b
}

// planTestPred returns a random condition as the compiler builds them.
func planTestPred(t *testing.T, r *rand.Rand, depth int) Pred {
	strCol := func() StringAccessor {
		return accessorOf([]string{"level", "service", "host", "trace_id", "message", "region"}[r.IntN(6)])
	}
	op := cmpOp(r.IntN(6))
	kind := r.IntN(11)
	if depth > 3 && kind < 3 {
		kind = 3
	}
	switch kind {
	case 0:
		return andPred{planTestPred(t, r, depth+1), planTestPred(t, r, depth+1)}
	case 1:
		return orPred{planTestPred(t, r, depth+1), planTestPred(t, r, depth+1)}
	case 2:
		return notPred{planTestPred(t, r, depth+1)}
	case 3:
		lo := r.Int64N(1000)
		return tsPred{lo: lo, hi: lo + r.Int64N(500), text: "ts range"}
	case 4:
		folded := r.IntN(2) == 0
		var values [][]byte
		for _, v := range []string{"error", "api", "HOST-1", "abc", "eu", "ok"}[:1+r.IntN(6)] {
			if folded {
				v = collate.Key(v)
			}
			values = append(values, []byte(v))
		}
		return inPred{col: strCol(), values: values, folded: folded, text: "in"}
	case 5:
		coll := []collate.LikeCollation{collate.Binary, collate.Bin0900, collate.AICI}[r.IntN(3)]
		pattern := []string{"%timeout%", "tim_out%", "%", "ok", "%!%%", "50!% done"}[r.IntN(6)]
		escape := []rune{'\\', '!'}[r.IntN(2)]
		p, err := newLikePred(strCol(), pattern, escape, coll, "like")
		require.NoError(t, err)
		return p
	case 6:
		re := regexp.MustCompile([]string{"(?i)time.?out", "^[a-z]+$", "reset|done"}[r.IntN(3)])
		return regexpPred{col: strCol(), re: re, lit: requiredLiteral(re.String()), text: "regexp"}
	case 7:
		return strCmpPred{col: strCol(), op: op, v: []byte("ha"), text: "cmp"}
	case 8:
		a := strCol()
		return nullPred{core: a.Core, col: a.Name, text: "is null"}
	case 9:
		return intCmpPred{name: "status", op: op, v: 300, text: "int cmp"}
	}
	return floatCmpPred{name: []string{"ratio", "status"}[r.IntN(2)], op: op, v: 0.75, text: "float cmp"}
}

// TestAggregatePlanRoundTrip: the keys and aggregates of a partial
// aggregate come back from their plan's encoding as they were built.
func TestAggregatePlanRoundTrip(t *testing.T) {
	r := rand.New(rand.NewPCG(19, 20))
	for range 200 {
		q := randomAggQuery(t, r)
		p, err := RoundTrip(&plan.Plan{Aggregate: AggregateOf(q)})
		require.NoError(t, err)
		var got AggSpec
		AggregateFrom(&got, p.Aggregate)
		require.Equal(t, q.Grouped, got.Grouped)
		require.Equal(t, len(q.Keys), len(got.Keys))
		for i := range q.Keys {
			require.Equal(t, q.Keys[i], got.Keys[i])
		}
		require.Equal(t, q.Aggs, got.Aggs)
	}
}

// randomAggQuery returns a partial aggregate of the shapes the recogniser
// builds: keys of every kind, aggregates each over the arguments it takes.
func randomAggQuery(t *testing.T, r *rand.Rand) *AggSpec {
	q := &AggSpec{Grouped: r.IntN(2) == 0}
	for range r.IntN(4) {
		var k AggKey
		switch r.IntN(5) {
		case 0:
			k = AggKey{Kind: KeyString, Col: accessorOf([]string{"level", "service", "region"}[r.IntN(3)]), Folded: r.IntN(2) == 0}
		case 1:
			k = AggKey{Kind: KeyEpochDiv, N: []int64{1, 60, 3600, 86400, 7}[r.IntN(5)]}
		case 2:
			k = AggKey{Kind: KeyEpochFloor, N: []int64{1, 60, 3600, 86400, 7}[r.IntN(5)]}
		case 3:
			k = AggKey{Kind: KeyLocal, Unit: 86400} // DATE(ts): no fields
		default:
			fields, unit, ok := DateFormatFields([]string{"%Y-%m-%d %H:00:00", "%H", "%d/%m %h%p", "%T"}[r.IntN(4)])
			require.True(t, ok)
			k = AggKey{Kind: KeyLocal, Unit: unit, Fields: fields}
		}
		q.Keys = append(q.Keys, k)
	}
	for range 1 + r.IntN(4) {
		var fn AggFn
		switch r.IntN(5) {
		case 0:
			fn = AggFn{Op: OpCount, Arg: ArgRows}
		case 1:
			fn = AggFn{Op: []AggOp{OpCount, OpMin, OpMax}[r.IntN(3)], Arg: ArgTS, Col: StringAccessor{Core: -1, Name: "ts"}}
		case 2:
			fn = AggFn{Op: []AggOp{OpCount, OpCountDistinct}[r.IntN(2)], Arg: ArgString,
				Col: accessorOf([]string{"host", "region", "message"}[r.IntN(3)]), Folded: r.IntN(2) == 0}
		case 3:
			fn = AggFn{Op: AggOp(r.IntN(6)), Arg: ArgInt, Col: accessorOf("status")}
			fn.Exact = fn.Op == OpSum || fn.Op == OpAvg
		default:
			fn = AggFn{Op: AggOp(r.IntN(6)), Arg: ArgFloat, Col: accessorOf("ratio")}
		}
		fn.Text = "agg"
		q.Aggs = append(q.Aggs, fn)
	}
	return q
}
