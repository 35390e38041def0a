package merge

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/sleeperd/sleeperd/storage/keys"
	"github.com/sleeperd/sleeperd/storage/objstore"
)

// countingOpens counts the reads of a store by object name.
type countingOpens struct {
	objstore.Store
	mu    sync.Mutex
	reads map[string]int
}

func (c *countingOpens) ReadAt(ctx context.Context, name string, p []byte, off int64) error {
	c.mu.Lock()
	if c.reads == nil {
		c.reads = map[string]int{}
	}
	c.reads[name]++
	c.mu.Unlock()
	return c.Store.ReadAt(ctx, name, p, off)
}

func (c *countingOpens) count(name string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.reads[name]
}

func cacheFiles(t *testing.T, mem memory.Allocator, store objstore.Store, n int) []string {
	t.Helper()
	var names []string
	for i := range n {
		var rows []row
		for k := range int64(200) {
			rows = append(rows, row{k: k, s: str("s"), a: i64(k), b: str(fmt.Sprint(i))})
		}
		b := tableBatch(mem, rows, false)
		name := fmt.Sprintf("tables/x/files/%d.parquet", i)
		writeFile(t, store, name, tableSchema, 50, b)
		b.Release()
		names = append(names, name)
	}
	return names
}

func TestFileCacheEvictsByBytes(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	ctx := context.Background()
	store := &countingOpens{Store: objstore.NewMem()}
	names := cacheFiles(t, mem, store, 6)
	f, err := OpenFile(ctx, nil, store, names[0], 0, nil)
	if err != nil {
		t.Fatal(err)
	}
	one := f.MemoryBytes()
	c := NewFileCache(store, 3*one+one/2) // room for three files
	for _, name := range names {
		if _, err := c.Open(ctx, name, 0, nil); err != nil {
			t.Fatal(err)
		}
	}
	st := c.Stats()
	if st.Files != 3 || st.Bytes > 3*one+one/2 || st.Evictions != 3 || st.Misses != 6 {
		t.Fatalf("stats %+v, want 3 files of %d bytes each, 3 evictions, 6 misses", st, one)
	}
	// The most recent three stay: opening them again reads nothing.
	before := store.count(names[5])
	for _, name := range names[3:] {
		if _, err := c.Open(ctx, name, 0, nil); err != nil {
			t.Fatal(err)
		}
	}
	if got := store.count(names[5]); got != before {
		t.Errorf("a cached file was read again: %d reads, had %d", got, before)
	}
	if st := c.Stats(); st.Hits != 3 {
		t.Errorf("stats %+v, want 3 hits", st)
	}
	// Using names[3] makes names[4] the least recently used: the next open evicts it.
	if _, err := c.Open(ctx, names[3], 0, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Open(ctx, names[0], 0, nil); err != nil {
		t.Fatal(err)
	}
	before = store.count(names[4])
	if _, err := c.Open(ctx, names[4], 0, nil); err != nil {
		t.Fatal(err)
	}
	if store.count(names[4]) == before {
		t.Error("the least recently used file was not the one evicted")
	}
}

func TestFileCacheDrop(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	ctx := context.Background()
	store := &countingOpens{Store: objstore.NewMem()}
	names := cacheFiles(t, mem, store, 3)
	c := NewFileCache(store, 0)
	for _, name := range names {
		if _, err := c.Open(ctx, name, 0, nil); err != nil {
			t.Fatal(err)
		}
	}
	c.Drop(names[1])
	if st := c.Stats(); st.Files != 2 || st.Drops != 1 {
		t.Fatalf("stats %+v after Drop, want 2 files", st)
	}
	// A deleted file is not served from the cache.
	if err := store.Delete(ctx, names[1]); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Open(ctx, names[1], 0, nil); !errors.Is(err, objstore.ErrNotExist) {
		t.Fatalf("open of a dropped, deleted file: %v", err)
	}
	if st := c.Stats(); st.Files != 2 {
		t.Fatalf("stats %+v: a failed open was cached", st)
	}
	c.DropPrefix("tables/x/")
	if st := c.Stats(); st.Files != 0 || st.Bytes != 0 {
		t.Fatalf("stats %+v after DropPrefix, want empty", st)
	}
	before := store.count(names[0])
	if _, err := c.Open(ctx, names[0], 0, nil); err != nil {
		t.Fatal(err)
	}
	if store.count(names[0]) == before {
		t.Error("a dropped file was served from the cache")
	}
}

// TestFileCacheConcurrentOpens opens one file from many goroutines: it is read once.
func TestFileCacheConcurrentOpens(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	store := &countingOpens{Store: objstore.NewMem()}
	names := cacheFiles(t, mem, store, 1)
	direct := &countingOpens{Store: store.Store}
	if _, err := OpenFile(context.Background(), nil, direct, names[0], 0, nil); err != nil {
		t.Fatal(err)
	}
	c := NewFileCache(store, 0)
	var wg sync.WaitGroup
	var failed atomic.Int64
	for range 16 {
		wg.Go(func() {
			if _, err := c.Open(context.Background(), names[0], 0, nil); err != nil {
				failed.Add(1)
			}
		})
	}
	wg.Wait()
	if failed.Load() > 0 {
		t.Fatal("opens failed")
	}
	if got, want := store.count(names[0]), direct.count(names[0]); got != want {
		t.Errorf("16 concurrent opens made %d reads; one open makes %d", got, want)
	}
	if st := c.Stats(); st.Misses != 1 || st.Hits != 15 {
		t.Errorf("stats %+v, want 1 miss and 15 hits", st)
	}
}

// TestReadFileKeySpans reads random key ranges of a file sorted by a two-column row key with
// repeated leading values, small pages and nullable values, through the cache (page index)
// and without it, and checks the rows against a filter of the whole file.
func TestReadFileKeySpans(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	ctx := context.Background()
	store := objstore.NewMem()
	var rows []row
	for i := range int64(9000) {
		r := row{k: i / 3, s: str(fmt.Sprintf("s%02d", (i%3)*7)), ts: i64(i)}
		if i%5 != 0 {
			r.a = i64(i * 11)
		}
		if i%7 != 0 {
			r.b = str(fmt.Sprintf("value %d", i*13%1000))
		}
		rows = append(rows, r)
	}
	b := tableBatch(mem, rows, false)
	writeFile(t, store, "f.parquet", tableSchema, 4000, b)
	keyOf := make([][]byte, len(rows))
	for i := range rows {
		keyOf[i] = keys.AppendRow(nil, []arrow.Array{b.Column(colK), b.Column(colS)}, i)
	}
	b.Release()
	all := []int{colK, colS, colA, colB, colTS}
	cache := NewFileCache(store, 0)
	rng := rand.New(rand.NewPCG(3, 4))
	bound := func() []byte {
		i := rng.IntN(len(rows))
		switch rng.IntN(3) {
		case 0:
			return keyOf[i]
		case 1: // a leading value only: a prefix of the keys with it
			k, _ := keys.AppendGo(nil, arrow.PrimitiveTypes.Int64, rows[i].k)
			return k
		}
		return keys.PrefixEnd(keyOf[i])
	}
	for n := range 150 {
		r := keys.Range{Min: bound(), Max: bound()}
		switch {
		case n%10 == 0:
			r.Min = nil
		case n%10 == 1:
			r.Max = nil
		case n%10 == 2: // one key
			i := rng.IntN(len(rows))
			r = keys.Range{Min: keyOf[i], Max: append(bytes.Clone(keyOf[i]), 0)}
		}
		var want []row
		for i, k := range keyOf {
			if r.Contains(k) {
				w := rows[i]
				w.ver = 5
				want = append(want, w)
			}
		}
		for _, c := range []*FileCache{nil, cache} {
			spec := ReadSpec{Schema: tableSchema, Columns: all, RowKeys: []int{colK, colS}, Range: r, Alloc: mem}
			s, err := ReadFile(ctx, FileSource{Store: store, Name: "f.parquet", AddedTxn: 5, Cache: c}, spec)
			if err != nil {
				t.Fatal(err)
			}
			got, _, err := drain(t, s)
			if err != nil {
				t.Fatal(err)
			}
			if !equalRows(got, want) {
				t.Fatalf("range %x..%x, cache %v: %d rows, want %d", r.Min, r.Max, c != nil, len(got), len(want))
			}
		}
	}
}

// TestFileCacheHitAllocations opens a cached file under a fresh cancellable context each
// time, as every statement does: a hit allocates nothing, not even the context's done
// channel (asked for only while the file is still being opened).
func TestFileCacheHitAllocations(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	store := &countingOpens{Store: objstore.NewMem()}
	names := cacheFiles(t, mem, store, 1)
	c := NewFileCache(store, 0)
	if _, err := c.Open(context.Background(), names[0], 0, nil); err != nil {
		t.Fatal(err)
	}
	contexts := testing.AllocsPerRun(200, func() {
		_, cancel := context.WithCancel(context.Background())
		cancel()
	})
	opens := testing.AllocsPerRun(200, func() {
		ctx, cancel := context.WithCancel(context.Background())
		if _, err := c.Open(ctx, names[0], 0, nil); err != nil {
			t.Fatal(err)
		}
		cancel()
	})
	if opens > contexts {
		t.Errorf("a cache hit under a fresh context: %.1f allocations, the context alone %.1f", opens, contexts)
	}
	// A cancelled context still fails an open that would have to wait (none here: the
	// file is ready, and is served).
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := c.Open(ctx, names[0], 0, nil); err != nil {
		t.Errorf("a ready file under a cancelled context: %v", err)
	}
}
