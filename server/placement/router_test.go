package placement

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"logq/catalog"
	"logq/engine/exec"
	"logq/partitions"
	"logq/partitions/columns"
	"logq/server/cluster"
	"logq/server/flightsvc"
)

const secret = "the secret of the nodes of this test"

// testNode is one store behind its own Flight service on loopback.
type testNode struct {
	id    string
	store *partitions.Store
	srv   *flightsvc.Server
}

func startNodes(t *testing.T, n int) ([]*testNode, cluster.Members) {
	t.Helper()
	var nodes []*testNode
	var ms []cluster.Member
	for k := range n {
		cat := catalog.New()
		st, err := partitions.Open(t.TempDir(), partitions.WithObserver(cat), partitions.WithCompactInterval(0),
			partitions.WithShards(4))
		require.NoError(t, err)
		t.Cleanup(func() { require.NoError(t, st.Close()) })
		stats := &exec.ScanStats{}
		env := &exec.Env{Store: st, Cat: cat, Stats: stats, Orders: &exec.SortOrders{}, Pool: exec.NewPool(2),
			Cache: exec.NewBatchCache(&exec.CacheBudget{Configured: 16 << 20}, stats, st)}
		lis, err := net.Listen("tcp", "127.0.0.1:0")
		require.NoError(t, err)
		srv := flightsvc.Serve(lis, flightsvc.NewService(env, st, nil), secret)
		node := &testNode{id: fmt.Sprintf("n%d", k+1), store: st, srv: srv}
		t.Cleanup(func() { _ = node.srv.Stop() })
		nodes = append(nodes, node)
		ms = append(ms, cluster.Member{ID: node.id, FlightAddr: srv.Addr().String()})
	}
	members, err := cluster.NewMembers(ms)
	require.NoError(t, err)
	return nodes, members
}

// poolNodes is the Nodes of a flightsvc.Pool, as logq serve wires it.
type poolNodes struct{ p *flightsvc.Pool }

func (n poolNodes) Node(m cluster.Member) (Node, error) { return n.p.Client(m) }

func routerOf(t *testing.T, self *testNode, members cluster.Members) *Router {
	view := cluster.NewStatic(self.id, members)
	pool := flightsvc.NewPool(view, secret)
	t.Cleanup(func() { require.NoError(t, pool.Close()) })
	return New(view, self.store, poolNodes{pool})
}

// genBatch returns n rows over five days and seven services, in random
// order, each with a distinct message.
func genBatch(r *rand.Rand, n int) *columns.Batch {
	b := &columns.Batch{}
	base := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC).UnixMicro()
	for i := range n {
		b.TS = append(b.TS, base+r.Int64N(5*24*time.Hour.Microseconds()))
		b.Level.AppendString("info")
		b.Service.AppendString(fmt.Sprintf("svc-%d", r.IntN(7)))
		b.Host.AppendNull()
		b.TraceID.AppendNull()
		b.Message.AppendString(fmt.Sprintf("m%d", i))
	}
	return b
}

// stored returns the rows each partition of a store holds, by key.
func stored(t *testing.T, st *partitions.Store) map[partitions.Key]int64 {
	t.Helper()
	require.NoError(t, st.Flush())
	out := map[partitions.Key]int64{}
	for _, seg := range st.Segments() {
		out[seg.Key] += seg.Stats.Rows
		seg.DecRef()
	}
	return out
}

// TestRouterPlacesRowsOnOwners sends batches to one node of three: each
// partition's rows end up on the owner the rendezvous hash names, every
// row once, and nothing on the others.
func TestRouterPlacesRowsOnOwners(t *testing.T) {
	nodes, members := startNodes(t, 3)
	r := rand.New(rand.NewPCG(1, 2))
	want := map[partitions.Key]int64{}
	lay := nodes[0].store.Layout()
	for range 4 {
		b := genBatch(r, 2000)
		for i := range b.Len() {
			want[lay.KeyOf(b.TS[i], b.Service.Value(i))]++
		}
		_, err := routerOf(t, nodes[r.IntN(3)], members).AppendWith(context.Background(), b, partitions.AppendOptions{})
		require.NoError(t, err)
	}
	owned := map[string]map[partitions.Key]int64{}
	for k, n := range want {
		o, ok := members.Owner(k)
		require.True(t, ok)
		if owned[o.ID] == nil {
			owned[o.ID] = map[partitions.Key]int64{}
		}
		owned[o.ID][k] = n
	}
	require.Len(t, owned, 3, "35 partitions fall on every node of three")
	for _, n := range nodes {
		require.Equal(t, owned[n.id], stored(t, n.store), "node %s holds exactly its partitions", n.id)
	}
}

// TestRouterOwnerDown: with one owner's service stopped, an append that
// has rows for it fails naming the node and its partitions; the rows of
// the other owners are stored, and rows only for live owners still go in.
func TestRouterOwnerDown(t *testing.T) {
	nodes, members := startNodes(t, 3)
	require.NoError(t, nodes[2].srv.Stop())
	router := routerOf(t, nodes[0], members)
	b := genBatch(rand.New(rand.NewPCG(3, 4)), 1000)
	lay := nodes[0].store.Layout()
	var deadKeys []string
	live, dead := 0, 0
	var liveRows []int32
	for i := range b.Len() {
		k := lay.KeyOf(b.TS[i], b.Service.Value(i))
		if o, _ := members.Owner(k); o.ID == "n3" {
			dead++
			deadKeys = append(deadKeys, k.DirName())
		} else {
			live++
			liveRows = append(liveRows, int32(i))
		}
	}
	require.NotZero(t, dead)
	liveBatch := b.Take(liveRows)
	_, err := router.AppendWith(context.Background(), b, partitions.AppendOptions{})
	require.Error(t, err)
	require.ErrorContains(t, err, "owned by node n3")
	require.ErrorContains(t, err, members.List()[2].FlightAddr)
	for _, k := range deadKeys {
		require.ErrorContains(t, err, k)
	}
	count := func() int64 {
		var n int64
		for _, node := range nodes[:2] {
			for _, rows := range stored(t, node.store) {
				n += rows
			}
		}
		return n
	}
	require.Equal(t, int64(live), count(), "the live owners stored theirs")
	_, err = router.AppendWith(context.Background(), liveBatch, partitions.AppendOptions{})
	require.NoError(t, err)
	require.Equal(t, int64(2*live), count())
}
