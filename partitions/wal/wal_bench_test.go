package wal

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/sync/errgroup"
)

// BenchmarkAppendWait measures group commit on the real disk: appenders
// goroutines each Append a record and Wait for it, in a loop. Besides
// MB/s it reports fsyncs/s and the mean commit group size.
func BenchmarkAppendWait(b *testing.B) {
	for _, size := range []int{64 << 10, 1 << 20} {
		for _, appenders := range []int{1, 4, 16} {
			b.Run(fmt.Sprintf("record=%dKiB/appenders=%d", size>>10, appenders), func(b *testing.B) {
				benchAppendWait(b, size, appenders, Options{})
			})
		}
	}
	for _, piece := range []int{64 << 10, 256 << 10, 1 << 20, 16 << 20} {
		b.Run(fmt.Sprintf("record=1024KiB/appenders=4/piece=%dKiB", piece>>10), func(b *testing.B) {
			benchAppendWait(b, 1<<20, 4, Options{PieceBytes: piece})
		})
	}
}

func benchAppendWait(b *testing.B, size, appenders int, o Options) {
	w, err := Open(b.TempDir(), 1, o)
	if err != nil {
		b.Fatal(err)
	}
	rec := make([]byte, size)
	for i := range rec {
		rec[i] = byte(i)
	}
	b.SetBytes(int64(size))
	b.ReportAllocs()
	var next atomic.Int64
	start := time.Now()
	b.ResetTimer()
	var g errgroup.Group
	for range appenders {
		g.Go(func() error {
			for next.Add(1) <= int64(b.N) {
				tk, err := w.Append(rec)
				if err == nil {
					err = w.Wait(context.Background(), tk)
				}
				if err != nil {
					return err
				}
			}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		b.Fatal(err)
	}
	b.StopTimer()
	elapsed := time.Since(start).Seconds()
	st := w.Stats()
	b.ReportMetric(float64(st.Syncs)/elapsed, "fsyncs/s")
	b.ReportMetric(float64(st.Bytes)/float64(max(st.Syncs, 1))/(1<<10), "KiB/group")
	if err := w.Close(); err != nil {
		b.Fatal(err)
	}
}

// BenchmarkReplay measures reading back a WAL of 64 MiB in records of the
// given size (page cache warm).
func BenchmarkReplay(b *testing.B) {
	for _, size := range []int{4 << 10, 1 << 20} {
		b.Run(fmt.Sprintf("record=%dKiB", size>>10), func(b *testing.B) {
			dir := b.TempDir()
			w, err := Open(dir, 1, Options{})
			if err != nil {
				b.Fatal(err)
			}
			rec := make([]byte, size)
			var tk Ticket
			for range (64 << 20) / size {
				if tk, err = w.Append(rec); err != nil {
					b.Fatal(err)
				}
			}
			if err := errors.Join(w.Wait(context.Background(), tk), w.Close()); err != nil {
				b.Fatal(err)
			}
			b.SetBytes(64 << 20)
			b.ReportAllocs()
			for b.Loop() {
				if _, err := Replay(dir, ReplayOptions{}, func(uint64, []byte) error { return nil }); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
