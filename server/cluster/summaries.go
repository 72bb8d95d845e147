package cluster

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"

	"logq/catalog"
	"logq/partitions"
)

// Summaries is how a coordinator learns which partitions the other nodes
// hold, to contact only the nodes that may hold rows of a query and to
// name the partitions a dead node keeps from it.
type Summaries interface {
	// Of returns the summaries of node id's partitions; false when they
	// are not known (never published, or the node could not be asked).
	Of(ctx context.Context, id string) ([]catalog.Summary, bool)
}

// partsDir holds, under /logq/NAME/, parts/NODE/PARTITION: the summary of
// one partition of one node (catalog.Summary as JSON). The keys are not
// under the node's lease: a dead node's partitions stay known, so that a
// query can name what it misses.
const partsDir = "parts/"

// publishedMarker is the key under parts/NODE/ that says the node has
// published its summaries, even if it has no partition.
const publishedMarker = "_"

// SummaryInterval is how often a node publishes the summaries of its
// partitions that changed: a flush changes a partition at most this often
// in etcd's eyes.
const SummaryInterval = time.Second

// Publish keeps this node's partition summaries in etcd until Close:
// every SummaryInterval it puts those that changed since the last round
// and deletes those of partitions it no longer holds (retention, a move),
// starting with whatever an earlier run left there.
func (e *Etcd) Publish(source func() []catalog.Summary) {
	e.wg.Go(func() {
		prefix := e.prefix + partsDir + e.cfg.Self.ID + "/"
		published := map[string]string{}
		if res, err := e.client.Get(e.ctx, prefix, clientv3.WithPrefix()); err == nil {
			for _, kv := range res.Kvs {
				published[string(kv.Key)] = string(kv.Value)
			}
		}
		tick := time.NewTicker(SummaryInterval)
		defer tick.Stop()
		for {
			// The marker says "published": a node without partitions is
			// known to hold nothing, and no query asks it.
			now := map[string]string{prefix + publishedMarker: ""}
			for _, s := range source() {
				v, err := json.Marshal(s)
				if err != nil {
					continue
				}
				now[prefix+s.Key.DirName()] = string(v)
			}
			var ops []clientv3.Op
			for k, v := range now {
				if published[k] != v && k != prefix+publishedMarker {
					ops = append(ops, clientv3.OpPut(k, v))
				}
			}
			if _, ok := published[prefix+publishedMarker]; !ok {
				// Last: once the marker is there, what is not listed is
				// not held.
				ops = append(ops, clientv3.OpPut(prefix+publishedMarker, ""))
			}
			for k := range published {
				if _, ok := now[k]; !ok {
					ops = append(ops, clientv3.OpDelete(k))
				}
			}
			ok := true
			for len(ops) > 0 && ok { // etcd bounds the operations of one transaction
				n := min(len(ops), 100)
				ctx, cancel := context.WithTimeout(e.ctx, 5*time.Second)
				_, err := e.client.Txn(ctx).Then(ops[:n]...).Commit()
				cancel()
				if ok = err == nil; !ok && e.ctx.Err() == nil {
					e.cfg.Log.Warn("cluster: publishing partition summaries", "err", err)
				}
				ops = ops[n:]
			}
			if ok {
				published = now
			}
			select {
			case <-e.ctx.Done():
				return
			case <-tick.C:
			}
		}
	})
}

// Of returns the summaries node id published, as last seen.
func (e *Etcd) Of(_ context.Context, id string) ([]catalog.Summary, bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	parts, ok := e.parts[id]
	if !ok {
		return nil, false
	}
	out := make([]catalog.Summary, 0, len(parts))
	for _, s := range parts {
		out = append(out, s)
	}
	return out, true
}

// EnsurePartitions records in etcd that this node holds the partitions
// keys, before rows of them are acknowledged: coordinators route queries by
// the partitions they know of, so a partition must be known before any of
// its rows is. The summaries it writes cover the whole bucket; Publish
// refines them within SummaryInterval.
func (e *Etcd) EnsurePartitions(ctx context.Context, keys []partitions.Key) error {
	prefix := e.prefix + partsDir + e.cfg.Self.ID + "/"
	ops := []clientv3.Op{clientv3.OpPut(prefix+publishedMarker, "")}
	for _, k := range keys {
		v, err := json.Marshal(catalog.Summary{Key: k, MinTS: k.MinTS(), MaxTS: k.MaxTS()})
		if err != nil {
			return err
		}
		ops = append(ops, clientv3.OpPut(prefix+k.DirName(), string(v)))
	}
	for len(ops) > 0 {
		n := min(len(ops), 100)
		ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		_, err := e.client.Txn(ctx).Then(ops[:n]...).Commit()
		cancel()
		if err != nil {
			return fmt.Errorf("cluster: recording new partitions in etcd: %w", err)
		}
		ops = ops[n:]
	}
	return nil
}
