package flightsvc

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net"
	"slices"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/flight"
	"github.com/stretchr/testify/require"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"logq/catalog"
	"logq/engine/exec"
	"logq/engine/plan"
	"logq/partitions"
	"logq/partitions/columns"
)

// row is one generated log row, as the test knows it.
type row struct {
	ts             int64
	level, service string
	message        string
	status         int64
	statusNull     bool
}

// genRows returns n rows over three days with distinct timestamps, in a
// random order.
func genRows(r *rand.Rand, n int) []row {
	base := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC).UnixMicro()
	step := 3 * 24 * time.Hour.Microseconds() / int64(n)
	out := make([]row, n)
	for i := range out {
		out[i] = row{
			ts:         base + int64(i)*step + r.Int64N(step),
			level:      []string{"error", "info", "warn"}[r.IntN(3)],
			service:    []string{"api", "db", "web", "auth"}[r.IntN(4)],
			message:    fmt.Sprintf("message %d", i),
			status:     int64(200 + 100*r.IntN(4)),
			statusNull: r.IntN(5) == 0,
		}
	}
	r.Shuffle(n, func(i, j int) { out[i], out[j] = out[j], out[i] })
	return out
}

func batchOf(rows []row) *columns.Batch {
	b := &columns.Batch{}
	status := b.AddColumn("status", columns.TypeInt64, 0)
	for _, x := range rows {
		b.TS = append(b.TS, x.ts)
		b.Level.AppendString(x.level)
		b.Service.AppendString(x.service)
		b.Host.AppendString("h1")
		b.TraceID.AppendNull()
		b.Message.AppendString(x.message)
		if x.statusNull {
			status.AppendNull()
		} else {
			status.AppendInt(x.status)
		}
	}
	return b
}

// testSecret is the cluster secret of the test's nodes.
const testSecret = "a secret of the nodes of this test"

// node is one store with its executor behind a Flight service.
type node struct {
	client *Client
	store  *partitions.Store
}

func startNode(t *testing.T, rows []row) *node {
	t.Helper()
	cat := catalog.New()
	st, err := partitions.Open(t.TempDir(), partitions.WithObserver(cat), partitions.WithCompactInterval(0))
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, st.Close()) })
	// Half the rows in segments, the other half buffered: a node reads both.
	half := len(rows) / 2
	if half > 0 {
		require.NoError(t, st.Append(context.Background(), batchOf(rows[:half])))
	}
	require.NoError(t, st.Flush())
	if len(rows) > half {
		require.NoError(t, st.Append(context.Background(), batchOf(rows[half:])))
	}
	stats := &exec.ScanStats{}
	env := &exec.Env{Store: st, Cat: cat, Stats: stats, Orders: &exec.SortOrders{}, Pool: exec.NewPool(2),
		Cache: exec.NewBatchCache(&exec.CacheBudget{Configured: 64 << 20}, stats, st)}
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	srv := Serve(lis, NewService(env, st, nil), testSecret)
	t.Cleanup(func() { require.NoError(t, srv.Stop()) })
	c, err := Dial(srv.Addr().String(), testSecret)
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, c.Close()) })
	return &node{client: c, store: st}
}

// got is a row read back from a merged stream.
type got struct {
	ts      int64
	message string
}

func readRows(t *testing.T, rows exec.RowStream) []got {
	t.Helper()
	var out []got
	for {
		b, i, err := rows.Next()
		require.NoError(t, err)
		if b == nil {
			return out
		}
		out = append(out, got{ts: b.TS[i], message: string(b.Message.Value(i))})
	}
}

func streams(t *testing.T, nodes []*node, p *plan.Plan) []exec.RecordStream {
	t.Helper()
	var out []exec.RecordStream
	for _, n := range nodes {
		s, err := n.client.Stream(context.Background(), p)
		require.NoError(t, err)
		out = append(out, s)
	}
	return out
}

// TestScatterGather splits random rows over three nodes, each its own store
// behind its own Flight service on loopback, sends each node one plan, and
// checks the merged answer against the rows the test selects and orders
// itself: ordered (both ways) under a condition and a time range,
// unordered with a projection, and an aggregate combined from the nodes'
// partial states.
func TestScatterGather(t *testing.T) {
	r := rand.New(rand.NewPCG(17, 18))
	all := genRows(r, 6000)
	var nodes []*node
	for k := range 3 {
		var mine []row
		for i, x := range all {
			if i%3 == k {
				mine = append(mine, x)
			}
		}
		nodes = append(nodes, startNode(t, mine))
	}
	byTS := slices.Clone(all)
	slices.SortFunc(byTS, func(a, b row) int { return int(a.ts - b.ts) })
	lo, hi := byTS[1000].ts, byTS[4000].ts

	for _, reverse := range []bool{false, true} {
		order := plan.Order_ORDER_ASCENDING
		if reverse {
			order = plan.Order_ORDER_DESCENDING
		}
		p := &plan.Plan{Order: order, AllColumns: true, TimeRange: &plan.TimeRange{Lo: lo, Hi: hi},
			Where: &plan.Expr{Kind: plan.ExprKind_EXPR_IN, Column: "level", Values: [][]byte{[]byte("error")}, Text: "level = 'error'"}}
		var want []got
		for _, x := range byTS {
			if x.ts >= lo && x.ts <= hi && x.level == "error" {
				want = append(want, got{ts: x.ts, message: x.message})
			}
		}
		if reverse {
			slices.Reverse(want)
		}
		require.NotEmpty(t, want)
		require.Equal(t, want, readRows(t, exec.MergeRecords(streams(t, nodes, p), true, reverse)), "reverse %v", reverse)
	}

	// Unordered, only message: the same rows in some order.
	p := &plan.Plan{Columns: []string{"message"}, Where: &plan.Expr{Kind: plan.ExprKind_EXPR_INT_CMP, Column: "status",
		Cmp: plan.CmpOp_CMP_GE, IntValue: 400, Text: "status >= 400"}}
	var want []string
	for _, x := range all {
		if !x.statusNull && x.status >= 400 {
			want = append(want, x.message)
		}
	}
	var messages []string
	for _, g := range readRows(t, exec.MergeRecords(streams(t, nodes, p), false, false)) {
		messages = append(messages, g.message)
	}
	require.ElementsMatch(t, want, messages)

	// COUNT(*), SUM(status) GROUP BY service, from three partial states.
	agg := &plan.Aggregate{Grouped: true,
		Keys:  []*plan.GroupKey{{Kind: plan.KeyKind_KEY_STRING, Column: "service", Folded: true}},
		Funcs: []*plan.AggFunc{{Op: plan.AggOp_AGG_COUNT, Arg: plan.ArgKind_ARG_ROWS, Text: "COUNT(*)"}, {Op: plan.AggOp_AGG_SUM, Arg: plan.ArgKind_ARG_INT, Column: "status", Exact: true, Text: "SUM(status)"}}}
	p = &plan.Plan{Aggregate: agg}
	q := &exec.AggSpec{}
	exec.AggregateFrom(q, agg)
	total, err := exec.CombineStates(q, streams(t, nodes, p))
	require.NoError(t, err)
	wantCount, wantSum := map[string]int64{}, map[string]int64{}
	for _, x := range all {
		wantCount[x.service]++
		if !x.statusNull {
			wantSum[x.service] += x.status
		}
	}
	gotCount, gotSum := map[string]int64{}, map[string]string{}
	for g, tup := range total.Tuples {
		service := *total.Dicts[0].Vals[tup[0]]
		accs := total.AccsOf(g)
		gotCount[service] = accs[0].Result(&q.Aggs[0], time.UTC).(int64)
		gotSum[service] = fmt.Sprint(accs[1].Result(&q.Aggs[1], time.UTC))
	}
	require.Equal(t, wantCount, gotCount)
	for s, n := range wantSum {
		require.Equal(t, fmt.Sprint(n), gotSum[s], s)
	}
}

// TestBadTicket sends tickets that are not plans: each is refused with
// InvalidArgument, and the node goes on serving.
func TestBadTicket(t *testing.T) {
	n := startNode(t, genRows(rand.New(rand.NewPCG(1, 2)), 100))
	for _, ticket := range [][]byte{nil, []byte("garbage"), []byte("LQPL\x00\x01\xff\xff\xff\xff"), make([]byte, 1<<16)} {
		s, err := n.client.c.DoGet(context.Background(), &flight.Ticket{Ticket: ticket})
		if err == nil {
			_, err = s.Recv()
		}
		require.Error(t, err)
		require.Equal(t, codes.InvalidArgument, status.Code(err), "%v", err)
	}
	rows := readRows(t, exec.MergeRecords(streams(t, []*node{n}, &plan.Plan{Order: plan.Order_ORDER_ASCENDING, AllColumns: true}), true, false))
	require.Len(t, rows, 100)
}

// TestEmptyResult: a node without a matching row sends a stream with its
// schema and no record, which merges as no rows.
func TestEmptyResult(t *testing.T) {
	n := startNode(t, nil)
	for _, p := range []*plan.Plan{{Order: plan.Order_ORDER_ASCENDING, AllColumns: true}, {Columns: []string{"message"}}} {
		require.Empty(t, readRows(t, exec.MergeRecords(streams(t, []*node{n}, p), p.Order != plan.Order_ORDER_UNORDERED, false)))
	}
}

// FuzzRun hands the service random tickets: it must answer each with a
// status error or a result, never panic nor hang.
func FuzzRun(f *testing.F) {
	good, err := plan.Encode(&plan.Plan{Order: plan.Order_ORDER_ASCENDING, AllColumns: true,
		Where: &plan.Expr{Kind: plan.ExprKind_EXPR_IN, Column: "level", Values: [][]byte{[]byte("error")}, Text: "x"}})
	require.NoError(f, err)
	f.Add(good)
	f.Add([]byte("LQPL"))
	f.Add([]byte{})
	cat := catalog.New()
	st, err := partitions.Open(f.TempDir(), partitions.WithObserver(cat), partitions.WithCompactInterval(0))
	require.NoError(f, err)
	defer st.Close()
	require.NoError(f, st.Append(context.Background(), batchOf(genRows(rand.New(rand.NewPCG(1, 1)), 200))))
	stats := &exec.ScanStats{}
	svc := NewService(&exec.Env{Store: st, Cat: cat, Stats: stats, Orders: &exec.SortOrders{}, Pool: exec.NewPool(2),
		Cache: exec.NewBatchCache(&exec.CacheBudget{Configured: 16 << 20}, stats, st)}, st, nil)
	f.Fuzz(func(t *testing.T, ticket []byte) {
		err := svc.run(context.Background(), ticket, &nodeObserver{}, func(*arrow.Schema) {}, func(rec arrow.RecordBatch) error { return nil })
		if err != nil {
			code := status.Code(err)
			require.True(t, code == codes.InvalidArgument || code == codes.Internal, "%v", err)
			require.NotContains(t, err.Error(), "BUG", "a ticket made the service panic")
		}
	})
}
