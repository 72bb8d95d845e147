package cluster

import (
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"logq/partitions"
)

// keys returns n partition keys: days over several years, four shards
// each.
func keys(n int) []partitions.Key {
	day := (24 * time.Hour).Microseconds()
	start := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC).UnixMicro()
	out := make([]partitions.Key, n)
	for i := range out {
		out[i] = partitions.Key{Start: start + int64(i/4)*day, Width: day, Shard: i % 4, Shards: 4}
	}
	return out
}

func members(t *testing.T, ids ...string) Members {
	t.Helper()
	var ms []Member
	for _, id := range ids {
		ms = append(ms, Member{ID: id, FlightAddr: id + ".example:7070"})
	}
	m, err := NewMembers(ms)
	require.NoError(t, err)
	return m
}

func TestParseStatic(t *testing.T) {
	m, err := ParseStatic(strings.NewReader("# the nodes\n\nn2 10.0.0.2:7070\n  n1\t10.0.0.1:7070  \nn3 [::1]:7070\n"))
	require.NoError(t, err)
	require.Equal(t, []Member{{"n1", "10.0.0.1:7070"}, {"n2", "10.0.0.2:7070"}, {"n3", "[::1]:7070"}}, m.List())
	got, ok := m.Lookup("n2")
	require.True(t, ok)
	require.Equal(t, "10.0.0.2:7070", got.FlightAddr)
	_, ok = m.Lookup("n4")
	require.False(t, ok)

	for text, want := range map[string]string{
		"":                                   "no nodes",
		"# only a comment\n":                 "no nodes",
		"n1\n":                               "line 1: want \"ID HOST:PORT\"",
		"n1 a:1\nn2 b:2 extra\n":             "line 2: want",
		"n1 a:1\n\nn1 b:2\n":                 "line 3: node n1 is listed on line 1 already",
		"n1 nohost\n":                        "line 1: Flight address \"nohost\"",
		"n1 10.0.0.1:7070\nn2 10.0.0.1:7070": "share the Flight address 10.0.0.1:7070",
	} {
		_, err := ParseStatic(strings.NewReader(text))
		require.ErrorContains(t, err, want, "%q", text)
	}
}

// TestOwnersAgree: every node computes the same owners whatever order it
// learnt the members in, and r owners are r distinct members.
func TestOwnersAgree(t *testing.T) {
	a := members(t, "n1", "n2", "n3", "n4", "n5")
	b := members(t, "n5", "n3", "n1", "n4", "n2")
	for _, k := range keys(2000) {
		require.Equal(t, a.Owners(k, 3), b.Owners(k, 3))
		o := a.Owners(k, 3)
		require.Len(t, o, 3)
		require.NotEqual(t, o[0].ID, o[1].ID)
		require.NotEqual(t, o[1].ID, o[2].ID)
		require.NotEqual(t, o[0].ID, o[2].ID)
		first, ok := a.Owner(k)
		require.True(t, ok)
		require.Equal(t, o[0], first, "Owner is the first of Owners")
	}
	require.Len(t, a.Owners(keys(1)[0], 9), 5, "no more owners than members")
	_, ok := Members{}.Owner(keys(1)[0])
	require.False(t, ok)
}

// TestOwnersBalance: three nodes own a third of 12,000 partitions each,
// within 3 points.
func TestOwnersBalance(t *testing.T) {
	m := members(t, "n1", "n2", "n3")
	count := map[string]int{}
	ks := keys(12000)
	for _, k := range ks {
		o, _ := m.Owner(k)
		count[o.ID]++
	}
	for id, n := range count {
		require.InDelta(t, 1.0/3, float64(n)/float64(len(ks)), 0.03, id)
	}
}

// TestOwnersMoveLittle: when a fourth node joins, only partitions that the
// new node takes change owner, about a quarter of them; when a node leaves,
// only its partitions move, and with two replicas the surviving replica
// stays an owner.
func TestOwnersMoveLittle(t *testing.T) {
	three := members(t, "n1", "n2", "n3")
	four := members(t, "n1", "n2", "n3", "n4")
	ks := keys(8000)
	moved := 0
	for _, k := range ks {
		before, _ := three.Owner(k)
		after, _ := four.Owner(k)
		if before != after {
			require.Equal(t, "n4", after.ID, "a partition moves only to the new node")
			moved++
		}
	}
	require.InDelta(t, 0.25, float64(moved)/float64(len(ks)), 0.03)

	two := members(t, "n1", "n3")
	r := rand.New(rand.NewPCG(1, 2))
	for range 2000 {
		k := ks[r.IntN(len(ks))]
		before, _ := three.Owner(k)
		after, _ := two.Owner(k)
		if before.ID != "n2" {
			require.Equal(t, before, after, "only n2's partitions move when n2 leaves")
		}
		replicas := three.Owners(k, 2)
		now := two.Owners(k, 2)
		for _, o := range replicas {
			if o.ID != "n2" {
				require.Contains(t, now, o, "a surviving replica keeps its partition")
			}
		}
	}
}
