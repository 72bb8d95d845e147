package segment

import (
	"github.com/cespare/xxhash/v2"
)

// Bloom is a split-block bloom filter (as in Parquet): each key sets 8 bits in
// one 256-bit block picked by the hash, so a probe touches one cache line.
// The hash is xxhash64, which is stable across processes and versions; the
// filter's bits are written to disk as they are.
type Bloom struct {
	Blocks [][8]uint32
	// Keyed reports that the filter also holds the collation key
	// (partitions/collate) of every value, so that a value equal to a
	// literal under MySQL's default collation can be ruled out by the
	// literal's key. The filters of service and host are keyed from stats
	// version 3 on.
	Keyed bool
}

// bloomSalts are the odd constants of Parquet's split-block bloom filter.
var bloomSalts = [8]uint32{
	0x47b6137b, 0x44974d91, 0x8824ad5b, 0xa2b7289d,
	0x705495c7, 0x2df1424b, 0x9efc4947, 0x5c6bfb31,
}

// NewBloom returns a filter sized for n keys at bitsPerKey bits each.
func NewBloom(n, bitsPerKey int) *Bloom {
	blocks := (n*bitsPerKey + 255) / 256
	if blocks < 1 {
		blocks = 1
	}
	return &Bloom{Blocks: make([][8]uint32, blocks)}
}

// Add inserts v.
func (f *Bloom) Add(v string) { f.AddHash(xxhash.Sum64String(v)) }

// AddBytes inserts v.
func (f *Bloom) AddBytes(v []byte) { f.AddHash(xxhash.Sum64(v)) }

// AddHash inserts a key by its xxhash64.
func (f *Bloom) AddHash(h uint64) {
	blk := &f.Blocks[f.block(h)]
	key := uint32(h)
	for i, salt := range bloomSalts {
		blk[i] |= 1 << ((key * salt) >> 27)
	}
}

// MayContain reports whether v may have been added. False is definite.
func (f *Bloom) MayContain(v string) bool { return f.MayContainHash(xxhash.Sum64String(v)) }

// MayContainHash is MayContain for a precomputed xxhash64.
func (f *Bloom) MayContainHash(h uint64) bool {
	blk := &f.Blocks[f.block(h)]
	key := uint32(h)
	for i, salt := range bloomSalts {
		if blk[i]&(1<<((key*salt)>>27)) == 0 {
			return false
		}
	}
	return true
}

// block maps the high 32 bits of h onto the block range without division.
func (f *Bloom) block(h uint64) int {
	return int(((h >> 32) * uint64(len(f.Blocks))) >> 32)
}
