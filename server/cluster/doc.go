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
// The member list comes from a static file (ParseStatic) for small
// clusters; etcd membership will feed the same Members.
package cluster
