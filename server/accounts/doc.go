// Package accounts keeps who may use logq: the MySQL accounts, their
// passwords and privileges, persisted in the data directory (DATA/USERS),
// and the checks made with them.
//
// The accounts are go-mysql-server's own mysql database
// (mysql_db.MySQLDb), so CREATE USER, ALTER USER, DROP USER, GRANT,
// SHOW GRANTS and mysql.user behave as go-mysql-server implements them and
// its analyzer enforces the privileges of every statement. This package
// loads and persists that database, edits it offline for `logq user` by
// running the same SQL on a throwaway engine (offline.go), and adds what
// go-mysql-server leaves out:
//
//   - at the MySQL handshake (guard.go): MySQL's "Access denied" message
//     with a log line naming the client, a growing delay after repeated
//     failures from one address, the refusal of plaintext sessions when
//     TLS is required (vitess only warns), and connect_timeout for a client
//     that never finishes the handshake;
//   - on HTTP (http.go): bearer tokens and Basic credentials checked
//     against the same accounts, so that an ingest token is an account
//     with INSERT on logq and nothing else.
package accounts
