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
// directly (readOnePage) when the column is the one a lookup narrows by.
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
		// Each column in turn is the narrowing column (narrowed to the whole span), which a
		// span within one page reads from that page (narrow.go); the others read directly.
		keep := func(_ int, _ arrow.Array, lo, hi int64) (int64, int64) { return lo, hi }
		r, err := f.Read(context.Background(), ReadOptions{Spans: []Span{{Group: g, Lo: lo, Hi: hi}}, Alloc: mem,
			Narrow: keep, NarrowColumn: rng.IntN(len(testSchema.Fields()))})
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

// TestNarrowPagesAdmit narrows the same spans again and again through a chunk cache that
// starts empty: the first reads narrow from the pages, and once they have covered the share
// of a chunk that admits it, the narrowing column's chunk is decoded whole into the cache and
// narrowed from there; every read returns the narrowed rows.
func TestNarrowPagesAdmit(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	data, _ := writeFileWith(t, mem, testSchema, Properties{RowGroupRows: 3000, PageBytes: 512, ValuePageBytes: 4096},
		[]WriterOption{KeyColumns(0, 1)}, 8500, 333, 1000, 77)
	f, err := Open(bytes.NewReader(data), int64(len(data)), WithPageIndex())
	if err != nil {
		t.Fatal(err)
	}
	cc := &mapChunks{m: map[[2]int]arrow.Array{}}
	defer cc.release()
	f.SetChunkCache(cc)
	starts := []int64{0}
	for _, rg := range f.RowGroups() {
		starts = append(starts, starts[len(starts)-1]+rg.Rows)
	}
	var spans []Span
	var at []int
	for g, rg := range f.RowGroups() {
		lo := rg.Rows / 3
		spans = append(spans, Span{Group: g, Lo: lo, Hi: lo + 200})
		for r := lo + 11; r < lo+14; r++ {
			at = append(at, int(starts[g]+r))
		}
	}
	whole := 0
	for range 8 {
		narrow := func(g int, col arrow.Array, lo, hi int64) (int64, int64) {
			if hi-lo != 200 || hi > int64(col.Len()) {
				t.Fatalf("narrowing got rows [%d, %d) of %d", lo, hi, col.Len())
			}
			if int64(col.Len()) == f.RowGroups()[g].Rows {
				whole++
			}
			return lo + 11, lo + 14
		}
		r, err := f.Read(context.Background(), ReadOptions{Spans: spans, Alloc: mem, Narrow: narrow, NarrowColumn: 1})
		if err != nil {
			t.Fatal(err)
		}
		checkRead(t, r, func(n int) int { return at[n] }, len(at))
		r.Close()
	}
	if whole == 0 {
		t.Fatal("the narrowing column's chunk was never decoded whole into the cache")
	}
	if _, ok := cc.m[[2]int{0, 1}]; !ok {
		t.Fatal("the cache does not hold the narrowing column's chunk")
	}
}
