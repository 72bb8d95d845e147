// Package compat makes go-mysql-server v0.20.0 answer as MySQL 8 where it
// differs (../../shared/GMS-NOTES.md). It is its one job: logq's engine
// and the reference engines of the tests and the benchmark (plain
// go-mysql-server over memory tables) take the same fixes, so that the
// reference stands for MySQL and an answer of logq that differs from it is
// wrong.
//
// The fixes rewrite plans rather than fork go-mysql-server.
// WithMySQLSemantics adds the analyzer rules: LIKE that go-mysql-server
// must not turn into a range (Like), DIV over DECIMAL (IntDiv),
// UNIX_TIMESTAMP without a zone lookup per row (UnixTimestamp),
// FROM_UNIXTIME's and date ± INTERVAL's fractions, a time column against
// FROM_UNIXTIME as instants (TSVsEpoch), SUM and AVG of integers as exact
// DECIMALs (Sum, Avg), DISTINCT and COUNT(DISTINCT) under a collation
// (Distinct, CollationKey), the regular expression functions on RE2
// (Regexp), string functions bounded by max_allowed_packet, EXPLAIN of
// plain aggregates, and SHOW COLUMNS' types and collations. MySQLWire wraps
// the protocol handler: the backslash of \% and \_ in statement text,
// DATETIME fractions with all their digits, and declared result types. The
// session's time_zone is read as MySQL reads it (SessionLocation,
// LocalDatetime).
//
// compat knows no table. What an engine adds of its own reaches it through
// small hooks: a table declares column types to clients (DeclaringTable,
// and ResultTypes for a statement's result), and a collated DISTINCT
// charges its keys to the engine's memory limit (KeyBudget). Pushdown,
// aggregates over the logs table and everything else about logs stay in
// logq/engine, which recognises the expressions compat creates (Like,
// TSVsEpoch, Regexp, IntDiv, UnixTimestamp, Sum, Avg, CollationKey,
// Distinct) and adds its own rules after WithMySQLSemantics'.
package compat
