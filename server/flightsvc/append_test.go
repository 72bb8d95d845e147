package flightsvc

import (
	"context"
	"math/rand/v2"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/flight"
	"github.com/stretchr/testify/require"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"logq/engine/exec"
	"logq/engine/plan"
	"logq/partitions"
)

// TestAppend forwards rows to a node over DoPut, in several calls and with
// more rows than one record holds, and reads them back from the node with
// a plan: every row once, with its values, NULLs included.
func TestAppend(t *testing.T) {
	n := startNode(t, nil)
	all := genRows(rand.New(rand.NewPCG(3, 4)), 3*appendRecordRows+17)
	lay := n.store.Layout()
	res, err := n.client.Append(context.Background(), lay, batchOf(all[:10]), partitions.AppendOptions{})
	require.NoError(t, err)
	require.Equal(t, partitions.AppendResult{NewColumns: 1}, res, "the node reports the column it created")
	res, err = n.client.Append(context.Background(), lay, batchOf(all[10:]), partitions.AppendOptions{})
	require.NoError(t, err)
	require.Equal(t, partitions.AppendResult{}, res, "status exists now")

	want := slices.Clone(all)
	slices.SortFunc(want, func(a, b row) int { return int(a.ts - b.ts) })
	var wantRows []got
	for _, x := range want {
		wantRows = append(wantRows, got{ts: x.ts, message: x.message})
	}
	p := &plan.Plan{Order: plan.Order_ORDER_ASCENDING, AllColumns: true}
	require.Equal(t, wantRows, readRows(t, exec.MergeRecords(streams(t, []*node{n}, p), true, false)))

	// The nullable column came through, NULLs as NULLs.
	var wantStatus int
	for _, x := range all {
		if !x.statusNull && x.status >= 400 {
			wantStatus++
		}
	}
	p = &plan.Plan{Columns: []string{"message"}, Where: &plan.Expr{Kind: plan.ExprKind_EXPR_INT_CMP, Column: "status",
		Cmp: plan.CmpOp_CMP_GE, IntValue: 400, Text: "status >= 400"}}
	require.Len(t, readRows(t, exec.MergeRecords(streams(t, []*node{n}, p), false, false)), wantStatus)
}

// TestAppendRefused: a sender with another layout, a call without a
// command and a call without the secret are refused, and store nothing.
func TestAppendRefused(t *testing.T) {
	n := startNode(t, nil)
	rows := batchOf(genRows(rand.New(rand.NewPCG(5, 6)), 10))
	other := n.store.Layout()
	other.Shards++
	_, err := n.client.Append(context.Background(), other, rows, partitions.AppendOptions{})
	require.Equal(t, codes.FailedPrecondition, status.Code(err), "%v", err)
	require.ErrorContains(t, err, "--bucket and --shards")

	s, err := n.client.c.DoPut(context.Background())
	require.NoError(t, err)
	require.NoError(t, s.Send(&flight.FlightData{DataHeader: []byte("garbage")}))
	require.NoError(t, s.CloseSend())
	_, err = s.Recv()
	require.Equal(t, codes.InvalidArgument, status.Code(err), "%v", err)

	stranger, err := Dial(n.client.addr, "not the secret of this cluster")
	require.NoError(t, err)
	defer stranger.Close()
	_, err = stranger.Append(context.Background(), n.store.Layout(), rows, partitions.AppendOptions{})
	require.Equal(t, codes.Unauthenticated, status.Code(err), "%v", err)

	got := readRows(t, exec.MergeRecords(streams(t, []*node{n}, &plan.Plan{Order: plan.Order_ORDER_ASCENDING, AllColumns: true}), true, false))
	require.Empty(t, got)
	require.True(t, strings.HasPrefix(err.Error(), "node "), "%v", err)
}

// TestRemoteDamage: a node that skips a damaged batch tells the
// coordinator at the end of its stream, with the rows it could not read;
// the rows it sent and the rows it says it lost make up all its rows.
func TestRemoteDamage(t *testing.T) {
	all := genRows(rand.New(rand.NewPCG(7, 8)), 4000)
	n := startNode(t, all)
	segs := n.store.Segments()
	require.NotEmpty(t, segs)
	path := segs[0].Path
	for _, s := range segs {
		s.DecRef()
	}
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	data[len(data)/3] ^= 0xff // inside the Arrow data, before the stats block
	require.NoError(t, os.WriteFile(path, data, 0o644))

	s, err := n.client.Stream(context.Background(), &plan.Plan{Order: plan.Order_ORDER_ASCENDING, AllColumns: true})
	require.NoError(t, err)
	got := readRows(t, exec.MergeRecords([]exec.RecordStream{s}, true, false))
	damaged := exec.RemoteDamage([]exec.RecordStream{s})
	require.NotEmpty(t, damaged, "the node reports what it skipped")
	var lost int64
	for _, d := range damaged {
		lost += d.Rows
		require.NotEmpty(t, d.Reason)
	}
	require.Less(t, len(got), len(all))
	require.Equal(t, int64(len(all)), int64(len(got))+lost)
}

// BenchmarkStreamCount times one COUNT(*) plan sent to a node over
// loopback and its partial state read back: the per-node cost a
// coordinator pays for an aggregate.
func BenchmarkStreamCount(b *testing.B) {
	t := &testing.T{}
	n := startNode(t, genRows(rand.New(rand.NewPCG(1, 1)), 10000))
	agg := &plan.Aggregate{Funcs: []*plan.AggFunc{{Op: plan.AggOp_AGG_COUNT, Arg: plan.ArgKind_ARG_ROWS, Text: "COUNT(*)"}}}
	q := &exec.AggSpec{}
	exec.AggregateFrom(q, agg)
	p := &plan.Plan{Aggregate: agg}
	b.ResetTimer()
	for range b.N {
		s, err := n.client.Stream(context.Background(), p)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := exec.CombineStates(q, []exec.RecordStream{s}); err != nil {
			b.Fatal(err)
		}
	}
}
