package partitions

import (
	"fmt"
	"strings"
	"time"

	"github.com/cespare/xxhash/v2"

	"logq/partitions/collate"
)

// Key identifies a partition: the time bucket [Start, Start+Width) in UTC
// microseconds and the shard of the service among Shards.
type Key struct {
	Start  int64 // UTC microseconds, a multiple of Width
	Width  int64 // microseconds
	Shard  int
	Shards int
}

// MinTS and MaxTS bound the rows the partition may hold (closed interval).
func (k Key) MinTS() int64 { return k.Start }

// MaxTS is the last microsecond of the bucket.
func (k Key) MaxTS() int64 { return k.Start + k.Width - 1 }

// BucketStart returns the start of the bucket of width w holding ts, rounding
// toward minus infinity so that negative timestamps bucket correctly.
func BucketStart(ts, w int64) int64 {
	q := ts / w
	if ts%w < 0 {
		q--
	}
	return q * w
}

// ShardOf returns the shard of a service among n shards: the hash of the
// service's collation key (collate.Key), so that every name equal to a
// literal under MySQL's default collation (service = 'SVC-3', 'svc-é' =
// 'svc-e') lives in the literal's shard and shard pruning stays exact. For
// printable ASCII the key is the lower-cased name, which is what shards
// hashed before keys existed.
func ShardOf(service []byte, n int) int {
	if n <= 1 {
		return 0
	}
	var buf [64]byte
	return int(xxhash.Sum64(collate.AppendKey(buf[:0], service)) % uint64(n))
}

// DirName returns the directory name of the partition, for example
// "20261103T000000Z_86400s_3of4": the bucket start in UTC, the bucket width in
// seconds and the shard. Names sort by time for equal widths.
func (k Key) DirName() string {
	start := time.UnixMicro(k.Start).UTC().Format("20060102T150405Z")
	return fmt.Sprintf("%s_%ds_%dof%d", start, k.Width/1e6, k.Shard, k.Shards)
}

// ParseDirName is the inverse of DirName.
func ParseDirName(name string) (Key, error) {
	parts := strings.Split(name, "_")
	if len(parts) != 3 {
		return Key{}, fmt.Errorf("partition dir %q: want START_WIDTHs_SHARDofN", name)
	}
	t, err := time.Parse("20060102T150405Z", parts[0])
	if err != nil {
		return Key{}, fmt.Errorf("partition dir %q: %w", name, err)
	}
	var k Key
	var widthSec int64
	if _, err := fmt.Sscanf(parts[1], "%ds", &widthSec); err != nil || widthSec <= 0 {
		return Key{}, fmt.Errorf("partition dir %q: bad width %q", name, parts[1])
	}
	if _, err := fmt.Sscanf(parts[2], "%dof%d", &k.Shard, &k.Shards); err != nil || k.Shards <= 0 || k.Shard < 0 || k.Shard >= k.Shards {
		return Key{}, fmt.Errorf("partition dir %q: bad shard %q", name, parts[2])
	}
	k.Start, k.Width = t.UnixMicro(), widthSec*1e6
	if k.DirName() != name {
		return Key{}, fmt.Errorf("partition dir %q: not canonical", name)
	}
	return k, nil
}
