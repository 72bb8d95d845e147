package engine

import (
	"fmt"
	"time"

	"github.com/dolthub/go-mysql-server/sql"

	"logq/engine/compat"
	exec "logq/engine/exec"
	"logq/engine/plan"
)

// planLoopbackVar makes a session run every query's plan through its
// encoding (plan.Encode, plan.Decode) and execute what was decoded, as a
// node will execute a plan it received; tests turn it on to prove the
// encoded path with every query they run.
const planLoopbackVar = "logq_plan_loopback"

func planLoopback(ctx *sql.Context, t *Table) bool {
	if t.loopback {
		return true
	}
	v, err := ctx.GetSessionVariable(ctx, planLoopbackVar)
	return err == nil && v == int8(1)
}

// loopback completes p with the session's zone and the claimed conditions
// push, sends it through its encoding, and returns what a node rebuilds of
// them. The zone travels by name (compat.ZoneName): SYSTEM as this
// server's IANA name, resolved here, since the node that runs the plan
// would read SYSTEM as its own zone.
func loopback(t *Table, p *plan.Plan, loc *time.Location, push *exec.Pushed) (*plan.Plan, *time.Location, *exec.Pushed, error) {
	if err := complete(p, loc, push); err != nil {
		return nil, nil, nil, err
	}
	p, err := exec.RoundTrip(p)
	if err != nil {
		return nil, nil, nil, err
	}
	if loc, err = compat.ParseZone(p.TimeZone); err != nil {
		return nil, nil, nil, fmt.Errorf("plan: %w", err)
	}
	t.Stats.PlansRoundTripped.Add(1)
	var texts []string // for EXPLAIN, which the plan does not carry
	if push != nil {
		texts = push.Texts
	}
	push, err = exec.PushedFrom(p, texts)
	return p, loc, push, err
}

// complete sets what p needs beside its columns, order or aggregate: the
// session's zone, by name, and the claimed conditions push.
func complete(p *plan.Plan, loc *time.Location, push *exec.Pushed) error {
	zone, err := compat.ZoneName(loc)
	if err != nil {
		return err
	}
	p.TimeZone = zone
	p.Where, p.TimeRange = push.Planned()
	return nil
}

// scanPlan is the plan of a scan of t under o: its columns and order.
func scanPlan(t *Table, o scanOptions) *plan.Plan {
	p := &plan.Plan{AllColumns: t.projNames == nil, Columns: t.projNames}
	switch {
	case o.ordered && o.reverse:
		p.Order = plan.Order_ORDER_DESCENDING
	case o.ordered:
		p.Order = plan.Order_ORDER_ASCENDING
	}
	return p
}

// loopbackScan returns t, loc and o rebuilt from their plan after a round
// trip through its encoding.
func loopbackScan(t *Table, loc *time.Location, o scanOptions) (*Table, *time.Location, scanOptions, error) {
	p, loc, push, err := loopback(t, scanPlan(t, o), loc, o.push)
	if err != nil {
		return nil, nil, o, err
	}
	var cols []string // nil: every column
	if !p.AllColumns {
		cols = append([]string{}, p.Columns...) // none but ts when empty
	}
	out := scanOptions{push: push, ordered: p.Order != plan.Order_ORDER_UNORDERED, reverse: p.Order == plan.Order_ORDER_DESCENDING}
	return t.WithProjections(cols).(*Table), loc, out, nil
}

// loopbackAggregate returns q and loc rebuilt from their plan after a round
// trip through its encoding.
func loopbackAggregate(q *aggQuery, loc *time.Location) (*aggQuery, *time.Location, error) {
	p, loc, push, err := loopback(q.t, &plan.Plan{Aggregate: exec.AggregateOf(&q.AggSpec)}, loc, q.Push)
	if err != nil {
		return nil, nil, err
	}
	out := *q
	out.Push = push
	exec.AggregateFrom(&out.AggSpec, p.Aggregate)
	out.Finish(out.ReadNames())
	return &out, loc, nil
}
