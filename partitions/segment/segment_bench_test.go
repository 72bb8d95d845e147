package segment

import (
	"bytes"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/pierrec/lz4/v4"
	"github.com/stretchr/testify/require"

	"logq/partitions/columns"
)

// workloadRows is the size of the benchmark segment: about a day partition
// of WORKLOAD.md's data set split in shards.
const workloadRows = 1 << 20

var workload = sync.OnceValue(func() *columns.Batch {
	return genWorkload(rand.New(rand.NewPCG(2026, 11)), workloadRows)
})

// workloadFile writes the benchmark segment once per process.
var workloadFile = sync.OnceValues(func() (string, error) {
	dir, err := os.MkdirTemp("", "segbench")
	if err != nil {
		return "", err
	}
	var buf bytes.Buffer
	if _, err := Encode(&buf, workload(), WriteOptions{}); err != nil {
		return "", err
	}
	path := filepath.Join(dir, "workload.seg")
	return path, os.WriteFile(path, buf.Bytes(), 0o600)
})

func BenchmarkEncode(b *testing.B) {
	batch := workload()
	var n int64
	b.ReportAllocs()
	for b.Loop() {
		cw := &countingWriter{}
		if _, err := Encode(cw, batch, WriteOptions{}); err != nil {
			b.Fatal(err)
		}
		n = cw.n
	}
	b.SetBytes(n)
	b.ReportMetric(float64(batch.Len())*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
	b.ReportMetric(float64(n)/float64(batch.Len()), "B/row")
}

type countingWriter struct{ n int64 }

func (w *countingWriter) Write(p []byte) (int, error) {
	w.n += int64(len(p))
	return len(p), nil
}

// BenchmarkRead opens the segment and reads every batch with all columns in
// logical form, touching every value (as MEASURED.md's full read does).
func BenchmarkRead(b *testing.B) {
	path, err := workloadFile()
	if err != nil {
		b.Fatal(err)
	}
	fi, _ := os.Stat(path)
	b.SetBytes(fi.Size())
	b.ReportAllocs()
	var sink int64
	for b.Loop() {
		r, err := Open(path)
		if err != nil {
			b.Fatal(err)
		}
		for i := range r.NumBatches() {
			rec, err := r.Batch(i, nil)
			if err != nil {
				b.Fatal(err)
			}
			sink += touch(rec)
			rec.Release()
		}
		r.Close()
	}
	b.ReportMetric(float64(workloadRows)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
	_ = sink
}

// BenchmarkReadParallel reads the batches of one open segment from
// GOMAXPROCS goroutines, as a parallel scan does.
func BenchmarkReadParallel(b *testing.B) {
	path, err := workloadFile()
	if err != nil {
		b.Fatal(err)
	}
	r, err := Open(path)
	if err != nil {
		b.Fatal(err)
	}
	defer r.Close()
	var next atomic.Int64
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			i := int(next.Add(1)) % r.NumBatches()
			rec, err := r.Batch(i, nil)
			if err != nil {
				b.Error(err)
				return
			}
			touch(rec)
			rec.Release()
		}
	})
	rows := float64(workloadRows) / float64(r.NumBatches())
	b.ReportMetric(rows*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
}

// BenchmarkRows reads every batch into columns.Batch, as compaction does.
func BenchmarkRows(b *testing.B) {
	path, err := workloadFile()
	if err != nil {
		b.Fatal(err)
	}
	r, err := Open(path)
	if err != nil {
		b.Fatal(err)
	}
	defer r.Close()
	b.ReportAllocs()
	for b.Loop() {
		for i := range r.NumBatches() {
			if _, err := r.Rows(i); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.ReportMetric(float64(workloadRows)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
}

// BenchmarkReadStats measures what start-up pays per segment.
func BenchmarkReadStats(b *testing.B) {
	path, err := workloadFile()
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := ReadStats(path); err != nil {
			b.Fatal(err)
		}
	}
}

// touch reads every value of a batch and returns a checksum.
func touch(rec arrow.RecordBatch) int64 {
	var s int64
	for _, col := range rec.Columns() {
		switch a := col.(type) {
		case *array.Int64:
			for _, v := range a.Int64Values() {
				s += v
			}
		case *array.String:
			s += int64(len(a.ValueBytes()))
			for _, o := range a.ValueOffsets() {
				s += int64(o)
			}
		case *array.Dictionary:
			for i := range a.Len() {
				s += int64(a.GetValueIndex(i))
			}
		}
	}
	return s
}

// TestWorkloadSize writes 1Mi WORKLOAD.md-like rows and reports the file's
// bytes per row, per column, and the share of statistics and metadata.
func TestWorkloadSize(t *testing.T) {
	if testing.Short() {
		t.Skip("generates 1Mi rows")
	}
	b := workload()
	var buf bytes.Buffer
	st, err := Encode(&buf, b, WriteOptions{})
	require.NoError(t, err)
	n := float64(b.Len())
	perCol := columnSizes(t, b)
	var cols int64
	names := make([]string, 0, len(perCol))
	for name, size := range perCol {
		names = append(names, name)
		cols += size
	}
	sort.Slice(names, func(i, j int) bool { return perCol[names[i]] > perCol[names[j]] })
	var sb strings.Builder
	fmt.Fprintf(&sb, "%d rows: %d bytes, %.2f B/row (arrow %.2f, stats %.2f)\n", b.Len(), buf.Len(),
		float64(buf.Len())/n, float64(st.CompressedBytes)/n, float64(int64(buf.Len())-st.CompressedBytes-trailerSize)/n)
	for _, name := range names {
		fmt.Fprintf(&sb, "  %-12s %10d B %6.2f B/row\n", name, perCol[name], float64(perCol[name])/n)
	}
	fmt.Fprintf(&sb, "  %-12s %10d B %6.2f B/row\n", "arrow meta", st.CompressedBytes-cols, float64(st.CompressedBytes-cols)/n)
	t.Log("\n" + sb.String())
	require.Less(t, float64(buf.Len())/n, 40.0, "MEASURED.md layout (h) reaches about 36 B/row")
}

// columnSizes recomputes the compressed size of each column the way the
// Arrow IPC writer stores it: every buffer of every batch (and each
// dictionary once) as an 8-byte length plus an LZ4 frame with 64 KiB
// blocks, padded to 8 bytes.
func columnSizes(t *testing.T, b *columns.Batch) map[string]int64 {
	mem := memory.NewGoAllocator()
	l := planLayout(b, defaultBatchRows, mem)
	defer l.release()
	e := &encoder{l: l, mem: mem}
	out := make(map[string]int64)
	for lo := 0; lo < b.Len(); lo += defaultBatchRows {
		rec, _, err := e.record(lo, min(lo+defaultBatchRows, b.Len()))
		require.NoError(t, err)
		for j, col := range rec.Columns() {
			data := col.Data()
			if d, ok := col.(*array.Dictionary); ok {
				data = d.Indices().Data()
			}
			out[rec.Schema().Field(j).Name] += buffersSize(data.Buffers())
		}
		rec.Release()
	}
	for j, f := range l.schema.Fields() {
		if f.Type.ID() == arrow.DICTIONARY {
			_ = j
			d := map[string]*strDict{"level": l.level, "service": l.service, "host": l.host}[f.Name]
			if d != nil {
				out[f.Name] += buffersSize(d.arr.Data().Buffers())
			}
		}
	}
	return out
}

func buffersSize(bufs []*memory.Buffer) int64 {
	var n int64
	for _, buf := range bufs {
		if buf == nil || buf.Len() == 0 {
			continue
		}
		var c bytes.Buffer
		w := lz4.NewWriter(&c)
		if err := w.Apply(lz4.ChecksumOption(false), lz4.BlockSizeOption(lz4.Block64Kb)); err != nil {
			panic(err)
		}
		_, _ = io.Copy(w, bytes.NewReader(buf.Bytes()))
		_ = w.Close()
		n += (8 + int64(c.Len()) + 7) &^ 7
	}
	return n
}
