package partitions_test

import (
	"context"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"logq/catalog"
	"logq/partitions"
)

// TestReplayedRowsAreVisibleToPlans reopens a data directory as a kill -9
// during the first flush of its partitions leaves it: each partition's
// directory exists (ensurePartitionDir ran) but holds no manifest and no
// segment yet, and the rows are only in the WAL. Queries read buffered rows
// of the partitions a catalog plan lists, so every partition holding replayed
// rows must be known to the catalog right after Open. It once was not: such
// a partition was loaded unannounced, and its rows answered no query until
// the next flush.
func TestReplayedRowsAreVisibleToPlans(t *testing.T) {
	dir := t.TempDir()
	rng := rand.New(rand.NewPCG(11, 12))
	opts := []partitions.Option{partitions.WithShards(3), partitions.WithBucketWidth(time.Hour)}
	st := openTestStore(t, dir, opts...)
	b, want := genBatch(rng, 0, 2000, 2)
	require.NoError(t, st.Append(context.Background(), b))
	crashStore(t, st, dir)

	// The directories of the partitions the rows go to, as mkdir left them.
	width := time.Hour.Microseconds()
	dirs := map[string]bool{}
	for _, r := range want {
		k := partitions.Key{Start: partitions.BucketStart(r.ts, width), Width: width,
			Shard: partitions.ShardOf([]byte(r.service), 3), Shards: 3}
		dirs[k.DirName()] = true
	}
	for name := range dirs {
		require.NoError(t, os.MkdirAll(filepath.Join(dir, "parts", name), 0o755))
	}

	cat := catalog.New()
	st = openTestStore(t, dir, append(opts, partitions.WithObserver(cat))...)
	defer st.Close()
	visible := 0
	st.View(func(buf []partitions.Buffered) {
		plan := cat.Plan(catalog.Predicate{MinTS: math.MinInt64, MaxTS: math.MaxInt64})
		defer plan.Release()
		listed := map[partitions.Key]bool{}
		for _, p := range plan.Partitions {
			listed[p.Key] = true
			for _, sp := range p.Segments {
				if sp.Segment.InMemory() { // sealed since the replay
					visible += int(sp.Segment.Stats.Rows)
				}
			}
		}
		for _, p := range buf {
			if listed[p.Key] {
				for _, b := range p.Batches {
					visible += b.Len()
				}
			}
		}
	})
	require.Equal(t, len(want), visible, "replayed rows a plan reaches")
}
