package flightsvc

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/flight"
	"google.golang.org/grpc"
	"google.golang.org/grpc/backoff"
	"google.golang.org/grpc/credentials/insecure"

	"logq/engine/exec"
	"logq/engine/plan"
	"logq/partitions"
)

// Client is a coordinator's connection to one node, reused by every query.
type Client struct {
	name string // how errors name the node: its address, or ID (address)
	addr string
	c    flight.Client

	// ended, when set, is told of every stream's end (Pool's observer).
	ended func(d time.Duration, err error)
}

// Dial connects to the node serving Flight at addr, sending secret (the
// cluster's; empty: none) with every call.
func Dial(addr, secret string) (*Client, error) {
	opts := []grpc.DialOption{grpc.WithTransportCredentials(insecure.NewCredentials()),
		// gRPC's default backoff grows to two minutes: a node back from a
		// restart would wait that long to be asked again.
		grpc.WithConnectParams(grpc.ConnectParams{Backoff: backoff.Config{BaseDelay: 100 * time.Millisecond, Multiplier: 1.6, Jitter: 0.2, MaxDelay: 2 * time.Second},
			MinConnectTimeout: 2 * time.Second}),
		grpc.WithDefaultCallOptions(grpc.MaxCallRecvMsgSize(maxMessageBytes), grpc.MaxCallSendMsgSize(maxMessageBytes))}
	if secret != "" {
		opts = append(opts, grpc.WithPerRPCCredentials(secretCredentials(secret)))
	}
	c, err := flight.NewClientWithMiddleware(addr, nil, nil, opts...)
	if err != nil {
		return nil, fmt.Errorf("flight: dialing %s: %w", addr, err)
	}
	return &Client{name: addr, addr: addr, c: c}, nil
}

// Close closes the connection.
func (c *Client) Close() error { return c.c.Close() }

// Stream sends p to the node and returns its result as it arrives.
// Cancelling ctx ends the node's run. Errors name the node.
func (c *Client) Stream(ctx context.Context, p *plan.Plan) (exec.RecordStream, error) {
	s, err := c.stream(ctx, p)
	if err != nil {
		return nil, fmt.Errorf("node %s: %w", c.name, err)
	}
	return s, nil
}

// stream is Stream whose error at the start does not name the node.
func (c *Client) stream(ctx context.Context, p *plan.Plan) (exec.RecordStream, error) {
	start := time.Now()
	s, err := c.open(ctx, p)
	if err != nil {
		if c.ended != nil {
			c.ended(time.Since(start), err)
		}
		return nil, err
	}
	s.start = start
	return s, nil
}

func (c *Client) open(ctx context.Context, p *plan.Plan) (*remoteStream, error) {
	ticket, err := plan.Encode(p)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(ctx)
	s, err := c.c.DoGet(ctx, &flight.Ticket{Ticket: ticket})
	if err != nil {
		cancel()
		return nil, err
	}
	idle := newIdleReader(s, DefaultIdleTimeout, cancel)
	r, err := flight.NewRecordReader(idle)
	if err != nil {
		idle.stop()
		cancel()
		return nil, err
	}
	return &remoteStream{name: c.name, r: r, idle: idle, cancel: cancel, ended: c.ended}, nil
}

// remoteStream is the RecordStream of one node's DoGet.
type remoteStream struct {
	name   string
	r      *flight.Reader
	idle   *idleReader
	cancel context.CancelFunc // ends the call
	done   bool
	start  time.Time
	ended  func(time.Duration, error) // nil: nobody to tell
}

func (s *remoteStream) Schema() *arrow.Schema { return s.r.Schema() }

// Damaged is the damaged data the node skipped; complete once Next has
// returned the end of the stream.
func (s *remoteStream) Damaged() []partitions.Damage { return s.idle.damaged }

func (s *remoteStream) Next() (arrow.RecordBatch, error) {
	if s.done {
		return nil, nil
	}
	if s.r.Next() {
		rec := s.r.RecordBatch()
		rec.Retain()
		return rec, nil
	}
	err := s.r.Err()
	s.r.Release()
	s.idle.stop()
	s.cancel()
	s.done = true
	if errors.Is(err, io.EOF) {
		err = nil
	}
	if s.ended != nil {
		s.ended(time.Since(s.start), err)
	}
	if err == nil {
		return nil, nil
	}
	return nil, fmt.Errorf("node %s: %w", s.name, err)
}
