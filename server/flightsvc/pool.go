package flightsvc

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"logq/catalog"
	"logq/engine/exec"
	"logq/engine/plan"
	"logq/server/cluster"
)

// Pool holds one reused connection to each member of a cluster, made when
// first needed, so that a member down at the start is an error of the
// queries and writes that need it, not of the start. It sends plans to the
// other members (exec.Nodes) and is where placement finds the connection to
// a partition's owner.
type Pool struct {
	view   cluster.View
	secret string

	sums      cluster.Summaries // the view's, or polled over Flight
	route     bool              // sums are exact enough to route by (etcd's)
	poll      *polledSummaries  // a static cluster's
	contacted atomic.Int64

	mu       sync.Mutex
	clients  map[string]*Client // by member ID
	closed   bool
	observer Observer // SetObserver's; nil: none
}

// Observer is told of the end of every stream a coordinator opened to
// another node: for /metrics.
type Observer interface {
	// StreamEnded reports a stream to node id that ended after d, well
	// (err nil) or not; idle says the node went silent past the idle
	// timeout.
	StreamEnded(id string, d time.Duration, err error, idle bool)
}

// SetObserver makes o the observer of the streams.
func (p *Pool) SetObserver(o Observer) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.observer = o
}

func (p *Pool) observed() Observer {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.observer
}

// NewPool returns the connections of the node whose view of the cluster is
// view, sending secret with every call.
func NewPool(view cluster.View, secret string) *Pool {
	p := &Pool{view: view, secret: secret, clients: map[string]*Client{}}
	if s, ok := view.(cluster.Summaries); ok {
		p.sums, p.route = s, true
	} else {
		p.poll = startPolling(p)
		p.sums = p.poll
	}
	return p
}

// Client returns the connection to m, dialling it on first use (or when m
// moved to another address).
func (p *Pool) Client(m cluster.Member) (*Client, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return nil, fmt.Errorf("flight: node %s: the pool is closed", m.ID)
	}
	if c := p.clients[m.ID]; c != nil && c.addr == m.FlightAddr {
		return c, nil
	} else if c != nil {
		_ = c.Close()
	}
	c, err := Dial(m.FlightAddr, p.secret)
	if err != nil {
		return nil, err
	}
	c.name = fmt.Sprintf("%s (%s)", m.ID, m.FlightAddr)
	id := m.ID
	c.ended = func(d time.Duration, err error) {
		if o := p.observed(); o != nil {
			o.StreamEnded(id, d, err, errors.Is(err, errIdle))
		}
	}
	p.clients[m.ID] = c
	return c, nil
}

// Streams sends pl at once to every other member that may hold rows of
// it: a member whose partition summaries show none is not contacted. A
// member that is down, or cannot take the plan, is a *exec.Missing naming
// the partitions it keeps from the query: an error, or with partial one of
// missing.
func (p *Pool) Streams(ctx context.Context, pl *plan.Plan, partial bool) ([]exec.RecordStream, []*exec.Missing, error) {
	pushed, err := exec.PushedFrom(pl, nil)
	if err != nil {
		return nil, nil, err
	}
	filter := catalog.NewSummaryFilter(pushed.Pruning())
	var ask []cluster.Member
	var needs [][]catalog.Summary // what each of ask may hold; nil: unknown
	var missing []*exec.Missing
	for _, m := range p.view.Members().List() {
		if m.ID == p.view.Self() {
			continue
		}
		alive := p.view.Alive(m.ID)
		var need []catalog.Summary // nil: not known
		if p.route || !alive {
			if need = p.needed(ctx, m.ID, filter); need != nil && len(need) == 0 {
				continue // nothing of this query there
			}
		}
		if !alive {
			missing = append(missing, &exec.Missing{Node: nodeName(m), Why: errDown, Partitions: need})
			continue
		}
		ask = append(ask, m)
		needs = append(needs, need)
	}
	p.contacted.Add(int64(len(ask)))
	out := make([]exec.RecordStream, len(ask))
	errs := make([]error, len(ask))
	var wg sync.WaitGroup
	for i, m := range ask {
		wg.Go(func() {
			c, err := p.Client(m)
			if err == nil {
				out[i], err = c.stream(ctx, pl)
			}
			errs[i] = err
		})
	}
	wg.Wait()
	streams := out[:0]
	for i, err := range errs {
		if err != nil {
			need := needs[i]
			if need == nil {
				need = p.needed(ctx, ask[i].ID, filter)
			}
			missing = append(missing, &exec.Missing{Node: nodeName(ask[i]), Why: err, Partitions: need})
			continue
		}
		streams = append(streams, out[i])
	}
	if len(missing) > 0 && !partial {
		return nil, nil, missing[0]
	}
	return streams, missing, nil
}

// Explain says, from the summaries, what each other member holds of a
// query under pred and whether Streams would ask it.
func (p *Pool) Explain(pred catalog.Predicate) []exec.NodeExplain {
	filter := catalog.NewSummaryFilter(pred)
	var out []exec.NodeExplain
	for _, m := range p.view.Members().List() {
		if m.ID == p.view.Self() {
			continue
		}
		e := exec.NodeExplain{Node: nodeName(m), Alive: p.view.Alive(m.ID)}
		sums, known := p.sums.Of(context.Background(), m.ID)
		e.Known, e.PartitionsTotal = known, len(sums)
		for _, s := range p.needed(context.Background(), m.ID, filter) {
			e.PartitionsKept++
			e.BytesToRead += s.Bytes
		}
		// As Streams decides: a static cluster asks every live node.
		e.Asked = e.Alive && (!p.route || !known || e.PartitionsKept > 0)
		out = append(out, e)
	}
	return out
}

// needed returns the summaries of node id's partitions that may hold rows
// under filter: empty when none does, nil when the node's partitions are
// not known.
func (p *Pool) needed(ctx context.Context, id string, filter *catalog.SummaryFilter) []catalog.Summary {
	sums, known := p.sums.Of(ctx, id)
	if !known {
		return nil
	}
	need := []catalog.Summary{}
	for _, s := range sums {
		if filter.MayHold(s) {
			need = append(need, s)
		}
	}
	return need
}

// errDown is why a node that is not alive is missing.
var errDown = errors.New("the node is down")

func nodeName(m cluster.Member) string { return fmt.Sprintf("%s (%s)", m.ID, m.FlightAddr) }

// Contacted counts the node streams queries opened, for /metrics and the
// fan-out benchmark.
func (p *Pool) Contacted() int64 { return p.contacted.Load() }

// Close closes the connections.
func (p *Pool) Close() error {
	if p.poll != nil {
		p.poll.close()
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.closed = true
	var first error
	for id, c := range p.clients {
		if err := c.Close(); err != nil && first == nil {
			first = err
		}
		delete(p.clients, id)
	}
	return first
}
