package engine

import "gopkg.in/src-d/go-errors.v1"

var (
	// errReadOnlySchema refuses statements that would change the schema or
	// the stored rows other than by appending: logs is append-only and its
	// schema follows the data.
	errReadOnlySchema = errors.NewKind("%s is not supported: logq.logs is append-only and its columns follow the ingested data")
	// errOneDatabase refuses creating or dropping databases.
	errOneDatabase = errors.NewKind("%s is not supported: logq holds one database, logq, with the table logs")
)
