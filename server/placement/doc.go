// Package placement stores each row on the node that owns its partition.
//
// Any node of a cluster takes ingest (HTTP, INSERT). The Router splits what
// it receives by partition (the store's Layout: time bucket and service
// shard), finds each partition's owner by rendezvous hashing over the
// cluster's members (cluster.Members.Owner), stores its own share in its
// store and forwards the others' over Flight, all at once, and returns only
// when every owner has its rows in its WAL, fsynced. An owner that is down
// or refuses fails the call with an error naming it and the partitions it
// owns; the rows of the other owners may be stored by then, so a client
// that retries a failed request may store those twice (the HTTP answer
// says which lines were acknowledged; those are stored exactly once).
//
// Owners come from the members, not from who is alive: a dead member's
// partitions are refused, never written elsewhere, where no query would
// find them once it is back. Replicas (the next issue) extend Owner to the
// first R nodes of the same order.
package placement
