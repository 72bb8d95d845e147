package bench

import (
	"math"
	"strconv"
)

// The fixed vocabulary of the data set: names, zones, and the distributions
// of levels, services and hosts. None of it depends on the seed, so every
// seed produces the same services, hosts and zones, only different rows.

// Level indexes, in the order of levelNames.
const (
	levelDebug = iota
	levelInfo
	levelWarn
	levelError
	levelFatal
	levelCount
)

var levelNames = [levelCount]string{"DEBUG", "INFO", "WARN", "ERROR", "FATAL"}

// levelCumPermille holds the cumulative level shares of WORKLOAD.md in
// thousandths: DEBUG 40 %, INFO 45 %, WARN 10 %, ERROR 4.5 %, FATAL 0.5 %.
var levelCumPermille = [levelCount]uint64{400, 850, 950, 995, 1000}

// zone is one of the six time zones the services log in.
type zone struct {
	offsetMicros int64
	suffix       string // RFC 3339 offset as written after the fraction
}

// zones lists WORKLOAD.md's six zones. UTC is written as "Z", the form most
// loggers emit, so the data exercises both spellings of RFC 3339 offsets.
var zones = [...]zone{
	{0, "Z"},
	{-8 * 3600e6, "-08:00"},
	{-5 * 3600e6, "-05:00"},
	{1 * 3600e6, "+01:00"},
	{(5*3600 + 1800) * 1e6, "+05:30"},
	{9 * 3600e6, "+09:00"},
}

// serviceTable is the fixed service and host layout of the data set.
type serviceTable struct {
	names []string // "svc-0" ... "svc-49"
	zone  []uint8  // service -> index into zones
	// cum holds cumulative Zipf weights scaled to 1<<32; a uniform draw
	// below 1<<32 picks the first service whose cum exceeds it.
	cum   []uint64
	hosts [][]uint8 // service -> the hosts that belong to it
	host  []string  // "host-0" ... "host-199"
}

// services is the one service table every generator shares (read only).
var services = newServiceTable()

// newServiceTable builds the layout: service k gets Zipf weight 1/(k+1)^s and
// zone k mod 6; each service owns at least one host and the rest of the 200
// hosts go to services by weight, so busy services run on more hosts. Host
// numbers are assigned through a fixed shuffle so that a service's hosts are
// not a contiguous range.
func newServiceTable() *serviceTable {
	t := &serviceTable{
		names: make([]string, serviceCount),
		zone:  make([]uint8, serviceCount),
		cum:   make([]uint64, serviceCount),
		hosts: make([][]uint8, serviceCount),
		host:  make([]string, hostCount),
	}
	weights := make([]float64, serviceCount)
	var total float64
	for k := range serviceCount {
		t.names[k] = "svc-" + strconv.Itoa(k)
		t.zone[k] = uint8(k % len(zones))
		weights[k] = math.Pow(float64(k+1), -serviceZipfS)
		total += weights[k]
	}
	var acc float64
	for k := range serviceCount {
		acc += weights[k]
		t.cum[k] = uint64(math.Round(acc / total * (1 << 32)))
	}
	t.cum[serviceCount-1] = 1 << 32
	for h := range hostCount {
		t.host[h] = "host-" + strconv.Itoa(h)
	}
	perm := hostPermutation()
	next := 0
	for k, n := range hostShares(weights, total) {
		for range n {
			t.hosts[k] = append(t.hosts[k], perm[next])
			next++
		}
	}
	return t
}

// hostShares splits hostCount hosts over the services: one each, the rest in
// proportion to the weights by largest remainder (ties to the lower index).
func hostShares(weights []float64, total float64) []int {
	shares := make([]int, len(weights))
	rest := hostCount - len(weights)
	frac := make([]float64, len(weights))
	given := 0
	for k, w := range weights {
		exact := w / total * float64(rest)
		shares[k] = 1 + int(exact)
		frac[k] = exact - math.Floor(exact)
		given += int(exact)
	}
	for ; given < rest; given++ {
		best := 0
		for k := range frac {
			if frac[k] > frac[best] {
				best = k
			}
		}
		shares[best]++
		frac[best] = -1
	}
	return shares
}

// hostPermutation is a fixed Fisher-Yates shuffle of the host numbers.
func hostPermutation() []uint8 {
	perm := make([]uint8, hostCount)
	for i := range perm {
		perm[i] = uint8(i)
	}
	r := newRNG(0x6c6f67712d686f73, 0x74732d7368756666) // fixed: "logq-hosts-shuff"
	for i := len(perm) - 1; i > 0; i-- {
		j := r.n(uint64(i + 1))
		perm[i], perm[j] = perm[j], perm[i]
	}
	return perm
}

// pickService draws a service by its Zipf weight.
func (t *serviceTable) pickService(r *rng) int {
	u := r.n(1 << 32)
	lo, hi := 0, len(t.cum)-1
	for lo < hi {
		mid := (lo + hi) / 2
		if t.cum[mid] > u {
			hi = mid
		} else {
			lo = mid + 1
		}
	}
	return lo
}
