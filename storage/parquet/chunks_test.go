package parquet

import (
	"bytes"
	"context"
	"math/rand/v2"
	"sync"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/memory"
)

// mapChunks is a ChunkCache that keeps every chunk.
type mapChunks struct {
	mu     sync.Mutex
	m      map[[2]int][]byte
	loads  int
	served int
}

func (c *mapChunks) Chunk(g, col int, n int64, load func([]byte) error) ([]byte, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if b, ok := c.m[[2]int{g, col}]; ok {
		c.served++
		return b, nil
	}
	b := make([]byte, n)
	if err := load(b); err != nil {
		return nil, err
	}
	c.loads++
	c.m[[2]int{g, col}] = b
	return b, nil
}

func (c *mapChunks) Cached(g, col int) ([]byte, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	b, ok := c.m[[2]int{g, col}]
	if ok {
		c.served++
	}
	return b, ok
}

// TestReadThroughChunkCache reads random spans and whole files through a chunk cache: the
// values are those of the file, a read once the cache holds every chunk reads nothing from
// the source, and Preload loads exactly ChunkBytes.
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
			cc := &mapChunks{m: map[[2]int][]byte{}}
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
			var total int64
			for _, b := range cc.m {
				total += int64(len(b))
			}
			g, err := Open(bytes.NewReader(data), int64(len(data)))
			if err != nil {
				t.Fatal(err)
			}
			cc2 := &mapChunks{m: map[[2]int][]byte{}}
			g.SetChunkCache(cc2)
			n, err := g.Preload(nil)
			if err != nil || n != total || n != g.ChunkBytes() || n == 0 || n >= int64(len(data)) {
				t.Fatalf("Preload: %d bytes, %v; ChunkBytes %d, cached by reads %d, file %d", n, err, g.ChunkBytes(), total, len(data))
			}
		})
	}
}
