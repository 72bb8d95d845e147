package exec

import "time"

// defaultCacheBytes is the budget of decoded segment batches kept between
// queries. 256 MiB holds about a million decoded WORKLOAD rows: the last
// hours of a busy day, what dashboards re-read every few seconds, while the
// server stays within its 1 GiB during ingest.
const DefaultCacheBytes = 256 << 20

// clientPollInterval is how often the connection of a running statement is
// checked for a client that went away (peer.go): five times a second kills
// a statement within a second of its client, and a check costs about a
// microsecond, while statements shorter than this are never checked.
const ClientPollInterval = 200 * time.Millisecond
