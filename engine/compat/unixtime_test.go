package compat

import (
	"fmt"
	"testing"
	"time"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/expression"
	"github.com/dolthub/go-mysql-server/sql/expression/function"
	"github.com/dolthub/go-mysql-server/sql/types"
	"github.com/stretchr/testify/require"
)

// TestUnixTimestampIsGMSs checks that UnixTimestamp gives exactly
// go-mysql-server's UNIX_TIMESTAMP values (it only caches zones): DATETIME
// arguments of every precision, in offset and named session zones, across
// Berlin's daylight-saving gap, before 1970 and at the limits. In the hour
// Berlin repeats it differs on purpose: the earlier instant, or the later
// for a value with the fold mark (go-mysql-server: always the later).
func TestUnixTimestampIsGMSs(t *testing.T) {
	ctx := sql.NewEmptyContext()
	instants := []time.Time{
		time.Date(2026, 11, 1, 0, 4, 59, 999999000, time.UTC),
		time.Date(2026, 3, 29, 2, 30, 0, 0, time.UTC),  // wall clock skipped in Berlin
		time.Date(2026, 10, 25, 2, 30, 0, 0, time.UTC), // wall clock repeated in Berlin
		time.Date(1970, 1, 1, 0, 0, 0, 500000000, time.UTC),
		time.Date(1969, 12, 31, 23, 0, 0, 0, time.UTC),
		time.Date(3001, 1, 19, 7, 59, 59, 0, time.UTC),
		time.Date(2038, 1, 19, 3, 14, 8, 123000, time.UTC),
	}
	for _, zone := range []string{"UTC", "+00:00", "+05:30", "-08:00", "Europe/Berlin", "America/Los_Angeles", "nowhere"} {
		require.NoError(t, ctx.SetSessionVariable(ctx, "time_zone", zone), zone)
		for _, prec := range []int{0, 3, 6} {
			col := expression.NewGetField(0, types.MustCreateDatetimeType(types.Datetime.Type(), prec), "ts", true)
			gms, err := function.NewUnixTimestamp(col)
			require.NoError(t, err)
			ours := &UnixTimestamp{gms.(*function.UnixTimestamp)}
			for _, ts := range append(instants, time.Time{}) {
				row := sql.Row{ts}
				if ts.IsZero() {
					row = sql.Row{nil}
				}
				want, err := gms.Eval(ctx, row)
				require.NoError(t, err)
				if zone == "Europe/Berlin" && ts.Equal(time.Date(2026, 10, 25, 2, 30, 0, 0, time.UTC)) {
					earlier := time.Date(2026, 10, 25, 0, 30, 0, 0, time.UTC).Unix() // 02:30 CEST
					got, err := ours.Eval(ctx, row)
					require.NoError(t, err)
					require.Equal(t, fmt.Sprint(earlier), fmt.Sprint(got))
					got, err = ours.Eval(ctx, sql.Row{ts.Add(foldMark)})
					require.NoError(t, err)
					require.Equal(t, fmt.Sprint(earlier+3600), fmt.Sprint(got), "02:30 CET, marked")
					continue
				}
				got, err := ours.Eval(ctx, row)
				require.NoError(t, err)
				require.Equal(t, fmt.Sprint(want), fmt.Sprint(got), "UNIX_TIMESTAMP(%v) DATETIME(%d) in %s", ts, prec, zone)
				require.Equal(t, fmt.Sprintf("%T", want), fmt.Sprintf("%T", got))
			}
		}
	}
}
