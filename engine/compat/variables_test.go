package compat

// The tests evaluate expressions outside any engine: go-mysql-server's
// system variables (time_zone, regexp_buffer_size) exist once its
// variables package is loaded, which an engine does through
// go-mysql-server's root package.
import _ "github.com/dolthub/go-mysql-server/sql/variables"
