package merge

import (
	"math/rand/v2"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/sleeperd/sleeperd/exec"
)

// TestMostlyUniqueKeysAgainstModel checks last-write-wins over inputs whose keys are mostly
// unique (most batches take the path that returns their rows as a slice of the batch), with
// now and then a key repeated within or across batches, a tombstone, and groups ending at a
// batch boundary, against model; the checked allocator finds no leak.
func TestMostlyUniqueKeysAgainstModel(t *testing.T) {
	ss := []*string{nil, str("x"), str("")}
	for seed := range uint64(200) {
		rng := rand.New(rand.NewPCG(seed, 7))
		mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
		nin := 1 + rng.IntN(2)
		inputs := make([][]row, nin)
		streams := make([]exec.Stream, nin)
		for i := range inputs {
			var rows []row
			k := int64(rng.IntN(3))
			for range rng.IntN(80) {
				if rng.IntN(12) > 0 {
					k += int64(1 + rng.IntN(2))
				}
				r := row{k: k, s: ss[rng.IntN(len(ss))], ver: int64(1 + rng.IntN(20)), del: rng.IntN(30) == 0}
				if rng.IntN(4) > 0 {
					r.a = i64(int64(rng.IntN(100)))
				}
				rows = append(rows, r)
			}
			// The model's order: key, sort key (NULLs last), version.
			sortRows(rows)
			inputs[i] = rows
			streams[i] = streamOf(mem, rows, 1+rng.IntN(9), 2+rng.IntN(20))
		}
		opts := baseOptions(mem)
		opts.LastWriteWins = true
		opts.DropTombstones = rng.IntN(2) == 0
		want := model(inputs, opts, nil)
		got, _, err := mergeApply(t, streams, mergeSpec(mem), opts)
		if err != nil {
			t.Fatalf("seed %d: %v", seed, err)
		}
		if !equalRows(got, want) {
			t.Logf("seed %d: %d inputs, tombstones dropped %v", seed, nin, opts.DropTombstones)
		}
		diffRows(t, got, want)
		mem.AssertSize(t, 0)
	}
}
