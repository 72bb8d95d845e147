package compat

import (
	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/analyzer"
	"github.com/dolthub/go-mysql-server/sql/expression"
	"github.com/dolthub/go-mysql-server/sql/expression/function"
	"github.com/dolthub/go-mysql-server/sql/expression/function/aggregation"
	"github.com/dolthub/go-mysql-server/sql/plan"
	"github.com/dolthub/go-mysql-server/sql/transform"
)

// WithMySQLSemantics adds to b the rules that make go-mysql-server answer as
// MySQL 8 where v0.20.0 differs (GMS-NOTES.md): DIV over DECIMAL,
// UNIX_TIMESTAMP's cost per row, EXPLAIN of plain aggregates, prefix LIKE,
// FROM_UNIXTIME's fractions, date ± INTERVAL's fractions, DISTINCT and
// COUNT(DISTINCT) under a collation, SHOW COLUMNS' types and collations
// (collation.go), and more (expressionsRule). They do not depend on
// any table; logq's engine adds its own rules after them, and the tests'
// and the benchmark's reference engines use them alone, so that they stand
// for MySQL.
//
// timestamps names the columns (any case) that hold instants, as MySQL's
// TIMESTAMP does, though go-mysql-server types them DATETIME holding the
// session's wall clock: their comparisons with FROM_UNIXTIME of constants
// compare instants (TSVsEpoch), which wall clocks cannot across a
// daylight-saving change.
func WithMySQLSemantics(b *analyzer.Builder, timestamps ...string) *analyzer.Builder {
	r := expressionsRule{timestamps: timestamps}
	return b.AddPreAnalyzeRule(mysqlExpressionsRuleID, r.apply).
		AddPostAnalyzeRule(mysqlFunctionsRuleID, mysqlFunctionsRule).
		AddPostAnalyzeRule(explainRowsRuleID, explainRowsRule).
		AddPostAnalyzeRule(collatedDistinctRuleID, collatedDistinctRule).
		AddPostAnalyzeRule(showColumnsRuleID, showColumnsRule)
}

// expressionsRule rewrites, before go-mysql-server's rules run (and
// so before the WHERE pushdown evaluates constants), the expressions where
// go-mysql-server v0.20.0 answers differently from MySQL: every LIKE into
// a Like, FROM_UNIXTIME(x) into a fromUnixtime, date ± INTERVAL into
// DATE_ADD and DATE_SUB, ts compared with FROM_UNIXTIME into a TSVsEpoch,
// SUM and AVG of integers into Sum and Avg (exactSums), COUNT(DISTINCT)
// of a collated string into one of its CollationKey, the regular
// expression functions into Regexp, and the string functions that can
// build huge results into boundedString.
type expressionsRule struct {
	timestamps []string // the columns holding instants (WithMySQLSemantics)
}

func (r expressionsRule) apply(ctx *sql.Context, _ *analyzer.Analyzer, n sql.Node, _ *plan.Scope, _ analyzer.RuleSelector, _ *sql.QueryFlags) (sql.Node, transform.TreeIdentity, error) {
	n, sums, err := exactSums(n)
	if err != nil {
		return n, sums, err
	}
	n, rest, err := rewriteExpressions(n, func(e sql.Expression) sql.Expression {
		switch e := e.(type) {
		case *expression.Like:
			return &Like{e}
		case *function.FromUnixtime:
			if len(e.ChildExpressions) == 1 {
				return &fromUnixtime{e}
			}
		case *expression.Arithmetic:
			return intervalArithmetic(e)
		case *TSVsEpoch:
			return nil
		case *aggregation.CountDistinct:
			return collatedCountDistinct(e)
		case *function.RegexpLike, *function.RegexpInstr, *function.RegexpSubstr, *function.RegexpReplace:
			return newRegexp(e) // regexp.go: never ICU in WebAssembly
		case *function.Repeat, *function.Space, *function.Pad, *function.Replace, *function.Concat, *function.ConcatWithSeparator:
			return newBoundedString(e) // bounded.go: no result past max_allowed_packet
		}
		return epochComparison(ctx, e, r.timestamps)
	})
	if sums == transform.NewTree {
		rest = transform.NewTree
	}
	return n, rest, err
}

// rewriteExpressions replaces, in every node of a plan, each expression
// for which rewrite returns another (nil: keep it).
func rewriteExpressions(n sql.Node, rewrite func(sql.Expression) sql.Expression) (sql.Node, transform.TreeIdentity, error) {
	return transform.Node(n, func(n sql.Node) (sql.Node, transform.TreeIdentity, error) {
		if _, ok := n.(sql.Expressioner); !ok {
			return n, transform.SameTree, nil
		}
		return transform.NodeExprs(n, func(e sql.Expression) (sql.Expression, transform.TreeIdentity, error) {
			if out := rewrite(e); out != nil {
				return out, transform.NewTree, nil
			}
			return e, transform.SameTree, nil
		})
	})
}

// explainRowsRule lets EXPLAIN of an aggregate without GROUP BY answer:
// go-mysql-server flags such a query as returning at most one row, to take
// a shortcut when sending it, and keeps the flag when the query is EXPLAINed
// (its rules only see the query under EXPLAIN), so the EXPLAIN, one row
// per plan line, failed with "result max1Row iterator returned more than
// one row". Without the flag the one row goes out the ordinary way.
func explainRowsRule(_ *sql.Context, _ *analyzer.Analyzer, n sql.Node, _ *plan.Scope, _ analyzer.RuleSelector, flags *sql.QueryFlags) (sql.Node, transform.TreeIdentity, error) {
	if flags != nil {
		flags.Unset(sql.QFlagMax1Row)
	}
	return n, transform.SameTree, nil
}

// Rule ids of compat's analyzer rules, clear of go-mysql-server's own; an
// engine that adds rules after them takes ids from 1100 on.
const (
	mysqlFunctionsRuleID analyzer.RuleId = 1000 + iota
	explainRowsRuleID
	mysqlExpressionsRuleID
	collatedDistinctRuleID
	showColumnsRuleID
)
