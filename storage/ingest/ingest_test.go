package ingest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/sleeperd/sleeperd/errs"
	"github.com/sleeperd/sleeperd/storage/keys"
	"github.com/sleeperd/sleeperd/storage/objstore"
	"github.com/sleeperd/sleeperd/storage/parquet"
	"github.com/sleeperd/sleeperd/storage/sketch"
	"github.com/sleeperd/sleeperd/storage/statestore"
)

// schema: k int64 (row key), s float64 nullable (sort key), v string nullable.
var testSchema = arrow.NewSchema([]arrow.Field{
	{Name: "k", Type: arrow.PrimitiveTypes.Int64},
	{Name: "s", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
	{Name: "v", Type: arrow.BinaryTypes.String, Nullable: true},
}, nil)

type row struct {
	k     int64
	s     float64
	sNull bool
	v     string
}

func makeBatch(mem memory.Allocator, rows []row) arrow.RecordBatch {
	b := array.NewRecordBuilder(mem, testSchema)
	defer b.Release()
	for _, r := range rows {
		b.Field(0).(*array.Int64Builder).Append(r.k)
		if r.sNull {
			b.Field(1).AppendNull()
		} else {
			b.Field(1).(*array.Float64Builder).Append(r.s)
		}
		b.Field(2).(*array.StringBuilder).Append(r.v)
	}
	return b.NewRecordBatch()
}

func int64Key(v int64) []byte {
	k, _ := keys.AppendGo(nil, arrow.PrimitiveTypes.Int64, v)
	return k
}

func setup(t testing.TB, store objstore.Store, splits ...int64) (*statestore.Store, Spec) {
	t.Helper()
	ss := statestore.New(store, statestore.Options{})
	var sp [][]byte
	for _, s := range splits {
		sp = append(sp, int64Key(s))
	}
	if _, err := ss.Create(context.Background(), "t1", statestore.InitialisePartitions{SplitPoints: sp}); err != nil {
		t.Fatal(err)
	}
	spec := Spec{
		Table:      "t1",
		Schema:     testSchema,
		RowKeys:    []int{0},
		SortKeys:   []int{1},
		Props:      parquet.Properties{RowGroupRows: 100},
		FilePrefix: "tables/t1/files/",
	}
	return ss, spec
}

// readFile returns the rows of a file in file order.
func readFile(t *testing.T, mem memory.Allocator, store objstore.Store, name string) []row {
	t.Helper()
	ctx := context.Background()
	data, err := objstore.ReadAll(ctx, store, name)
	if err != nil {
		t.Fatal(err)
	}
	f, err := parquet.Open(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	r, err := f.Read(ctx, parquet.ReadOptions{Alloc: mem})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	var out []row
	for {
		b, err := r.Next(ctx)
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		k := b.Column(0).(*array.Int64)
		s := b.Column(1).(*array.Float64)
		v := b.Column(2).(*array.String)
		for i := range int(b.NumRows()) {
			out = append(out, row{k: k.Value(i), s: s.Value(i), sNull: s.IsNull(i), v: v.Value(i)})
		}
		b.Release()
	}
}

func TestWriteSplitsByLeafAndSorts(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	ctx := context.Background()
	store := objstore.NewMem()
	ss, spec := setup(t, store, 0, 100, 200)
	spec.Alloc = mem

	rng := rand.New(rand.NewPCG(1, 2))
	var all []row
	var batches []arrow.RecordBatch
	for b := range 3 {
		var rows []row
		for i := range 400 {
			r := row{k: rng.Int64N(300) - 50, s: float64(rng.IntN(5)) - 2, v: fmt.Sprintf("b%d-%d", b, i)}
			if i%7 == 0 {
				r.sNull = true
			}
			if i%11 == 0 {
				r.s = math.NaN()
			}
			rows = append(rows, r)
		}
		all = append(all, rows...)
		batches = append(batches, makeBatch(mem, rows))
	}
	defer func() {
		for _, b := range batches {
			b.Release()
		}
	}()
	n, err := Write(ctx, store, ss, spec, batches)
	if err != nil {
		t.Fatal(err)
	}
	if n != int64(len(all)) {
		t.Fatalf("wrote %d rows, want %d", n, len(all))
	}
	st, err := ss.Snapshot(ctx, "t1")
	if err != nil {
		t.Fatal(err)
	}
	var got []row
	for _, leaf := range st.Leaves() {
		refs := st.References(leaf.ID)
		if len(refs) != 1 {
			t.Fatalf("leaf %v has %d files, want 1", leaf.Range, len(refs))
		}
		f, _ := st.File(refs[0].File)
		if !strings.HasPrefix(f.Name, spec.FilePrefix) || !strings.HasSuffix(f.Name, ".parquet") {
			t.Errorf("file name %q", f.Name)
		}
		rows := readFile(t, mem, store, f.Name)
		if int64(len(rows)) != f.Rows || refs[0].Rows != f.Rows || !refs[0].Exact {
			t.Errorf("file has %d rows, metadata %d, reference %d exact %v", len(rows), f.Rows, refs[0].Rows, refs[0].Exact)
		}
		if !bytes.Equal(f.MinKey, int64Key(rows[0].k)) || !bytes.Equal(f.MaxKey, int64Key(rows[len(rows)-1].k)) {
			t.Errorf("file key range [%x, %x], rows %d..%d", f.MinKey, f.MaxKey, rows[0].k, rows[len(rows)-1].k)
		}
		sk, err := sketch.Load(ctx, store, f.Name, f.Bytes)
		if err != nil {
			t.Fatal(err)
		}
		if sk.Rows() != f.Rows {
			t.Errorf("sketch of %d rows, file %d", sk.Rows(), f.Rows)
		}
		if med, ok := sketch.Median([]*sketch.Sketch{sk}, leaf.Range); ok && !leaf.Range.Contains(med) {
			t.Errorf("sketch median %x outside the leaf %v", med, leaf.Range)
		}
		for i, r := range rows {
			if !leaf.Range.Contains(int64Key(r.k)) {
				t.Errorf("row %d in leaf %v", r.k, leaf.Range)
			}
			if i > 0 && compareRows(rows[i-1], r) > 0 {
				t.Errorf("rows out of order: %+v before %+v", rows[i-1], r)
			}
		}
		got = append(got, rows...)
	}
	// The same rows, in (k, s nulls last) order, stable for equal keys.
	want := slices.Clone(all)
	slices.SortStableFunc(want, compareRows)
	if len(got) != len(want) {
		t.Fatalf("read %d rows, want %d", len(got), len(want))
	}
	for i := range want {
		if got[i].k != want[i].k || got[i].v != want[i].v || got[i].sNull != want[i].sNull {
			t.Fatalf("row %d: got %+v, want %+v", i, got[i], want[i])
		}
	}
}

// compareRows orders by k, then s with NaN above numbers and nulls last.
func compareRows(a, b row) int {
	if a.k != b.k {
		return cmpInt(a.k, b.k)
	}
	rank := func(r row) int {
		switch {
		case r.sNull:
			return 2
		case math.IsNaN(r.s):
			return 1
		}
		return 0
	}
	if ra, rb := rank(a), rank(b); ra != rb || ra != 0 {
		return ra - rb
	}
	switch {
	case a.s < b.s:
		return -1
	case a.s > b.s:
		return 1
	}
	return 0
}

func cmpInt(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func TestWriteRejects(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	ctx := context.Background()
	store := objstore.NewMem()
	ss, spec := setup(t, store)
	spec.Alloc = mem

	kb := array.NewInt64Builder(mem)
	kb.AppendValues([]int64{1, 2}, nil)
	kb.AppendNull()
	k := kb.NewArray()
	kb.Release()
	defer k.Release()
	sb := array.NewFloat64Builder(mem)
	sb.AppendValues([]float64{1, 2, 3}, nil)
	s := sb.NewArray()
	sb.Release()
	defer s.Release()
	vb := array.NewStringBuilder(mem)
	vb.AppendValues([]string{"a", "b", "c"}, nil)
	v := vb.NewArray()
	vb.Release()
	defer v.Release()
	nullKey := array.NewRecordBatch(testSchema, []arrow.Array{k, s, v}, 3)
	defer nullKey.Release()
	other := array.NewRecordBatch(arrow.NewSchema([]arrow.Field{{Name: "k", Type: arrow.PrimitiveTypes.Int64, Nullable: true}}, nil), []arrow.Array{k}, 3)
	defer other.Release()

	badSpec := spec
	badSpec.SortKeys = []int{0}
	listSpec := spec
	listSpec.Schema = arrow.NewSchema([]arrow.Field{{Name: "l", Type: arrow.ListOf(arrow.PrimitiveTypes.Int64)}}, nil)
	listSpec.RowKeys, listSpec.SortKeys = []int{0}, nil

	tests := []struct {
		name  string
		spec  Spec
		batch arrow.RecordBatch
		want  error
		msg   string
	}{
		{"null row key", spec, nullKey, errs.NotNullViolation, `null value in column "k" violates not-null constraint`},
		{"schema mismatch", spec, other, ErrSchemaMismatch, ""},
		{"sort key is row key", badSpec, nullKey, ErrInvalidSpec, ""},
		{"unsupported row key", listSpec, nullKey, ErrInvalidSpec, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Write(ctx, store, ss, tc.spec, []arrow.RecordBatch{tc.batch})
			if !errors.Is(err, tc.want) {
				t.Fatalf("got %v, want %v", err, tc.want)
			}
			if tc.msg != "" && err.Error() != tc.msg {
				t.Errorf("message %q, want %q", err.Error(), tc.msg)
			}
		})
	}
	names, err := store.List(ctx, spec.FilePrefix)
	if err != nil || len(names) != 0 {
		t.Errorf("files left behind: %v %v", names, err)
	}
}

// failingStore fails PutIfAbsent of objects whose name has the prefix while armed.
type failingStore struct {
	objstore.Store
	mu     sync.Mutex
	prefix string
}

func (f *failingStore) arm(prefix string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.prefix = prefix
}

var errInjected = errors.New("injected failure")

func (f *failingStore) PutIfAbsent(ctx context.Context, name string, data []byte) error {
	f.mu.Lock()
	p := f.prefix
	f.mu.Unlock()
	if p != "" && strings.HasPrefix(name, p) {
		return errInjected
	}
	return f.Store.PutIfAbsent(ctx, name, data)
}

func TestWriteAllOrNothing(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	ctx := context.Background()
	store := &failingStore{Store: objstore.NewMem()}
	ss, spec := setup(t, store, 10, 20)
	spec.Alloc = mem

	var rows []row
	for i := range 30 {
		rows = append(rows, row{k: int64(i), s: 1, v: "x"})
	}
	b := makeBatch(mem, rows)
	defer b.Release()

	store.arm(statestore.LogPrefix("t1"))
	_, err := Write(ctx, store, ss, spec, []arrow.RecordBatch{b})
	if !errors.Is(err, errInjected) {
		t.Fatalf("got %v, want the injected failure", err)
	}
	store.arm("")
	st, err := ss.Snapshot(ctx, "t1")
	if err != nil {
		t.Fatal(err)
	}
	if files := st.Files(); len(files) != 0 {
		t.Errorf("%d files visible after a failed commit", len(files))
	}
	if names, _ := store.List(ctx, spec.FilePrefix); len(names) != 0 {
		t.Errorf("uncommitted files not deleted: %v", names)
	}

	// The same write succeeds once the store works, and all its files appear in one txn.
	if _, err := Write(ctx, store, ss, spec, []arrow.RecordBatch{b}); err != nil {
		t.Fatal(err)
	}
	st, err = ss.Snapshot(ctx, "t1")
	if err != nil {
		t.Fatal(err)
	}
	files := st.Files()
	if len(files) != 3 {
		t.Fatalf("%d files, want 3", len(files))
	}
	for _, f := range files {
		if f.AddedTxn != files[0].AddedTxn {
			t.Errorf("files added by transactions %d and %d", files[0].AddedTxn, f.AddedTxn)
		}
	}
}

func TestWriteReferencesParentAfterSplit(t *testing.T) {
	// A file spanning two leaves of a newer state is referenced from both with exact counts.
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	_, spec := setup(t, objstore.NewMem())
	spec.Alloc = mem
	var rows []row
	for i := range 10 {
		rows = append(rows, row{k: int64(i), v: "x"})
	}
	b := makeBatch(mem, rows)
	defer b.Release()
	srt := sortRows(spec, []arrow.RecordBatch{b}, 10)
	leaves := []*statestore.Partition{
		{ID: "a", Range: keys.Range{Max: int64Key(4)}},
		{ID: "b", Range: keys.Range{Min: int64Key(4)}},
	}
	txn, err := addFiles(context.Background(), nil, spec, []written{{file: statestore.File{Name: "f", Rows: 10}, s: srt, lo: 0, hi: 10}}, leaves)
	if err != nil {
		t.Fatal(err)
	}
	refs := txn.Files[0].References
	if len(refs) != 2 || refs[0].PartitionID != "a" || refs[0].Rows != 4 || refs[1].PartitionID != "b" || refs[1].Rows != 6 {
		t.Errorf("references %+v", refs)
	}
}

func TestConcurrentWriters(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	ctx := context.Background()
	store := objstore.NewMem()
	_, spec := setup(t, store, 250, 500, 750)
	spec.Alloc = mem
	const writers, perWriter = 6, 200
	var wg sync.WaitGroup
	errc := make(chan error, writers)
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			// Each writer has its own state store client, as separate processes would.
			ss := statestore.New(store, statestore.Options{})
			var rows []row
			for i := range perWriter {
				rows = append(rows, row{k: int64(i*5 + w), v: fmt.Sprint(w)})
			}
			b := makeBatch(mem, rows)
			defer b.Release()
			if _, err := Write(ctx, store, ss, spec, []arrow.RecordBatch{b}); err != nil {
				errc <- err
			}
		}()
	}
	wg.Wait()
	close(errc)
	for err := range errc {
		t.Fatal(err)
	}
	st, err := statestore.New(store, statestore.Options{}).Snapshot(ctx, "t1")
	if err != nil {
		t.Fatal(err)
	}
	var total int64
	for _, f := range st.Files() {
		total += f.Rows
	}
	if total != writers*perWriter {
		t.Errorf("%d rows committed, want %d", total, writers*perWriter)
	}
	if len(st.Files()) != writers*4 {
		t.Errorf("%d files, want %d", len(st.Files()), writers*4)
	}
}

func BenchmarkWrite1M(b *testing.B) {
	mem := memory.NewGoAllocator()
	const n = 1_000_000
	rng := rand.New(rand.NewPCG(3, 4))
	var rows []row
	for i := range n {
		rows = append(rows, row{k: rng.Int64N(1 << 40), s: rng.Float64(), v: fmt.Sprintf("value-%d", i%1000)})
	}
	batch := makeBatch(mem, rows)
	defer batch.Release()
	b.ReportAllocs()
	b.SetBytes(0)
	for b.Loop() {
		store := objstore.NewMem()
		ss, spec := setup(b, store, 1<<38, 1<<39, 3<<38)
		spec.Props = parquet.DefaultProperties()
		if _, err := Write(context.Background(), store, ss, spec, []arrow.RecordBatch{batch}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
}
