// Package cluster says which nodes make up a cluster and which of them own
// each partition.
//
// Placement is rendezvous hashing: every node scores each partition key
// with a hash of the key and its own ID, and the partition belongs to the R
// nodes with the highest scores (R, the replication factor, is 1 until
// replicas exist). Every node computes the same owners from the same member
// list, without asking anyone, and a change of members moves only the
// partitions of the nodes that came or went: about 1/N of them when one
// node of N joins.
//
// A node knows its cluster through a View: the members (what places
// partitions) and which of them are alive (what may be asked). The view
// of a static file (Static, ParseStatic) has fixed members whose liveness
// a health poll sets; the view of etcd (Etcd) keeps the members, a lease
// per live node, the cluster's layout and secret, and the summaries of
// every node's partitions, by which coordinators route queries
// (Summaries).
package cluster
