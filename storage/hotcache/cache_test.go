package hotcache

import (
	"errors"
	"fmt"
	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"math/rand/v2"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
)

func fill(v byte) func([]byte) error {
	return func(b []byte) error {
		for i := range b {
			b[i] = v
		}
		return nil
	}
}

const t1, t2 = "tables/a/", "tables/b/"

func get(t *testing.T, c *Cache, name string, g int, n int64) []byte {
	t.Helper()
	b, err := c.Get(name, g, 0, n, fill(byte(g)))
	if err != nil {
		t.Fatal(err)
	}
	if int64(len(b)) != n || (n > 0 && b[0] != byte(g)) {
		t.Fatalf("got %d bytes starting %v", len(b), b[:min(1, len(b))])
	}
	return b
}

func TestLRUByBytes(t *testing.T) {
	c := New(300)
	for g := range 3 {
		get(t, c, t1+"files/f.parquet", g, 100)
	}
	get(t, c, t1+"files/f.parquet", 0, 100) // 0 is now the most recent; 1 the least
	get(t, c, t1+"files/f.parquet", 3, 100) // evicts 1
	if u := c.Used(); u != 300 {
		t.Fatalf("used %d, want 300", u)
	}
	before := c.Stats(t1)
	get(t, c, t1+"files/f.parquet", 0, 100)
	get(t, c, t1+"files/f.parquet", 1, 100)
	after := c.Stats(t1)
	if after.Hits-before.Hits != 1 || after.Misses-before.Misses != 1 {
		t.Fatalf("hits %d misses %d: want one of each (group 1 evicted, 0 kept)", after.Hits-before.Hits, after.Misses-before.Misses)
	}
	if s := c.Stats(t1); s.Entries != 3 || s.Bytes != 300 || s.Hits != 2 || s.Misses != 5 {
		t.Fatalf("stats %+v", s)
	}
	// A chunk larger than the budget is served, not kept.
	get(t, c, t1+"files/g.parquet", 0, 500)
	if u := c.Used(); u != 300 {
		t.Fatalf("used %d after an oversize chunk, want 300", u)
	}
}

func TestPinnedSurvivePressure(t *testing.T) {
	c := New(1000)
	if err := c.Pin(t1, 400); err != nil {
		t.Fatal(err)
	}
	for g := range 4 {
		get(t, c, t1+"files/p.parquet", g, 100)
	}
	for g := range 50 {
		get(t, c, t2+"files/q.parquet", g, 100)
	}
	if s := c.Stats(t1); s.Entries != 4 || s.Bytes != 400 || !s.Pinned {
		t.Fatalf("pinned table after pressure: %+v", s)
	}
	if u := c.Used(); u > 1000 {
		t.Fatalf("used %d over the budget", u)
	}
	h := c.Stats(t1).Hits
	for g := range 4 {
		get(t, c, t1+"files/p.parquet", g, 100)
	}
	if c.Stats(t1).Hits != h+4 {
		t.Fatal("pinned chunks were reloaded")
	}
	// Pins are bounded by the budget.
	if err := c.Pin(t2, 700); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("pin beyond the budget: %v", err)
	}
	if c.Stats(t2).Pinned {
		t.Fatal("a failed pin pinned")
	}
	// Pinning a table pins what it already holds.
	if err := c.Pin(t2, 200); err != nil {
		t.Fatal(err)
	}
	if s := c.Stats(t2); !s.Pinned || s.Bytes < 200 {
		t.Fatalf("t2 after pin: %+v", s)
	}
	for g := range 20 {
		get(t, c, "tables/c/files/r.parquet", g, 100)
	}
	if s := c.Stats(t2); s.Bytes < 200 {
		t.Fatalf("t2's pinned chunks were evicted: %+v", s)
	}
}

func TestEvictFrees(t *testing.T) {
	c := New(1 << 20)
	if err := c.Pin(t1, 1000); err != nil {
		t.Fatal(err)
	}
	for g := range 5 {
		get(t, c, t1+"files/x.parquet", g, 100)
		get(t, c, t2+"files/y.parquet", g, 100)
	}
	if freed := c.Evict(t1); freed != 500 {
		t.Fatalf("freed %d, want 500", freed)
	}
	if s := c.Stats(t1); s.Bytes != 0 || s.Entries != 0 || s.Pinned {
		t.Fatalf("after evict: %+v", s)
	}
	if s := c.Stats(t2); s.Bytes != 500 {
		t.Fatalf("evict of t1 touched t2: %+v", s)
	}
	if u := c.Used(); u != 500 {
		t.Fatalf("used %d, want 500", u)
	}
	// Unpinned now: its chunks are evictable again.
	get(t, c, t1+"files/x.parquet", 0, 100)
	c2 := New(200)
	get(t, c2, t1+"files/x.parquet", 0, 100)
	get(t, c2, t2+"files/x.parquet", 0, 200)
	if s := c2.Stats(t1); s.Bytes != 0 {
		t.Fatalf("unpinned chunk survived: %+v", s)
	}
}

func TestDropDeletedFiles(t *testing.T) {
	c := New(1 << 20)
	for g := range 3 {
		get(t, c, t1+"files/gone.parquet", g, 10)
		get(t, c, t1+"files/kept.parquet", g, 10)
		get(t, c, t2+"files/other.parquet", g, 10)
	}
	c.Drop(t1 + "files/gone.parquet")
	if s := c.Stats(t1); s.Entries != 3 || s.Bytes != 30 {
		t.Fatalf("after drop: %+v", s)
	}
	m := c.Stats(t1).Misses
	get(t, c, t1+"files/gone.parquet", 0, 10)
	if c.Stats(t1).Misses != m+1 {
		t.Fatal("a dropped file was served from the cache")
	}
	c.DropPrefix(t1)
	if s := c.Stats(t1); s.Entries != 0 || s.Bytes != 0 {
		t.Fatalf("after drop prefix: %+v", s)
	}
	if u := c.Used(); u != 30 {
		t.Fatalf("used %d, want 30 (t2's)", u)
	}
}

func TestConcurrentReadersShareOneEntry(t *testing.T) {
	c := New(1 << 20)
	var loads atomic.Int64
	release := make(chan struct{})
	load := func(b []byte) error {
		loads.Add(1)
		<-release
		return fill(7)(b)
	}
	var wg sync.WaitGroup
	bufs := make([][]byte, 16)
	for i := range bufs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			b, err := c.Get(t1+"files/s.parquet", 2, 3, 64, load)
			if err != nil {
				t.Error(err)
			}
			bufs[i] = b
		}()
	}
	for c.Stats(t1).Hits+c.Stats(t1).Misses < 16 {
		// wait until every reader asked
	}
	close(release)
	wg.Wait()
	if n := loads.Load(); n != 1 {
		t.Fatalf("%d loads, want 1", n)
	}
	for _, b := range bufs {
		if &b[0] != &bufs[0][0] {
			t.Fatal("readers got different buffers")
		}
	}
	if s := c.Stats(t1); s.Entries != 1 || s.Misses != 1 || s.Hits != 15 {
		t.Fatalf("stats %+v", s)
	}
	// Concurrent readers, writers and drops under the race detector.
	var wg2 sync.WaitGroup
	for w := range 8 {
		wg2.Add(1)
		go func() {
			defer wg2.Done()
			for i := range 200 {
				name := fmt.Sprintf("%sfiles/%d.parquet", t1, i%7)
				if _, err := c.Get(name, i%3, w%2, 100, fill(1)); err != nil {
					t.Error(err)
				}
				if i%50 == 0 {
					c.Drop(name)
				}
			}
		}()
	}
	wg2.Wait()
}

func TestCached(t *testing.T) {
	c := New(1000)
	if _, ok := c.Cached(t1+"files/a.parquet", 0, 0); ok {
		t.Fatal("empty cache has a chunk")
	}
	get(t, c, t1+"files/a.parquet", 1, 10)
	if b, ok := c.Cached(t1+"files/a.parquet", 1, 0); !ok || len(b) != 10 {
		t.Fatal("Cached missed a cached chunk")
	}
	if s := c.Stats(t1); s.Hits != 1 || s.Misses != 1 || s.Entries != 1 {
		t.Fatalf("stats %+v", s)
	}
}

func TestFailedLoadNotKept(t *testing.T) {
	c := New(1000)
	boom := errors.New("boom")
	if _, err := c.Get(t1+"files/e.parquet", 0, 0, 10, func([]byte) error { return boom }); !errors.Is(err, boom) {
		t.Fatal(err)
	}
	get(t, c, t1+"files/e.parquet", 0, 10)
	if s := c.Stats(t1); s.Misses != 2 || s.Entries != 1 {
		t.Fatalf("stats %+v", s)
	}
}

func TestNilCache(t *testing.T) {
	var c *Cache = New(0)
	b, err := c.Get("x", 0, 0, 4, fill(3))
	if err != nil || len(b) != 4 || b[0] != 3 {
		t.Fatal(b, err)
	}
	c.Drop("x")
	c.DropPrefix("x")
	if c.Evict("x") != 0 || c.Stats("x") != (Stats{}) || c.Pin("x", 1) == nil {
		t.Fatal("nil cache")
	}
}

// TestArrays checks the references of cached Arrow arrays: a get retains for the caller, the
// cache releases its own when it evicts, drops or evicts a table, and an array evicted while
// a reader holds it stays valid until the reader releases it.
func TestArrays(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	mk := func(n int) func() (any, int64, error) {
		return func() (any, int64, error) {
			b := array.NewInt64Builder(mem)
			defer b.Release()
			for i := range n {
				b.Append(int64(i))
			}
			a := b.NewArray()
			return a, int64(8 * n), nil
		}
	}
	c := New(8 * 300)
	v, err := c.GetValue(t1+"files/a.parquet", 0, 0, mk(100))
	if err != nil {
		t.Fatal(err)
	}
	held := v.(arrow.Array)
	for g := 1; g < 6; g++ { // evicts group 0 while held
		v, err := c.GetValue(t1+"files/a.parquet", g, 0, mk(100))
		if err != nil {
			t.Fatal(err)
		}
		v.(arrow.Array).Release()
	}
	if _, ok := c.CachedValue(t1+"files/a.parquet", 0, 0); ok {
		t.Fatal("group 0 not evicted")
	}
	if held.(*array.Int64).Value(99) != 99 {
		t.Fatal("a held array changed after eviction")
	}
	held.Release()
	v, ok := c.CachedValue(t1+"files/a.parquet", 5, 0)
	if !ok {
		t.Fatal("group 5 not cached")
	}
	v.(arrow.Array).Release()
	// Pin, settle, overflow and unpin.
	if err := c.Pin(t2, c.Free(t2)); err != nil {
		t.Fatal(err)
	}
	for g := range 4 {
		v, err := c.GetValue(t2+"files/b.parquet", g, 0, mk(100))
		if err != nil {
			t.Fatal(err)
		}
		v.(arrow.Array).Release()
	}
	if pinned, overflow := c.Settle(t2); pinned != 8*300 || !overflow {
		t.Fatalf("settle: %d pinned, overflow %v", pinned, overflow)
	}
	c.Unpin(t2)
	if s := c.Stats(t2); s.Pinned || s.Bytes != 8*300 {
		t.Fatalf("after unpin: %+v", s)
	}
	c.DropPrefix(t1)
	c.Evict(t2)
	if c.Used() != 0 {
		t.Fatalf("used %d after dropping everything", c.Used())
	}
}

// Eviction follows least recent use exactly, with hits by Cached (under the read lock, moved
// in the list later) as by Get: the cache keeps the same chunks as a model LRU over a long
// random sequence of reads, more of them than the record of read-locked hits holds.
func TestLRUFollowsCachedHits(t *testing.T) {
	const groups, room = 12, 5
	c := New(room * 100)
	name := t1 + "files/f.parquet"
	var model []int // most recent first
	use := func(g int) {
		model = slices.DeleteFunc(model, func(x int) bool { return x == g })
		model = slices.Insert(model, 0, g)
		if len(model) > room {
			model = model[:room]
		}
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range 5000 {
		g := rng.IntN(groups)
		if _, ok := c.Cached(name, g, 0); ok {
			if !slices.Contains(model, g) {
				t.Fatalf("read %d: group %d cached, the model evicted it", i, g)
			}
		} else {
			if slices.Contains(model, g) {
				t.Fatalf("read %d: group %d evicted, the model keeps it (%v)", i, g, model)
			}
			get(t, c, name, g, 100)
		}
		use(g)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if n := len(c.files[name]); n != room {
		t.Fatalf("%d chunks cached, want %d", n, room)
	}
}

// Hits under the read lock race neither with loads and evictions nor with each other, and
// the hits and misses all add up.
func TestConcurrentHitsAndEvictions(t *testing.T) {
	c := New(1000)
	name := t1 + "files/f.parquet"
	const workers, reads = 8, 2000
	var wg sync.WaitGroup
	var hits, misses atomic.Int64
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range reads {
				g := (i*7 + w) % 20 // 20 groups of 100 bytes in room for 10
				if b, ok := c.Cached(name, g, 0); ok {
					if len(b) != 100 || b[0] != byte(g) {
						t.Errorf("group %d: cached bytes %v...", g, b[:1])
						return
					}
					hits.Add(1)
					continue
				}
				b, err := c.Get(name, g, 0, 100, fill(byte(g)))
				if err != nil || len(b) != 100 || b[0] != byte(g) {
					t.Errorf("group %d: %v", g, err)
					return
				}
				misses.Add(1)
			}
		}()
	}
	wg.Wait()
	if u := c.Used(); u > 1000 {
		t.Fatalf("used %d over the budget of 1000", u)
	}
	s := c.Stats(t1)
	// Every Cached hit counted one hit; a Get after a Cached miss counted a miss or a hit
	// (a Get that waited for a load whose chunk was not kept counts a hit, then loads
	// itself: a miss too).
	if s.Hits < hits.Load() || s.Misses > misses.Load() || s.Hits+s.Misses < hits.Load()+misses.Load() {
		t.Fatalf("stats %+v; %d hits by Cached and %d gets", s, hits.Load(), misses.Load())
	}
}
