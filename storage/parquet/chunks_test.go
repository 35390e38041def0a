package parquet

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// mapChunks is a ChunkCache that keeps every chunk.
type mapChunks struct {
	mu     sync.Mutex
	m      map[[2]int]arrow.Array
	loads  int
	served int
}

func (c *mapChunks) Chunk(g, col int, load func() (any, int64, error)) (any, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if a, ok := c.m[[2]int{g, col}]; ok {
		c.served++
		a.Retain()
		return a, nil
	}
	v, _, err := load()
	if err != nil {
		return nil, err
	}
	c.loads++
	a := v.(arrow.Array)
	c.m[[2]int{g, col}] = a
	a.Retain()
	return a, nil
}

func (c *mapChunks) Cached(g, col int) (any, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	a, ok := c.m[[2]int{g, col}]
	if ok {
		c.served++
		a.Retain()
	}
	return a, ok
}

func (c *mapChunks) release() {
	for _, a := range c.m {
		a.Release()
	}
}

// TestReadThroughChunkCache reads random spans and whole files through a cache of decoded
// chunks (with a checked allocator: the statement's batches are its own, the cache's arrays
// are not): the values are those of the file, a read once the cache holds every chunk reads
// nothing from the source, and Preload decodes every chunk.
func TestReadThroughChunkCache(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	const rows = 8500
	rng := rand.New(rand.NewPCG(3, 4))
	for name, data := range spanFiles(t, mem, rows) {
		t.Run(name, func(t *testing.T) {
			f, err := Open(bytes.NewReader(data), int64(len(data)), WithPageIndex())
			if err != nil {
				t.Fatal(err)
			}
			cc := &mapChunks{m: map[[2]int]arrow.Array{}}
			defer cc.release()
			f.SetChunkCache(cc)
			if f.HasPageIndex() {
				// A span the page index narrows does not load the chunk.
				r, err := f.Read(context.Background(), ReadOptions{Spans: []Span{{Group: 0, Lo: 100, Hi: 101}}, Alloc: mem})
				if err != nil {
					t.Fatal(err)
				}
				checkRead(t, r, func(int) int { return 100 }, 1)
				r.Close()
				if cc.loads != 0 {
					t.Fatalf("a one-row span loaded %d chunks", cc.loads)
				}
			}
			starts := make([]int64, len(f.RowGroups()))
			for g := 1; g < len(starts); g++ {
				starts[g] = starts[g-1] + f.RowGroups()[g-1].Rows
			}
			for pass := range 30 {
				spans := []Span{}
				for g, rg := range f.RowGroups() {
					if pass > 0 && rng.IntN(3) == 0 {
						continue
					}
					lo, hi := int64(0), rg.Rows
					if pass > 0 {
						lo = rng.Int64N(rg.Rows + 1)
						hi = lo + rng.Int64N(rg.Rows-lo+1)
					}
					spans = append(spans, Span{Group: g, Lo: lo, Hi: hi})
				}
				var at []int
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
				if pass > 0 && src.n.Load() != 0 {
					t.Fatalf("pass %d read %d bytes from the source with every chunk cached", pass, src.n.Load())
				}
			}
			if cc.loads != len(f.RowGroups())*len(f.Schema().Fields()) || cc.served == 0 {
				t.Fatalf("%d loads, %d served", cc.loads, cc.served)
			}
			g, err := Open(bytes.NewReader(data), int64(len(data)))
			if err != nil {
				t.Fatal(err)
			}
			cc2 := &mapChunks{m: map[[2]int]arrow.Array{}}
			defer cc2.release()
			g.SetChunkCache(cc2)
			if err := g.Preload(nil); err != nil || cc2.loads != cc.loads {
				t.Fatalf("Preload: %v; %d chunks, reads decoded %d", err, cc2.loads, cc.loads)
			}
			src := &countingReaderAt{r: bytes.NewReader(data)}
			r, err := g.Read(context.Background(), ReadOptions{Alloc: mem, BatchRows: 999, Source: src})
			if err != nil {
				t.Fatal(err)
			}
			checkRead(t, r, func(n int) int { return n }, rows)
			r.Close()
			if src.n.Load() != 0 {
				t.Fatalf("a read after Preload read %d bytes", src.n.Load())
			}
		})
	}
}

// TestSpansAdmitHotChunk reads one-row spans of one row group through a chunk cache: they read
// pages and load nothing until they have covered a quarter of the group's rows, then the next
// one decodes each chunk whole, and later spans are served from the cache without reading
// the source.
func TestSpansAdmitHotChunk(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	const rows = 8500
	for name, data := range spanFiles(t, mem, rows) {
		t.Run(name, func(t *testing.T) {
			f, err := Open(bytes.NewReader(data), int64(len(data)), WithPageIndex())
			if err != nil {
				t.Fatal(err)
			}
			if !f.HasPageIndex() {
				t.Skip("no page index")
			}
			cc := &mapChunks{m: map[[2]int]arrow.Array{}}
			defer cc.release()
			f.SetChunkCache(cc)
			groupRows := f.RowGroups()[0].Rows
			cols := len(f.Schema().Fields())
			for i := range groupRows {
				row := (i * 7919) % groupRows
				src := &countingReaderAt{r: bytes.NewReader(data)}
				r, err := f.Read(context.Background(), ReadOptions{Spans: []Span{{Group: 0, Lo: row, Hi: row + 1}}, Alloc: mem, Source: src})
				if err != nil {
					t.Fatal(err)
				}
				checkRead(t, r, func(int) int { return int(row) }, 1)
				r.Close()
				switch covered := i + 1; {
				case covered*admitShare < groupRows:
					if cc.loads != 0 {
						t.Fatalf("after %d one-row spans of %d rows: %d chunks loaded", covered, groupRows, cc.loads)
					}
				case (covered-1)*admitShare < groupRows:
					if cc.loads != cols {
						t.Fatalf("the span that reached a quarter of the rows loaded %d chunks, want %d", cc.loads, cols)
					}
				default:
					if cc.loads != cols || src.n.Load() != 0 {
						t.Fatalf("span %d: %d chunks loaded, %d bytes read; want %d and 0", covered, cc.loads, src.n.Load(), cols)
					}
					return
				}
			}
			t.Fatal("no span loaded the chunks")
		})
	}
}

// TestNarrowCachedSpan reads spans through a chunk cache that holds every chunk, with a
// Narrow that keeps a part of each span: the rows read are that part, in every column, and a
// narrowing to nothing reads nothing; the narrowed column is looked up in the cache once.
func TestNarrowCachedSpan(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	const rows = 8500
	for name, data := range spanFiles(t, mem, rows) {
		t.Run(name, func(t *testing.T) {
			f, err := Open(bytes.NewReader(data), int64(len(data)), WithPageIndex())
			if err != nil {
				t.Fatal(err)
			}
			cc := &mapChunks{m: map[[2]int]arrow.Array{}}
			defer cc.release()
			f.SetChunkCache(cc)
			if err := f.Preload(nil); err != nil {
				t.Fatal(err)
			}
			starts := make([]int64, len(f.RowGroups()))
			for g := 1; g < len(starts); g++ {
				starts[g] = starts[g-1] + f.RowGroups()[g-1].Rows
			}
			ncols := len(f.Schema().Fields())
			for _, keep := range []int64{0, 1, 17} {
				var spans []Span
				var at []int
				for g, rg := range f.RowGroups() {
					lo, hi := rg.Rows/4, rg.Rows/2
					spans = append(spans, Span{Group: g, Lo: lo, Hi: hi})
					for r := lo + 3; r < lo+3+keep; r++ {
						at = append(at, int(starts[g]+r))
					}
				}
				calls := 0
				narrow := func(g int, col arrow.Array, lo, hi int64) (int64, int64) {
					calls++
					if int64(col.Len()) != f.RowGroups()[g].Rows {
						t.Fatalf("narrowing got %d rows of row group %d, want the whole chunk of %d", col.Len(), g, f.RowGroups()[g].Rows)
					}
					return lo + 3, lo + 3 + keep
				}
				served := cc.served
				r, err := f.Read(context.Background(), ReadOptions{Spans: spans, Alloc: mem, Narrow: narrow, NarrowColumn: 0})
				if err != nil {
					t.Fatal(err)
				}
				checkRead(t, r, func(n int) int { return at[n] }, len(at))
				r.Close()
				if calls != len(spans) {
					t.Fatalf("narrow called %d times for %d spans", calls, len(spans))
				}
				want := len(spans) * ncols
				if keep == 0 {
					want = len(spans)
				}
				if got := cc.served - served; got != want {
					t.Fatalf("keep %d: %d cache lookups served, want %d", keep, got, want)
				}
			}
		})
	}
}

// keepNothing is a ChunkCache with no room: it decodes what it is asked for and keeps nothing.
type keepNothing struct{ loads int }

func (c *keepNothing) Chunk(g, col int, load func() (any, int64, error)) (any, error) {
	c.loads++
	v, _, err := load()
	return v, err
}

func (c *keepNothing) Cached(g, col int) (any, bool) { return nil, false }

// TestSpansBackOffFromFullCache reads one-row spans through a cache that keeps nothing: each
// chunk is decoded whole a few times (the share of its rows needed doubling each time), not
// at every read once it has been found hot.
func TestSpansBackOffFromFullCache(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	const rows = 3000
	data, _ := writeFile(t, mem, testSchema, Properties{RowGroupRows: 3000, PageBytes: 512}, rows, 333, 1000, 77)
	f, err := Open(bytes.NewReader(data), int64(len(data)), WithPageIndex())
	if err != nil {
		t.Fatal(err)
	}
	cc := &keepNothing{}
	f.SetChunkCache(cc)
	const reads = 5500 // covering a quarter, then half, then all of the rows again: 3 decodes
	for i := range int64(reads) {
		row := (i * 7919) % rows
		r, err := f.Read(context.Background(), ReadOptions{Spans: []Span{{Group: 0, Lo: row, Hi: row + 1}}, Alloc: mem})
		if err != nil {
			t.Fatal(err)
		}
		checkRead(t, r, func(int) int { return int(row) }, 1)
		r.Close()
	}
	if cols := len(f.Schema().Fields()); cc.loads != 3*cols {
		t.Fatalf("%d one-row spans through a cache that keeps nothing decoded %d chunks whole, want %d", reads, cc.loads, 3*cols)
	}
}

// TestDecodeChunkDirect decodes every column chunk of files written here (delta and PLAIN
// values, each codec, dictionaries), by arrow-go (V1 pages) and with NULLs as the chunk
// cache does, and checks that the chunks this package's direct reader takes are read by it
// (the others through parquet-go's pages) and that every array equals a read of the row
// group through parquet-go's pages.
func TestDecodeChunkDirect(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	const rows = 5000
	files := spanFiles(t, mem, rows)
	for _, codec := range []string{Snappy, None} {
		for _, enc := range []string{EncodingDelta, EncodingPlain} {
			data, _ := writeFile(t, mem, testSchema, Properties{Compression: codec, Encoding: enc, RowGroupRows: 3000, PageBytes: 700}, rows, 333, 1000, 77)
			files[fmt.Sprintf("sleeperd %s %s", codec, enc)] = data
		}
	}
	for name, data := range files {
		t.Run(name, func(t *testing.T) {
			f, err := Open(bytes.NewReader(data), int64(len(data)))
			if err != nil {
				t.Fatal(err)
			}
			sleeperd := strings.HasPrefix(name, "sleeperd") && name != "sleeperd dictionary=true"
			directs := 0
			for g := range f.RowGroups() {
				for c, fld := range f.Schema().Fields() {
					a, direct, err := f.decodeChunk(bytes.NewReader(data), g, c, mem)
					if err != nil {
						t.Fatalf("group %d column %s: %v", g, fld.Name, err)
					}
					if want := sleeperd && directKind(fld.Type, f.cols[c].kind); direct != want {
						t.Errorf("group %d column %s decoded directly: %v, want %v", g, fld.Name, direct, want)
					}
					if direct {
						directs++
					}
					r, err := f.Read(context.Background(), ReadOptions{Columns: []int{c}, RowGroups: []int{g}, BatchRows: rows, Alloc: mem, viaPages: true})
					if err != nil {
						t.Fatal(err)
					}
					b, err := r.Next(context.Background())
					if err != nil {
						t.Fatal(err)
					}
					if !array.Equal(a, b.Column(0)) {
						t.Errorf("group %d column %s: decoded %v, pages %v", g, fld.Name, a, b.Column(0))
					}
					a.Release()
					b.Release()
					r.Close()
				}
			}
			if sleeperd && directs == 0 {
				t.Fatal("no chunk decoded directly")
			}
		})
	}
}
