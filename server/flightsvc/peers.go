package flightsvc

import (
	"context"
	"fmt"

	"logq/engine/exec"
	"logq/engine/plan"
)

// Peers are the other nodes of a cluster, each behind one reused
// connection: what a coordinator sends its plans to (exec.Nodes).
type Peers struct {
	clients []*Client
}

// DialPeers connects to the nodes addrs (by ID), sending secret with every
// call. The connections are made lazily, so a node that is down now is an
// error of the queries that need it, not of the start.
func DialPeers(addrs map[string]string, secret string) (*Peers, error) {
	p := &Peers{}
	for id, addr := range addrs {
		c, err := Dial(addr, secret)
		if err != nil {
			_ = p.Close()
			return nil, err
		}
		c.name = fmt.Sprintf("%s (%s)", id, addr)
		p.clients = append(p.clients, c)
	}
	return p, nil
}

// Streams sends plan to every peer and returns their streams; an error
// names the first node that could not take the plan.
func (p *Peers) Streams(ctx context.Context, pl *plan.Plan) ([]exec.RecordStream, error) {
	out := make([]exec.RecordStream, 0, len(p.clients))
	for _, c := range p.clients {
		s, err := c.Stream(ctx, pl)
		if err != nil {
			return nil, err // it names the node
		}
		out = append(out, s)
	}
	return out, nil
}

// Close closes the connections.
func (p *Peers) Close() error {
	var first error
	for _, c := range p.clients {
		if err := c.Close(); err != nil && first == nil {
			first = err
		}
	}
	return first
}
