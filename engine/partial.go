package engine

import (
	"context"

	"github.com/dolthub/go-mysql-server/sql"

	exec "logq/engine/exec"
	"logq/engine/plan"
)

// partialResultsVar says what a query gets when a node of the cluster that
// holds some of its data cannot be reached: OFF (the default), an error
// naming the node and the partitions; ON, the rows of the reachable nodes
// and one warning per missing partition (SHOW WARNINGS). Never a silent
// partial answer.
const partialResultsVar = "logq_partial_results"

// erPartialResult is the code of the warnings of a partial result:
// MySQL's ER_UNKNOWN_ERROR, as no code of its own says "a node is down".
const erPartialResult = 1105

// partialResults reports whether the session accepts partial results.
func partialResults(ctx *sql.Context) bool {
	v, err := ctx.GetSessionVariable(ctx, partialResultsVar)
	if err != nil {
		return false
	}
	on, ok := v.(int8)
	return ok && on == 1
}

// nodeStreams sends p to the other nodes under the session's setting, and
// warns of what is missing when it accepts partial results.
// The streams live as long as run.
func nodeStreams(ctx *sql.Context, run context.Context, nodes exec.Nodes, p *plan.Plan) ([]exec.RecordStream, error) {
	partial := partialResults(ctx)
	streams, missing, err := nodes.Streams(run, p, partial)
	if err != nil {
		return nil, err
	}
	for _, m := range missing {
		if m.Partitions == nil {
			ctx.Warn(erPartialResult, "partial result: node %s: %v; the partitions it holds are not known, and none of them was read", m.Node, m.Why)
			continue
		}
		for _, s := range m.Partitions {
			ctx.Warn(erPartialResult, "partial result: partition %s (%d rows) missing: node %s: %v", exec.DescribePartition(s.Key), s.Rows, m.Node, m.Why)
		}
	}
	return streams, nil
}
