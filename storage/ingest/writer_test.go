package ingest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/sleeperd/sleeperd/errs"
	"github.com/sleeperd/sleeperd/storage/keys"
	"github.com/sleeperd/sleeperd/storage/objstore"
	"github.com/sleeperd/sleeperd/storage/parquet"
	"github.com/sleeperd/sleeperd/storage/statestore"
)

// textSchema: name string and n int32 (row keys), tag string nullable (sort key), seq int64.
var textSchema = arrow.NewSchema([]arrow.Field{
	{Name: "name", Type: arrow.BinaryTypes.String},
	{Name: "n", Type: arrow.PrimitiveTypes.Int32},
	{Name: "tag", Type: arrow.BinaryTypes.String, Nullable: true},
	{Name: "seq", Type: arrow.PrimitiveTypes.Int64},
}, nil)

func textKey(s string) []byte {
	k, _ := keys.AppendGo(nil, arrow.BinaryTypes.String, s)
	return k
}

// newTable creates table t1 with the given split points and returns its spec.
func newTable(t testing.TB, store objstore.Store, schema *arrow.Schema, rowKeys, sortKeys []int, splits ...[]byte) (*statestore.Store, Spec) {
	t.Helper()
	ss := statestore.New(store, statestore.Options{})
	if _, err := ss.Create(context.Background(), "t1", statestore.InitialisePartitions{SplitPoints: splits}); err != nil {
		t.Fatal(err)
	}
	return ss, Spec{
		Table:      "t1",
		Schema:     schema,
		RowKeys:    rowKeys,
		SortKeys:   sortKeys,
		Props:      parquet.Properties{RowGroupRows: 1000},
		FilePrefix: "tables/t1/files/",
	}
}

// textBatches returns n rows of textSchema in batches of size rows: few distinct keys, so
// many duplicates, whose seq gives their input order.
func textBatches(mem memory.Allocator, rng *rand.Rand, n, size int) []arrow.RecordBatch {
	var out []arrow.RecordBatch
	b := array.NewRecordBuilder(mem, textSchema)
	defer b.Release()
	for i := range n {
		b.Field(0).(*array.StringBuilder).Append(fmt.Sprintf("%c%d", 'a'+rng.IntN(26), rng.IntN(20)))
		b.Field(1).(*array.Int32Builder).Append(int32(rng.IntN(5)) - 2)
		if rng.IntN(5) == 0 {
			b.Field(2).AppendNull()
		} else {
			b.Field(2).(*array.StringBuilder).Append(fmt.Sprint(rng.IntN(3)))
		}
		b.Field(3).(*array.Int64Builder).Append(int64(i))
		if (i+1)%size == 0 || i == n-1 {
			out = append(out, b.NewRecordBatch())
		}
	}
	return out
}

// testBatches returns n rows of testSchema with keys in [0, keyRange) in batches of size.
func testBatches(mem memory.Allocator, rng *rand.Rand, n, size int, keyRange int64) []arrow.RecordBatch {
	var out []arrow.RecordBatch
	var rows []row
	for i := range n {
		r := row{k: rng.Int64N(keyRange), s: float64(rng.IntN(3)), v: fmt.Sprint(i)}
		r.sNull = rng.IntN(7) == 0
		rows = append(rows, r)
		if len(rows) == size || i == n-1 {
			out = append(out, makeBatch(mem, rows))
			rows = rows[:0]
		}
	}
	return out
}

func release(bs []arrow.RecordBatch) {
	for _, b := range bs {
		b.Release()
	}
}

// readTable returns the rows of t1, leaf by leaf, each row as its column values, and the
// number of files. The files of a leaf are read in the order of their row keys, which it
// checks are disjoint: a leaf has more than one file only where the final merge of a spilled
// write was cut inside it, at a row key.
func readTable(t *testing.T, mem memory.Allocator, store objstore.Store, ss *statestore.Store) ([]string, int) {
	t.Helper()
	ctx := context.Background()
	st, err := ss.Snapshot(ctx, "t1")
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	files := 0
	for _, leaf := range st.Leaves() {
		refs := st.References(leaf.ID)
		slices.SortFunc(refs, func(a, b statestore.FileReference) int {
			fa, _ := st.File(a.File)
			fb, _ := st.File(b.File)
			return bytes.Compare(fa.MinKey, fb.MinKey)
		})
		for i, ref := range refs {
			f, _ := st.File(ref.File)
			files++
			if i > 0 {
				if prev, _ := st.File(refs[i-1].File); bytes.Compare(prev.MaxKey, f.MinKey) >= 0 {
					t.Fatalf("leaf %v: files %s and %s overlap in row keys", leaf.Range, prev.Name, f.Name)
				}
			}
			if !leaf.Range.Contains(f.MinKey) || !leaf.Range.Contains(f.MaxKey) {
				t.Fatalf("leaf %v: file %s has rows outside it", leaf.Range, f.Name)
			}
			if ref.Rows != f.Rows || !ref.Exact {
				t.Errorf("reference of %d rows, exact %v; file %d", ref.Rows, ref.Exact, f.Rows)
			}
			data, err := objstore.ReadAll(ctx, store, f.Name)
			if err != nil {
				t.Fatal(err)
			}
			pf, err := parquet.Open(strings.NewReader(string(data)), int64(len(data)))
			if err != nil {
				t.Fatal(err)
			}
			r, err := pf.Read(ctx, parquet.ReadOptions{Alloc: mem})
			if err != nil {
				t.Fatal(err)
			}
			var rows int64
			for {
				b, err := r.Next(ctx)
				if err == io.EOF {
					break
				}
				if err != nil {
					t.Fatal(err)
				}
				for i := range int(b.NumRows()) {
					var vals []string
					for _, c := range b.Columns() {
						vals = append(vals, c.ValueStr(i))
					}
					out = append(out, strings.Join(vals, "|"))
				}
				rows += b.NumRows()
				b.Release()
			}
			r.Close()
			if rows != f.Rows {
				t.Errorf("file has %d rows, metadata %d", rows, f.Rows)
			}
		}
	}
	return out, files
}

// writeBoth writes batches with Write into one store and through a Writer with opts into
// another, and checks that the tables read the same, row for row. It returns the Writer's
// stats.
func writeBoth(t *testing.T, mem memory.Allocator, schema *arrow.Schema, rowKeys, sortKeys []int, splits [][]byte, batches []arrow.RecordBatch, opts WriterOptions) WriterStats {
	t.Helper()
	st, _ := writeBothFiles(t, mem, schema, rowKeys, sortKeys, splits, batches, opts)
	return st
}

// writeBothFiles is writeBoth that also returns how many more files the Writer wrote than
// Write (one per touched leaf): at most one per cut of its final merge.
func writeBothFiles(t *testing.T, mem memory.Allocator, schema *arrow.Schema, rowKeys, sortKeys []int, splits [][]byte, batches []arrow.RecordBatch, opts WriterOptions) (WriterStats, int) {
	t.Helper()
	ctx := context.Background()
	storeA, storeB := objstore.NewMem(), objstore.NewMem()
	ssA, spec := newTable(t, storeA, schema, rowKeys, sortKeys, splits...)
	ssB, _ := newTable(t, storeB, schema, rowKeys, sortKeys, splits...)
	spec.Alloc = mem
	var total int64
	for _, b := range batches {
		total += b.NumRows()
	}
	if n, err := Write(ctx, storeA, ssA, spec, batches); err != nil || n != total {
		t.Fatalf("Write: %d rows, %v", n, err)
	}
	w, err := NewWriter(ctx, storeB, ssB, spec, opts)
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range batches {
		if err := w.Append(b); err != nil {
			t.Fatal(err)
		}
	}
	n, err := w.Commit(ctx)
	if err != nil || n != total {
		t.Fatalf("Commit: %d rows, %v", n, err)
	}
	want, filesA := readTable(t, mem, storeA, ssA)
	got, filesB := readTable(t, mem, storeB, ssB)
	if len(got) != len(want) {
		t.Fatalf("read %d rows, want %d", len(got), len(want))
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("row %d: %s, want %s", i, got[i], want[i])
		}
	}
	st := w.Stats()
	if st.Rows != total {
		t.Errorf("stats: %d rows, want %d", st.Rows, total)
	}
	if extra := filesB - filesA; extra < 0 || extra > max(0, st.FinalMerges-1) {
		t.Errorf("%d files, Write wrote %d: want at most one more per cut of %d final merges", filesB, filesA, st.FinalMerges)
	}
	return st, filesB - filesA
}

func assertEmptyDir(t *testing.T, dir string) {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		t.Errorf("left in the spill directory: %s", e.Name())
	}
}

func TestWriterSpillMatchesWrite(t *testing.T) {
	t.Run("int key, float sort key", func(t *testing.T) {
		mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
		defer mem.AssertSize(t, 0)
		batches := testBatches(mem, rand.New(rand.NewPCG(5, 6)), 20000, 700, 3000)
		defer release(batches)
		dir := t.TempDir()
		st := writeBoth(t, mem, testSchema, []int{0}, []int{1}, [][]byte{int64Key(500), int64Key(1000), int64Key(2500)}, batches, WriterOptions{Memory: 64 << 10, SpillDir: dir})
		if st.Runs < 2 || st.BytesSpilled == 0 {
			t.Errorf("stats %+v: want spilled runs", st)
		}
		assertEmptyDir(t, dir)
	})
	t.Run("text keys", func(t *testing.T) {
		mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
		defer mem.AssertSize(t, 0)
		batches := textBatches(mem, rand.New(rand.NewPCG(7, 8)), 15000, 333)
		defer release(batches)
		dir := t.TempDir()
		st := writeBoth(t, mem, textSchema, []int{0, 1}, []int{2}, [][]byte{textKey("f"), textKey("m5"), textKey("x")}, batches, WriterOptions{Memory: 64 << 10, SpillDir: dir})
		if st.Runs < 2 {
			t.Errorf("stats %+v: want spilled runs", st)
		}
		assertEmptyDir(t, dir)
	})
	t.Run("in memory", func(t *testing.T) {
		mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
		defer mem.AssertSize(t, 0)
		batches := textBatches(mem, rand.New(rand.NewPCG(9, 10)), 5000, 1000)
		defer release(batches)
		dir := t.TempDir()
		st := writeBoth(t, mem, textSchema, []int{0, 1}, []int{2}, [][]byte{textKey("m")}, batches, WriterOptions{SpillDir: dir})
		if st.Runs != 0 || st.BytesSpilled != 0 {
			t.Errorf("stats %+v: want nothing spilled", st)
		}
		assertEmptyDir(t, dir)
	})
	t.Run("run rows limit", func(t *testing.T) {
		defer func(n int) { maxRunRows = n }(maxRunRows)
		maxRunRows = 1000
		mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
		defer mem.AssertSize(t, 0)
		batches := testBatches(mem, rand.New(rand.NewPCG(11, 12)), 5000, 100, 1000)
		defer release(batches)
		st := writeBoth(t, mem, testSchema, []int{0}, []int{1}, [][]byte{int64Key(10), int64Key(400), int64Key(401)}, batches, WriterOptions{SpillDir: t.TempDir()})
		// 4 spills of 1000 rows, each cut into spillParts runs, and 1000 rows held at commit.
		if want := 4 * spillParts(1000); st.Runs != want {
			t.Errorf("%d runs, want %d", st.Runs, want)
		}
	})
}

func TestWriterIntermediateMerge(t *testing.T) {
	defer func(n int) { maxFanIn = n }(maxFanIn)
	maxFanIn = 3
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	batches := testBatches(mem, rand.New(rand.NewPCG(13, 14)), 20000, 500, 5000)
	defer release(batches)
	dir := t.TempDir()
	st := writeBoth(t, mem, testSchema, []int{0}, []int{1}, [][]byte{int64Key(2000)}, batches, WriterOptions{Memory: 64 << 10, SpillDir: dir})
	if st.Runs <= 9 || st.MergePasses < 2 {
		t.Errorf("stats %+v: want more than 9 runs and 2 merge passes", st)
	}
	assertEmptyDir(t, dir)
}

// failPutStore fails the upload of data files after reading part of them. Like every
// objstore.Store it is safe for concurrent use: files are uploaded while others are written.
type failPutStore struct {
	objstore.Store
	mu    sync.Mutex
	armed bool
	puts  int
}

func (f *failPutStore) Put(ctx context.Context, name string, data io.Reader) error {
	f.mu.Lock()
	n := 0
	if f.armed && strings.HasSuffix(name, ".parquet") {
		f.puts++
		n = f.puts
	}
	f.mu.Unlock()
	if n == 2 {
		io.CopyN(io.Discard, data, 100)
		return errInjected
	}
	return f.Store.Put(ctx, name, data)
}

func TestWriterSpillCleanup(t *testing.T) {
	for _, tc := range []string{"commit", "abort", "failing put", "cancel before commit", "cancel while appending", "null row key"} {
		t.Run(tc, func(t *testing.T) {
			mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
			defer mem.AssertSize(t, 0)
			store := &failPutStore{Store: objstore.NewMem(), armed: tc == "failing put"}
			ss, spec := newTable(t, store, testSchema, []int{0}, []int{1}, int64Key(300), int64Key(600))
			spec.Alloc = mem
			dir := t.TempDir()
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			w, err := NewWriter(ctx, store, ss, spec, WriterOptions{Memory: 32 << 10, SpillDir: dir})
			if err != nil {
				t.Fatal(err)
			}
			defer w.Abort()
			batches := testBatches(mem, rand.New(rand.NewPCG(15, 16)), 5000, 250, 1000)
			defer release(batches)
			var appendErr error
			for i, b := range batches {
				if tc == "cancel while appending" && i == 10 {
					cancel()
				}
				if tc == "null row key" && i == 10 {
					kb := array.NewInt64Builder(mem)
					kb.AppendNull()
					k := kb.NewArray()
					kb.Release()
					nb := makeBatch(mem, []row{{k: 1}})
					bad := array.NewRecordBatch(testSchema, []arrow.Array{k, nb.Column(1), nb.Column(2)}, 1)
					appendErr = w.Append(bad)
					bad.Release()
					nb.Release()
					k.Release()
					break
				}
				if appendErr = w.Append(b); appendErr != nil {
					break
				}
			}
			switch tc {
			case "cancel while appending":
				if !errors.Is(appendErr, context.Canceled) {
					t.Fatalf("append: %v, want canceled", appendErr)
				}
			case "null row key":
				if !errors.Is(appendErr, errs.NotNullViolation) {
					t.Fatalf("append: %v, want a not-null violation", appendErr)
				}
				// The Writer takes no more rows and commits none.
				if err := w.Append(batches[11]); !errors.Is(err, errs.NotNullViolation) {
					t.Fatalf("append after the failure: %v", err)
				}
				if _, err := w.Commit(ctx); !errors.Is(err, errs.NotNullViolation) {
					t.Fatalf("commit after the failure: %v", err)
				}
			default:
				if appendErr != nil {
					t.Fatal(appendErr)
				}
				if w.Stats().Runs == 0 {
					t.Fatal("nothing spilled")
				}
			}
			var commitErr error
			switch tc {
			case "commit":
				_, commitErr = w.Commit(ctx)
				if commitErr != nil {
					t.Fatal(commitErr)
				}
			case "abort":
				w.Abort()
			case "failing put":
				_, commitErr = w.Commit(ctx)
				if !errors.Is(commitErr, errInjected) {
					t.Fatalf("commit: %v, want the injected failure", commitErr)
				}
			case "cancel before commit":
				cancel()
				_, commitErr = w.Commit(ctx)
				if !errors.Is(commitErr, context.Canceled) {
					t.Fatalf("commit: %v, want canceled", commitErr)
				}
			default:
				w.Abort()
			}
			assertEmptyDir(t, dir)
			st, err := ss.Snapshot(context.Background(), "t1")
			if err != nil {
				t.Fatal(err)
			}
			names, _ := store.List(context.Background(), spec.FilePrefix)
			if tc == "commit" {
				// One per leaf, and one more per cut of the final merge inside a leaf.
				want := 3 + max(0, w.Stats().FinalMerges-1)
				if len(st.Files()) != want || len(names) != want {
					t.Errorf("%d files committed, %d stored; want %d", len(st.Files()), len(names), want)
				}
			} else if len(st.Files()) != 0 || len(names) != 0 {
				t.Errorf("%d files committed, %d stored; want none", len(st.Files()), len(names))
			}
		})
	}
}

// A file of a spilled write that a split committed meanwhile cuts in two is referenced from
// both leaves, with its rows counted from the file.
func TestWriterReferencesAfterSplit(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	ctx := context.Background()
	store := objstore.NewMem()
	ss, spec := newTable(t, store, testSchema, []int{0}, []int{1})
	spec.Alloc = mem
	w, err := NewWriter(ctx, store, ss, spec, WriterOptions{Memory: 32 << 10, SpillDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Abort()
	batches := testBatches(mem, rand.New(rand.NewPCG(17, 18)), 3000, 300, 100)
	defer release(batches)
	var below int64
	for _, b := range batches {
		for _, k := range b.Column(0).(*array.Int64).Int64Values() {
			if k < 40 {
				below++
			}
		}
		if err := w.Append(b); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := w.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	st, _ := ss.Snapshot(ctx, "t1")
	f := st.Files()[0]
	leaves := []*statestore.Partition{
		{ID: "a", Range: keys.Range{Max: int64Key(40)}},
		{ID: "b", Range: keys.Range{Min: int64Key(40)}},
	}
	txn, err := addFiles(ctx, store, spec, []written{{file: *f}}, leaves)
	if err != nil {
		t.Fatal(err)
	}
	refs := txn.Files[0].References
	if len(refs) != 2 || refs[0].Rows != below || refs[1].Rows != 3000-below || !refs[0].Exact {
		t.Errorf("references %+v, want %d and %d rows", refs, below, 3000-below)
	}
}

// The memory a spilling Writer holds stays within its budget: the peak of everything
// allocated, by the caller's batches too, and of the Writer's own accounting.
func TestWriterMemoryBound(t *testing.T) {
	const budget = 4 << 20
	checked := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer checked.AssertSize(t, 0)
	mem := &trackingAllocator{mem: checked}
	ctx := context.Background()
	store := objstore.NewMem()
	ss, spec := newTable(t, store, testSchema, []int{0}, []int{1}, int64Key(1<<20), int64Key(2<<20))
	spec.Alloc = mem
	spec.Props = parquet.DefaultProperties()
	dir := t.TempDir()
	w, err := NewWriter(ctx, store, ss, spec, WriterOptions{Memory: budget, SpillDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Abort()
	n := 1_000_000
	if testing.Short() || raceEnabled {
		n = 200_000
	}
	rng := rand.New(rand.NewPCG(19, 20))
	rows := make([]row, 4096)
	for done := 0; done < n; done += len(rows) {
		for i := range rows {
			rows[i] = row{k: rng.Int64N(3 << 20), s: float64(i), v: "v"}
		}
		b := makeBatch(mem, rows)
		err := w.Append(b)
		b.Release()
		if err != nil {
			t.Fatal(err)
		}
	}
	got, err := w.Commit(ctx)
	if err != nil {
		t.Fatal(err)
	}
	st := w.Stats()
	t.Logf("%d rows, stats %+v, peak allocated %d", got, st, mem.peak.Load())
	if st.Runs < 2 {
		t.Errorf("%d runs, want several", st.Runs)
	}
	// The stated overhead: one caller batch (about 100 KiB here) besides the budget.
	if p := mem.peak.Load(); p > budget+budget/8 {
		t.Errorf("peak allocated %d, budget %d", p, budget)
	}
	if st.PeakBytes > budget+budget/8 {
		t.Errorf("peak held %d, budget %d", st.PeakBytes, budget)
	}
	assertEmptyDir(t, dir)
}

// A batch above half the budget is taken in slices: the Writer holds no more than its
// budget of it, and the rows come out as Write writes them.
func TestWriterLargeBatch(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	batches := testBatches(mem, rand.New(rand.NewPCG(21, 22)), 30000, 30000, 2000)
	defer release(batches)
	dir := t.TempDir()
	const budget = 256 << 10
	st := writeBoth(t, mem, testSchema, []int{0}, []int{1}, [][]byte{int64Key(1000)}, batches, WriterOptions{Memory: budget, SpillDir: dir})
	if st.Runs < 2 || st.PeakBytes > budget {
		t.Errorf("stats %+v: want several runs, peak within %d", st, budget)
	}
	assertEmptyDir(t, dir)
}

func BenchmarkWriterSpill(b *testing.B) {
	mem := memory.NewGoAllocator()
	const n = 1_000_000
	batches := testBatches(mem, rand.New(rand.NewPCG(3, 4)), n, 64<<10, 1<<40)
	defer release(batches)
	small := testBatches(mem, rand.New(rand.NewPCG(3, 4)), n, 4<<10, 1<<40)
	defer release(small)
	for _, bc := range []struct {
		name   string
		budget int64
		splits []int64
		merges int  // the final merges at once (with run-ahead whatever the budget); 0: the default
		whole  bool // spills gather at random from every row held, without sub-runs (localize)
	}{
		{"memory", 1 << 30, []int64{1 << 38, 1 << 39, 3 << 38}, 0, false},
		{"spill-16MiB", 16 << 20, []int64{1 << 38, 1 << 39, 3 << 38}, 0, false},
		{"spill-4MiB", 4 << 20, []int64{1 << 38, 1 << 39, 3 << 38}, 0, false},
		// One leaf: the final merge as one merge, or cut inside the leaf into two.
		{"spill-16MiB-one-leaf-1-merge", 16 << 20, nil, 1, false},
		{"spill-16MiB-one-leaf-2-merges", 16 << 20, nil, 2, false},
		// Spills of 16 MiB parts, above localMinBytes, of batches of 4096 rows: gathered
		// through sub-runs, or not.
		{"spill-64MiB", 64 << 20, []int64{1 << 38, 1 << 39, 3 << 38}, 0, false},
		{"spill-64MiB-no-sub-runs", 64 << 20, []int64{1 << 38, 1 << 39, 3 << 38}, 0, true},
	} {
		b.Run(bc.name, func(b *testing.B) {
			if bc.merges > 0 {
				oldMem, oldN := runAheadMemory, finalMerges
				runAheadMemory, finalMerges = 0, bc.merges
				defer func() { runAheadMemory, finalMerges = oldMem, oldN }()
			}
			batches := batches
			if bc.budget == 64<<20 {
				batches = small
			}
			if v := os.Getenv("INGEST_SUB_RUN_BYTES"); v != "" { // to try other sizes
				n, err := strconv.ParseInt(v, 10, 64)
				if err != nil {
					b.Fatal(err)
				}
				defer func(n int64) { subRunBytes = n }(subRunBytes)
				subRunBytes = n
			}
			if bc.whole {
				defer func(n int64) { localMinBytes = n }(localMinBytes)
				localMinBytes = 1 << 62
			}
			b.ReportAllocs()
			var st WriterStats
			cpu0 := processCPU(b)
			for b.Loop() {
				store := objstore.NewMem()
				ss, spec := setup(b, store, bc.splits...)
				spec.Props = parquet.DefaultProperties()
				w, err := NewWriter(context.Background(), store, ss, spec, WriterOptions{Memory: bc.budget, SpillDir: b.TempDir()})
				if err != nil {
					b.Fatal(err)
				}
				for _, batch := range batches {
					if err := w.Append(batch); err != nil {
						b.Fatal(err)
					}
				}
				if _, err := w.Commit(context.Background()); err != nil {
					b.Fatal(err)
				}
				st = w.Stats()
			}
			b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
			// CPU time (every thread of the process) per row: unlike rows/s, it does not move
			// with the other load on the machine.
			b.ReportMetric(float64(processCPU(b)-cpu0)/float64(n)/float64(b.N), "cpu-ns/row")
			b.ReportMetric(float64(st.Runs), "runs")
			b.ReportMetric(float64(st.BytesSpilled)/(1<<20), "MiB-spilled")
			b.ReportMetric(float64(st.PeakBytes)/(1<<20), "MiB-peak")
			b.ReportMetric(float64(st.FinalMerges), "final-merges")
		})
	}
}

// processCPU returns the user and system CPU time of the process so far, in nanoseconds.
func processCPU(tb testing.TB) int64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		tb.Fatal(err)
	}
	return ru.Utime.Nano() + ru.Stime.Nano()
}

// TestWriterSpillRunAhead runs the spilling tests with the final merge running ahead of the
// encoders (queued row groups, each leaf's file completed while the next is written), which
// the default budget gets but the tests' small budgets do not.
func TestWriterSpillRunAhead(t *testing.T) {
	old := runAheadMemory
	runAheadMemory = 0
	defer func() { runAheadMemory = old }()
	t.Run("matches write", TestWriterSpillMatchesWrite)
	t.Run("cleanup", TestWriterSpillCleanup)
}
