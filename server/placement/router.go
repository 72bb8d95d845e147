package placement

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"logq/partitions"
	"logq/partitions/columns"
	"logq/server/cluster"
)

// ForwardTimeout bounds the wait for an owner to store forwarded rows: an
// fsync takes milliseconds and an owner holding writes back (its buffers
// full) a few seconds; an owner silent for longer is hung, and the client
// gets an error naming it rather than a request that never ends.
const ForwardTimeout = 10 * time.Second

// Store is this node's own store.
type Store interface {
	Layout() partitions.Layout
	AppendWith(ctx context.Context, b *columns.Batch, o partitions.AppendOptions) (partitions.AppendResult, error)
}

// Node is the connection to another node.
type Node interface {
	// Append stores b on the node, durably, before it returns; lay is
	// the layout b's rows were placed by.
	Append(ctx context.Context, lay partitions.Layout, b *columns.Batch, o partitions.AppendOptions) (partitions.AppendResult, error)
}

// Nodes finds the connection to a member.
type Nodes interface {
	Node(m cluster.Member) (Node, error)
}

// Router is the appender of a node of a cluster: it places rows on their
// partitions' owners. It is safe for concurrent use.
type Router struct {
	view  cluster.View
	local Store
	nodes Nodes
}

// New returns the router of the node whose view of the cluster is view,
// whose store is local and which reaches the others through nodes.
func New(view cluster.View, local Store, nodes Nodes) *Router {
	return &Router{view: view, local: local, nodes: nodes}
}

// share is the rows of one owner.
type share struct {
	owner cluster.Member
	rows  []int32
	keys  []partitions.Key // the partitions of those rows, for errors
	res   partitions.AppendResult
	err   error
}

// AppendWith stores every row of b on its owner and returns when all are
// durable. The column budget o applies on each owner. The result sums the
// owners'. On an error, which names each owner that failed and its
// partitions, some owners may have stored their rows.
func (r *Router) AppendWith(ctx context.Context, b *columns.Batch, o partitions.AppendOptions) (partitions.AppendResult, error) {
	if b.Len() == 0 {
		return partitions.AppendResult{}, nil
	}
	lay := r.local.Layout()
	members := r.view.Members()
	shares := r.split(b, lay, members)
	self := r.view.Self()
	if len(shares) == 1 && shares[0].owner.ID == self {
		return r.local.AppendWith(ctx, b, o) // every row is ours: no copy
	}
	var wg sync.WaitGroup
	for _, s := range shares {
		part := b
		if len(s.rows) != b.Len() {
			part = b.Take(s.rows)
		}
		wg.Go(func() {
			if s.owner.ID == self {
				s.res, s.err = r.local.AppendWith(ctx, part, o)
				return
			}
			s.res, s.err = r.forward(ctx, s.owner, lay, part, o)
		})
	}
	wg.Wait()
	var total partitions.AppendResult
	var errs []error
	for _, s := range shares {
		total.NewColumns += s.res.NewColumns
		total.OverflowFields += s.res.OverflowFields
		total.DeniedFields += s.res.DeniedFields
		if s.err != nil {
			errs = append(errs, s.failure())
		}
	}
	return total, errors.Join(errs...)
}

// forward sends a share to its owner.
func (r *Router) forward(ctx context.Context, owner cluster.Member, lay partitions.Layout, b *columns.Batch, o partitions.AppendOptions) (partitions.AppendResult, error) {
	if !r.view.Alive(owner.ID) {
		return partitions.AppendResult{}, fmt.Errorf("node %s (%s) is down", owner.ID, owner.FlightAddr)
	}
	n, err := r.nodes.Node(owner)
	if err != nil {
		return partitions.AppendResult{}, err
	}
	ctx, cancel := context.WithTimeout(ctx, ForwardTimeout)
	defer cancel()
	return n.Append(ctx, lay, b, o)
}

// failure says which rows a failed share held.
func (s *share) failure() error {
	names := make([]string, len(s.keys))
	for i, k := range s.keys {
		names[i] = k.DirName()
	}
	err := s.err
	if !strings.Contains(err.Error(), "node "+s.owner.ID) {
		err = fmt.Errorf("node %s (%s): %w", s.owner.ID, s.owner.FlightAddr, err)
	}
	return fmt.Errorf("the rows of partition %s, owned by node %s, were not stored: %w", strings.Join(names, ", "), s.owner.ID, err)
}

// split groups the rows of b by owner, in row order within each owner.
func (r *Router) split(b *columns.Batch, lay partitions.Layout, members cluster.Members) []*share {
	var shares []*share
	byOwner := map[string]*share{}
	ownerOf := map[partitions.Key]*share{}
	var last partitions.Key
	var lastShare *share
	for i := range b.Len() {
		k := lay.KeyOf(b.TS[i], b.Service.Value(i))
		s := lastShare
		if s == nil || k != last {
			s = ownerOf[k]
			if s == nil {
				owner, ok := members.Owner(k)
				if !ok { // no members yet: a node alone
					owner = cluster.Member{ID: r.view.Self()}
				}
				if s = byOwner[owner.ID]; s == nil {
					s = &share{owner: owner}
					byOwner[owner.ID] = s
					shares = append(shares, s)
				}
				s.keys = append(s.keys, k)
				ownerOf[k] = s
			}
			last, lastShare = k, s
		}
		s.rows = append(s.rows, int32(i))
	}
	for _, s := range shares {
		slices.SortFunc(s.keys, func(a, b partitions.Key) int { return strings.Compare(a.DirName(), b.DirName()) })
	}
	return shares
}
