//go:build race

package engine_test

// raceEnabled scales the end-to-end data sets down under the race
// detector, which slows go-mysql-server's reference table tenfold; the
// assertions stay the same.
const raceEnabled = true
