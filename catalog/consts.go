package catalog

// maxPlanAttempts bounds how often Plan starts over on a newer snapshot after
// finding a retired segment in the one it loaded. The store publishes a change
// before it drops its references, so one retry normally suffices; the bound
// only keeps a planner from chasing a writer that changes the same partition
// in a tight loop.
const maxPlanAttempts = 4
