package bench

import (
	"math/bits"
	"strconv"
)

// plan is the validated, integer form of GenOptions shared by all chunks.
type plan struct {
	rows        int64
	seed        uint64
	startMicros int64 // UTC microseconds of the first even slot
	spanMicros  int64 // the rows spread evenly over [start, start+span)
}

// chunks returns the number of chunks of genChunkRows rows.
func (p *plan) chunks() int64 { return (p.rows + genChunkRows - 1) / genChunkRows }

// slotMicros returns row i's evenly spaced ts before jitter:
// start + floor(i*span/rows), computed in 128 bits so no row count overflows.
func (p *plan) slotMicros(i int64) int64 {
	hi, lo := bits.Mul64(uint64(i), uint64(p.spanMicros))
	q, _ := bits.Div64(hi, lo, uint64(p.rows)) // hi < rows since i < rows
	return p.startMicros + int64(q)
}

// rowVals is one generated row before formatting.
type rowVals struct {
	tsMicros  int64 // UTC microseconds
	level     int
	service   int
	host      int
	traceID   uint64
	status    int
	latencyMS int
	msg       []byte // reused between rows
}

// chunkGen generates the rows of one chunk in order.
type chunkGen struct {
	p    *plan
	r    *rng
	next int64 // index of the next row
	end  int64 // one past the chunk's last row
	v    rowVals
	ts   tsFormatter
}

// newChunkGen returns the generator of chunk c of p.
func newChunkGen(p *plan, c int64) *chunkGen {
	g := &chunkGen{p: p, r: newChunkRNG(p.seed, c), next: c * genChunkRows}
	g.end = min(g.next+genChunkRows, p.rows)
	g.v.msg = make([]byte, 0, 128)
	return g
}

// step draws the next row into g.v and reports whether there was one. The
// order of the draws is part of the output format (see genVersion).
func (g *chunkGen) step() bool {
	if g.next >= g.end {
		return false
	}
	r, v := g.r, &g.v
	v.tsMicros = g.p.slotMicros(g.next) + int64(r.n(2*jitterMicros+1)) - jitterMicros
	g.next++
	v.level = pickLevel(r)
	v.service = services.pickService(r)
	hosts := services.hosts[v.service]
	v.host = int(hosts[r.intn(len(hosts))])
	v.traceID = r.u64()
	v.status = pickStatus(r, v.level)
	v.latencyMS = int(r.exp(latencyMeanMillis) + 0.5)
	v.msg = appendMessage(v.msg[:0], r, v)
	return true
}

// pickLevel draws a level by the shares of WORKLOAD.md.
func pickLevel(r *rng) int {
	u := r.n(1000)
	for l, c := range levelCumPermille {
		if u < c {
			return l
		}
	}
	return levelFatal
}

// weighted is a value with a weight in a small discrete distribution.
type weighted[T any] struct {
	w int
	v T
}

// pick draws from a distribution whose weights add up to 100.
func pick[T any](r *rng, dist []weighted[T]) T {
	u := r.intn(100)
	for _, d := range dist {
		if u < d.w {
			return d.v
		}
		u -= d.w
	}
	return dist[len(dist)-1].v
}

var (
	okStatuses    = []weighted[int]{{82, 200}, {8, 201}, {4, 204}, {4, 304}, {2, 302}}
	warnStatuses  = []weighted[int]{{35, 404}, {20, 400}, {15, 429}, {12, 401}, {10, 403}, {8, 409}}
	errorStatuses = []weighted[int]{{45, 500}, {20, 502}, {25, 503}, {10, 504}}
)

// pickStatus draws an HTTP status that fits the level: 2xx/3xx for DEBUG and
// INFO, 4xx for WARN, 5xx for ERROR and FATAL.
func pickStatus(r *rng, level int) int {
	switch level {
	case levelWarn:
		return pick(r, warnStatuses)
	case levelError, levelFatal:
		return pick(r, errorStatuses)
	}
	return pick(r, okStatuses)
}

// appendLine appends v as one JSON line in WORKLOAD.md's key order.
func (g *chunkGen) appendLine(dst []byte) []byte {
	v := &g.v
	dst = append(dst, `{"ts":"`...)
	dst = g.ts.append(dst, v.tsMicros, int(services.zone[v.service]))
	dst = append(dst, `","level":"`...)
	dst = append(dst, levelNames[v.level]...)
	dst = append(dst, `","service":"`...)
	dst = append(dst, services.names[v.service]...)
	dst = append(dst, `","host":"`...)
	dst = append(dst, services.host[v.host]...)
	dst = append(dst, `","trace_id":"`...)
	dst = appendHex16(dst, v.traceID)
	dst = append(dst, `","status":`...)
	dst = strconv.AppendInt(dst, int64(v.status), 10)
	dst = append(dst, `,"latency_ms":`...)
	dst = strconv.AppendInt(dst, int64(v.latencyMS), 10)
	dst = append(dst, `,"message":"`...)
	dst = append(dst, v.msg...) // templates contain nothing JSON must escape
	return append(dst, "\"}\n"...)
}

const hexDigits = "0123456789abcdef"

// appendHex16 appends x as 16 lower-case hex digits.
func appendHex16(dst []byte, x uint64) []byte {
	var b [16]byte
	for i := 15; i >= 0; i-- {
		b[i] = hexDigits[x&0xf]
		x >>= 4
	}
	return append(dst, b[:]...)
}

// tsFormatter writes RFC 3339 timestamps with microseconds in a fixed-offset
// zone. It caches the date of the last day per zone, since consecutive rows
// nearly always fall on the same day.
type tsFormatter struct {
	cache [len(zones)]struct {
		day  int64
		ok   bool
		date [10]byte // YYYY-MM-DD
	}
}

// append writes utcMicros as local time in zones[zi], e.g.
// 2026-11-03T13:30:00.371000+05:30.
func (f *tsFormatter) append(dst []byte, utcMicros int64, zi int) []byte {
	z := &zones[zi]
	local := utcMicros + z.offsetMicros
	secs := floorDiv(local, 1e6)
	frac := local - secs*1e6
	day := floorDiv(secs, 86400)
	sod := secs - day*86400
	c := &f.cache[zi]
	if !c.ok || c.day != day {
		y, m, d := civilFromDays(day)
		c.day, c.ok = day, true
		put4(c.date[0:], y)
		c.date[4] = '-'
		put2(c.date[5:], m)
		c.date[7] = '-'
		put2(c.date[8:], d)
	}
	var b [26]byte // T, hh:mm:ss, dot, six digits fraction
	b[0] = 'T'
	put2(b[1:], int(sod/3600))
	b[3] = ':'
	put2(b[4:], int(sod/60%60))
	b[6] = ':'
	put2(b[7:], int(sod%60))
	b[9] = '.'
	put6(b[10:], int(frac))
	dst = append(dst, c.date[:]...)
	dst = append(dst, b[:16]...)
	return append(dst, z.suffix...)
}

func put2(b []byte, v int) {
	b[0] = byte('0' + v/10)
	b[1] = byte('0' + v%10)
}

func put4(b []byte, v int) {
	put2(b, v/100)
	put2(b[2:], v%100)
}

func put6(b []byte, v int) {
	put2(b, v/10000)
	put2(b[2:], v/100%100)
	put2(b[4:], v%100)
}

// floorDiv divides rounding toward negative infinity.
func floorDiv(a, b int64) int64 {
	q := a / b
	if (a%b != 0) && ((a < 0) != (b < 0)) {
		q--
	}
	return q
}

// civilFromDays converts days since 1970-01-01 to a proleptic Gregorian date
// (Howard Hinnant's days_from_civil inverse).
func civilFromDays(days int64) (year, month, day int) {
	z := days + 719468
	era := floorDiv(z, 146097)
	doe := z - era*146097
	yoe := (doe - doe/1460 + doe/36524 - doe/146096) / 365
	doy := doe - (365*yoe + yoe/4 - yoe/100)
	mp := (5*doy + 2) / 153
	d := doy - (153*mp+2)/5 + 1
	m := mp + 3
	if m > 12 {
		m -= 12
	}
	y := yoe + era*400
	if m <= 2 {
		y++
	}
	return int(y), int(m), int(d)
}
