package engine

// defaultCacheBytes is the budget of decoded segment batches kept between
// queries. 256 MiB holds about a million decoded WORKLOAD rows: the last
// hours of a busy day, what dashboards re-read every few seconds, while the
// server stays within its 1 GiB during ingest.
const defaultCacheBytes = 256 << 20
