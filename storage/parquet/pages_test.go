package parquet

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/memory"
	apq "github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"
)

// spanFiles are files of testSchema (rows 0..rows-1, sorted by key, nulls in every nullable
// column) from our writer, with and without dictionaries, and from arrow-go's writer with
// and without a page index.
func spanFiles(t *testing.T, mem memory.Allocator, rows int) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	for _, dict := range []bool{false, true} {
		data, _ := writeFile(t, mem, testSchema, Properties{RowGroupRows: 3000, PageBytes: 512, Dictionary: dict}, rows, 333, 1000, 77)
		out[fmt.Sprintf("sleeperd dictionary=%v", dict)] = data
	}
	// Key columns with small pages, the others with larger ones: pages of different columns
	// start at different rows.
	data, _ := writeFileWith(t, mem, testSchema, Properties{RowGroupRows: 3000, PageBytes: 512, ValuePageBytes: 4096},
		[]WriterOption{KeyColumns(0, 1)}, rows, 333, 1000, 77)
	out["sleeperd key pages"] = data
	for _, index := range []bool{false, true} {
		var buf bytes.Buffer
		props := apq.NewWriterProperties(apq.WithDataPageSize(700), apq.WithMaxRowGroupLength(2500),
			apq.WithDictionaryDefault(!index), apq.WithPageIndexEnabled(index))
		w, err := pqarrow.NewFileWriter(testSchema, &buf, props, pqarrow.NewArrowWriterProperties(pqarrow.WithStoreSchema()))
		if err != nil {
			t.Fatal(err)
		}
		for r := 0; r < rows; r += 500 {
			b := genBatch(t, mem, testSchema, r, min(500, rows-r))
			if err := w.Write(b); err != nil {
				t.Fatal(err)
			}
			b.Release()
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		out[fmt.Sprintf("arrow-go page index=%v", index)] = buf.Bytes()
	}
	return out
}

// TestReadSpans reads random spans of rows, through the page index and without one, and
// checks every value of every column against the rows a full read has there.
func TestReadSpans(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	const rows = 8500
	rng := rand.New(rand.NewPCG(1, 2))
	for name, data := range spanFiles(t, mem, rows) {
		for _, withIndex := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/open with page index=%v", name, withIndex), func(t *testing.T) {
				var opts []OpenOption
				if withIndex {
					opts = append(opts, WithPageIndex())
				}
				f, err := Open(bytes.NewReader(data), int64(len(data)), opts...)
				if err != nil {
					t.Fatal(err)
				}
				wantIndex := withIndex && name != "arrow-go page index=false"
				if f.HasPageIndex() != wantIndex {
					t.Fatalf("HasPageIndex() = %v, want %v", f.HasPageIndex(), wantIndex)
				}
				starts := make([]int64, len(f.RowGroups()))
				for g := 1; g < len(starts); g++ {
					starts[g] = starts[g-1] + f.RowGroups()[g-1].Rows
				}
				for range 40 {
					spans := []Span{}
					for g, rg := range f.RowGroups() {
						if rng.IntN(3) == 0 {
							continue
						}
						lo := rng.Int64N(rg.Rows + 1)
						hi := lo + rng.Int64N(rg.Rows-lo+1)
						if rng.IntN(4) == 0 {
							hi = min(lo+1, rg.Rows) // one row: a key lookup
						}
						spans = append(spans, Span{Group: g, Lo: lo, Hi: hi})
					}
					var at []int // global row of each row read
					for _, sp := range spans {
						for r := sp.Lo; r < sp.Hi; r++ {
							at = append(at, int(starts[sp.Group]+r))
						}
					}
					src := &countingReaderAt{r: bytes.NewReader(data)}
					r, err := f.Read(context.Background(), ReadOptions{Spans: spans, Alloc: mem, BatchRows: 1 + rng.IntN(700), Source: src})
					if err != nil {
						t.Fatal(err)
					}
					checkRead(t, r, func(n int) int { return at[n] }, len(at))
					r.Close()
				}
			})
		}
	}
}

// TestReadSpansReadLittle checks that a one-row span of a file opened with its page index
// reads far fewer bytes than its row group holds.
func TestReadSpansReadLittle(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	data, _ := writeFile(t, mem, testSchema, Properties{RowGroupRows: 20000, PageBytes: 1024}, 20000, 4096)
	f, err := Open(bytes.NewReader(data), int64(len(data)), WithPageIndex())
	if err != nil {
		t.Fatal(err)
	}
	src := &countingReaderAt{r: bytes.NewReader(data)}
	r, err := f.Read(context.Background(), ReadOptions{Spans: []Span{{Group: 0, Lo: 12345, Hi: 12346}}, Alloc: mem, Source: src})
	if err != nil {
		t.Fatal(err)
	}
	checkRead(t, r, func(int) int { return 12345 }, 1)
	r.Close()
	if n := src.n.Load(); n > int64(len(data))/5 {
		t.Errorf("a one-row span read %d bytes of a %d-byte file", n, len(data))
	}
}

// TestPages checks the page index as Pages decodes it, and PageSpan's search of it.
func TestPages(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	const rows = 9000
	data, _ := writeFile(t, mem, testSchema, Properties{RowGroupRows: 4000, PageBytes: 512}, rows, 333, 1000)
	f, err := Open(bytes.NewReader(data), int64(len(data)), WithPageIndex())
	if err != nil {
		t.Fatal(err)
	}
	key := testSchema.FieldIndices("key")[0]
	base := int64(0)
	for g, rg := range f.RowGroups() {
		pages, ok := f.Pages(g, key)
		if !ok || len(pages) < 2 {
			t.Fatalf("row group %d: %d pages, ok %v", g, len(pages), ok)
		}
		var next int64
		for _, p := range pages {
			if p.FirstRow != next || p.Rows <= 0 {
				t.Fatalf("row group %d: page %+v after row %d", g, p, next)
			}
			lo, hi := testValue("key", int(base+p.FirstRow)), testValue("key", int(base+p.FirstRow+p.Rows-1))
			if !p.Stats.HasMinMax || p.Stats.Min != lo || p.Stats.Max != hi {
				t.Fatalf("row group %d page at %d: stats %+v, want [%v, %v]", g, p.FirstRow, p.Stats, lo, hi)
			}
			next += p.Rows
		}
		if next != rg.Rows {
			t.Fatalf("row group %d: pages cover %d rows of %d", g, next, rg.Rows)
		}
		if _, ok := f.Pages(g, testSchema.FieldIndices("f64")[0]); !ok {
			t.Fatalf("row group %d: no pages of f64", g)
		}
		// Every wanted key in [a, b]: the span must hold them and lie within the pages
		// that hold them.
		for range 50 {
			a := base + rand.Int64N(rg.Rows)
			b := a + rand.Int64N(base+rg.Rows-a)
			ka, kb := testValue("key", int(a)).(string), testValue("key", int(b)).(string)
			lo, hi := f.PageSpan(g, key,
				func(st ColumnStats) bool { return st.Max.(string) < ka },
				func(st ColumnStats) bool { return st.Min.(string) > kb })
			if lo > a-base || hi <= b-base {
				t.Fatalf("row group %d: span [%d, %d) misses rows [%d, %d]", g, lo, hi, a-base, b-base)
			}
			for _, p := range pages {
				if p.FirstRow+p.Rows <= lo || p.FirstRow >= hi {
					continue
				}
				if p.FirstRow+p.Rows <= a-base && p.FirstRow == lo || p.FirstRow > b-base {
					t.Fatalf("row group %d: span [%d, %d) has page [%d, %d) outside rows [%d, %d]", g, lo, hi, p.FirstRow, p.FirstRow+p.Rows, a-base, b-base)
				}
			}
		}
		// Keys outside the row group: an empty span.
		if lo, hi := f.PageSpan(g, key, func(ColumnStats) bool { return true }, func(ColumnStats) bool { return false }); lo != hi {
			t.Fatalf("row group %d: span [%d, %d) of no wanted page", g, lo, hi)
		}
		base += rg.Rows
	}
	// Without the page index: whole row groups.
	f2, err := Open(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := f2.Pages(0, key); ok {
		t.Fatal("Pages without the page index")
	}
	if lo, hi := f2.PageSpan(0, key, func(ColumnStats) bool { return true }, func(ColumnStats) bool { return true }); lo != 0 || hi != f2.RowGroups()[0].Rows {
		t.Fatalf("span [%d, %d) without a page index", lo, hi)
	}
	if f.MemoryBytes() <= f2.MemoryBytes() {
		t.Errorf("MemoryBytes %d with the page index, %d without", f.MemoryBytes(), f2.MemoryBytes())
	}
}

// TestReadSpansInvalid checks the validation of spans.
func TestReadSpansInvalid(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	data, _ := writeFile(t, mem, testSchema, Properties{RowGroupRows: 100}, 250, 250)
	f, err := Open(bytes.NewReader(data), int64(len(data)), WithPageIndex())
	if err != nil {
		t.Fatal(err)
	}
	for _, spans := range [][]Span{
		{{Group: 3, Lo: 0, Hi: 1}},
		{{Group: 0, Lo: 5, Hi: 4}},
		{{Group: 0, Lo: 0, Hi: 101}},
		{{Group: 1, Lo: 0, Hi: 1}, {Group: 0, Lo: 0, Hi: 1}},
		{{Group: 0, Lo: -1, Hi: 1}},
	} {
		if _, err := f.Read(context.Background(), ReadOptions{Spans: spans, Alloc: mem}); err == nil {
			t.Errorf("spans %v accepted", spans)
		}
	}
	// Empty spans read nothing.
	r, err := f.Read(context.Background(), ReadOptions{Spans: []Span{{Group: 0, Lo: 7, Hi: 7}, {Group: 2, Lo: 50, Hi: 50}}, Alloc: mem})
	if err != nil {
		t.Fatal(err)
	}
	checkRead(t, r, func(int) int { return -1 }, 0)
	r.Close()
}

// TestReadSpansConcurrent reads one File (its page index decoded on first use) from many
// goroutines at once, each through its own source, as statements share a cached file.
func TestReadSpansConcurrent(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	const rows = 6000
	data, _ := writeFile(t, mem, testSchema, Properties{RowGroupRows: 2000, PageBytes: 512}, rows, 500)
	f, err := Open(bytes.NewReader(data), int64(len(data)), WithPageIndex())
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for w := range 8 {
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(w), 9))
			for range 20 {
				g := rng.IntN(3)
				lo := rng.Int64N(2000)
				hi := lo + rng.Int64N(2000-lo+1)
				r, err := f.Read(context.Background(), ReadOptions{Spans: []Span{{Group: g, Lo: lo, Hi: hi}}, Alloc: mem, Source: bytes.NewReader(data)})
				if err != nil {
					t.Error(err)
					return
				}
				checkRead(t, r, func(n int) int { return g*2000 + int(lo) + n }, int(hi-lo))
				r.Close()
			}
		})
	}
	wg.Wait()
}

// TestKeyColumnPages checks that KeyColumns gives the key columns pages of PageBytes and
// the other columns pages of ValuePageBytes, and that without it every column's pages are
// PageBytes.
func TestKeyColumnPages(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	const rows = 6000
	props := Properties{RowGroupRows: rows, PageBytes: 1024, ValuePageBytes: 16 << 10}
	pages := func(data []byte) map[string]int {
		f, err := Open(bytes.NewReader(data), int64(len(data)), WithPageIndex())
		if err != nil {
			t.Fatal(err)
		}
		out := map[string]int{}
		for c, fl := range f.Schema().Fields() {
			ps, ok := f.Pages(0, c)
			if !ok {
				t.Fatalf("no page index for %s", fl.Name)
			}
			out[fl.Name] = len(ps)
		}
		return out
	}
	// Batches of 200 rows: the writer hands rows to parquet-go at most a batch at a time,
	// so pages can be cut finely enough to tell the sizes apart.
	plain, _ := writeFile(t, mem, testSchema, props, rows, 200)
	keyed, _ := writeFileWith(t, mem, testSchema, props, []WriterOption{KeyColumns(1)}, rows, 200)
	p, k := pages(plain), pages(keyed)
	// seq (int64, 8 bytes a row): 1 KiB pages hold 128 rows, cut at the first batch
	// boundary past 98% of it.
	if p["seq"] != rows/200 || k["seq"] != rows/200 {
		t.Errorf("seq pages: %d without key columns, %d as a key column; want %d", p["seq"], k["seq"], rows/200)
	}
	// i64, not a key: 16 KiB pages of 8-byte values (plus levels) are about 2,000 rows.
	if k["i64"] > rows/1000 || k["i64"] < 2 {
		t.Errorf("i64 pages with key columns: %d, want 2..%d", k["i64"], rows/1000)
	}
	if p["i64"] != rows/200 {
		t.Errorf("i64 pages without key columns: %d, want %d", p["i64"], rows/200)
	}
	if _, err := NewWriter(&bytes.Buffer{}, testSchema, props, KeyColumns(len(testSchema.Fields()))); err == nil {
		t.Error("a key column out of range was accepted")
	}
}
