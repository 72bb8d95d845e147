package engine

import (
	"testing"
	"time"

	"github.com/dolthub/go-mysql-server/sql"
)

// BenchmarkRowBytes is the per-row cost of charging a held row of logs'
// six core columns.
func BenchmarkRowBytes(b *testing.B) {
	row := sql.Row{time.Now(), "INFO", "checkout", "h-1", "4bf92f3577b34da6a3ce929d0e0e4736", "request 000042 handled in 12 ms"}
	c := memCharge{b: newMemBudget(1<<40, "test")}
	b.ReportAllocs()
	for range b.N {
		if err := c.grow(rowBytes(row)); err != nil {
			b.Fatal(err)
		}
	}
}
