package segment

import (
	"bytes"
	"io"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/pierrec/lz4/v4"

	"logq/partitions/columns"
)

// ColumnSizes returns the bytes each column of b takes when encoded as a
// segment with batches of batchRows rows (0: the default): every Arrow
// buffer of every record batch, and each dictionary once, as the IPC writer
// stores it (an 8-byte length and an LZ4 frame of 64 KiB blocks, padded to 8
// bytes). The IPC file does not record sizes per column, so this re-encodes
// b; operators and the benchmark use it to see which columns dominate.
func ColumnSizes(b *columns.Batch, batchRows int) (map[string]int64, error) {
	if batchRows <= 0 {
		batchRows = defaultBatchRows
	}
	mem := memory.NewGoAllocator()
	l := planLayout(b, batchRows, mem)
	defer l.release()
	e := &encoder{l: l, mem: mem}
	out := make(map[string]int64)
	for lo := 0; lo < b.Len(); lo += batchRows {
		rec, _, err := e.record(lo, min(lo+batchRows, b.Len()))
		if err != nil {
			return nil, err
		}
		for j, col := range rec.Columns() {
			data := col.Data()
			if d, ok := col.(*array.Dictionary); ok {
				data = d.Indices().Data()
			}
			out[rec.Schema().Field(j).Name] += compressedSize(data.Buffers())
		}
		rec.Release()
	}
	for _, f := range l.schema.Fields() {
		if f.Type.ID() != arrow.DICTIONARY {
			continue
		}
		if d := map[string]*strDict{"level": l.level, "service": l.service, "host": l.host}[f.Name]; d != nil {
			out[f.Name] += compressedSize(d.arr.Data().Buffers())
		}
	}
	return out, nil
}

// compressedSize is the IPC writer's size of bufs with LZ4-frame compression.
func compressedSize(bufs []*memory.Buffer) int64 {
	var n int64
	var c bytes.Buffer
	w := lz4.NewWriter(&c)
	for _, buf := range bufs {
		if buf == nil || buf.Len() == 0 {
			continue
		}
		c.Reset()
		w.Reset(&c)
		if err := w.Apply(lz4.ChecksumOption(false), lz4.BlockSizeOption(lz4.Block64Kb)); err != nil {
			panic(err) // constant, valid options
		}
		_, _ = io.Copy(w, bytes.NewReader(buf.Bytes()))
		_ = w.Close()
		n += (8 + int64(c.Len()) + 7) &^ 7
	}
	return n
}
