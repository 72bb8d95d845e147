// Package collate is the equality of level, service and host: MySQL 8's
// default collation, utf8mb4_0900_ai_ci, as go-mysql-server implements it.
//
// go-mysql-server gives every code point one weight and compares strings
// weight by weight, the shorter first when one is a prefix of the other.
// Two strings are equal when their weight sequences are. Key turns a string
// into a canonical form that is equal for two strings exactly when they are:
// every code point becomes the ASCII character of its weight (lower case for
// letters) where one exists, else an escape holding the weight. Printable
// ASCII text keys to its lower case, so keys of ordinary names read as the
// names do, and a key of such text is the text itself when it is lower case.
//
// The weights come from go-mysql-server itself, so that logq's pushed-down
// comparisons, pruning and grouping agree with its row-by-row evaluation.
// Where go-mysql-server differs from MySQL (one weight per code point, so no
// expansions such as ß = ss and no ignorable characters) logq follows
// go-mysql-server: the two paths must never disagree with each other.
//
// The package also matches LIKE patterns (CompileLike, Like.Match) under
// the collations logq compares strings in itself: binary,
// utf8mb4_0900_bin and utf8mb4_0900_ai_ci, exactly as go-mysql-server's
// LIKE does, quirks included (like.go lists them), but without its
// expressions, so that the executor need not depend on them. LIKE under any
// other collation is go-mysql-server's to evaluate, not this package's.
package collate
