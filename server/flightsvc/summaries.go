package flightsvc

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"time"

	"github.com/apache/arrow-go/v18/arrow/flight"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"logq/catalog"
	"logq/server/cluster"
)

// summariesAction is the DoAction that returns the summaries of the
// node's partitions (one Result: a JSON list of catalog.Summary), through
// which coordinators of a static cluster learn where data lies.
const summariesAction = "summaries"

// SetSummaries gives the service the summaries of its node's partitions.
func (s *Service) SetSummaries(source func() []catalog.Summary) { s.summaries = source }

// DoAction answers the summaries action.
func (s *Service) DoAction(a *flight.Action, out flight.FlightService_DoActionServer) error {
	if a.GetType() != summariesAction || s.summaries == nil {
		return status.Errorf(codes.Unimplemented, "no action %q here", a.GetType())
	}
	body, err := json.Marshal(s.summaries())
	if err != nil {
		return status.Error(codes.Internal, err.Error())
	}
	return out.Send(&flight.Result{Body: body})
}

// Summaries asks the node for the summaries of its partitions.
func (c *Client) Summaries(ctx context.Context) ([]catalog.Summary, error) {
	s, err := c.c.DoAction(ctx, &flight.Action{Type: summariesAction})
	if err != nil {
		return nil, fmt.Errorf("node %s: %w", c.name, err)
	}
	res, err := s.Recv()
	if err != nil {
		return nil, fmt.Errorf("node %s: %w", c.name, err)
	}
	var out []catalog.Summary
	if err := json.Unmarshal(res.GetBody(), &out); err != nil {
		return nil, fmt.Errorf("node %s: summaries: %w", c.name, err)
	}
	return out, nil
}

// pollInterval is how often a coordinator of a static cluster asks each
// other node for its summaries, which is also its health check: a node
// that misses downAfter polls in a row is down until it answers again.
// (One miss is not enough: nodes of a cluster start one by one, and a
// node asked a moment before it listens is not dead.)
const (
	pollInterval = time.Second
	downAfter    = 2
)

// polledSummaries are the summaries of a static cluster's nodes, asked
// for every pollInterval. They serve to name what a node that is down
// holds; a static cluster does not route by them, as a summary fetched a
// moment ago may lack a partition whose rows were acknowledged since.
type polledSummaries struct {
	pool *Pool
	mu   sync.Mutex
	got  map[string][]catalog.Summary
	miss map[string]int // polls missed in a row
	stop chan struct{}
	done chan struct{}
}

// setAlive is what a static view lets the poll say.
type setAlive interface{ SetAlive(id string, alive bool) }

func startPolling(p *Pool) *polledSummaries {
	s := &polledSummaries{pool: p, got: map[string][]catalog.Summary{}, miss: map[string]int{}, stop: make(chan struct{}), done: make(chan struct{})}
	go s.run()
	return s
}

func (s *polledSummaries) run() {
	defer close(s.done)
	tick := time.NewTicker(pollInterval)
	defer tick.Stop()
	for {
		s.poll()
		select {
		case <-s.stop:
			return
		case <-tick.C:
		}
	}
}

// poll asks every other member at once.
func (s *polledSummaries) poll() {
	var wg sync.WaitGroup
	for _, m := range s.pool.view.Members().List() {
		if m.ID == s.pool.view.Self() {
			continue
		}
		wg.Go(func() {
			ctx, cancel := context.WithTimeout(context.Background(), pollInterval)
			defer cancel()
			c, err := s.pool.Client(m)
			var sums []catalog.Summary
			if err == nil {
				sums, err = c.Summaries(ctx)
			}
			s.mu.Lock()
			if err == nil {
				s.got[m.ID], s.miss[m.ID] = sums, 0
			} else {
				s.miss[m.ID]++
			}
			alive := s.miss[m.ID] < downAfter
			s.mu.Unlock()
			if v, ok := s.pool.view.(setAlive); ok {
				v.SetAlive(m.ID, alive)
			}
		})
	}
	wg.Wait()
}

// Of returns the summaries node id gave when it last answered.
func (s *polledSummaries) Of(_ context.Context, id string) ([]catalog.Summary, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	sums, ok := s.got[id]
	return sums, ok
}

func (s *polledSummaries) close() {
	close(s.stop)
	<-s.done
}

var _ cluster.Summaries = (*polledSummaries)(nil)
