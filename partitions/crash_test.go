package partitions_test

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"logq/partitions"
	"logq/partitions/columns"
)

var crashRounds = flag.Int("crash-rounds", 20, "SIGKILLs in TestCrashRecovery (more: -crash-rounds=200)")

// TestCrashRecovery runs a child process that appends rows as fast as it can
// with tiny flush and compaction intervals, SIGKILLs it at a random moment,
// and checks the data directory: every acknowledged row is there exactly
// once, and no row appears that was never sent.
func TestCrashRecovery(t *testing.T) {
	if testing.Short() {
		t.Skip("crash test runs child processes")
	}
	dir := t.TempDir()
	rng := rand.New(rand.NewPCG(42, uint64(time.Now().UnixNano())))
	next := int64(1)
	acked := map[int64]bool{}
	sent := map[int64]bool{}
	for round := 0; round < *crashRounds; round++ {
		s, a, maxSeq := runCrashChild(t, dir, round, next, time.Duration(50+rng.IntN(400))*time.Millisecond)
		for seq := range s {
			sent[seq] = true
		}
		for seq := range a {
			acked[seq] = true
		}
		next = maxSeq + 1
		verifyCrashDir(t, dir, sent, acked)
	}
	require.NotEmpty(t, acked, "the child never acknowledged a row")
	t.Logf("%d rounds, %d rows sent, %d acknowledged", *crashRounds, len(sent), len(acked))
}

// runCrashChild starts the child, kills it after delay, and returns the
// sequence numbers it announced as sent and as acknowledged.
func runCrashChild(t *testing.T, dir string, round int, first int64, delay time.Duration) (sent, acked map[int64]bool, maxSeq int64) {
	cmd := exec.Command(os.Args[0], "-test.run=^TestCrashChild$", "-test.v=false")
	cmd.Env = append(os.Environ(), "LOGQ_CRASH_CHILD="+dir, fmt.Sprintf("LOGQ_CRASH_FIRST=%d", first),
		fmt.Sprintf("LOGQ_CRASH_SEED=%d", round))
	out, err := cmd.StdoutPipe()
	require.NoError(t, err)
	cmd.Stderr = nil
	require.NoError(t, cmd.Start())
	timer := time.AfterFunc(delay, func() { cmd.Process.Signal(syscall.SIGKILL) })
	defer timer.Stop()

	sent, acked, maxSeq = map[int64]bool{}, map[int64]bool{}, first-1
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) != 3 {
			continue // a line cut by the kill
		}
		lo, err1 := strconv.ParseInt(f[1], 10, 64)
		hi, err2 := strconv.ParseInt(f[2], 10, 64)
		if err1 != nil || err2 != nil {
			continue
		}
		for seq := lo; seq <= hi; seq++ {
			switch f[0] {
			case "sent":
				sent[seq] = true
				maxSeq = max(maxSeq, seq)
			case "ack":
				acked[seq] = true
			}
		}
	}
	cmd.Wait()
	return sent, acked, maxSeq
}

// verifyCrashDir opens the store like a restart does and checks every row.
func verifyCrashDir(t *testing.T, dir string, sent, acked map[int64]bool) {
	st, err := partitions.Open(dir, partitions.WithCompactInterval(0), partitions.WithShards(3),
		partitions.WithBucketWidth(time.Hour))
	require.NoError(t, err)
	seen := map[int64]bool{}
	forEachRow(t, st, func(b *columns.Batch, i int) {
		seq := b.Column("seq").Ints[i]
		require.False(t, seen[seq], "row %d present twice", seq)
		seen[seq] = true
		require.True(t, sent[seq], "row %d present but never sent", seq)
		want := crashRow(seq)
		require.Equal(t, want.TS[0], b.TS[i], "ts of row %d", seq)
		require.Equal(t, string(want.Message.Value(0)), string(b.Message.Value(i)), "message of row %d", seq)
		require.Equal(t, string(want.Service.Value(0)), string(b.Service.Value(i)), "service of row %d", seq)
	})
	for seq := range acked {
		require.True(t, seen[seq], "acknowledged row %d lost", seq)
	}
	require.NoError(t, st.Close())
}

// crashRow is the deterministic content of row seq.
func crashRow(seq int64) *columns.Batch {
	b := &columns.Batch{}
	appendCrashRow(b, seq)
	return b
}

func appendCrashRow(b *columns.Batch, seq int64) {
	n := b.Len()
	// Spread over 30 hours in a shuffled order so rows hit many partitions.
	b.TS = append(b.TS, 1_793_836_800_000_000+(seq*7_919_000_003)%(30*3_600_000_000))
	b.Level.AppendString([]string{"INFO", "ERROR", "WARN"}[seq%3])
	b.Service.AppendString("svc-" + strconv.FormatInt(seq%7, 10))
	b.Host.AppendNull()
	b.TraceID.AppendString(fmt.Sprintf("%016x", seq*2654435761))
	b.Message.AppendString("row " + strconv.FormatInt(seq, 10) + strings.Repeat(" pad", int(seq%5)))
	b.AddColumn("seq", columns.TypeInt64, n).AppendInt(seq)
	b.PadDynamic(n + 1)
}

// TestCrashChild is the child process of TestCrashRecovery; it does nothing
// in a normal run.
func TestCrashChild(t *testing.T) {
	dir := os.Getenv("LOGQ_CRASH_CHILD")
	if dir == "" {
		t.Skip("child process of TestCrashRecovery")
	}
	first, _ := strconv.ParseInt(os.Getenv("LOGQ_CRASH_FIRST"), 10, 64)
	seed, _ := strconv.ParseUint(os.Getenv("LOGQ_CRASH_SEED"), 10, 64)
	st, err := partitions.Open(dir, partitions.WithFlushBytes(64<<10), partitions.WithFlushAge(20*time.Millisecond),
		partitions.WithCompactInterval(30*time.Millisecond), partitions.WithShards(3),
		partitions.WithBucketWidth(time.Hour), partitions.WithBatchRows(100))
	if err != nil {
		fmt.Fprintln(os.Stderr, "open:", err)
		os.Exit(3)
	}
	var mu sync.Mutex // serialises stdout lines and seq allocation
	nextSeq := first
	var wg sync.WaitGroup
	for w := 0; w < 3; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(seed, uint64(w)))
			for {
				mu.Lock()
				lo, n := nextSeq, int64(1+rng.IntN(300))
				nextSeq += n
				fmt.Printf("sent %d %d\n", lo, lo+n-1)
				mu.Unlock()
				b := &columns.Batch{}
				for seq := lo; seq < lo+n; seq++ {
					appendCrashRow(b, seq)
				}
				if err := st.Append(context.Background(), b); err != nil {
					fmt.Fprintln(os.Stderr, "append:", err)
					os.Exit(3)
				}
				mu.Lock()
				fmt.Printf("ack %d %d\n", lo, lo+n-1)
				mu.Unlock()
			}
		}(w)
	}
	wg.Wait()
}

// forEachRow calls fn for every row of the store a query can read:
// segments (but the batches set aside as damaged), then buffers.
func forEachRow(t testing.TB, st *partitions.Store, fn func(b *columns.Batch, i int)) {
	segs := st.Segments()
	defer func() {
		for _, s := range segs {
			s.DecRef()
		}
	}()
	for _, s := range segs {
		r, err := s.Reader()
		require.NoError(t, err)
		for bi := 0; bi < r.NumBatches(); bi++ {
			if slices.ContainsFunc(s.BadBatches(), func(b partitions.BadBatch) bool { return b.Batch == bi }) {
				continue
			}
			b, err := r.Rows(bi)
			require.NoError(t, err, "%s batch %d", filepath.Base(s.Path), bi)
			for i := 0; i < b.Len(); i++ {
				fn(b, i)
			}
		}
	}
	st.View(func(buf []partitions.Buffered) {
		for _, p := range buf {
			batches := p.Batches
			for _, seg := range p.Sealed {
				for bi := range seg.Stats.Batches {
					batches = append(batches, seg.Batch(bi))
				}
			}
			for _, b := range batches {
				for i := 0; i < b.Len(); i++ {
					fn(b, i)
				}
			}
		}
	})
}
