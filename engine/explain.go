package engine

import (
	"fmt"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/types"

	"logq/catalog"
	exec "logq/engine/exec"
)

// explain describes an indexed read for EXPLAIN PLAN: the conditions logs
// evaluates itself, and what pruning keeps of a plan made now (the query's
// own plan is made when it runs, from the data then).
//
//	pushed: (logs.level = 'ERROR') AND ...; pruning: partitions 1/28, segments 1/77, batches 1/160, bytes to read 1234567/399123456; buffered rows 0
func (t *indexedTable) explain() string { return explainScan(t.Table, t.push) }

// explainScan describes a read of t under the claimed conditions push.
func explainScan(t *Table, push *exec.Pushed) string {
	snap := t.TakeSnapshot(push.Pruning())
	defer snap.Plan.Release()
	st := snap.Plan.Stats
	total := snap.BufferedRows() // read in full
	bytesTotal := t.Store.Stats().SegmentBytes
	out := fmt.Sprintf("pushed: %s; pruning: partitions %d/%d, segments %d/%d, batches %d/%d, bytes to read %d/%d; buffered rows %d",
		push.Describe(), st.PartitionsKept, st.PartitionsTotal, st.SegmentsKept, st.SegmentsTotal,
		st.BatchesKept, st.BatchesTotal, st.BytesToRead, bytesTotal, total)
	if segs := catalog.DamageIn(push.Pruning(), t.Store.DamagedSegments()); len(snap.Plan.Damaged)+len(segs) > 0 {
		out += fmt.Sprintf("; damaged, not read: batches %d, segments %d (logq.damaged)", len(snap.Plan.Damaged), len(segs))
	}
	return out
}

// explainNote is text shown in a plan; it is never evaluated.
type explainNote string

var _ sql.Expression = explainNote("")

func (n explainNote) String() string                                         { return string(n) }
func (n explainNote) Resolved() bool                                         { return true }
func (n explainNote) IsNullable() bool                                       { return false }
func (n explainNote) Type() sql.Type                                         { return types.Boolean }
func (n explainNote) Children() []sql.Expression                             { return nil }
func (n explainNote) Eval(*sql.Context, sql.Row) (any, error)                { return true, nil }
func (n explainNote) WithChildren(...sql.Expression) (sql.Expression, error) { return n, nil }
