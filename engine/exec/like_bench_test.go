package exec

import (
	"math/rand/v2"
	"strconv"
	"testing"
)

// BenchmarkFinder times the search of containsRows over 4 MB of log-like
// messages for a literal found in one message of 50 (Q5's '%timed out%').
func BenchmarkFinder(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 2))
	var text []byte
	for len(text) < 4<<20 {
		if r.IntN(50) == 0 {
			text = append(text, "connection to db-primary timed out after 5000ms (attempt 3/3)"...)
			continue
		}
		text = append(text, "GET /api/v1/orders/"...)
		text = strconv.AppendInt(text, int64(r.IntN(100000)), 10)
		text = append(text, " completed status=200 duration="...)
		text = strconv.AppendInt(text, int64(r.IntN(900)), 10)
		text = append(text, "ms user cache miss"...)
	}
	lit := []byte("timed out")
	f := newFinder(lit, text)
	b.SetBytes(int64(len(text)))
	for b.Loop() {
		for from := 0; ; {
			at := f.index(text, from)
			if at < 0 {
				break
			}
			from = at + 1
		}
	}
}
