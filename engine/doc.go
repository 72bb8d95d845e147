// Package engine puts SQL on top of the partitions: a go-mysql-server
// database provider with one database, logq, holding one table, logs.
//
// The table's schema is the core columns (ts, level, service, host,
// trace_id, message) followed by every dynamic column the catalog has seen,
// in order of first sight. ts is stored as UTC microseconds and shown, like
// MySQL's TIMESTAMP, in the session's time_zone, and clients are told it is
// a TIMESTAMP(6) (declared.go). To go-mysql-server it is a DATETIME(6)
// holding the session's wall clock, which the table converts: its own
// TIMESTAMP ignores the session zone, announces TIMESTAMP(6) columns with 0
// decimals to binary-protocol clients (../shared/GMS-NOTES.md) and refuses
// to send a wall clock outside 1970-2038 UTC.
//
// level, service and host compare under MySQL 8's default collation,
// utf8mb4_0900_ai_ci; pushed-down conditions, pruning and the aggregate
// compare them by collation key (partitions/collate), which equal spellings
// share.
//
// Where go-mysql-server v0.20.0 answers differently from MySQL 8, the
// fixes live in logq/engine/compat, which knows no table: its rules
// (compat.WithMySQLSemantics: LIKE, DIV, FROM_UNIXTIME, date ± INTERVAL,
// UNIX_TIMESTAMP, ts against FROM_UNIXTIME, SUM and AVG of integers,
// DISTINCT and COUNT(DISTINCT) under a collation, SHOW COLUMNS, the
// regular expression functions on RE2) and its wire wrapper
// (compat.MySQLWire: the backslash of \% and \_, DATETIME fractions,
// declared result types), which the tests' and the benchmark's reference
// engines take too, so that they stand for MySQL. New adds logq's own
// rules after compat's; the pushdown and the aggregate recognise the
// expressions compat creates, and logq's tables provide compat's hooks
// (ts's declared type, the query's memory budget). The functions of the
// current time (NOW(), UTC_TIMESTAMP(), CURDATE(), ...) are the Provider's
// own (now.go): one instant per statement, in the session's zone.
//
// Aggregates over logs run inside the table (aggrule.go, aggnode.go): per
// record batch over its columns, or from the batch's statistics when it
// lies inside the time range and they answer exactly.
//
// What the table runs below SQL is also data (planconv.go): the claimed
// conditions, the time range, order, columns and the partial aggregate
// convert to a logq/engine/plan Plan and back, and an aggregate's groups to
// partial states as Arrow record batches (aggstate.go), which combine
// exactly: the form in which nodes of a cluster will send each other work
// and results. SET logq_plan_loopback = ON (Options.PlanLoopback for every
// session) runs each query through those encodings before it executes.
//
// Damaged data (damage.go, damaged_table.go): a query never fails for good
// because a record batch or segment fails its checksum. Plans leave out what
// the store has set aside as damaged; a batch found damaged while a query
// reads it is reported to the store (partitions.Store.ReportDamage), which
// sets it aside for later plans, and skipped. Either way the query gets one
// warning (code 1877, ER_TABLE_CORRUPT) per damaged batch or segment that
// could have held a matching row: a damaged batch when pruning by its
// statistics would have kept it, a whole segment when the query's time
// range and service shard meet it. Warnings are raised only on the
// goroutine that consumes the rows (or builds an aggregate), since
// go-mysql-server's ctx.Warn is not safe for concurrent use; scan workers
// hand damage over as errors. Under SET logq_damaged_data = 'error' the
// first damage met fails the query instead. The table damaged, in the same
// database, lists everything set aside and not acknowledged; it is found by
// name but not listed by SHOW TABLES, and DELETE FROM it acknowledges rows
// (partitions.Store.Acknowledge), which stops their warnings.
//
// Limits (limits.go, memlimit.go, peer.go): QueryLimits makes
// max_execution_time hold, answers KILL QUERY with MySQL's errors, bounds
// the memory each statement may hold in the operators that keep rows (the
// analyzer's ExecBuilder, memExec, builds them charging a per-statement
// budget; past it the statement fails with 1041), and kills the statement
// of a client that closed its connection.
//
// A query reads one consistent snapshot: the catalog's plan of segments and
// the store's open buffered rows, taken together under the store's lock, so
// that every acknowledged row is seen exactly once even while seals, flushes
// and compactions run. Buffered rows the store has sealed in memory are
// segments of the plan like files: pruned, answered from statistics, their
// batches read as they are (never decoded nor cached); only the open rows
// are read row by row.
//
// The dynamic columns of logs are the catalog's, seen through the store's
// partitions.ColumnView, which a query takes with its schema: dropped
// columns are left out and a name re-created after a drop reads only its
// new generation. Every batch a scan or an aggregate reads, from a segment
// or the buffer, goes through that view exactly once (scope.view); the
// batch cache keeps batches as stored, so that it serves any later view.
// The catch-all column _extra, stored as text holding a JSON object per row,
// is a JSON column to SQL: its values go to go-mysql-server as lazily parsed
// documents (JSON_EXTRACT(_extra, '$.name'), _extra->>'$.name', comparisons
// with CAST(... AS JSON)), and no predicate on it is pushed down, since the
// scan's byte predicates do not know JSON's comparison rules.
package engine
