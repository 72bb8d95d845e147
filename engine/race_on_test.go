//go:build race

package engine_test

// raceEnabled scales the end-to-end data sets down under the race
// detector, which slows go-mysql-server's reference table tenfold; the
// assertions stay the same.
const raceEnabled = true

// raceScale is n, or half of it under the race detector.
func raceScale(n int) int { return n / 2 }
