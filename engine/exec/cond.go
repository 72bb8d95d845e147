package exec

import (
	"fmt"
	"math"
	"strings"

	"logq/catalog"
	"logq/engine/plan"
	"logq/partitions/collate"
)

// Pushed is what a query hands to the scan: the claimed conditions, their
// text for EXPLAIN, and the catalog predicate derived from the top-level
// conjuncts for pruning. Top-level ts conditions live only in prune: every
// batch read applies its ts bounds (by binary search where sorted), so pred
// holds the rest, evaluated row by row.
type Pushed struct {
	pred  Pred     // nil: no condition beyond the ts bounds
	Texts []string // the claimed conjuncts, as written by go-mysql-server
	Prune catalog.Predicate
}

// NewPushed returns no conditions: a full scan.
func NewPushed() *Pushed { return &Pushed{Prune: FullScan()} }

// Claim adds the top-level conjunct x, whose SQL text is text, to p. An
// error (a collation or pattern this build cannot evaluate) leaves p as it
// was.
func (p *Pushed) Claim(x *plan.Expr, text string) error {
	q, err := predOf(x)
	if err != nil {
		return err
	}
	p.Texts = append(p.Texts, text)
	narrow(&p.Prune, q)
	if _, isTS := q.(tsPred); isTS {
		return nil
	}
	if p.pred == nil {
		p.pred = q
	} else {
		p.pred = andPred{p.pred, q}
	}
	return nil
}

// narrow intersects the catalog predicate with what a top-level conjunct
// requires; conditions under OR or NOT do not prune.
func narrow(p *catalog.Predicate, q Pred) {
	switch q := q.(type) {
	case andPred:
		narrow(p, q.l)
		narrow(p, q.r)
	case tsPred:
		p.MinTS, p.MaxTS = max(p.MinTS, q.lo), min(p.MaxTS, q.hi)
	case inPred:
		var set *[]string
		switch q.col.Core {
		case ColLevel:
			set = &p.Levels
		case ColService:
			set = &p.Services
		case ColHost:
			set = &p.Hosts
		case ColTraceID:
			set = &p.TraceIDs
		default:
			return
		}
		if q.folded && q.col.Core == ColTraceID {
			return // the catalog compares trace IDs exactly
		}
		// The catalog compares level, service and host by collation key,
		// which keeps every value equal to a literal under either
		// collation; keys also make the intersection of two lists exact.
		values := make([]string, len(q.values))
		for i, v := range q.values {
			values[i] = string(v)
			if !q.folded && q.col.Core != ColTraceID {
				values[i] = collate.Key(values[i])
			}
		}
		*set = intersect(*set, values)
	}
}

// intersect returns the values in both sets; a nil set is unconstrained.
func intersect(a, b []string) []string {
	if a == nil {
		return b
	}
	out := []string{}
	for _, x := range a {
		for _, y := range b {
			if x == y {
				out = append(out, x)
				break
			}
		}
	}
	return out
}

// describe is the text of the claimed conditions for EXPLAIN.
// pruning is what the catalog prunes a scan under p with: the claimed
// conditions' bounds, or nothing when none were claimed (p nil).
func (p *Pushed) Pruning() catalog.Predicate {
	if p == nil {
		return FullScan()
	}
	return p.Prune
}

// Scope is what every source of a scan under p applies: the top-level ts
// bounds and the claimed condition.
func (p *Pushed) Scope() Scope {
	prune := p.Pruning()
	sc := Scope{lo: prune.MinTS, hi: prune.MaxTS}
	if p != nil {
		sc.Cond = p.pred
	}
	return sc
}

func (p *Pushed) Describe() string {
	if p == nil || len(p.Texts) == 0 {
		return "none"
	}
	return fmt.Sprint(strings.Join(p.Texts, " AND "))
}

// Planned returns the claimed conditions as a plan's where and time range.
func (p *Pushed) Planned() (*plan.Expr, *plan.TimeRange) {
	prune := p.Pruning()
	var tr *plan.TimeRange
	if prune.MinTS != math.MinInt64 || prune.MaxTS != math.MaxInt64 {
		tr = &plan.TimeRange{Lo: prune.MinTS, Hi: prune.MaxTS}
	}
	if p == nil || p.pred == nil {
		return nil, tr
	}
	return exprOf(p.pred), tr
}

// PushedFrom returns the claimed conditions of a decoded plan, pruning as
// pushdown prunes.
func PushedFrom(p *plan.Plan, texts []string) (*Pushed, error) {
	out := &Pushed{Prune: FullScan(), Texts: texts}
	if tr := p.TimeRange; tr != nil {
		out.Prune.MinTS, out.Prune.MaxTS = tr.Lo, tr.Hi
	}
	if p.Where != nil {
		q, err := predOf(p.Where)
		if err != nil {
			return nil, err
		}
		narrow(&out.Prune, q)
		out.pred = q
	}
	return out, nil
}

// FullScan is the predicate of an unrestricted scan.
func FullScan() catalog.Predicate {
	return catalog.Predicate{MinTS: math.MinInt64, MaxTS: math.MaxInt64}
}
