package ingest

import (
	"fmt"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// TestMemSourceSplit cuts rows held in batches of uneven sizes into parts: every part but
// the last within a row of the others, the rows in input order across the parts, the
// memory accounted shared out in full, and every batch released once the parts close.
func TestMemSourceSplit(t *testing.T) {
	for _, sizes := range [][]int{{1000}, {7, 500, 3, 490}, {1, 1, 1, 1, 1}, {300, 300, 301}} {
		for _, n := range []int{1, 2, 3, 4} {
			t.Run(fmt.Sprintf("%v into %d", sizes, n), func(t *testing.T) {
				mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
				defer mem.AssertSize(t, 0)
				tr := &trackingAllocator{mem: mem}
				var batches []arrow.RecordBatch
				total := 0
				for _, k := range sizes {
					var rows []row
					for range k {
						rows = append(rows, row{k: int64(total), v: fmt.Sprint(total)})
						total++
					}
					batches = append(batches, makeBatch(mem, rows))
				}
				const held = 1001
				tr.hold(held)
				spec := Spec{Schema: testSchema, RowKeys: []int{0}, SortKeys: []int{1}, Alloc: tr}
				src := &memSource{spec: spec, schema: runSchema(testSchema), in: newInput(batches), rows: total, chunk: 64, mem: tr, held: held}
				parts := src.split(n)
				want := min(n, total)
				if len(parts) != want {
					t.Fatalf("%d parts, want %d", len(parts), want)
				}
				next, sum := 0, int64(0)
				for i, p := range parts {
					if lo, hi := total/want, (total+want-1)/want; p.rows < lo || p.rows > hi {
						t.Errorf("part %d: %d rows, want %d to %d", i, p.rows, lo, hi)
					}
					got := 0
					for _, b := range p.in.batches {
						keys := b.Column(0).(*array.Int64)
						for r := range int(b.NumRows()) {
							if keys.Value(r) != int64(next) {
								t.Fatalf("part %d: row %d is input row %d, want %d", i, got, keys.Value(r), next)
							}
							next++
							got++
						}
					}
					if got != p.rows {
						t.Errorf("part %d: %d rows in its batches, says %d", i, got, p.rows)
					}
					sum += p.held
				}
				if next != total || sum != held {
					t.Errorf("parts hold %d rows and %d bytes, want %d and %d", next, sum, total, held)
				}
				for _, p := range parts {
					p.close()
				}
				if c := tr.cur.Load(); c != 0 {
					t.Errorf("%d bytes still accounted", c)
				}
			})
		}
	}
}

// TestWriterSpillSplit runs the spilling tests with every spill cut into parts sorted and
// written at once, which the tests' small spills otherwise are not.
func TestWriterSpillSplit(t *testing.T) {
	defer func(n int) { minSplitRows = n }(minSplitRows)
	minSplitRows = 40
	if spillParts(1000) < 2 {
		t.Skip("one core: spills are not split")
	}
	t.Run("matches write", TestWriterSpillMatchesWrite)
	t.Run("cleanup", TestWriterSpillCleanup)
	t.Run("intermediate merge", TestWriterIntermediateMerge)
	t.Run("memory bound", TestWriterMemoryBound)
}
