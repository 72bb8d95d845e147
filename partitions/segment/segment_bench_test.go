package segment

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
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
	r := openBench(b, workloadFile)
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
	r := openBench(b, workloadFile)
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

// longMessageFile writes, once per process, a quarter of the workload's
// rows with messages of 100 to 200 bytes: the projection saves more the
// larger the columns it leaves out.
var longMessageFile = sync.OnceValues(func() (string, error) {
	rng := rand.New(rand.NewPCG(2026, 12))
	b := genWorkload(rng, workloadRows/4)
	var msg columns.Strings
	for i := range b.Len() {
		v := fmt.Appendf(append([]byte(nil), b.Message.Value(i)...), " request_id=%016x client=10.%d.%d.%d", rng.Uint64(), rng.IntN(256), rng.IntN(256), rng.IntN(256))
		for len(v) < 100+rng.IntN(100) {
			v = append(v, workloadTemplates[rng.IntN(len(workloadTemplates))][:20]...)
		}
		msg.AppendString(string(v))
	}
	b.Message = msg
	dir, err := os.MkdirTemp("", "segbench")
	if err != nil {
		return "", err
	}
	var buf bytes.Buffer
	if _, err := Encode(&buf, b, WriteOptions{}); err != nil {
		return "", err
	}
	path := filepath.Join(dir, "long.seg")
	return path, os.WriteFile(path, buf.Bytes(), 0o600)
})

// workloadFileV3 is workloadFile with its stats block as version 3 wrote
// it: without per-field checksums, every read reads whole blocks.
var workloadFileV3 = sync.OnceValues(func() (string, error) {
	path, err := workloadFile()
	if err != nil {
		return "", err
	}
	file, err := os.ReadFile(path)
	if err != nil {
		return "", err
	}
	if file, err = stripFieldChecksums(file); err != nil {
		return "", err
	}
	path = filepath.Join(filepath.Dir(path), "workload-v3.seg")
	return path, os.WriteFile(path, file, 0o600)
})

// BenchmarkRowsOf reads every batch of a segment into columns.Batch with
// all columns, and with the columns of one-day aggregates (levels over
// time: ts, level; latency per service: ts, service, latency_ms), whose
// reads decompress only those, and in a file with per-field checksums
// (stats version 4) read and verify only those; v3 is the same file
// without them. The files are in the page cache.
func BenchmarkRowsOf(b *testing.B) {
	for _, seg := range []struct {
		name string
		file func() (string, error)
	}{{"workload", workloadFile}, {"workload_v3", workloadFileV3}, {"long_messages", longMessageFile}} {
		for _, proj := range []struct {
			name string
			cols []string
		}{{"all", nil}, {"ts,level", []string{"level"}}, {"ts,service,latency_ms", []string{"service", "latency_ms"}}} {
			b.Run(seg.name+"/"+proj.name, func(b *testing.B) {
				benchRowsOf(b, seg.file, proj.cols)
			})
		}
	}
}

// openBench opens the segment file made by file, closed when b ends.
func openBench(b *testing.B, file func() (string, error)) *Reader {
	path, err := file()
	if err != nil {
		b.Fatal(err)
	}
	r, err := Open(path)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { r.Close() })
	return r
}

// benchRowsOf reads every batch of the segment file with RowsOf and the
// columns cols (nil: all).
func benchRowsOf(b *testing.B, file func() (string, error), cols []string) {
	r := openBench(b, file)
	var want func(string) bool
	if cols != nil {
		want = func(name string) bool { return slices.Contains(cols, name) }
	}
	fi, _ := os.Stat(r.Path())
	b.SetBytes(fi.Size())
	b.ReportAllocs()
	read := r.src.bytesRead.Load()
	for b.Loop() {
		for i := range r.NumBatches() {
			if _, err := r.RowsOf(i, want); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.ReportMetric(float64(r.Stats().Rows)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
	b.ReportMetric(float64(r.src.bytesRead.Load()-read)/float64(b.N)/float64(r.Stats().CompressedBytes), "read/arrow")
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

// columnSizes is ColumnSizes with the default batch size.
func columnSizes(t *testing.T, b *columns.Batch) map[string]int64 {
	out, err := ColumnSizes(b, 0)
	require.NoError(t, err)
	return out
}
