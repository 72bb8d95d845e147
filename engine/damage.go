package engine

import (
	"fmt"
	"strings"
	"time"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/vitess/go/mysql"

	"logq/partitions"
)

// damagedDataVar says what a query over damaged data gets (SET
// logq_damaged_data = 'warn' | 'error'): by default the rows that could be
// read plus one warning per damaged batch or segment whose rows it could not
// read; with 'error' the query fails instead, naming the first one.
const damagedDataVar = "logq_damaged_data"

// Values of damagedDataVar.
const (
	damagedWarn  = "warn"
	damagedError = "error"
)

// erTableCorrupt is MySQL's ER_TABLE_CORRUPT: the code of the warning, and
// of the error under logq_damaged_data = 'error'.
const erTableCorrupt = 1877

// damageReport tells the SQL user about the damaged data one query could not
// read: found when planning (batches and segments already set aside) or
// while reading (a batch whose checksum fails now). Each damaged batch or
// segment is reported once per query. It is used only by the goroutine that
// consumes the query's rows, the one go-mysql-server's ctx.Warn may be
// called from; scan workers hand damage over as damagedRead errors.
type damageReport struct {
	strict bool
	seen   map[damageKey]bool
}

type damageKey struct {
	key   partitions.Key
	file  string
	batch int
}

// newDamageReport reads the session's logq_damaged_data.
func newDamageReport(ctx *sql.Context) *damageReport {
	r := &damageReport{seen: map[damageKey]bool{}}
	if v, err := ctx.GetSessionVariable(ctx, damagedDataVar); err == nil {
		s, _ := v.(string)
		r.strict = strings.EqualFold(s, damagedError)
	}
	return r
}

// sessionObserver tells the SQL session what a plan met as it ran (see
// observer): damage as warnings, or as the error under logq_damaged_data =
// 'error'; memory against the statement's budget.
type sessionObserver struct {
	ctx    *sql.Context
	report *damageReport
	charge *memCharge // nil: not charged
}

func (o *sessionObserver) Damaged(d partitions.Damage) error { return o.report.add(o.ctx, d) }

func (o *sessionObserver) Holding(n int64) error {
	if o.charge == nil {
		return nil
	}
	return o.charge.set(n)
}

// add warns about d, unless this query did already; with
// logq_damaged_data = 'error' it returns the query's error instead. One
// statement may scan logs several times (a join reads its inner side once
// per outer row), each scan with its own report, so the statement's
// warnings so far are checked too.
func (r *damageReport) add(ctx *sql.Context, d partitions.Damage) error {
	k := damageKey{key: d.Key, file: d.File, batch: d.Batch}
	if r.seen[k] {
		return nil
	}
	r.seen[k] = true
	msg := damageMessage(d)
	if r.strict {
		return mysql.NewSQLError(erTableCorrupt, mysql.SSUnknownSQLState, "%s (SET %s = '%s' to read the rest)",
			msg, damagedDataVar, damagedWarn)
	}
	if ctx.Session != nil {
		for _, w := range ctx.Session.Warnings() {
			if w.Code == erTableCorrupt && w.Message == msg {
				return nil
			}
		}
	}
	ctx.Warn(erTableCorrupt, "%s", msg)
	return nil
}

// damageMessage describes d for a warning or an error: where, which time
// range and how many rows, in UTC.
func damageMessage(d partitions.Damage) string {
	what := fmt.Sprintf("batch %d of segment %s/%s", d.Batch, d.Key.DirName(), d.File)
	if d.Whole() {
		what = fmt.Sprintf("segment %s/%s", d.Key.DirName(), d.File)
	}
	return fmt.Sprintf("%d rows of logs from %s to %s are unreadable: %s is damaged (see logq.damaged)",
		d.Rows, utcString(d.MinTS), utcString(d.MaxTS), what)
}

func utcString(ts int64) string {
	return time.UnixMicro(ts).UTC().Format("2006-01-02 15:04:05.000000")
}
