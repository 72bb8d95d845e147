package flightsvc

import (
	"context"
	"fmt"
	"sync"

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

	mu      sync.Mutex
	clients map[string]*Client // by member ID
	closed  bool
}

// NewPool returns the connections of the node whose view of the cluster is
// view, sending secret with every call.
func NewPool(view cluster.View, secret string) *Pool {
	return &Pool{view: view, secret: secret, clients: map[string]*Client{}}
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
	p.clients[m.ID] = c
	return c, nil
}

// Streams sends pl to every other member at once and returns their streams;
// an error names a node that is down or could not take the plan.
func (p *Pool) Streams(ctx context.Context, pl *plan.Plan) ([]exec.RecordStream, error) {
	var others []cluster.Member
	for _, m := range p.view.Members().List() {
		if m.ID == p.view.Self() {
			continue
		}
		if !p.view.Alive(m.ID) {
			return nil, fmt.Errorf("node %s (%s) is down", m.ID, m.FlightAddr)
		}
		others = append(others, m)
	}
	out := make([]exec.RecordStream, len(others))
	errs := make([]error, len(others))
	var wg sync.WaitGroup
	for i, m := range others {
		wg.Go(func() {
			c, err := p.Client(m)
			if err == nil {
				out[i], err = c.Stream(ctx, pl)
			}
			errs[i] = err // it names the node
		})
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

// Close closes the connections.
func (p *Pool) Close() error {
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
