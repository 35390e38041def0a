package ingest

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/sleeperd/sleeperd/storage/keys"
	"github.com/sleeperd/sleeperd/storage/statestore"
)

// parallelFinalMerge makes the final merge of a spilled write run as n merges at once, as
// the default import memory does on a machine with n cores, whatever the budget and cores.
func parallelFinalMerge(t *testing.T, n int) {
	oldMem, oldN := runAheadMemory, finalMerges
	runAheadMemory, finalMerges = 0, n
	t.Cleanup(func() { runAheadMemory, finalMerges = oldMem, oldN })
}

// The final merge cut into ranges of leaves merged at once writes the rows Write writes, in
// the same files: one per leaf, rows with equal keys in input order.
func TestWriterParallelFinalMerge(t *testing.T) {
	t.Run("text keys with duplicates", func(t *testing.T) {
		parallelFinalMerge(t, 3)
		mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
		defer mem.AssertSize(t, 0)
		batches := textBatches(mem, rand.New(rand.NewPCG(31, 32)), 20000, 333)
		defer release(batches)
		dir := t.TempDir()
		st := writeBoth(t, mem, textSchema, []int{0, 1}, []int{2}, [][]byte{textKey("f"), textKey("m5"), textKey("t")}, batches, WriterOptions{Memory: 64 << 10, SpillDir: dir})
		if st.Runs < 4 || st.FinalMerges != 3 {
			t.Errorf("stats %+v: want spilled runs merged by 3 merges", st)
		}
		assertEmptyDir(t, dir)
	})
	t.Run("random int keys, many leaves", func(t *testing.T) {
		parallelFinalMerge(t, 4)
		mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
		defer mem.AssertSize(t, 0)
		batches := testBatches(mem, rand.New(rand.NewPCG(33, 34)), 30000, 1000, 4000)
		defer release(batches)
		var splits [][]byte
		for k := int64(250); k < 4000; k += 250 {
			splits = append(splits, int64Key(k))
		}
		dir := t.TempDir()
		st := writeBoth(t, mem, testSchema, []int{0}, []int{1}, splits, batches, WriterOptions{Memory: 128 << 10, SpillDir: dir})
		if st.Runs < 4 || st.FinalMerges != 4 {
			t.Errorf("stats %+v: want spilled runs merged by 4 merges", st)
		}
		assertEmptyDir(t, dir)
	})
	t.Run("every row in one leaf", func(t *testing.T) {
		parallelFinalMerge(t, 2)
		mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
		defer mem.AssertSize(t, 0)
		batches := testBatches(mem, rand.New(rand.NewPCG(35, 36)), 10000, 500, 1000)
		defer release(batches)
		dir := t.TempDir()
		st, extra := writeBothFiles(t, mem, testSchema, []int{0}, []int{1}, [][]byte{int64Key(5000), int64Key(6000)}, batches, WriterOptions{Memory: 64 << 10, SpillDir: dir})
		if st.Runs < 2 || st.FinalMerges != 2 || extra != 1 {
			t.Errorf("stats %+v, %d more files than Write: want the leaf cut in two by two merges", st, extra)
		}
		assertEmptyDir(t, dir)
	})
}

// The final merge cut inside leaves, at random row keys among many duplicates, loses,
// duplicates and reorders no row: the rows read leaf by leaf, each leaf's files in key order,
// equal those of Write, row for row (readTable also checks that a leaf's files are disjoint
// in row keys, so rows with equal row keys are never split between two files).
func TestWriterFinalMergeCutInsideLeaves(t *testing.T) {
	for seed := uint64(1); seed <= 8; seed++ {
		rng := rand.New(rand.NewPCG(seed, 77))
		parts := 2 + rng.IntN(3)
		var splits [][]byte
		for _, s := range []string{"g", "p", "w"}[:rng.IntN(3)] {
			splits = append(splits, textKey(s))
		}
		t.Run(fmt.Sprintf("seed %d, %d merges, %d leaves", seed, parts, len(splits)+1), func(t *testing.T) {
			parallelFinalMerge(t, parts)
			mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
			defer mem.AssertSize(t, 0)
			batches := textBatches(mem, rng, 8000+rng.IntN(8000), 100+rng.IntN(400))
			defer release(batches)
			dir := t.TempDir()
			st, extra := writeBothFiles(t, mem, textSchema, []int{0, 1}, []int{2}, splits, batches, WriterOptions{Memory: 64 << 10, SpillDir: dir})
			if st.Runs < 2 || st.FinalMerges < 2 {
				t.Errorf("stats %+v: want spilled runs merged by several merges", st)
			}
			if len(splits) == 0 && extra != st.FinalMerges-1 {
				t.Errorf("one leaf, %d merges: %d more files than Write, want one per cut", st.FinalMerges, extra)
			}
			assertEmptyDir(t, dir)
		})
	}
}

func TestCuts(t *testing.T) {
	leaves := func(bounds ...int64) []*statestore.Partition {
		var out []*statestore.Partition
		var lo []byte
		for _, b := range bounds {
			out = append(out, &statestore.Partition{Range: keys.Range{Min: lo, Max: int64Key(b)}})
			lo = int64Key(b)
		}
		return append(out, &statestore.Partition{Range: keys.Range{Min: lo}})
	}
	samples := func(keys ...int64) []keySample {
		var out []keySample
		for _, k := range keys {
			out = append(out, keySample{key: int64Key(k), weight: 10})
		}
		return out
	}
	str := func(cs [][]byte) []int64 {
		var out []int64
		for _, c := range cs {
			for k := int64(0); k < 1000; k++ {
				if string(int64Key(k)) == string(c) {
					out = append(out, k)
				}
			}
		}
		return out
	}
	for _, tc := range []struct {
		name    string
		samples []keySample
		leaves  []*statestore.Partition
		parts   int
		want    []int64
	}{
		{"halves", samples(1, 2, 3, 4, 5, 6, 7, 8), leaves(2, 4, 5, 7), 2, []int64{5}},
		{"thirds", samples(1, 2, 3, 4, 5, 6, 7, 8, 9), leaves(2, 3, 4, 5, 6, 7, 8, 9), 3, []int64{4, 7}},
		{"one part", samples(1, 2, 3), leaves(2), 1, nil},
		{"one leaf", samples(1, 2, 3), leaves(), 2, []int64{3}},
		{"boundary within the slack", samples(1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16), leaves(10), 2, []int64{10}},
		{"boundary beyond the slack", samples(1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16), leaves(11), 2, []int64{9}},
		{"nearest boundary", samples(1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16), leaves(2, 8, 10, 15), 2, []int64{8}},
		{"duplicate keys cut once", samples(5, 5, 5, 5, 1, 9), leaves(), 3, []int64{5}},
		{"no samples", nil, leaves(2), 2, nil},
		{"every row below the boundaries", samples(1, 1, 1), leaves(5, 6), 2, nil},
		{"every row above the boundaries", samples(9, 9), leaves(5, 6), 2, nil},
		{"fewer boundaries than parts", samples(1, 2, 3, 4), leaves(3), 4, []int64{2, 3, 4}},
		{"unsorted samples", samples(8, 1, 7, 2, 6, 3, 5, 4), leaves(5), 2, []int64{5}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := str(cuts(tc.samples, tc.leaves, tc.parts))
			if len(got) != len(tc.want) {
				t.Fatalf("cuts %v, want %v", got, tc.want)
			}
			for i := range got {
				if got[i] != tc.want[i] {
					t.Fatalf("cuts %v, want %v", got, tc.want)
				}
			}
		})
	}
}

// A failure in one of the merges run at once stops the others and leaves no file behind.
func TestWriterParallelFinalMergeFailure(t *testing.T) {
	parallelFinalMerge(t, 2)
	TestWriterSpillCleanup(t)
}
