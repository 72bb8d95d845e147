package wal

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"golang.org/x/sync/errgroup"
)

func TestWriterMatchesSpec(t *testing.T) {
	dir := t.TempDir()
	payloads := testPayloads(8)
	w, err := Open(dir, 7, Options{PieceBytes: 4096})
	require.NoError(t, err)
	for _, p := range payloads {
		tk, err := w.Append(p)
		require.NoError(t, err)
		require.Equal(t, uint64(7), tk.Gen())
		require.NoError(t, w.Wait(context.Background(), tk))
	}
	require.NoError(t, w.Close())
	data, err := os.ReadFile(filepath.Join(dir, "0000000000000007.wal"))
	require.NoError(t, err)
	require.Equal(t, buildFile(7, singles(payloads)...).data, data)
	st := w.Stats()
	require.Equal(t, int64(8), st.Records)
	require.Equal(t, int64(8), st.Syncs)
	require.Equal(t, int64(len(data)-fileHeaderBytes), st.Bytes)
}

func TestAppendRotateReplay(t *testing.T) {
	dir := t.TempDir()
	payloads := testPayloads(12)
	w, err := Open(dir, 1, Options{})
	require.NoError(t, err)
	var expect []replayed
	for i, p := range payloads {
		tk, err := w.Append(p)
		require.NoError(t, err)
		require.NoError(t, w.Wait(context.Background(), tk))
		expect = append(expect, replayed{tk.Gen(), string(p)})
		if i%5 == 4 {
			closed, err := w.Rotate()
			require.NoError(t, err)
			require.Equal(t, tk.Gen(), closed)
			require.Equal(t, closed+1, w.Gen())
		}
	}
	// A rotation with nothing appended still starts a new file.
	closed, err := w.Rotate()
	require.NoError(t, err)
	require.Equal(t, uint64(3), closed)
	require.NoError(t, w.Close())
	require.NoError(t, w.Close(), "Close is idempotent")

	gens, err := listGens(dir)
	require.NoError(t, err)
	require.Equal(t, []uint64{1, 2, 3, 4}, gens)
	got, res, err := replayAll(t, dir, false)
	require.NoError(t, err)
	require.Equal(t, expect, got)
	require.Equal(t, ReplayResult{Files: 4, Records: 12, LastGen: 4}, res)
}

func TestOpenRefusesOldGeneration(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, buildFile(5))
	for _, gen := range []uint64{0, 4, 5} {
		_, err := Open(dir, gen, Options{})
		require.ErrorContains(t, err, "is not above existing generation 5", "gen %d", gen)
	}
	w, err := Open(dir, 6, Options{})
	require.NoError(t, err)
	require.NoError(t, w.Close())
}

func TestRemove(t *testing.T) {
	dir := t.TempDir()
	w, err := Open(dir, 1, Options{})
	require.NoError(t, err)
	defer w.Close()
	for range 3 {
		_, err := w.Rotate()
		require.NoError(t, err)
	}
	require.ErrorContains(t, w.Remove(4), "still being written")
	require.NoError(t, w.Remove(2))
	gens, err := listGens(dir)
	require.NoError(t, err)
	require.Equal(t, []uint64{3, 4}, gens)
	require.NoError(t, w.Remove(2), "removing nothing is fine")
}

func TestAppendAfterClose(t *testing.T) {
	w, err := Open(t.TempDir(), 1, Options{})
	require.NoError(t, err)
	tk, err := w.Append([]byte("x"))
	require.NoError(t, err)
	require.NoError(t, w.Close())
	require.NoError(t, w.Wait(context.Background(), tk), "Close syncs pending records")
	_, err = w.Append([]byte("y"))
	require.ErrorIs(t, err, ErrClosed)
	_, err = w.Rotate()
	require.ErrorIs(t, err, ErrClosed)
	require.NoError(t, w.Wait(context.Background(), Ticket{}))
}

func TestAppendTooLarge(t *testing.T) {
	w, err := Open(t.TempDir(), 1, Options{})
	require.NoError(t, err)
	defer w.Close()
	_, err = w.Append(make([]byte, MaxRecordBytes+1))
	require.ErrorContains(t, err, "above the")
	tk, err := w.Append([]byte("still usable"))
	require.NoError(t, err)
	require.NoError(t, w.Wait(context.Background(), tk))
}

// TestConcurrentAppend has many goroutines append and wait while another
// rotates; replay must return exactly the acknowledged records, each once,
// in the generation its ticket named.
func TestConcurrentAppend(t *testing.T) {
	dir := t.TempDir()
	w, err := Open(dir, 1, Options{PieceBytes: 8 << 10})
	require.NoError(t, err)
	const writers, perWriter = 16, 150
	var mu sync.Mutex
	acked := map[string]uint64{}
	stop := make(chan struct{})
	var rot errgroup.Group
	rot.Go(func() error {
		for {
			select {
			case <-stop:
				return nil
			case <-time.After(2 * time.Millisecond):
				if _, err := w.Rotate(); err != nil {
					return err
				}
			}
		}
	})
	var g errgroup.Group
	for i := range writers {
		g.Go(func() error {
			rng := rand.New(rand.NewPCG(uint64(i), 1))
			for j := range perWriter {
				rec := make([]byte, rng.IntN(20000))
				copy(rec, fmt.Sprintf("%d/%d/", i, j))
				tk, err := w.Append(rec)
				if err == nil {
					err = w.Wait(context.Background(), tk)
				}
				if err != nil {
					return err
				}
				mu.Lock()
				acked[string(rec)] = tk.Gen()
				mu.Unlock()
			}
			return nil
		})
	}
	require.NoError(t, g.Wait())
	close(stop)
	require.NoError(t, rot.Wait())
	require.NoError(t, w.Close())
	st := w.Stats()
	require.Less(t, st.Syncs, int64(writers*perWriter), "group commit must share syncs")
	t.Logf("%d records in %d syncs over %d generations", st.Records, st.Syncs, w.Gen())

	seen := map[string]bool{}
	_, err = Replay(dir, ReplayOptions{}, func(gen uint64, rec []byte) error {
		key := string(rec)
		require.False(t, seen[key], "record replayed twice")
		seen[key] = true
		require.Equal(t, acked[key], gen, "generation of record")
		return nil
	})
	require.NoError(t, err)
	require.Len(t, seen, len(acked))
}

// faults injects errors into the files a WAL creates. The flusher is the
// only goroutine using the files, but tests read the counters too.
type faults struct {
	mu         sync.Mutex
	writes     int
	syncs      int
	failWrite  int           // fail the n-th Write (1-based); 0 never
	failSync   int           // fail the n-th Sync (1-based); 0 never
	failCreate int           // fail the n-th create (1-based); 0 never
	creates    int           // creates so far
	block      chan struct{} // when set, Sync waits for it to close
	full       bool          // Allocate and create fail with ENOSPC
	allocated  int64         // bytes reserved by Allocate, all files
}

var errInjected = errors.New("injected I/O error")

func (fl *faults) create(path string, header []byte) (file, error) {
	fl.mu.Lock()
	fl.creates++
	fail, full := fl.creates == fl.failCreate, fl.full
	fl.mu.Unlock()
	if fail {
		return nil, errInjected
	}
	if full {
		return nil, &os.PathError{Op: "write", Path: path, Err: syscall.ENOSPC}
	}
	f, err := createOSFile(path, header)
	if err != nil {
		return nil, err
	}
	return &faultFile{file: f, fl: fl}, nil
}

type faultFile struct {
	file
	fl *faults
}

func (f *faultFile) Write(p []byte) (int, error) {
	f.fl.mu.Lock()
	f.fl.writes++
	fail := f.fl.writes == f.fl.failWrite
	f.fl.mu.Unlock()
	if fail {
		return 0, errInjected
	}
	return f.file.Write(p)
}

func (f *faultFile) Allocate(off, n int64) error {
	f.fl.mu.Lock()
	defer f.fl.mu.Unlock()
	if f.fl.full {
		return &os.PathError{Op: "fallocate", Err: syscall.ENOSPC}
	}
	f.fl.allocated += n
	return f.file.Allocate(off, n)
}

func (f *faultFile) Sync() error {
	f.fl.mu.Lock()
	f.fl.syncs++
	fail, block := f.fl.syncs == f.fl.failSync, f.fl.block
	f.fl.mu.Unlock()
	if block != nil {
		<-block
	}
	if fail {
		return errInjected
	}
	return f.file.Sync()
}

func TestStickyFailure(t *testing.T) {
	cases := []struct {
		name   string
		faults *faults
		// rotate makes the test call Rotate after the first record.
		rotate bool
	}{
		{"fsync fails", &faults{failSync: 2}, false},
		{"write fails", &faults{failWrite: 2}, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			fl := tc.faults
			w, err := open(dir, 1, Options{PieceBytes: 4096, Logger: quietLog}, fl.create)
			require.NoError(t, err)
			ctx := context.Background()
			first, err := w.Append([]byte("durable"))
			require.NoError(t, err)
			require.NoError(t, w.Wait(ctx, first))

			var broken error
			if tc.rotate {
				_, broken = w.Rotate()
			} else {
				tk, err := w.Append([]byte("lost"))
				require.NoError(t, err)
				broken = w.Wait(ctx, tk)
			}
			require.ErrorIs(t, broken, ErrFsync)
			require.ErrorIs(t, broken, errInjected)

			_, err = w.Append([]byte("after"))
			require.ErrorIs(t, err, ErrFsync)
			_, err = w.Rotate()
			require.ErrorIs(t, err, ErrFsync)
			require.NoError(t, w.Wait(ctx, first), "a synced record stays acknowledged")
			require.ErrorIs(t, w.Close(), ErrFsync)
			require.ErrorIs(t, w.Close(), ErrFsync)
		})
	}
}

// TestRotateCreateFailure: a Rotate that cannot create the next file
// changes nothing; the WAL goes on in the current generation.
func TestRotateCreateFailure(t *testing.T) {
	dir := t.TempDir()
	fl := &faults{failCreate: 2}
	w, err := open(dir, 1, Options{Logger: quietLog}, fl.create)
	require.NoError(t, err)
	appendSynced(t, w, "before")
	_, err = w.Rotate()
	require.ErrorIs(t, err, errInjected)
	require.NotErrorIs(t, err, ErrFsync)
	require.Equal(t, uint64(1), w.Gen())
	tk := appendSynced(t, w, "after")
	require.Equal(t, uint64(1), tk.Gen())
	closed, err := w.Rotate()
	require.NoError(t, err)
	require.Equal(t, uint64(1), closed)
	appendSynced(t, w, "next")
	require.NoError(t, w.Close())
	require.Equal(t, map[uint64][]string{1: {"before", "after"}, 2: {"next"}}, recordsByGen(t, dir))
}

// TestNoSpace: on a full file system Append and Rotate fail with
// ErrNoSpace before writing anything, records already synced stay so, and
// the WAL works again once space is back.
func TestNoSpace(t *testing.T) {
	dir := t.TempDir()
	fl := &faults{}
	w, err := open(dir, 1, Options{Logger: quietLog}, fl.create)
	require.NoError(t, err)
	appendSynced(t, w, "a")
	fl.mu.Lock()
	require.Equal(t, int64(reserveStepBytes), fl.allocated, "a new file reserves ahead")
	fl.full = true
	fl.mu.Unlock()

	// Fill the reservation: the record that does not fit fails, cleanly.
	big := make([]byte, 8<<20)
	var err2 error
	for i := 0; i < 9 && err2 == nil; i++ {
		var tk Ticket
		if tk, err2 = w.Append(big); err2 == nil {
			require.NoError(t, w.Wait(context.Background(), tk))
		}
	}
	require.ErrorIs(t, err2, ErrNoSpace)
	require.ErrorIs(t, err2, syscall.ENOSPC)
	_, err = w.Rotate()
	require.ErrorIs(t, err, ErrNoSpace)
	require.Equal(t, uint64(1), w.Gen())

	fl.mu.Lock()
	fl.full = false
	fl.mu.Unlock()
	appendSynced(t, w, "b")
	_, err = w.Rotate()
	require.NoError(t, err)
	appendSynced(t, w, "c")
	require.NoError(t, w.Close())
	got := recordsByGen(t, dir)
	require.Equal(t, []string{"b"}, got[1][len(got[1])-1:], "the refused record left no bytes behind")
	require.Len(t, got[1], 9, "a, seven 8 MiB records, b")
	require.Equal(t, []string{"c"}, got[2])
}

// appendSynced appends rec and waits for it.
func appendSynced(t *testing.T, w *WAL, rec string) Ticket {
	t.Helper()
	tk, err := w.Append([]byte(rec))
	require.NoError(t, err)
	require.NoError(t, w.Wait(context.Background(), tk))
	return tk
}

// recordsByGen returns the records of dir by generation, payloads of more than
// 64 bytes abbreviated to their length.
func recordsByGen(t *testing.T, dir string) map[uint64][]string {
	t.Helper()
	out := map[uint64][]string{}
	_, err := Replay(dir, ReplayOptions{Logger: quietLog}, func(gen uint64, rec []byte) error {
		s := string(rec)
		if len(rec) > 64 {
			s = fmt.Sprintf("%d bytes", len(rec))
		}
		out[gen] = append(out[gen], s)
		return nil
	})
	require.NoError(t, err)
	return out
}

func TestFailureFailsQueuedRecords(t *testing.T) {
	// While the first group's sync blocks, more records queue up in the next
	// group; when the sync fails, their Waits fail too.
	fl := &faults{failSync: 1, block: make(chan struct{})}
	w, err := open(t.TempDir(), 1, Options{Logger: quietLog}, fl.create)
	require.NoError(t, err)
	ctx := context.Background()
	first, err := w.Append([]byte("a"))
	require.NoError(t, err)
	waitFor(t, func() bool { fl.mu.Lock(); defer fl.mu.Unlock(); return fl.syncs == 1 })
	queued, err := w.Append([]byte("b"))
	require.NoError(t, err)

	canceled, cancel := context.WithCancel(ctx)
	cancel()
	require.ErrorIs(t, w.Wait(canceled, queued), context.Canceled)

	close(fl.block)
	require.ErrorIs(t, w.Wait(ctx, first), ErrFsync)
	require.ErrorIs(t, w.Wait(ctx, queued), ErrFsync)
	require.ErrorIs(t, w.Close(), ErrFsync)
}

// waitFor polls cond until it holds or a generous deadline passes.
func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); !cond(); {
		require.True(t, time.Now().Before(deadline), "condition not reached")
		time.Sleep(time.Millisecond)
	}
}

func TestParseFileName(t *testing.T) {
	cases := []struct {
		name string
		gen  uint64
		ok   bool
	}{
		{"0000000000000001.wal", 1, true},
		{"ffffffffffffffff.wal", 1<<64 - 1, true},
		{"FFFFFFFFFFFFFFFF.wal", 0, false},
		{"000000000000001.wal", 0, false},
		{"0000000000000001.wal.repair", 0, false},
		{"000000000000000g.wal", 0, false},
		{"0000000000000001.log", 0, false},
	}
	for _, tc := range cases {
		gen, ok := parseFileName(tc.name)
		require.Equal(t, tc.ok, ok, tc.name)
		require.Equal(t, tc.gen, gen, tc.name)
	}
}

func TestWritePieces(t *testing.T) {
	require.Equal(t, 128<<10, pieceBytes(0))
	require.Equal(t, 4<<10, pieceBytes(1))
	require.Equal(t, 16<<20, pieceBytes(1<<30))

	fl := &faults{}
	w, err := open(t.TempDir(), 1, Options{PieceBytes: 4096, Logger: quietLog}, fl.create)
	require.NoError(t, err)
	tk, err := w.Append(make([]byte, 100<<10))
	require.NoError(t, err)
	require.NoError(t, w.Wait(context.Background(), tk))
	require.NoError(t, w.Close())
	fl.mu.Lock()
	defer fl.mu.Unlock()
	// One group of 24 header bytes and 100 KiB of payload, in 4 KiB pieces.
	require.Equal(t, (24+100<<10+4095)/4096, fl.writes)
	require.Equal(t, 1, fl.syncs)
}
