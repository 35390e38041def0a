package merge

import (
	"context"
	"fmt"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/sleeperd/sleeperd/exec"
	"github.com/sleeperd/sleeperd/storage/hotcache"
	"github.com/sleeperd/sleeperd/storage/objstore"
)

// TestHotCacheIncreasingKeys reads files of a table keyed by one bigint through
// last-write-wins alone, without a cache, with a hot cache that keeps every chunk (read
// twice: the first read fills it) and with one too small to keep any (a chunk decoded whole
// is still read from, then let go): the rows are the model's every time. A file whose keys all increase is passed through without its keys
// being compared once its chunks are cached (the chunk's answer is kept with the open
// file); one with equal keys inside a row group (as ingest writes rows of one key in input
// order, the last winning), and one with tombstones, are merged row by row where they must
// be, cached or not; so is a file read with a delta file over it (deletes and later
// versions).
func TestHotCacheIncreasingKeys(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	ctx := context.Background()
	store := objstore.NewMem()
	files := map[string][]row{}
	var distinct, equal, tombs []row
	for k := range int64(1000) {
		distinct = append(distinct, row{k: 3 * k, s: str("s"), a: i64(k), ver: 1})
		equal = append(equal, row{k: k, s: str("s"), a: i64(k), ver: 1})
		if k%97 == 5 {
			equal = append(equal, row{k: k, s: str("s"), a: i64(-k), ver: 1}) // the later one wins
		}
		tombs = append(tombs, row{k: k, s: str("s"), a: i64(k), ver: 2, del: k%50 == 7})
	}
	files["distinct"], files["equal"], files["tombs"] = distinct, equal, tombs
	for name, rows := range files {
		b := tableBatch(mem, rows, true)
		writeFile(t, store, name, streamSchema, 128, b)
		b.Release()
	}
	opts := Options{RowKeys: []int{colK}, VersionCol: colVer, DeletedCol: colDel, Alloc: mem,
		LastWriteWins: true, DropTombstones: true}
	spec := Spec{Schema: streamSchema, RowKeys: []int{colK}, VersionCol: colVer, Alloc: mem}
	read := ReadSpec{Schema: tableSchema, Columns: []int{colK, colS, colA, colB, colTS},
		RowKeys: []int{colK}, Alloc: mem}
	big := NewFileCache(store, 0)
	big.SetHot(hotcache.New(64 << 20))
	tiny := NewFileCache(store, 0)
	tiny.SetHot(hotcache.New(1 << 10))
	// A delta over "distinct": later versions of some keys and tombstones of others, read
	// with it (two inputs merged: the merged batches' keys are compared as before).
	var delta []row
	for k := int64(0); k < 3000; k += 21 {
		delta = append(delta, row{k: k, s: str("s"), a: i64(-k), ver: 3, del: k%2 == 1})
	}
	db := tableBatch(mem, delta, true)
	writeFile(t, store, "delta", streamSchema, 16, db)
	db.Release()
	for _, c := range []*FileCache{nil, big, tiny} {
		var ins []exec.Stream
		for _, name := range []string{"distinct", "delta"} {
			in, err := ReadFile(ctx, FileSource{Store: store, Name: name, AddedTxn: 1, Cache: c}, read)
			if err != nil {
				t.Fatal(err)
			}
			ins = append(ins, in)
		}
		got, s, err := mergeApply(t, ins, spec, opts)
		if err != nil {
			t.Fatal(err)
		}
		diffRows(t, got, model([][]row{distinct, delta}, opts, nil))
		if known := s.(*stack).knownRuns; known > 0 {
			t.Errorf("delta: %d merged batches passed through as known to increase", known)
		}
	}
	for _, name := range []string{"distinct", "equal", "tombs"} {
		want := model([][]row{files[name]}, opts, nil)
		for _, c := range []struct {
			name  string
			cache *FileCache
		}{{"none", nil}, {"fill", big}, {"hot", big}, {"evicting", tiny}} {
			t.Run(fmt.Sprintf("%s/%s", name, c.name), func(t *testing.T) {
				in, err := ReadFile(ctx, FileSource{Store: store, Name: name, AddedTxn: 1, Cache: c.cache}, read)
				if err != nil {
					t.Fatal(err)
				}
				got, s, err := mergeApply(t, []exec.Stream{in}, spec, opts)
				if err != nil {
					t.Fatal(err)
				}
				diffRows(t, got, want)
				known := s.(*stack).knownRuns
				switch {
				case name == "distinct" && c.name == "hot":
					if known == 0 {
						t.Errorf("no batch passed through as known to increase")
					}
				case known > 0 && (c.cache == nil || name == "equal"):
					// Not from the cache, or every row group holds a repeated key.
					t.Errorf("%d batches passed through as known to increase", known)
				}
			})
		}
	}
}
