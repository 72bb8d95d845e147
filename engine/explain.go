package engine

import (
	"fmt"
	"strings"

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
	if x, ok := t.nodes.(exec.NodeExplainer); ok {
		out += "; " + explainNodes(x.Explain(push.Pruning()))
	}
	return out
}

// explainNodes describes the other nodes of a cluster for EXPLAIN: which
// are asked, and what their summaries say they hold of the query.
//
//	other nodes: n2 (10.0.0.2:7070) asked, partitions 3/40, bytes 1234567; n3 (10.0.0.3:7070) not asked, partitions 0/38; n4 (...) DOWN, partitions 2/41, bytes 5678
func explainNodes(nodes []exec.NodeExplain) string {
	var b strings.Builder
	b.WriteString("other nodes:")
	for i, n := range nodes {
		if i > 0 {
			b.WriteString(";")
		}
		state := "not asked"
		switch {
		case !n.Alive:
			state = "DOWN"
		case n.Asked:
			state = "asked"
		}
		fmt.Fprintf(&b, " %s %s", n.Node, state)
		if !n.Known {
			b.WriteString(", holdings not known")
			continue
		}
		fmt.Fprintf(&b, ", partitions %d/%d, bytes %d", n.PartitionsKept, n.PartitionsTotal, n.BytesToRead)
	}
	if len(nodes) == 0 {
		b.WriteString(" none")
	}
	return b.String()
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
