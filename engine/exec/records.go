package exec

import (
	"bytes"
	"context"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/ipc"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"logq/catalog"
	"logq/engine/plan"
	"logq/partitions"
	"logq/partitions/arrowrows"
	"logq/partitions/columns"
	"logq/partitions/segment"
)

// A RecordStream yields the rows of a plan as Arrow record batches of one
// schema, in the plan's order: the form in which a node sends a
// coordinator its rows. Next returns nil at the end; the caller releases
// each record.
type RecordStream interface {
	// Schema is the schema of every record of the stream.
	Schema() *arrow.Schema
	Next() (arrow.RecordBatch, error)
}

// recordRows is the RecordStream of a RowStream: its rows gathered into
// records of up to n rows.
type recordRows struct {
	rows   RowStream
	schema *arrowrows.Schema
	n      int
	next   int // rows of the next record: from firstRecordRows, doubling up to n
	mem    memory.Allocator
	g      columns.Gatherer
}

// firstRecordRows is the size of a stream's first record. Records then
// double up to their size: a coordinator that needs only the first rows
// (ORDER BY ts LIMIT 100, merged from every node) gets them without
// waiting for a node to gather and encode thousands, and a long export
// soon goes in large records.
const firstRecordRows = 128

// Records returns the rows of rows as records of schema s holding up to n
// rows each (the first ones fewer: firstRecordRows, doubling), their
// buffers from mem (nil: Go's). The rows are copied: each stays valid only
// until the next row is taken.
func Records(rows RowStream, s *arrowrows.Schema, n int, mem memory.Allocator) RecordStream {
	n = max(n, 1)
	return &recordRows{rows: rows, schema: s, n: n, next: min(n, firstRecordRows), mem: mem}
}

func (r *recordRows) Schema() *arrow.Schema { return r.schema.Arrow() }

func (r *recordRows) Next() (arrow.RecordBatch, error) {
	want := r.next
	r.next = min(2*r.next, r.n)
	for r.g.Len() < want {
		b, i, err := r.rows.Next()
		if err != nil {
			return nil, err
		}
		if b == nil {
			break
		}
		r.g.Add(b, i)
	}
	if r.g.Len() == 0 {
		return nil, nil
	}
	return arrowrows.Record(r.g.Batch(), nil, r.schema, r.mem)
}

// MergeRecords returns the rows of streams as one RowStream: in the total
// order (ts, then the rows' content; reversed when reverse) when ordered,
// each stream being in that order, else one stream after another. An
// ordered merge compares whole rows on ties of ts, so the records of
// ordered streams must hold every column.
func MergeRecords(streams []RecordStream, ordered, reverse bool) RowStream {
	return MergeWith(nil, streams, ordered, reverse)
}

// MergeWith returns the rows of local (nil: none) and of the streams of
// other nodes as one RowStream, as MergeRecords merges streams; local must
// then hold whole rows when ordered (see Rows with nil columns).
func MergeWith(local RowStream, remote []RecordStream, ordered, reverse bool) RowStream {
	var rows []RowStream
	if local != nil {
		rows = append(rows, local)
	}
	for _, s := range remote {
		rows = append(rows, &streamRows{stream: s})
	}
	if !ordered {
		return &concatenated{rows: rows}
	}
	sources := make([]source, len(rows))
	for k, r := range rows {
		sources[k] = &rowSource{rows: r, reverse: reverse}
	}
	return &orderedRows{m: newMerger(sources, reverse)}
}

// streamRows is the RowStream of a RecordStream: the rows of its records
// in turn, each record decoded into a batch when reached.
type streamRows struct {
	stream RecordStream
	b      *columns.Batch
	i      int
}

func (s *streamRows) Next() (*columns.Batch, int, error) {
	if s.b != nil && s.i+1 < s.b.Len() {
		s.i++
		return s.b, s.i, nil
	}
	for {
		rec, err := s.stream.Next()
		if err != nil || rec == nil {
			s.b = nil
			return nil, 0, err
		}
		b, err := arrowrows.Batch(rec)
		rec.Release()
		if err != nil {
			return nil, 0, err
		}
		if b.Len() > 0 {
			s.b, s.i = b, 0
			return b, 0, nil
		}
	}
}

// rowSource is a source over a RowStream in the merge's order, whole rows
// each. Its first row is unknown until it is read: the merge opens it at
// once.
type rowSource struct {
	rows    RowStream
	reverse bool
	b       *columns.Batch
	i       int
}

func (s *rowSource) bound() int64 {
	if s.reverse {
		return math.MaxInt64
	}
	return math.MinInt64
}

func (s *rowSource) current() (*columns.Batch, int) { return s.b, s.i }

func (s *rowSource) whole() (*columns.Batch, int, error) { return s.b, s.i, nil }

func (s *rowSource) advance() (bool, error) {
	b, i, err := s.rows.Next()
	s.b, s.i = b, i
	return b != nil, err
}

// concatenated yields the rows of its streams one stream after another.
type concatenated struct {
	rows []RowStream
}

func (c *concatenated) Next() (*columns.Batch, int, error) {
	for len(c.rows) > 0 {
		b, i, err := c.rows[0].Next()
		if err != nil || b != nil {
			return b, i, err
		}
		c.rows = c.rows[1:]
	}
	return nil, 0, nil
}

// RoundTripRecords returns s as a receiver of it over the network reads
// it: each record written in Arrow's IPC stream format, LZ4-compressed,
// and read back.
func RoundTripRecords(s RecordStream, mem memory.Allocator) RecordStream {
	if mem == nil {
		mem = memory.DefaultAllocator
	}
	return &ipcRecords{in: s, mem: mem}
}

type ipcRecords struct {
	in  RecordStream
	mem memory.Allocator
}

func (r *ipcRecords) Schema() *arrow.Schema { return r.in.Schema() }

func (r *ipcRecords) Next() (arrow.RecordBatch, error) {
	rec, err := r.in.Next()
	if err != nil || rec == nil {
		return nil, err
	}
	defer rec.Release()
	var buf bytes.Buffer
	w := ipc.NewWriter(&buf, ipc.WithSchema(rec.Schema()), ipc.WithLZ4(), ipc.WithAllocator(r.mem))
	if err := w.Write(rec); err != nil {
		return nil, fmt.Errorf("rows: encoding a record: %w", err)
	}
	if err := w.Close(); err != nil {
		return nil, fmt.Errorf("rows: encoding a record: %w", err)
	}
	rd, err := ipc.NewReader(&buf, ipc.WithAllocator(r.mem))
	if err != nil {
		return nil, fmt.Errorf("rows: decoding a record: %w", err)
	}
	defer rd.Release()
	if !rd.Next() {
		if err := rd.Err(); err != nil {
			return nil, fmt.Errorf("rows: decoding a record: %w", err)
		}
		return nil, fmt.Errorf("rows: decoding a record: the stream holds none")
	}
	out := rd.RecordBatch()
	out.Retain()
	return out, nil
}

// loopbackNodes is how many nodes LoopbackRows deals a snapshot's
// partitions to.
const loopbackNodes = 3

// loopbackRecordRows is the size of the records LoopbackRows sends: small,
// so that a stream's rows cross record boundaries often.
const loopbackRecordRows = 1000

// LoopbackRows returns the rows Rows would, read as a coordinator reads the
// nodes of a cluster: the snapshot's partitions are dealt to a few nodes,
// each node's rows become a RecordStream (RowSchema of the dynamic columns
// dyn: every column for an ordered scope, whose merge compares whole rows,
// else those cols names), which goes through Arrow's IPC encoding
// (RoundTripRecords), and MergeRecords merges the streams.
func (t *Env) LoopbackRows(ctx context.Context, snap Snapshot, sc Scope, cols *ColSet, dyn []segment.ColumnInfo, found *[]partitions.Damage) (RowStream, error) {
	if sc.Ordered {
		cols = nil // whole rows
	}
	s, err := RowSchema(dyn, cols)
	if err != nil {
		return nil, err
	}
	var streams []RecordStream
	for _, node := range snap.deal(loopbackNodes) {
		rows := t.Rows(ctx, node, sc, cols, found)
		streams = append(streams, RoundTripRecords(Records(rows, s, loopbackRecordRows, nil), nil))
	}
	t.Stats.RowStreamsRoundTripped.Add(int64(len(streams)))
	return MergeRecords(streams, sc.Ordered, sc.Reverse), nil
}

// RowSchema is the schema of the records of a row stream: ts, then the
// core columns and the dynamic columns dyn that cols holds (nil: all).
func RowSchema(dyn []segment.ColumnInfo, cols *ColSet) (*arrowrows.Schema, error) {
	var out []arrowrows.Column
	for _, name := range columns.CoreNames {
		if name == columns.TS || cols.Has(name) {
			out = append(out, arrowrows.Column{Name: name})
		}
	}
	for _, c := range dyn {
		if cols.Has(c.Name) {
			out = append(out, arrowrows.Column{Name: c.Name, Type: c.Type})
		}
	}
	return arrowrows.NewSchema(out)
}

// deal returns the parts of s that n nodes would own, partitions dealt
// round robin; nodes that get none are left out. The parts share s's plan
// references: only s is released.
func (s Snapshot) deal(n int) []Snapshot {
	parts := make([][]catalog.PartitionPlan, n)
	for k, p := range s.Plan.Partitions {
		parts[k%n] = append(parts[k%n], p)
	}
	var out []Snapshot
	for _, ps := range parts {
		if len(ps) > 0 {
			out = append(out, Snapshot{Plan: &catalog.Plan{Partitions: ps}, Buffered: s.Buffered})
		}
	}
	return out
}

// Nodes are the other nodes of a cluster, as a coordinator reaches them.
type Nodes interface {
	// Streams sends p to every other node that may hold rows of it and
	// returns their results, one stream per node. A node that is down or
	// cannot be reached fails the call with a *Missing naming it and the
	// partitions it keeps from the query; with partial, the call goes on
	// without it and returns it among missing instead.
	Streams(ctx context.Context, p *plan.Plan, partial bool) (streams []RecordStream, missing []*Missing, err error)
}

// NodeExplain is what a coordinator knows, before asking, of one other
// node's part in a query: from the partition summaries the node published.
type NodeExplain struct {
	Node            string // ID (address)
	Alive           bool
	Asked           bool // a query would send the node its plan
	Known           bool // the node's summaries are known
	PartitionsKept  int
	PartitionsTotal int
	BytesToRead     int64 // of the kept partitions, compressed
}

// NodeExplainer is Nodes that can say, for EXPLAIN, which nodes a query
// under pred would ask and what they hold of it.
type NodeExplainer interface {
	Explain(pred catalog.Predicate) []NodeExplain
}

// DamageReporter is a RecordStream that tells, once it has ended, the
// damaged data its node skipped: a remote node's reads are reported to the
// coordinator's session like its own.
type DamageReporter interface {
	Damaged() []partitions.Damage
}

// RemoteDamage returns the damage the ended streams among streams report.
func RemoteDamage(streams []RecordStream) []partitions.Damage {
	var out []partitions.Damage
	for _, s := range streams {
		if r, ok := s.(DamageReporter); ok {
			out = append(out, r.Damaged()...)
		}
	}
	return out
}

// Missing is the part of a query's data a node that could not be reached
// holds.
type Missing struct {
	Node string // its ID and address
	Why  error
	// Partitions are the summaries of the node's partitions the query
	// needed; nil when they are not known.
	Partitions []catalog.Summary
}

// maxNamedPartitions bounds the partitions a Missing's message lists.
const maxNamedPartitions = 8

func (m *Missing) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "node %s: %v", m.Node, m.Why)
	if m.Partitions == nil {
		b.WriteString("; the partitions it holds are not known, every one of them is missing")
		return b.String()
	}
	var rows int64
	for _, s := range m.Partitions {
		rows += s.Rows
	}
	fmt.Fprintf(&b, "; missing %d partition(s) of %d rows: ", len(m.Partitions), rows)
	for i, s := range m.Partitions {
		if i == maxNamedPartitions {
			fmt.Fprintf(&b, ", and %d more", len(m.Partitions)-i)
			break
		}
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(DescribePartition(s.Key))
	}
	return b.String()
}

// Unwrap is the cause.
func (m *Missing) Unwrap() error { return m.Why }

// DescribePartition names a partition for people: its time range in UTC
// and its shard.
func DescribePartition(k partitions.Key) string {
	const layout = "2006-01-02 15:04:05"
	return fmt.Sprintf("[%s, %s) UTC shard %d/%d", time.UnixMicro(k.Start).UTC().Format(layout),
		time.UnixMicro(k.Start+k.Width).UTC().Format(layout), k.Shard, k.Shards)
}
