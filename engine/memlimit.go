package engine

import (
	"context"
	"fmt"
	"sync/atomic"
	"time"
	"unsafe"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/types"
	"github.com/dolthub/vitess/go/mysql"
	"github.com/shopspring/decimal"

	"logq/engine/compat"
	exec "logq/engine/exec"
)

// The per-query memory limit.
//
// go-mysql-server holds rows in memory for a Sort, a TopN, window
// functions, the groups of a GROUP BY, the keys of a DISTINCT and the build
// side of a hash join, and logq's pushed-down aggregate holds its groups
// (aggtable.go): a GROUP BY over a million distinct messages, an ORDER BY
// over everything or a self-join grew the process until the kernel killed
// it, and ingest and every other query with it. v0.20.0's own guard, the
// process-wide MAX_MEMORY of sql.MemoryManager, compares the whole heap with
// one number, so it fails whichever query happens to allocate next, and
// cannot tell a query that holds a million rows from one that streams them.
//
// Instead each statement gets a memBudget (QueryLimits, through the
// context), and the operators that hold memory charge it for what they
// keep, estimated from the values (rowBytes): a Sort, TopN or window for
// every row it takes in (a TopN for at most its limit), a GROUP BY for each
// new group and the value it keeps per group, a DISTINCT for each new key,
// a hash join for every row of its build side, the pushed-down aggregate
// for its groups. What streams through is never charged, so GROUP BY level
// over every row costs three groups. Past the limit the operator fails the
// statement with ER_OUT_OF_RESOURCES (1041) naming the limit; its rows
// become garbage as go-mysql-server closes the iterators. The operators
// charge through memExec (memlimit_exec.go), which builds the statement's
// iterators, so plans and EXPLAIN are unchanged.
//
// Rows of logs view the decoded batch they come from (scan.go viewString):
// a held row is charged for its values, not for the whole batch it keeps
// alive, which a sparse Sort (few rows of many batches) undercounts.

// queryMemoryLimitVar is the session variable that lowers the server's
// per-query memory limit for the session's statements.
const queryMemoryLimitVar = "logq_query_memory_limit"

// Estimated sizes of what holding a value costs, beyond its own bytes.
const (
	// rowOverheadBytes is a row's slice header where an operator keeps it
	// plus its backing array's share of allocation rounding.
	rowOverheadBytes = 32
	// valueSlotBytes is an interface value in a row.
	valueSlotBytes = 16
	// groupBytes is a go-mysql-server GROUP BY group beyond its buffers:
	// its uint64 key in the keys slice and in the map of buffers, and the
	// boxed slice of buffers.
	groupBytes = 8 + 8 + valueSlotBytes + exec.MapEntryBytes + 24
	// aggBufferBytes is one aggregation buffer of a group: its pointer in
	// the group's slice and the buffer struct (two or three words).
	aggBufferBytes = 8 + 48
	// distinctKeyBytes is a key of go-mysql-server's DISTINCT: a uint64
	// hash and an empty interface value in a map.
	distinctKeyBytes = 8 + valueSlotBytes + exec.MapEntryBytes
)

// memBudget is the memory one statement may hold in the operators that
// keep rows. It is safe for concurrent use; a nil *memBudget is no limit.
type memBudget struct {
	limit  int64  // bytes
	source string // the setting that gave the limit, for the error
	used   atomic.Int64
	failed atomic.Bool // a charge went past the limit
}

// newMemBudget returns a budget of limit bytes set by source (the flag or
// the session variable); nil when limit is 0 or less (none).
func newMemBudget(limit int64, source string) *memBudget {
	if limit <= 0 {
		return nil
	}
	return &memBudget{limit: limit, source: source}
}

// grow charges n bytes (n < 0 gives them back) and fails once the
// statement holds more than its limit.
func (b *memBudget) grow(n int64) error {
	if b == nil || b.used.Add(n) <= b.limit || n <= 0 {
		return nil
	}
	b.failed.Store(true)
	return b.error()
}

// exceeded reports whether the statement failed for its limit.
func (b *memBudget) exceeded() bool { return b != nil && b.failed.Load() }

// error is the statement's failure: ER_OUT_OF_RESOURCES, MySQL's error for
// a statement that ran out of memory, which clients treat as a failed
// statement on a live connection. (MySQL 8's connection_memory_limit
// errors, 4081 and 4082, say the connection was closed; 1038 is for sort
// buffers only.)
func (b *memBudget) error() error {
	return mysql.NewSQLError(mysql.EROutOfResources, mysql.SSUnknownSQLState,
		"query exceeded the per-query memory limit of %s (%s)", FormatBytes(b.limit), b.source)
}

// budgetKey carries a statement's *memBudget in its context.
type budgetKey struct{}

// withBudget returns ctx carrying b.
func withBudget(ctx context.Context, b *memBudget) context.Context {
	if b == nil {
		return ctx
	}
	return context.WithValue(ctx, budgetKey{}, b)
}

// budgetOf returns the budget of the statement of ctx; nil: none.
func budgetOf(ctx context.Context) *memBudget {
	b, _ := ctx.Value(budgetKey{}).(*memBudget)
	return b
}

// memCharge is what one operator holds of its statement's budget, so that
// it can give it back when it closes (a Sort in a subquery runs once per
// outer row). Not safe for concurrent use; the zero value and a charge of
// a nil budget count without a limit.
type memCharge struct {
	b *memBudget
	n int64
}

// grow charges n more bytes.
func (c *memCharge) grow(n int64) error {
	c.n += n
	return c.b.grow(n)
}

// set makes the charge n bytes, whatever it was.
func (c *memCharge) set(n int64) error {
	d := n - c.n
	c.n = n
	return c.b.grow(d)
}

// release gives the whole charge back; it may be called again.
func (c *memCharge) release() {
	_ = c.b.grow(-c.n)
	c.n = 0
}

// distinctKeys charges the keys of a compat.Distinct (a DISTINCT under a
// collation) to the statement's budget: each a string header and a map
// entry beyond its bytes.
type distinctKeys struct {
	memCharge
}

var _ compat.KeyBudget = (*distinctKeys)(nil)

// AddKey implements compat.KeyBudget.
func (c *distinctKeys) AddKey(n int) error { return c.grow(16 + exec.MapEntryBytes + int64(n)) }

// Release implements compat.KeyBudget.
func (c *distinctKeys) Release() { c.release() }

// rowBytes estimates what holding row costs.
func rowBytes(row sql.Row) int64 {
	n := int64(rowOverheadBytes + valueSlotBytes*len(row))
	for _, v := range row {
		n += valueBytes(v)
	}
	return n
}

// valueBytes estimates the heap an interface value holding v points to.
func valueBytes(v any) int64 {
	switch v := v.(type) {
	case nil, bool, int8, uint8:
		return 0 // not allocated (the runtime keeps small values)
	case string:
		return 16 + int64(len(v))
	case []byte:
		return 24 + int64(cap(v))
	case int64, uint64, float64, int32, uint32, float32, int16, uint16, int, uint:
		return 8
	case time.Time:
		return int64(unsafe.Sizeof(v))
	case decimal.Decimal:
		return 48 + 8*int64(len(v.Coefficient().Bits()))
	case *types.LazyJSONDocument:
		return 64 + int64(len(v.Bytes))
	case sql.Row:
		return rowBytes(v)
	case []any:
		return rowBytes(v)
	}
	return 32
}

// FormatBytes writes n as MySQL users read sizes: in GiB, MiB or KiB when
// it is a whole number of them, else in bytes.
func FormatBytes(n int64) string {
	for _, u := range []struct {
		size int64
		name string
	}{{1 << 30, "GiB"}, {1 << 20, "MiB"}, {1 << 10, "KiB"}} {
		if n >= u.size && n%u.size == 0 {
			return fmt.Sprintf("%d %s", n/u.size, u.name)
		}
	}
	return fmt.Sprintf("%d bytes", n)
}
