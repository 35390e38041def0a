package parquet

import (
	"bytes"
	"context"
	"math/rand/v2"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// TestReadOnePage reads spans of a few rows, each within one page of every column, of a file
// whose key columns have small pages and the others larger ones: every value of every column
// (strings, binary, integers, floats, dates, timestamps, required and nullable, all NULL)
// equals the full read's, and the spans of flat PLAIN columns are read from their one page
// directly (readOnePage).
func TestReadOnePage(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	const rows = 8500
	data, _ := writeFileWith(t, mem, testSchema, Properties{RowGroupRows: 3000, PageBytes: 512, ValuePageBytes: 4096},
		[]WriterOption{KeyColumns(0, 1)}, rows, 333, 1000, 77)
	f, err := Open(bytes.NewReader(data), int64(len(data)), WithPageIndex())
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(3, 4))
	before := onePageReads.Load()
	starts := []int64{0}
	for _, rg := range f.RowGroups() {
		starts = append(starts, starts[len(starts)-1]+rg.Rows)
	}
	for range 300 {
		g := rng.IntN(len(f.RowGroups()))
		lo := rng.Int64N(f.RowGroups()[g].Rows)
		hi := min(lo+1+rng.Int64N(3), f.RowGroups()[g].Rows)
		r, err := f.Read(context.Background(), ReadOptions{Spans: []Span{{Group: g, Lo: lo, Hi: hi}}, Alloc: mem})
		if err != nil {
			t.Fatal(err)
		}
		checkRead(t, r, func(n int) int { return int(starts[g]+lo) + n }, int(hi-lo))
		r.Close()
	}
	if onePageReads.Load() == before {
		t.Fatal("no span was read from its page directly")
	}
}

// TestNarrowPages narrows spans without a chunk cache, from the pages of the narrowing
// column: the rows read are the narrowed ones in every column, the narrowing function sees
// the span's rows (from index 0), and narrowing to nothing reads nothing.
func TestNarrowPages(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	const rows = 8500
	data, _ := writeFileWith(t, mem, testSchema, Properties{RowGroupRows: 3000, PageBytes: 512, ValuePageBytes: 4096},
		[]WriterOption{KeyColumns(0, 1)}, rows, 333, 1000, 77)
	f, err := Open(bytes.NewReader(data), int64(len(data)), WithPageIndex())
	if err != nil {
		t.Fatal(err)
	}
	starts := []int64{0}
	for _, rg := range f.RowGroups() {
		starts = append(starts, starts[len(starts)-1]+rg.Rows)
	}
	for _, keep := range []int64{0, 1, 5} {
		var spans []Span
		var at []int
		for g, rg := range f.RowGroups() {
			lo, hi := rg.Rows/4, rg.Rows/4+200
			spans = append(spans, Span{Group: g, Lo: lo, Hi: hi})
			for r := lo + 7; r < lo+7+keep; r++ {
				at = append(at, int(starts[g]+r))
			}
		}
		calls := 0
		narrow := func(g int, col arrow.Array, lo, hi int64) (int64, int64) {
			calls++
			if lo != 0 || hi != 200 || col.Len() != 200 {
				t.Fatalf("narrowing got rows [%d, %d) of %d, want the span's 200", lo, hi, col.Len())
			}
			return 7, 7 + keep
		}
		r, err := f.Read(context.Background(), ReadOptions{Spans: spans, Alloc: mem, Narrow: narrow, NarrowColumn: 1})
		if err != nil {
			t.Fatal(err)
		}
		checkRead(t, r, func(n int) int { return at[n] }, len(at))
		r.Close()
		if calls != len(spans) {
			t.Fatalf("narrow called %d times for %d spans", calls, len(spans))
		}
	}
}
