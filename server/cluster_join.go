package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net"
	"os"
	"sync"

	"logq/catalog"
	"logq/partitions"
	"logq/partitions/columns"
	"logq/server/cluster"
	"logq/server/flightsvc"
	"logq/server/placement"
)

// clusterJoin is what serve learns of its cluster before the store opens:
// the Flight listener (already listening, so that its address is known,
// but not yet serving), this node's view of the cluster (nil: a node
// alone) and the cluster secret.
type clusterJoin struct {
	flightLn net.Listener
	view     cluster.View
	etcd     *cluster.Etcd // the view, in etcd mode
	secret   string
}

// joinCluster opens the Flight listener of --flight-addr and joins the
// cluster of --cluster: a static file or etcd://host:port,... A static
// node's Flight address defaults to its line in the file; an etcd node
// needs --flight-addr, and advertises it (or --flight-advertise-addr) in
// etcd. secret is --cluster-secret-file's; in etcd mode, without one, the
// cluster's own is used (the first node generates it).
func joinCluster(ctx context.Context, cfg *serveConfig, secret string, log *slog.Logger) (j *clusterJoin, err error) {
	j = &clusterJoin{secret: secret}
	defer func() {
		if err != nil {
			j.Close()
		}
	}()
	endpoints, isEtcd, err := cluster.ParseEtcd(cfg.clusterFile)
	switch {
	case err != nil:
		return j, err
	case cfg.clusterFile == "":
		if cfg.nodeID != "" {
			return j, errors.New("--node-id needs --cluster")
		}
		return j, j.listen(cfg.flightAddr)
	case cfg.demo:
		return j, errors.New("--demo loads a data set into one node alone: leave it out with --cluster")
	case cfg.nodeID == "":
		return j, fmt.Errorf("--cluster needs --node-id: this node's ID in the cluster")
	case isEtcd:
		return j, j.joinEtcd(ctx, cfg, endpoints, log)
	}
	f, err := os.Open(cfg.clusterFile)
	if err != nil {
		return j, fmt.Errorf("--cluster: %w", err)
	}
	members, err := cluster.ParseStatic(f)
	f.Close()
	if err != nil {
		return j, fmt.Errorf("--cluster %s: %w", cfg.clusterFile, err)
	}
	self, ok := members.Lookup(cfg.nodeID)
	if !ok {
		return j, fmt.Errorf("--node-id %q is not a node of --cluster %s", cfg.nodeID, cfg.clusterFile)
	}
	if cfg.flightAddr == "" {
		cfg.flightAddr = self.FlightAddr
	}
	j.view = cluster.NewStatic(self.ID, members)
	return j, j.listen(cfg.flightAddr)
}

// joinEtcd joins the cluster kept in etcd at endpoints.
func (j *clusterJoin) joinEtcd(ctx context.Context, cfg *serveConfig, endpoints []string, log *slog.Logger) error {
	if cfg.flightAddr == "" {
		return errors.New("--cluster etcd://... needs --flight-addr: where the other nodes reach this one")
	}
	if err := j.listen(cfg.flightAddr); err != nil {
		return err
	}
	advertise := cfg.flightAdvertise
	if advertise == "" {
		advertise = j.flightLn.Addr().String()
		if host, _, _ := net.SplitHostPort(advertise); net.ParseIP(host).IsUnspecified() {
			return fmt.Errorf("--flight-addr %s listens on every address: say with --flight-advertise-addr which one the other nodes use", cfg.flightAddr)
		}
	}
	e, err := cluster.JoinEtcd(ctx, cluster.EtcdConfig{
		Endpoints: endpoints,
		Name:      cfg.clusterName,
		Self:      cluster.Member{ID: cfg.nodeID, FlightAddr: advertise},
		Layout:    partitions.Layout{Width: cfg.bucket.Microseconds(), Shards: cfg.shards},
		Secret:    j.secret,
		Log:       log,
	})
	if err != nil {
		return err
	}
	j.view, j.etcd, j.secret = e, e, e.Secret()
	return nil
}

// listen opens the Flight listener of addr, if any.
func (j *clusterJoin) listen(addr string) error {
	if addr == "" {
		return nil
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("Flight listener: %w", err)
	}
	j.flightLn = ln
	return nil
}

// announce tells the cluster that this node serves: in etcd mode, it takes
// its liveness lease and starts publishing the summaries of its
// partitions.
func (j *clusterJoin) announce(ctx context.Context, summaries func() []catalog.Summary) error {
	if j.etcd == nil {
		return nil
	}
	j.etcd.Publish(summaries)
	return j.etcd.Announce(ctx)
}

// nodeSummaries returns the summaries of this node's partitions: the
// catalog's, widened by the rows still open in the store, and in etcd mode
// those recorded before their first rows arrived (known).
func nodeSummaries(cat *catalog.Catalog, store *partitions.Store, known *knownStore) func() []catalog.Summary {
	return func() []catalog.Summary {
		open := store.OpenRows()
		sums := cat.Summaries()
		have := map[partitions.Key]bool{}
		for i, s := range sums {
			sums[i] = s.WithOpenRows(open[s.Key])
			delete(open, s.Key)
			have[s.Key] = true
		}
		for k, n := range open { // not yet announced to the catalog
			sums = append(sums, catalog.Summary{Key: k, MinTS: math.MaxInt64, MaxTS: math.MinInt64}.WithOpenRows(n))
			have[k] = true
		}
		if known != nil {
			for _, k := range known.keys() {
				if !have[k] {
					sums = append(sums, catalog.Summary{Key: k, MinTS: k.MinTS(), MaxTS: k.MaxTS()})
				}
			}
		}
		return sums
	}
}

// Close leaves the cluster (in etcd mode, giving the lease back) and
// closes the Flight listener if nothing serves it yet. Calls after the
// first do nothing.
func (j *clusterJoin) Close() {
	if j.etcd != nil {
		_ = j.etcd.Close()
		j.etcd = nil
	}
	if j.flightLn != nil {
		_ = j.flightLn.Close()
		j.flightLn = nil
	}
}

// poolNodes finds a partition owner's connection in the pool.
type poolNodes struct{ p *flightsvc.Pool }

func (n poolNodes) Node(m cluster.Member) (placement.Node, error) { return n.p.Client(m) }

// knownStore is this node's store in etcd mode: an append that creates
// partitions records them in etcd first (cluster.Etcd.EnsurePartitions),
// so that no coordinator routes a query past rows it acknowledged.
type knownStore struct {
	*partitions.Store
	etcd *cluster.Etcd

	mu    sync.Mutex
	known map[partitions.Key]bool
}

func newKnownStore(store *partitions.Store, cat *catalog.Catalog, e *cluster.Etcd) *knownStore {
	s := &knownStore{Store: store, etcd: e, known: map[partitions.Key]bool{}}
	for _, sum := range cat.Summaries() {
		s.known[sum.Key] = true // a previous run recorded them before their rows' acks
	}
	return s
}

// AppendWith records the partitions of b that etcd does not know yet,
// then appends b.
func (s *knownStore) AppendWith(ctx context.Context, b *columns.Batch, o partitions.AppendOptions) (partitions.AppendResult, error) {
	lay := s.Layout()
	var fresh []partitions.Key
	s.mu.Lock()
	seen := map[partitions.Key]bool{}
	for i := range b.Len() {
		k := lay.KeyOf(b.TS[i], b.Service.Value(i))
		if !s.known[k] && !seen[k] {
			seen[k] = true
			fresh = append(fresh, k)
		}
	}
	s.mu.Unlock()
	if len(fresh) > 0 {
		if err := s.etcd.EnsurePartitions(ctx, fresh); err != nil {
			return partitions.AppendResult{}, err
		}
		s.mu.Lock()
		for _, k := range fresh {
			s.known[k] = true
		}
		s.mu.Unlock()
	}
	return s.Store.AppendWith(ctx, b, o)
}

// keys returns the partitions recorded in etcd, which the summaries keep
// listing until the store drops them.
func (s *knownStore) keys() []partitions.Key {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]partitions.Key, 0, len(s.known))
	for k := range s.known {
		out = append(out, k)
	}
	return out
}
