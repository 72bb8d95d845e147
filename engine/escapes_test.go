package engine_test

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestBackslashWildcards checks that \% and \_ in a string literal keep
// their backslash, as in MySQL, so that LIKE can look for a literal % or _:
// literal values as MySQL 8 gives them, and counts of LIKE patterns
// computed here from the messages, through text queries and server-side
// prepared statements.
func TestBackslashWildcards(t *testing.T) {
	messages := []string{"disk 100% full", "disk 100 full", "disk 1000 full", "a_b", "axb", `back\slash`, "it's 5%"}
	var data bytes.Buffer
	for i := range 70 {
		fmt.Fprintf(&data, `{"ts":%q,"message":%q,"status":200}`+"\n",
			dataStart.Add(time.Duration(i)*time.Minute).Format(time.RFC3339), messages[i%len(messages)])
	}
	db := startLogq(t, data.Bytes(), logqConfig{shards: 1, bucket: 24 * time.Hour, batchRows: 16, unflushed: 0.3, appendLines: 10})

	require.Equal(t, [][]string{{`a\%b`, `a\_b`, "2", `x\%y`, `it's \%`, "a%b", "tab\there", `-- \% --`}},
		queryStrings(t, db, `SELECT 'a\%b', "a\_b", LENGTH('\%'), 'x\\%y', 'it''s \%', 'a%b', 'tab\there', '-- \% --' -- a comment: \%`))

	count := func(keep func(m string) bool) string {
		n := 0
		for i := range 70 {
			if keep(messages[i%len(messages)]) {
				n++
			}
		}
		return strconv.Itoa(n)
	}
	for _, c := range []struct {
		q    string
		keep func(m string) bool
	}{
		{`SELECT COUNT(*) FROM logs WHERE message LIKE '%100\%%'`, func(m string) bool { return strings.Contains(m, "100%") }},
		{`SELECT COUNT(*) FROM logs WHERE message LIKE 'a\_b'`, func(m string) bool { return m == "a_b" }},
		{`SELECT COUNT(*) FROM logs WHERE message LIKE '%\%'`, func(m string) bool { return strings.HasSuffix(m, "%") }},
		{`SELECT COUNT(*) FROM logs WHERE message LIKE '%100%'`, func(m string) bool { return strings.Contains(m, "100") }},
		{`SELECT COUNT(*) FROM logs WHERE message LIKE 'a_b'`, func(m string) bool { return len(m) == 3 && m[0] == 'a' && m[2] == 'b' }},
		{`SELECT COUNT(*) FROM logs WHERE message LIKE '%\\\\%'`, func(m string) bool { return strings.Contains(m, `\`) }},
	} {
		want := count(c.keep)
		require.NotEqual(t, "0", want, c.q)
		require.Equal(t, [][]string{{want}}, queryStrings(t, db, c.q), c.q)
		// Server-side prepared: go-sql-driver prepares a statement with
		// arguments.
		require.Equal(t, [][]string{{want}}, queryStrings(t, db, c.q+" AND status = ?", 200), "prepared: "+c.q)
	}
}
