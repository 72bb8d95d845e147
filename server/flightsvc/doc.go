// Package flightsvc is the data path between the nodes of a cluster: an
// Arrow Flight service through which a node runs the plans a coordinator
// sends it, and the client a coordinator reads them with.
//
// One DoGet per node and query: the ticket is the encoded plan
// (plan.Encode), so no GetFlightInfo round trip precedes the data. The
// node answers with the plan's rows as Arrow record batches, in the plan's
// order, or with its partial aggregate's state (exec.Env.Stream); the
// coordinator merges row streams in the total order (exec.MergeRecords) or
// combines the states (exec.CombineStates). A ticket that does not decode
// is refused with InvalidArgument, and a panic while serving one becomes an
// Internal error: a bad ticket never takes a node down.
package flightsvc
