package ingest

import (
	"fmt"
	"io"
	"math/rand/v2"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// smallSubRuns makes localize copy every source of a test's small spills into sub-runs of a
// few rows, until the returned func runs.
func smallSubRuns(bytes int64) func() {
	oldSub, oldMin := subRunBytes, localMinBytes
	subRunBytes, localMinBytes = bytes, 0
	return func() { subRunBytes, localMinBytes = oldSub, oldMin }
}

// drain returns every row next gives, each as the values of its columns (the table's, the
// encoded key and the row key's length), and closes src.
func drain(t *testing.T, src *memSource) []string {
	t.Helper()
	defer src.close()
	var out []string
	for {
		b, err := src.next()
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		for r := range int(b.NumRows()) {
			s := ""
			for _, c := range b.Columns() {
				s += c.ValueStr(r) + "|"
			}
			out = append(out, s)
		}
		b.Release()
	}
}

// TestMemSourceLocalize sorts the same rows with and without sub-runs: localize copies them
// (text and fixed-width columns, NULLs, many equal keys), lets go of the input batches and
// the memory accounted for them, and next gives the same rows in the same order.
func TestMemSourceLocalize(t *testing.T) {
	defer smallSubRuns(1 << 10)()
	cases := []struct {
		name     string
		schema   *arrow.Schema
		rk, sk   []int
		batches  func(mem memory.Allocator, rng *rand.Rand) []arrow.RecordBatch
		subRuns  bool // whether the rows are large enough for sub-runs
		minBytes int64
	}{
		{"int key, nullable float sort key", testSchema, []int{0}, []int{1}, func(mem memory.Allocator, rng *rand.Rand) []arrow.RecordBatch {
			return testBatches(mem, rng, 3000, 37, 500)
		}, true, 0},
		{"text keys, nullable text sort key", textSchema, []int{0, 1}, []int{2}, func(mem memory.Allocator, rng *rand.Rand) []arrow.RecordBatch {
			return textBatches(mem, rng, 2500, 50)
		}, true, 0},
		{"one batch: not copied", testSchema, []int{0}, []int{1}, func(mem memory.Allocator, rng *rand.Rand) []arrow.RecordBatch {
			return testBatches(mem, rng, 2000, 2000, 100)
		}, false, 0},
		{"small: not copied", testSchema, []int{0}, []int{1}, func(mem memory.Allocator, rng *rand.Rand) []arrow.RecordBatch {
			return testBatches(mem, rng, 2000, 20, 100)
		}, false, 1 << 30},
	}
	for _, c := range cases {
		for seed := range uint64(4) {
			t.Run(fmt.Sprintf("%s/seed %d", c.name, seed), func(t *testing.T) {
				localMinBytes = c.minBytes
				defer func() { localMinBytes = 0 }()
				mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
				defer mem.AssertSize(t, 0)
				batches := c.batches(mem, rand.New(rand.NewPCG(seed, 40+seed)))
				defer release(batches)
				rows := 0
				for _, b := range batches {
					rows += int(b.NumRows())
				}
				source := func(local bool) (*memSource, *trackingAllocator) {
					tr := &trackingAllocator{mem: mem}
					in := make([]arrow.RecordBatch, len(batches))
					for i, b := range batches {
						b.Retain()
						in[i] = b
					}
					const held = 1 << 20
					tr.hold(held)
					spec := Spec{Schema: c.schema, RowKeys: c.rk, SortKeys: c.sk, Alloc: tr}
					m := &memSource{spec: spec, schema: runSchema(c.schema), in: newInput(in), rows: rows, chunk: 97, mem: tr, held: held}
					if local {
						if err := m.sort(); err != nil {
							t.Fatal(err)
						}
					} else {
						m.s = sortRows(spec, m.in.batches, m.rows)
						m.n = len(m.s.perm)
					}
					return m, tr
				}
				plain, trPlain := source(false)
				want := drain(t, plain)
				m, tr := source(true)
				if got := m.local != nil; got != c.subRuns {
					t.Fatalf("copied into sub-runs: %v, want %v", got, c.subRuns)
				}
				if c.subRuns {
					if len(m.local) < 2 || m.in.batches != nil {
						t.Fatalf("%d sub-runs, %d input batches held: want several sub-runs, no input", len(m.local), len(m.in.batches))
					}
					if m.held >= 1<<20 {
						t.Errorf("%d bytes accounted for the rows: the input batches let go of are still counted", m.held)
					}
				}
				// A view shares the sub-runs: a range in the middle gives the same rows.
				lo, hi := m.s.rowKeyAt(rows/4), m.s.rowKeyAt(rows/2)
				v := m.view(lo, hi)
				if v.pos == 0 || v.n == rows || v.pos >= v.n {
					t.Fatalf("view [%d, %d) of %d rows: want a range in the middle", v.pos, v.n, rows)
				}
				from, to := v.pos, v.n
				gotView := drain(t, v)
				if len(gotView) != to-from {
					t.Fatalf("view of %d rows, want %d", len(gotView), to-from)
				}
				for i, s := range gotView {
					if s != want[from+i] {
						t.Fatalf("view row %d: %s, want %s", i, s, want[from+i])
					}
				}
				got := drain(t, m)
				if len(got) != len(want) {
					t.Fatalf("%d rows, want %d", len(got), len(want))
				}
				for i := range want {
					if got[i] != want[i] {
						t.Fatalf("row %d: %s, want %s", i, got[i], want[i])
					}
				}
				for _, tr := range []*trackingAllocator{trPlain, tr} {
					if c := tr.cur.Load(); c != 0 {
						t.Errorf("%d bytes still accounted", c)
					}
				}
			})
		}
	}
}

// TestWriterSpillLocal writes spilled rows (sorted runs and rows held at the commit) through
// sub-runs, and checks the table is what Write writes, for several seeds, with text and
// fixed-width columns and NULLs, within the budget.
func TestWriterSpillLocal(t *testing.T) {
	defer smallSubRuns(2 << 10)()
	seeds := uint64(3)
	if raceEnabled {
		seeds = 1
	}
	for seed := range seeds {
		t.Run(fmt.Sprintf("int key, float sort key/seed %d", seed), func(t *testing.T) {
			mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
			defer mem.AssertSize(t, 0)
			batches := testBatches(mem, rand.New(rand.NewPCG(seed, 50)), 30000, 60, 4000)
			defer release(batches)
			dir := t.TempDir()
			const budget = 512 << 10
			st := writeBoth(t, mem, testSchema, []int{0}, []int{1}, [][]byte{int64Key(700), int64Key(2000)}, batches, WriterOptions{Memory: budget, SpillDir: dir})
			if st.Runs < 2 || st.PeakBytes > budget {
				t.Errorf("stats %+v: want spilled runs, peak within %d", st, budget)
			}
			assertEmptyDir(t, dir)
		})
		t.Run(fmt.Sprintf("text keys/seed %d", seed), func(t *testing.T) {
			mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
			defer mem.AssertSize(t, 0)
			batches := textBatches(mem, rand.New(rand.NewPCG(seed, 60)), 25000, 45)
			defer release(batches)
			dir := t.TempDir()
			const budget = 512 << 10
			st := writeBoth(t, mem, textSchema, []int{0, 1}, []int{2}, [][]byte{textKey("f"), textKey("m5")}, batches, WriterOptions{Memory: budget, SpillDir: dir})
			if st.Runs < 2 || st.PeakBytes > budget {
				t.Errorf("stats %+v: want spilled runs, peak within %d", st, budget)
			}
			assertEmptyDir(t, dir)
		})
	}
	t.Run("in memory", func(t *testing.T) {
		mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
		defer mem.AssertSize(t, 0)
		batches := textBatches(mem, rand.New(rand.NewPCG(70, 71)), 5000, 40)
		defer release(batches)
		dir := t.TempDir()
		st := writeBoth(t, mem, textSchema, []int{0, 1}, []int{2}, [][]byte{textKey("m")}, batches, WriterOptions{SpillDir: dir})
		if st.Runs != 0 {
			t.Errorf("stats %+v: want nothing spilled", st)
		}
		assertEmptyDir(t, dir)
	})
	t.Run("parallel final merge", TestWriterParallelFinalMerge)
	t.Run("cleanup", TestWriterSpillCleanup)
}
