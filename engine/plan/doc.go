// Package plan is the work a query hands below the SQL layer, as data: the
// columns to read, the claimed condition, the order and limit, and the
// partial aggregate. The SQL layer (package engine) compiles
// go-mysql-server expressions into a Plan; the executor runs it over a
// store; a coordinator sends it to other nodes as bytes.
//
// The types are generated from plan.proto (make proto). Encode and Decode
// frame them with a version and a checksum, and Decode refuses what this
// build cannot run exactly: another version, damaged bytes, unknown
// fields, or a plan that does not hold together (Validate).
package plan
