package bench

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// ClusterPhase is the workload on a cluster of loopback nodes beside the
// single node of the same run: the same data ingested through the first
// node, the same queries asked of it, the answers compared.
type ClusterPhase struct {
	Nodes         int             `json:"nodes"`
	IngestSeconds float64         `json:"ingest_seconds"`
	RowsPerSecond float64         `json:"rows_per_second"`
	SettleNote    string          `json:"settle_note"`
	Results       []ClusterResult `json:"results"`
	Mismatches    int             `json:"mismatches"`
	Errors        int             `json:"errors"`
}

// ClusterResult is one query on the single node and on the cluster.
type ClusterResult struct {
	ID      string      `json:"id"`
	Single  QueryTiming `json:"single"`
	Cluster QueryTiming `json:"cluster"`
	// Ratio is the cluster's median over the single node's; WithinTarget
	// says the cluster's median is at most 1.5 times the single node's
	// plus 1 ms (the cluster issue's target on one machine).
	Ratio        float64 `json:"ratio,omitempty"`
	WithinTarget bool    `json:"within_target"`
	Difference   string  `json:"difference,omitempty"` // empty: the same answer
}

// runClusterPhase starts cfg.nodes nodes of a static cluster on loopback,
// each with its own data directory under dir, ingests data through the
// first, waits for every node to settle and runs single's queries on the
// first, comparing each answer with single's.
func runClusterPhase(ctx context.Context, cfg *benchConfig, dir string, data DataSet, single *QueryPhase, stderr io.Writer) (cp *ClusterPhase, err error) {
	log := func(format string, args ...any) { logf(stderr, format, args...) }
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	secret := make([]byte, 16)
	if _, err := rand.Read(secret); err != nil {
		return nil, err
	}
	secretFile := filepath.Join(dir, "cluster-secret")
	if err := os.WriteFile(secretFile, []byte(hex.EncodeToString(secret)), 0o600); err != nil {
		return nil, err
	}
	var file strings.Builder
	for k := range cfg.nodes {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		fmt.Fprintf(&file, "n%d %s\n", k+1, ln.Addr())
		ln.Close()
	}
	clusterFile := filepath.Join(dir, "cluster")
	if err := os.WriteFile(clusterFile, []byte(file.String()), 0o600); err != nil {
		return nil, err
	}
	var nodes []*server
	defer func() {
		for _, n := range nodes {
			n.kill()
		}
	}()
	for k := range cfg.nodes {
		nc := *cfg
		nc.serveArgs = append(slices.Clone(cfg.serveArgs), "--cluster", clusterFile, "--node-id", fmt.Sprintf("n%d", k+1),
			"--cluster-secret-file", secretFile)
		n, err := startServer(ctx, &nc, filepath.Join(dir, fmt.Sprintf("n%d", k+1)), stderr)
		if err != nil {
			return nil, fmt.Errorf("node n%d: %w", k+1, err)
		}
		nodes = append(nodes, n)
		log("cluster node n%d pid %d ready: %s", k+1, n.pid(), n.readyLine)
	}
	cp = &ClusterPhase{Nodes: cfg.nodes}
	log("ingesting %s through n1 of %d nodes", data.File, cfg.nodes)
	ing, err := runIngest(ctx, cfg, nodes[0].httpURL, data.File, stderr)
	if err != nil {
		return nil, err
	}
	if err := checkAccepted(ing, data.Rows); err != nil {
		return nil, err
	}
	cp.IngestSeconds = ing.elapsed.Seconds()
	cp.RowsPerSecond = float64(data.Rows) / cp.IngestSeconds
	log("cluster ingest took %.2f s: %.0f rows/s", cp.IngestSeconds, cp.RowsPerSecond)
	var notes []string
	for k, n := range nodes {
		st, err := awaitSettled(ctx, cfg.settle, n.httpURL+"/metrics", n.pid())
		if err != nil {
			return nil, err
		}
		notes = append(notes, fmt.Sprintf("n%d %s", k+1, st.describe()))
	}
	cp.SettleNote = strings.Join(notes, "; ")
	log("cluster: %s", cp.SettleNote)
	addr, err := nodes[0].dialAddr("mysql")
	if err != nil {
		return nil, err
	}
	outs, err := runQueries(ctx, addr, "logq cluster", single.queries, runPolicy{runs: cfg.runs}, nil, log)
	if err != nil {
		return nil, err
	}
	for i, q := range single.queries {
		r := ClusterResult{ID: q.id, Single: single.outcomes[i].timing, Cluster: outs[i].timing}
		switch {
		case r.Single.Error != "" || r.Cluster.Error != "":
			cp.Errors++
		case single.outcomes[i].answer != nil && outs[i].answer != nil:
			if r.Difference = sameAnswer(q.shape, outs[i].answer, single.outcomes[i].answer); r.Difference != "" {
				cp.Mismatches++
			}
		}
		if r.Single.MedianMS > 0 && r.Cluster.Error == "" {
			r.Ratio = r.Cluster.MedianMS / r.Single.MedianMS
			r.WithinTarget = r.Cluster.MedianMS <= 1.5*r.Single.MedianMS+1
		}
		cp.Results = append(cp.Results, r)
	}
	for _, n := range nodes {
		err = errors.Join(err, n.stop(cfg.shutdownTimeout))
	}
	nodes = nil
	return cp, err
}

// failure says why the cluster phase fails the run: an answer that differs
// from the single node's, or a query that failed.
func (cp *ClusterPhase) failure() error {
	if cp == nil || cp.Mismatches+cp.Errors == 0 {
		return nil
	}
	var errs []error
	for _, r := range cp.Results {
		if r.Difference != "" {
			errs = append(errs, fmt.Errorf("%s: the cluster's answer differs from the single node's: %s", r.ID, r.Difference))
		}
		if r.Cluster.Error != "" {
			errs = append(errs, fmt.Errorf("%s on the cluster: %s", r.ID, r.Cluster.Error))
		}
	}
	return errors.Join(errs...)
}

// writeClusterMarkdown prints the cluster phase's table.
func writeClusterMarkdown(w io.Writer, cp *ClusterPhase) {
	fmt.Fprintf(w, "\n## Cluster: %d nodes on loopback, queries at n1\n\n", cp.Nodes)
	fmt.Fprintf(w, "Ingest through n1: %.0f rows/s (%.2f s). Settle: %s.\n\n", cp.RowsPerSecond, cp.IngestSeconds, cp.SettleNote)
	fmt.Fprintf(w, "| query | single ms | cluster ms | cluster / single | within 1.5x + 1 ms | answer |\n|---|---:|---:|---:|---|---|\n")
	for _, r := range cp.Results {
		answer := "same"
		switch {
		case r.Cluster.Error != "":
			answer = "error: " + r.Cluster.Error
		case r.Difference != "":
			answer = "DIFFERS: " + r.Difference
		}
		fmt.Fprintf(w, "| %s | %.2f | %.2f | %.2f | %v | %s |\n", r.ID, r.Single.MedianMS, r.Cluster.MedianMS, r.Ratio, r.WithinTarget, answer)
	}
}
