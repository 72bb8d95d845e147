package flightsvc

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"runtime/debug"

	"github.com/apache/arrow-go/v18/arrow/flight"
	"github.com/apache/arrow-go/v18/arrow/ipc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"logq/partitions"
	"logq/partitions/arrowrows"
	"logq/partitions/columns"
)

// Store is where a node keeps the rows other nodes forward to it: its own
// partitions.Store.
type Store interface {
	// Layout is how the store routes rows to partitions; a sender that
	// routes otherwise would place rows on nodes no query looks at.
	Layout() partitions.Layout
	// AppendWith stores b durably (the WAL fsynced) before it returns.
	AppendWith(ctx context.Context, b *columns.Batch, o partitions.AppendOptions) (partitions.AppendResult, error)
}

// appendCommand is the descriptor of a DoPut: the sender's layout, which
// the owner checks against its own, and the append's options. A node
// refuses a command with fields it does not know rather than half-obey it.
type appendCommand struct {
	Append *appendArgs `json:"append"`
}

type appendArgs struct {
	BucketMicros  int64 `json:"bucket_us"`
	Shards        int   `json:"shards"`
	MaxNewColumns int   `json:"max_new_columns"`
}

// appendAck is the one PutResult of a DoPut, sent once the rows are
// durable on the owner.
type appendAck struct {
	Rows           int64 `json:"rows"`
	NewColumns     int   `json:"new_columns"`
	OverflowFields int64 `json:"overflow_fields"`
	DeniedFields   int64 `json:"denied_fields"`
}

// maxAppendRows bounds the rows of one DoPut, which the owner holds in
// memory until they are stored: far above the rows of an ingest chunk.
const maxAppendRows = 1 << 20

// DoPut stores the rows a node forwards to this one, their partitions'
// owner, and answers with one PutResult once they are durable. The rows
// are the records of arrowrows; the descriptor's command is an
// appendCommand. A refusal is a status: FailedPrecondition when the
// layouts differ, InvalidArgument for a malformed command or record,
// ResourceExhausted when the disk is full, Unavailable when the store
// takes no writes.
func (s *Service) DoPut(stream flight.FlightService_DoPutServer) (err error) {
	defer func() {
		if v := recover(); v != nil {
			s.log.Error("flight: storing forwarded rows panicked", "panic", v, "stack", string(debug.Stack()))
			err = status.Errorf(codes.Internal, "BUG: storing the rows panicked: %v", v)
		}
	}()
	if s.store == nil {
		return status.Error(codes.Unimplemented, "this node stores no forwarded rows")
	}
	ctx := stream.Context()
	r, err := flight.NewRecordReader(stream)
	if err != nil {
		return status.Errorf(codes.InvalidArgument, "append: %v", err)
	}
	defer r.Release()
	args, err := parseAppend(r.LatestFlightDescriptor())
	if err != nil {
		return status.Errorf(codes.InvalidArgument, "append: %v", err)
	}
	lay := s.store.Layout()
	if sent := (partitions.Layout{Width: args.BucketMicros, Shards: args.Shards}); sent != lay {
		return status.Errorf(codes.FailedPrecondition,
			"this node partitions rows by %s, the sender by %s: every node of a cluster needs the same --bucket and --shards", lay, sent)
	}
	var batches []*columns.Batch
	rows := 0
	for r.Next() {
		b, err := arrowrows.Batch(r.RecordBatch())
		if err != nil {
			return status.Errorf(codes.InvalidArgument, "append: %v", err)
		}
		if rows += b.Len(); rows > maxAppendRows {
			return status.Errorf(codes.InvalidArgument, "append: more than %d rows in one call", maxAppendRows)
		}
		batches = append(batches, b)
	}
	if err := r.Err(); err != nil && !errors.Is(err, io.EOF) {
		return statusOf(ctx, err)
	}
	var res partitions.AppendResult
	if rows > 0 {
		res, err = s.store.AppendWith(ctx, columns.Concat(batches...), partitions.AppendOptions{MaxNewColumns: args.MaxNewColumns})
		if err != nil {
			return appendStatus(ctx, err)
		}
	}
	ack, err := json.Marshal(appendAck{Rows: int64(rows), NewColumns: res.NewColumns,
		OverflowFields: res.OverflowFields, DeniedFields: res.DeniedFields})
	if err != nil {
		return status.Error(codes.Internal, err.Error())
	}
	return stream.Send(&flight.PutResult{AppMetadata: ack})
}

// parseAppend reads the command of a DoPut's descriptor.
func parseAppend(d *flight.FlightDescriptor) (*appendArgs, error) {
	if d == nil || d.GetType() != flight.DescriptorCMD {
		return nil, errors.New("the first message carries no command descriptor")
	}
	dec := json.NewDecoder(bytes.NewReader(d.GetCmd()))
	dec.DisallowUnknownFields()
	var cmd appendCommand
	if err := dec.Decode(&cmd); err != nil {
		return nil, fmt.Errorf("command: %w", err)
	}
	if cmd.Append == nil {
		return nil, errors.New("command: not an append")
	}
	return cmd.Append, nil
}

// appendStatus is a failed append as the sender receives it.
func appendStatus(ctx context.Context, err error) error {
	switch {
	case ctx.Err() != nil:
		return status.FromContextError(ctx.Err()).Err()
	case errors.Is(err, partitions.ErrNoSpace):
		return status.Error(codes.ResourceExhausted, err.Error())
	}
	return status.Error(codes.Unavailable, err.Error())
}

// Append stores b on the node, which must own the partitions of its rows
// under lay, and returns once the node has them durably. o's column budget
// applies on the node. The node's error is returned naming it; a full disk
// there wraps partitions.ErrNoSpace, as it would here.
func (c *Client) Append(ctx context.Context, lay partitions.Layout, b *columns.Batch, o partitions.AppendOptions) (partitions.AppendResult, error) {
	res, err := c.append(ctx, lay, b, o)
	if err != nil {
		if st, ok := status.FromError(err); ok && st.Code() == codes.ResourceExhausted {
			return res, fmt.Errorf("node %s: %w (%s)", c.name, partitions.ErrNoSpace, st.Message())
		}
		return res, fmt.Errorf("node %s: %w", c.name, err)
	}
	return res, nil
}

func (c *Client) append(ctx context.Context, lay partitions.Layout, b *columns.Batch, o partitions.AppendOptions) (partitions.AppendResult, error) {
	schema, err := arrowrows.SchemaOf(b)
	if err != nil {
		return partitions.AppendResult{}, err
	}
	cmd, err := json.Marshal(appendCommand{Append: &appendArgs{BucketMicros: lay.Width, Shards: lay.Shards, MaxNewColumns: o.MaxNewColumns}})
	if err != nil {
		return partitions.AppendResult{}, err
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel() // ends the call on every early return
	stream, err := c.c.DoPut(ctx)
	if err != nil {
		return partitions.AppendResult{}, err
	}
	w := flight.NewRecordWriter(stream, ipc.WithSchema(schema.Arrow()))
	w.SetFlightDescriptor(&flight.FlightDescriptor{Type: flight.DescriptorCMD, Cmd: cmd})
	sel := make([]int32, 0, min(b.Len(), appendRecordRows))
	for lo := 0; lo < b.Len() && err == nil; lo += appendRecordRows {
		sel = sel[:0]
		for i := lo; i < min(lo+appendRecordRows, b.Len()); i++ {
			sel = append(sel, int32(i))
		}
		rec, rerr := arrowrows.Record(b, sel, schema, nil)
		if rerr != nil {
			return partitions.AppendResult{}, rerr
		}
		err = w.Write(rec)
		rec.Release()
	}
	if err == nil {
		err = w.Close()
	}
	if err == nil {
		err = stream.CloseSend()
	}
	// A send fails with io.EOF when the node has already answered: its
	// answer says why.
	if err != nil && !errors.Is(err, io.EOF) {
		return partitions.AppendResult{}, err
	}
	put, err := stream.Recv()
	if err != nil {
		return partitions.AppendResult{}, err
	}
	var ack appendAck
	if err := json.Unmarshal(put.GetAppMetadata(), &ack); err != nil {
		return partitions.AppendResult{}, fmt.Errorf("append: the node's answer: %w", err)
	}
	if ack.Rows != int64(b.Len()) {
		return partitions.AppendResult{}, fmt.Errorf("append: the node stored %d rows of %d", ack.Rows, b.Len())
	}
	return partitions.AppendResult{NewColumns: ack.NewColumns, OverflowFields: ack.OverflowFields, DeniedFields: ack.DeniedFields}, nil
}
