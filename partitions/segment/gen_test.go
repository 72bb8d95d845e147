package segment

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"time"

	"logq/partitions/columns"
)

// workloadStart is the first timestamp of WORKLOAD.md's data set.
var workloadStart = time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC).UnixMicro()

var workloadTemplates = []string{
	"GET /api/v1/orders/%d completed status=%d duration=%dms",
	"POST /api/v1/payments/%d completed status=%d duration=%dms",
	"user %d logged in from 10.%d.%d.7",
	"cache miss for key session:%d (shard %d, ttl %ds)",
	"connection to db-primary timed out after %dms (attempt %d of %d)",
	"payment provider returned error %d for order %d after %dms",
	"NullPointerException in handler OrderController.get line %d (req %d, %d)",
	"scheduled job cleanup-%d finished in %dms, removed %d rows",
	"GET /api/v1/users/%d/profile completed status=%d duration=%dms",
	"rate limit exceeded for client %d: %d requests in %ds",
	"kafka consumer lag on partition %d is %d messages (%d ms)",
	"PUT /api/v1/carts/%d updated items=%d duration=%dms",
}

// genWorkload returns n WORKLOAD.md-like rows sorted by ts: one row every
// 60.48 ms on average (10M rows over 7 days) with ±2 s jitter, at millisecond
// precision like the data set's timestamps, skewed
// services, four hosts per service, random trace IDs, status and latency_ms.
func genWorkload(rng *rand.Rand, n int) *columns.Batch {
	type row struct {
		ts                 int64
		level, svc, host   int
		trace              uint64
		status, latency, k int
	}
	levels := []string{"DEBUG", "INFO", "WARN", "ERROR", "FATAL"}
	zipf := rand.NewZipf(rng, 1.3, 2, 49)
	rows := make([]row, n)
	for i := range rows {
		svc := int(zipf.Uint64())
		rows[i] = row{
			ts:      (workloadStart + int64(i)*60480 + rng.Int64N(4_000_001) - 2_000_000) / 1000 * 1000, // ms, as the data set's text
			level:   pickLevel(rng.Float64()),
			svc:     svc,
			host:    4*svc + rng.IntN(4),
			trace:   rng.Uint64(),
			status:  []int{200, 200, 200, 200, 200, 200, 201, 204, 301, 400, 404, 500, 503}[rng.IntN(13)],
			latency: int(rng.ExpFloat64() * 40),
			k:       rng.IntN(len(workloadTemplates)),
		}
	}
	slices.SortStableFunc(rows, func(a, b row) int { return int(a.ts - b.ts) })
	b := &columns.Batch{}
	status := b.AddColumn("status", columns.TypeInt64, 0)
	latency := b.AddColumn("latency_ms", columns.TypeInt64, 0)
	for _, r := range rows {
		b.TS = append(b.TS, r.ts)
		b.Level.AppendString(levels[r.level])
		b.Service.AppendString(fmt.Sprintf("svc-%d", r.svc))
		b.Host.AppendString(fmt.Sprintf("host-%d", r.host))
		b.TraceID.AppendString(fmt.Sprintf("%016x", r.trace))
		b.Message.AppendString(fmt.Sprintf(workloadTemplates[r.k], r.trace%100000, r.status, r.latency))
		status.AppendInt(int64(r.status))
		latency.AppendInt(int64(r.latency))
	}
	return b
}

func pickLevel(x float64) int {
	for i, p := range []float64{0.40, 0.85, 0.95, 0.995} {
		if x < p {
			return i
		}
	}
	return 4
}

// randSpec describes a random batch for genRandom.
type randSpec struct {
	rows      int
	nullPct   int // percent of NULLs in nullable columns
	maxGapUS  int64
	bigGapPct int // percent of rows preceded by a gap past uint32 deltas
	cards     [3]int
	traceHex  bool
	dynamic   bool
	hugeEvery int // a string of 1 MiB every hugeEvery rows (0: never)
}

// genRandom returns a random batch sorted by ts following s.
func genRandom(rng *rand.Rand, s randSpec) *columns.Batch {
	b := &columns.Batch{}
	ts := int64(rng.Int64N(1<<40)) - 1<<39
	for i := range s.rows {
		if i > 0 {
			ts += rng.Int64N(s.maxGapUS + 1)
			if rng.IntN(100) < s.bigGapPct {
				ts += math.MaxUint32 + rng.Int64N(1e9)
			}
		}
		b.TS = append(b.TS, ts)
		appendMaybe(rng, &b.Level, s.nullPct, func() string { return pickValue(rng, "lvl", s.cards[0]) })
		appendMaybe(rng, &b.Service, s.nullPct, func() string { return pickValue(rng, "svc", s.cards[1]) })
		appendMaybe(rng, &b.Host, s.nullPct, func() string { return pickValue(rng, "hôst-✓", s.cards[2]) })
		appendMaybe(rng, &b.TraceID, s.nullPct, func() string { return randTrace(rng, s.traceHex) })
		appendMaybe(rng, &b.Message, s.nullPct, func() string { return randText(rng, i, s.hugeEvery) })
	}
	if s.dynamic {
		addDynamic(rng, b, s.nullPct)
	}
	return b
}

func appendMaybe(rng *rand.Rand, s *columns.Strings, nullPct int, v func() string) {
	if rng.IntN(100) < nullPct {
		s.AppendNull()
		return
	}
	s.AppendString(v())
}

func pickValue(rng *rand.Rand, prefix string, card int) string {
	if card <= 1 {
		return prefix
	}
	k := rng.IntN(card)
	if k == 0 {
		return "" // the empty string is a value, not a NULL
	}
	return fmt.Sprintf("%s-%d", prefix, k)
}

func randTrace(rng *rand.Rand, hex bool) string {
	if hex {
		return fmt.Sprintf("%016x", rng.Uint64())
	}
	switch rng.IntN(3) {
	case 0:
		return fmt.Sprintf("%016X", rng.Uint64()) // upper case is not re-encodable
	case 1:
		return fmt.Sprintf("%x", rng.Uint32())
	}
	return fmt.Sprintf("%016x", rng.Uint64())
}

var unicodeWords = []string{"héllo", "мир", "日本語", "🙂", "a\x00b", "tab\there", "", "ok", "naïve", "\u200b", "bad \xff\xfe utf-8"}

func randText(rng *rand.Rand, i, hugeEvery int) string {
	if hugeEvery > 0 && i%hugeEvery == hugeEvery-1 {
		return strings.Repeat(unicodeWords[rng.IntN(len(unicodeWords))]+"x", (1<<20)/8)
	}
	var sb strings.Builder
	for range rng.IntN(8) {
		sb.WriteString(unicodeWords[rng.IntN(len(unicodeWords))])
		sb.WriteByte(' ')
	}
	return sb.String()
}

// addDynamic adds dynamic columns of every type and width to b, some of
// them built through type widening, with odd names. Like the parser, it
// creates a column at its first value, with that value's type.
func addDynamic(rng *rand.Rand, b *columns.Batch, nullPct int) {
	gens := []struct {
		name string
		val  func(i int) any
		typ  columns.Type
	}{
		{"i8", func(int) any { return rng.Int64N(256) - 128 }, columns.TypeInt64},
		{"i16 with space", func(int) any { return rng.Int64N(65536) - 32768 }, columns.TypeInt64},
		{"http.status", func(int) any { return rng.Int64N(1 << 32) }, columns.TypeInt64},
		{"ünïcode.i64", func(int) any { return int64(rng.Uint64()) }, columns.TypeInt64},
		{"f64", func(int) any { return randFloat(rng) }, columns.TypeFloat64},
		{"widened.float", func(int) any { return intOrFloat(rng) }, columns.TypeFloat64},
		{"flag", func(int) any { return rng.IntN(2) == 0 }, columns.TypeBool},
		{"low.card", func(int) any { return pickValue(rng, "v", 5) }, columns.TypeString},
		{"high card", func(i int) any { return randText(rng, i, 0) }, columns.TypeString},
		{"widened.varchar", func(int) any { return anything(rng) }, columns.TypeString},
		{"", func(int) any { return rng.IntN(3) == 0 }, columns.TypeBool},
		{"nul\x00 and \xff bytes", func(int) any { return rng.Int64N(3) }, columns.TypeInt64},
	}
	n := b.Len()
	for _, g := range gens {
		var d *columns.Dynamic
		for i := range n {
			if rng.IntN(100) < nullPct {
				if d != nil {
					d.AppendNull()
				}
				continue
			}
			v := g.val(i)
			if d == nil {
				d = b.AddColumn(g.name, typeOf(v), i)
			}
			appendAny(d, v)
		}
		if d == nil {
			d = b.AddColumn(g.name, g.typ, n)
		}
		d.WidenTo(g.typ)
	}
	b.AddColumn("all.null", columns.TypeBool, n)
}

func typeOf(v any) columns.Type {
	switch v.(type) {
	case int64:
		return columns.TypeInt64
	case float64:
		return columns.TypeFloat64
	case bool:
		return columns.TypeBool
	}
	return columns.TypeString
}

func appendAny(d *columns.Dynamic, v any) {
	switch v := v.(type) {
	case int64:
		d.AppendInt(v)
	case float64:
		d.AppendFloat(v)
	case bool:
		d.AppendBool(v)
	case string:
		d.AppendString([]byte(v))
	}
}

func randFloat(rng *rand.Rand) float64 {
	switch rng.IntN(20) {
	case 0:
		return math.NaN()
	case 1:
		return math.Inf(1 - 2*rng.IntN(2))
	case 2:
		return math.Copysign(0, -1)
	}
	return rng.NormFloat64() * 1e6
}

func intOrFloat(rng *rand.Rand) any {
	if rng.IntN(2) == 0 {
		return rng.Int64N(1000)
	}
	return rng.Float64()
}

func anything(rng *rand.Rand) any {
	switch rng.IntN(4) {
	case 0:
		return rng.Int64N(1000)
	case 1:
		return rng.Float64()
	case 2:
		return rng.IntN(2) == 0
	}
	return unicodeWords[rng.IntN(len(unicodeWords))]
}

// cycleSpec describes a deterministic batch whose columns cycle through
// exactly the given numbers of distinct values, to test encoding thresholds.
type cycleSpec struct {
	rows                int
	level, svc, host    func(i int) int // value index of row i
	dynCards            []int           // VARCHAR columns with these cardinalities
	dynInts             [][]int64       // BIGINT columns cycling through these values
	traceUpper, nullRow bool
}

func genCycle(s cycleSpec) *columns.Batch {
	b := &columns.Batch{}
	for i := range s.rows {
		b.TS = append(b.TS, int64(i)*1000)
		b.Level.AppendString(fmt.Sprintf("L%d", s.level(i)))
		b.Service.AppendString(fmt.Sprintf("svc-%d", s.svc(i)))
		b.Host.AppendString(fmt.Sprintf("host-%d", s.host(i)))
		if s.nullRow && i == s.rows/2 {
			b.TraceID.AppendNull()
		} else {
			b.TraceID.AppendString(fmt.Sprintf("%016x", uint64(i)*0x9e3779b97f4a7c15))
		}
		b.Message.AppendString(fmt.Sprintf("m%d", i%7))
	}
	if s.traceUpper {
		b.TraceID.Data[0] = 'A'
	}
	for k, card := range s.dynCards {
		d := b.AddColumn(fmt.Sprintf("v%d", k), columns.TypeString, 0)
		for i := range s.rows {
			d.AppendString([]byte(fmt.Sprintf("x%d", i%card)))
		}
	}
	for k, vals := range s.dynInts {
		d := b.AddColumn(fmt.Sprintf("n%d", k), columns.TypeInt64, 0)
		for i := range s.rows {
			d.AppendInt(vals[i%len(vals)])
		}
	}
	return b
}

func mod(n int) func(int) int { return func(i int) int { return i % n } }
