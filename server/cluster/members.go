package cluster

import (
	"bufio"
	"cmp"
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"slices"
	"strings"

	"github.com/cespare/xxhash/v2"

	"logq/partitions"
)

// Member is one node of a cluster.
type Member struct {
	ID         string // unique, stable across restarts: placement hashes it
	FlightAddr string // where the node serves plans (host:port)
}

// Members is a cluster's member list, in ID order. The zero value has no
// members.
type Members struct {
	list []Member
}

// NewMembers returns the member list of ms, which must have distinct,
// non-empty IDs and addresses.
func NewMembers(ms []Member) (Members, error) {
	list := slices.Clone(ms)
	slices.SortFunc(list, func(a, b Member) int { return cmp.Compare(a.ID, b.ID) })
	ids, addrs := map[string]bool{}, map[string]bool{}
	for _, m := range list {
		switch {
		case m.ID == "":
			return Members{}, fmt.Errorf("cluster: a node without an ID")
		case ids[m.ID]:
			return Members{}, fmt.Errorf("cluster: node %s listed twice", m.ID)
		case addrs[m.FlightAddr]:
			return Members{}, fmt.Errorf("cluster: nodes share the Flight address %s", m.FlightAddr)
		}
		if _, _, err := net.SplitHostPort(m.FlightAddr); err != nil {
			return Members{}, fmt.Errorf("cluster: node %s: Flight address %q: %v", m.ID, m.FlightAddr, err)
		}
		ids[m.ID], addrs[m.FlightAddr] = true, true
	}
	return Members{list: list}, nil
}

// ParseStatic reads a static cluster file: one node per line, its ID and
// its Flight address separated by white space ("n1 10.0.0.1:7070"); blank
// lines and lines starting with # are ignored. An error names the line.
func ParseStatic(r io.Reader) (Members, error) {
	var ms []Member
	seen := map[string]int{}
	sc := bufio.NewScanner(r)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		f := strings.Fields(line)
		if len(f) != 2 {
			return Members{}, fmt.Errorf("cluster file, line %d: want \"ID HOST:PORT\", got %q", n, line)
		}
		if prev, ok := seen[f[0]]; ok {
			return Members{}, fmt.Errorf("cluster file, line %d: node %s is listed on line %d already", n, f[0], prev)
		}
		seen[f[0]] = n
		if _, _, err := net.SplitHostPort(f[1]); err != nil {
			return Members{}, fmt.Errorf("cluster file, line %d: Flight address %q: %v", n, f[1], err)
		}
		ms = append(ms, Member{ID: f[0], FlightAddr: f[1]})
	}
	if err := sc.Err(); err != nil {
		return Members{}, fmt.Errorf("cluster file: %w", err)
	}
	if len(ms) == 0 {
		return Members{}, fmt.Errorf("cluster file: no nodes")
	}
	return NewMembers(ms)
}

// Len is the number of members.
func (m Members) Len() int { return len(m.list) }

// List returns the members in ID order.
func (m Members) List() []Member { return slices.Clone(m.list) }

// Lookup returns the member with the ID id.
func (m Members) Lookup(id string) (Member, bool) {
	i, ok := slices.BinarySearchFunc(m.list, id, func(x Member, id string) int { return cmp.Compare(x.ID, id) })
	if !ok {
		return Member{}, false
	}
	return m.list[i], true
}

// Owners returns the r members that own the partition k, best first: the
// highest scores of the rendezvous hash of k and each member's ID (ties,
// which need equal 64-bit hashes, go to the smaller ID). Fewer when the
// cluster has fewer members.
func (m Members) Owners(k partitions.Key, r int) []Member {
	type scored struct {
		score uint64
		m     Member
	}
	all := make([]scored, len(m.list))
	for i, x := range m.list {
		all[i] = scored{score: score(k, x.ID), m: x}
	}
	slices.SortFunc(all, func(a, b scored) int {
		if c := cmp.Compare(b.score, a.score); c != 0 {
			return c
		}
		return cmp.Compare(a.m.ID, b.m.ID)
	})
	out := make([]Member, 0, min(r, len(all)))
	for _, s := range all[:min(r, len(all))] {
		out = append(out, s.m)
	}
	return out
}

// Owner returns the member that owns the partition k; false when there are
// no members.
func (m Members) Owner(k partitions.Key) (Member, bool) {
	o := m.Owners(k, 1)
	if len(o) == 0 {
		return Member{}, false
	}
	return o[0], true
}

// score is the rendezvous score of the partition k on the node id: a hash
// of the key's fields (not of its directory name, which may change format)
// and the ID.
func score(k partitions.Key, id string) uint64 {
	var b [32]byte
	binary.LittleEndian.PutUint64(b[0:], uint64(k.Start))
	binary.LittleEndian.PutUint64(b[8:], uint64(k.Width))
	binary.LittleEndian.PutUint64(b[16:], uint64(k.Shard))
	binary.LittleEndian.PutUint64(b[24:], uint64(k.Shards))
	d := xxhash.New()
	_, _ = d.Write(b[:])
	_, _ = d.WriteString(id)
	return d.Sum64()
}
