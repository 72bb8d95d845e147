package cluster_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"logq/partitions"
	"logq/server/cluster"
	"logq/server/cluster/clustertest"
)

var testLayout = partitions.Layout{Width: 24 * time.Hour.Microseconds(), Shards: 4}

func join(t *testing.T, etcd *clustertest.Etcd, id, addr string, mod ...func(*cluster.EtcdConfig)) (*cluster.Etcd, error) {
	cfg := cluster.EtcdConfig{Endpoints: []string{etcd.Endpoint}, Name: "test", Self: cluster.Member{ID: id, FlightAddr: addr},
		Layout: testLayout, TTL: 2 * time.Second}
	for _, m := range mod {
		m(&cfg)
	}
	e, err := cluster.JoinEtcd(context.Background(), cfg)
	if err != nil {
		return nil, err
	}
	return e, e.Announce(context.Background())
}

func ids(ms cluster.Members) string {
	var out []string
	for _, m := range ms.List() {
		out = append(out, m.ID)
	}
	return strings.Join(out, " ")
}

// TestEtcdMembership joins three nodes to a real etcd: each sees all three
// as members and alive, shares the secret the first one generated, and
// sees a node that leaves stay a member but not alive, then alive again
// when it rejoins. Nodes with another layout or another secret are
// refused, saying why.
func TestEtcdMembership(t *testing.T) {
	etcd := clustertest.StartEtcd(t)
	var nodes []*cluster.Etcd
	for i, id := range []string{"n1", "n2", "n3"} {
		n, err := join(t, etcd, id, "127.0.0.1:"+[]string{"7001", "7002", "7003"}[i])
		require.NoError(t, err)
		t.Cleanup(func() { _ = n.Close() })
		nodes = append(nodes, n)
	}
	for _, n := range nodes {
		require.Eventually(t, func() bool {
			return ids(n.Members()) == "n1 n2 n3" && n.Alive("n1") && n.Alive("n2") && n.Alive("n3")
		}, 5*time.Second, 10*time.Millisecond, "%s sees %s", n.Self(), ids(n.Members()))
		require.Len(t, n.Secret(), 64)
		require.Equal(t, nodes[0].Secret(), n.Secret(), "one secret for the cluster")
	}
	m, ok := nodes[0].Members().Lookup("n2")
	require.True(t, ok)
	require.Equal(t, "127.0.0.1:7002", m.FlightAddr)

	require.NoError(t, nodes[2].Close())
	require.Eventually(t, func() bool { return !nodes[0].Alive("n3") }, 2*time.Second, 10*time.Millisecond,
		"a node that leaves gives its lease back")
	require.Equal(t, "n1 n2 n3", ids(nodes[0].Members()), "and stays a member: it still owns its partitions")
	back, err := join(t, etcd, "n3", "127.0.0.1:7013")
	require.NoError(t, err)
	defer back.Close()
	require.Eventually(t, func() bool {
		m, _ := nodes[1].Members().Lookup("n3")
		return nodes[1].Alive("n3") && m.FlightAddr == "127.0.0.1:7013"
	}, 5*time.Second, 10*time.Millisecond, "n3 back, at its new address")

	_, err = join(t, etcd, "n4", "127.0.0.1:7004", func(c *cluster.EtcdConfig) { c.Layout.Shards = 8 })
	require.ErrorContains(t, err, "partitions rows by 86400s x 4 shards, this node by 86400s x 8 shards")
	_, err = join(t, etcd, "n4", "127.0.0.1:7004", func(c *cluster.EtcdConfig) { c.Secret = strings.Repeat("x", 40) })
	require.ErrorContains(t, err, "another secret")
	require.Equal(t, "n1 n2 n3", ids(nodes[0].Members()), "refused nodes do not join")
}
