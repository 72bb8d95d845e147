//go:build !race

package engine_test

const raceEnabled = false

// raceScale is n, or half of it under the race detector.
func raceScale(n int) int { return n }
