package flightsvc

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"runtime/debug"
	"sync"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/flight"
	"github.com/apache/arrow-go/v18/arrow/ipc"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"logq/catalog"
	"logq/engine/exec"
	"logq/engine/plan"
	"logq/partitions"
)

// Service runs the plans coordinators send this node over its store, and
// stores the rows other nodes forward to it.
type Service struct {
	flight.BaseFlightServer
	env   *exec.Env
	store Store // nil: a node that takes no forwarded rows
	log   *slog.Logger

	summaries func() []catalog.Summary // SetSummaries; nil: none
}

// NewService returns the Flight service of the node whose executor is env
// and whose store, taking forwarded rows, is store (nil: none taken).
func NewService(env *exec.Env, store Store, log *slog.Logger) *Service {
	if log == nil {
		log = slog.Default()
	}
	return &Service{env: env, store: store, log: log}
}

// DoGet runs the plan in the ticket and streams its result.
func (s *Service) DoGet(t *flight.Ticket, out flight.FlightService_DoGetServer) error {
	k := keepAlive(out)
	var w *flight.Writer
	obs := &nodeObserver{}
	defer func() {
		if w != nil {
			_ = w.Close() // the schema, for a result without records
		}
		k.Stop()
	}()
	err := s.run(out.Context(), t.GetTicket(), obs, func(schema *arrow.Schema) {
		w = flight.NewRecordWriter(k, ipc.WithSchema(schema))
	}, func(rec arrow.RecordBatch) error { return w.Write(rec) })
	if err == nil && len(obs.damaged) > 0 {
		msg, merr := damageMessage(obs.damaged)
		if merr != nil {
			return status.Error(codes.Internal, merr.Error())
		}
		return k.Send(msg)
	}
	return err
}

// run decodes the plan in ticket, runs it, calls begin with the schema of
// its result and hands each record of it to send. Its error is a gRPC
// status: InvalidArgument for a ticket that is not a plan, Internal for a
// failed run or a panic, never a crash.
func (s *Service) run(ctx context.Context, ticket []byte, obs *nodeObserver, begin func(*arrow.Schema), send func(arrow.RecordBatch) error) (err error) {
	defer func() {
		if v := recover(); v != nil {
			s.log.Error("flight: serving a plan panicked", "panic", v, "stack", string(debug.Stack()))
			err = status.Errorf(codes.Internal, "BUG: serving the plan panicked: %v", v)
		}
	}()
	p, err := plan.Decode(ticket)
	if err != nil {
		return status.Errorf(codes.InvalidArgument, "ticket: %v", err)
	}
	stream, release, err := s.env.Stream(ctx, p, obs)
	if err != nil {
		return statusOf(ctx, err)
	}
	defer release()
	begin(stream.Schema())
	for {
		rec, err := stream.Next()
		if err != nil {
			return statusOf(ctx, err)
		}
		if rec == nil {
			return nil
		}
		err = send(rec)
		rec.Release()
		if err != nil {
			return statusOf(ctx, err)
		}
	}
}

// statusOf is err as the coordinator receives it.
func statusOf(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return status.FromContextError(ctx.Err()).Err()
	}
	return status.Error(codes.Internal, err.Error())
}

// nodeObserver is the Observer of a plan run for a coordinator. The damage
// it meets is skipped and counted by the store as on any read, and sent to
// the coordinator at the end of the stream, which warns its session.
type nodeObserver struct {
	damaged []partitions.Damage
}

func (o *nodeObserver) Damaged(d partitions.Damage) error {
	o.damaged = append(o.damaged, d)
	return nil
}

func (o *nodeObserver) Holding(int64) error { return nil }

// Server is a running Flight listener.
type Server struct {
	srv     flight.Server
	err     chan error
	stop    sync.Once
	stopErr error
}

// Serve serves svc on lis until Stop. Every call must carry secret
// (Dial's); an empty secret admits every call, for a listener that only
// this machine reaches.
func Serve(lis net.Listener, svc *Service, secret string) *Server {
	opts := append(requireSecret(secret), grpc.MaxRecvMsgSize(maxMessageBytes), grpc.MaxSendMsgSize(maxMessageBytes))
	srv := flight.NewServerWithMiddleware(nil, opts...)
	srv.InitListener(lis)
	srv.RegisterFlightService(svc)
	s := &Server{srv: srv, err: make(chan error, 1)}
	go func() { s.err <- srv.Serve() }()
	return s
}

// Addr is the address the server listens on.
func (s *Server) Addr() net.Addr { return s.srv.Addr() }

// Stop stops the server and waits for it; a nil Server is none. Calls
// after the first return its result.
func (s *Server) Stop() error {
	if s == nil {
		return nil
	}
	s.stop.Do(func() {
		s.srv.Shutdown()
		if err := <-s.err; err != nil && !errors.Is(err, net.ErrClosed) && !errors.Is(err, grpc.ErrServerStopped) {
			s.stopErr = fmt.Errorf("flight: %w", err)
		}
	})
	return s.stopErr
}
