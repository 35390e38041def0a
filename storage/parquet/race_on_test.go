//go:build race

package parquet

// raceEnabled tells tests that the race detector slows them about tenfold, so that their
// randomised rounds run fewer seeds.
const raceEnabled = true
