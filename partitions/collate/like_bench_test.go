package collate_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/dolthub/go-mysql-server/sql/expression"

	"logq/partitions/collate"
)

// BenchmarkLike matches a 100-byte log message with CompileLike's matcher
// and with go-mysql-server's, per collation and pattern shape: '%needle%'
// found near the end and not found, a prefix, and a pattern with '_' and
// two '%'s.
func BenchmarkLike(b *testing.B) {
	msg := "GET /api/v1/orders?id=4242 200 in 12ms from 10.1.2.3 user=alice trace=ab12cd34 found needle at end!."
	if len(msg) != 100 {
		b.Fatalf("message of %d bytes", len(msg))
	}
	shapes := []struct{ name, pattern string }{
		{"contains", "%needle%"},
		{"contains-miss", "%haystack%"},
		{"prefix", "GET /api%"},
		{"general", "%orders?id=____ 2%user=%"},
	}
	for _, lc := range likeCollations {
		for _, sh := range shapes {
			name := fmt.Sprintf("%s/%s", lc.c, sh.name)
			l, err := collate.CompileLike(sh.pattern, '\\', lc.c)
			if err != nil {
				b.Fatal(err)
			}
			g, err := expression.ConstructLikeMatcher(lc.id, sh.pattern, '\\')
			if err != nil {
				b.Fatal(err)
			}
			want := !strings.HasSuffix(sh.name, "miss")
			v := []byte(msg)
			b.Run(name+"/logq", func(b *testing.B) {
				b.ReportAllocs()
				b.SetBytes(int64(len(v)))
				for b.Loop() {
					if l.Match(v) != want {
						b.Fatal("wrong answer")
					}
				}
			})
			b.Run(name+"/gms", func(b *testing.B) {
				b.ReportAllocs()
				b.SetBytes(int64(len(msg)))
				for b.Loop() {
					if g.Match(msg) != want {
						b.Fatal("wrong answer")
					}
				}
			})
		}
	}
}
