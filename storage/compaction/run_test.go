package compaction

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/sleeperd/sleeperd/exec"
	"github.com/sleeperd/sleeperd/storage/ingest"
	"github.com/sleeperd/sleeperd/storage/merge"
	"github.com/sleeperd/sleeperd/storage/objstore"
	"github.com/sleeperd/sleeperd/storage/parquet"
	"github.com/sleeperd/sleeperd/storage/sketch"
	"github.com/sleeperd/sleeperd/storage/statestore"
)

// Table of the runner tests: k int64 row key, s int64 sort key, v int64 nullable value.
var runSchema = arrow.NewSchema([]arrow.Field{
	{Name: "k", Type: arrow.PrimitiveTypes.Int64},
	{Name: "s", Type: arrow.PrimitiveTypes.Int64},
	{Name: "v", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
}, nil)

// vrow is a row with its version and tombstone flag.
type vrow struct {
	k, s, v int64
	version int64
	deleted bool
}

func rowBatch(mem memory.Allocator, rows []vrow, tomb bool) arrow.RecordBatch {
	schema := runSchema
	if tomb {
		schema = arrow.NewSchema(append(slices.Clone(runSchema.Fields()), arrow.Field{Name: merge.DeletedColumn, Type: arrow.FixedWidthTypes.Boolean, Nullable: true}), nil)
	}
	b := array.NewRecordBuilder(mem, schema)
	defer b.Release()
	for _, r := range rows {
		b.Field(0).(*array.Int64Builder).Append(r.k)
		b.Field(1).(*array.Int64Builder).Append(r.s)
		b.Field(2).(*array.Int64Builder).Append(r.v)
		if tomb {
			b.Field(3).(*array.BooleanBuilder).Append(r.deleted)
		}
	}
	return b.NewRecordBatch()
}

// fixture is a table "t" in a Mem store with ingested files.
type fixture struct {
	store  objstore.Store
	states *statestore.Store
	spec   ingest.Spec
	rows   []vrow // every row ingested, with its version
	mem    memory.Allocator
}

func newFixture(t testing.TB, mem memory.Allocator, splits ...int64) *fixture {
	t.Helper()
	store := objstore.NewMem()
	ss := statestore.New(store, statestore.Options{})
	var sp [][]byte
	for _, s := range splits {
		sp = append(sp, ikey(s))
	}
	if _, err := ss.Create(context.Background(), "t", statestore.InitialisePartitions{SplitPoints: sp}); err != nil {
		t.Fatal(err)
	}
	spec := ingest.Spec{
		Table: "t", Schema: runSchema, RowKeys: []int{0}, SortKeys: []int{1},
		Props: parquet.Properties{RowGroupRows: 1000}, FilePrefix: "tables/t/files/", Alloc: mem,
	}
	return &fixture{store: store, states: ss, spec: spec, mem: mem}
}

// ingest writes rows as one commit; their version is the commit's txn.
func (f *fixture) ingest(t testing.TB, rows []vrow, tomb bool) {
	t.Helper()
	ctx := context.Background()
	spec := f.spec
	if tomb {
		spec.Schema = arrow.NewSchema(append(slices.Clone(runSchema.Fields()), arrow.Field{Name: merge.DeletedColumn, Type: arrow.FixedWidthTypes.Boolean, Nullable: true}), nil)
	}
	b := rowBatch(f.mem, rows, tomb)
	defer b.Release()
	if _, err := ingest.Write(ctx, f.store, f.states, spec, []arrow.RecordBatch{b}); err != nil {
		t.Fatal(err)
	}
	st, err := f.states.Snapshot(ctx, "t")
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rows {
		r.version = int64(st.TxnNumber())
		f.rows = append(f.rows, r)
	}
}

func (f *fixture) env() Env {
	return Env{
		Store:  f.store,
		States: f.states,
		Table:  TableSpec{ID: "t", Schema: runSchema, RowKeys: []int{0}, SortKeys: []int{1}, Props: parquet.Properties{RowGroupRows: 1000}, FilePrefix: "tables/t/files/"},
		Alloc:  f.mem,
	}
}

func (f *fixture) state(t testing.TB) *statestore.State {
	t.Helper()
	st, err := f.states.Snapshot(context.Background(), "t")
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// readLeaf returns every row a read of the leaf sees, through the same iterator stack, in
// merge order.
func (f *fixture) readLeaf(t testing.TB, st *statestore.State, leafID string, opts merge.Options) []vrow {
	t.Helper()
	ctx := exec.WithAllocator(context.Background(), f.mem)
	leaf, _ := st.Partition(leafID)
	rspec := merge.ReadSpec{Schema: runSchema, Columns: []int{0, 1, 2}, RowKeys: []int{0}, Range: leaf.Range, Alloc: f.mem}
	var inputs []exec.Stream
	for _, r := range st.ReadFiles(leafID) {
		file, _ := st.File(r.File)
		s, err := merge.ReadFile(ctx, merge.FileSource{Store: f.store, Name: file.Name, Size: file.Bytes, AddedTxn: file.AddedTxn}, rspec)
		if err != nil {
			t.Fatal(err)
		}
		inputs = append(inputs, s)
	}
	if len(inputs) == 0 {
		return nil
	}
	schema := merge.ReadSchema(rspec)
	m, err := merge.Merge(inputs, merge.Spec{Schema: schema, RowKeys: []int{0}, SortKeys: []int{1}, VersionCol: 3, Alloc: f.mem})
	if err != nil {
		t.Fatal(err)
	}
	opts.RowKeys, opts.SortKeys, opts.VersionCol, opts.DeletedCol, opts.Alloc = []int{0}, []int{1}, 3, 4, f.mem
	s, err := merge.Apply(m, schema, opts)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var out []vrow
	for {
		b, err := s.Next(ctx)
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		k, sk, v, ver := b.Column(0).(*array.Int64), b.Column(1).(*array.Int64), b.Column(2).(*array.Int64), b.Column(3).(*array.Int64)
		del := b.Column(4).(*array.Boolean)
		for i := range int(b.NumRows()) {
			out = append(out, vrow{k: k.Value(i), s: sk.Value(i), v: v.Value(i), version: ver.Value(i), deleted: del.IsValid(i) && del.Value(i)})
		}
		b.Release()
	}
	return out
}

// readAll reads every leaf.
func (f *fixture) readAll(t testing.TB, opts merge.Options) []vrow {
	st := f.state(t)
	var out []vrow
	for _, l := range st.Leaves() {
		out = append(out, f.readLeaf(t, st, l.ID, opts)...)
	}
	return out
}

func randomRows(r *rand.Rand, n int, keySpan int64) []vrow {
	rows := make([]vrow, n)
	for i := range rows {
		rows[i] = vrow{k: r.Int64N(keySpan), s: r.Int64N(3), v: r.Int64N(1000)}
	}
	return rows
}

func sortRows(rows []vrow) {
	slices.SortStableFunc(rows, func(a, b vrow) int {
		return cmp.Or(cmp.Compare(a.k, b.k), cmp.Compare(a.s, b.s), cmp.Compare(a.version, b.version))
	})
}

func equalRows(t *testing.T, what string, got, want []vrow) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d rows, want %d", what, len(got), len(want))
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("%s: row %d is %+v, want %+v", what, i, got[i], want[i])
		}
	}
}

// lessThan returns the predicate "v < c" over the read schema.
func lessThan(t *testing.T, c int64) exec.Expr {
	col, err := exec.NewColumn(2, arrow.PrimitiveTypes.Int64, "v")
	if err != nil {
		t.Fatal(err)
	}
	lit, err := exec.NewLiteral(c, arrow.PrimitiveTypes.Int64)
	if err != nil {
		t.Fatal(err)
	}
	e, err := exec.NewBinary(exec.Lt, col, lit)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func TestRunCompactsLeaf(t *testing.T) {
	type modeT struct {
		name string
		// opts builds the iterator stack from the deletes of a state.
		opts  func(t *testing.T, st *statestore.State) merge.Options
		model func(rows []vrow, deletes []statestore.DeletePredicate) []vrow
		del   bool // commit a delete predicate "v < 300" midway
	}
	deletesOf := func(t *testing.T, st *statestore.State) []merge.Delete {
		var out []merge.Delete
		for _, d := range st.DeletePredicates() {
			out = append(out, merge.Delete{Txn: int64(d.Txn), Pred: lessThan(t, 300)})
		}
		return out
	}
	applyDeletes := func(rows []vrow, deletes []statestore.DeletePredicate) []vrow {
		var out []vrow
		for _, r := range rows {
			gone := false
			for _, d := range deletes {
				gone = gone || (r.version < int64(d.Txn) && r.v < 300)
			}
			if !gone {
				out = append(out, r)
			}
		}
		return out
	}
	// groups returns the rows grouped by (k, s), in order.
	groups := func(rows []vrow) [][]vrow {
		var out [][]vrow
		for i, r := range rows {
			if i == 0 || r.k != rows[i-1].k || r.s != rows[i-1].s {
				out = append(out, nil)
			}
			out[len(out)-1] = append(out[len(out)-1], r)
		}
		return out
	}
	for _, mode := range []modeT{
		{name: "plain",
			opts:  func(*testing.T, *statestore.State) merge.Options { return merge.Options{} },
			model: func(rows []vrow, _ []statestore.DeletePredicate) []vrow { return rows }},
		{name: "deletes", del: true,
			opts: func(t *testing.T, st *statestore.State) merge.Options {
				return merge.Options{Deletes: deletesOf(t, st)}
			},
			model: applyDeletes},
		{name: "last write wins", del: true,
			opts: func(t *testing.T, st *statestore.State) merge.Options {
				return merge.Options{Deletes: deletesOf(t, st), LastWriteWins: true}
			},
			model: func(rows []vrow, dels []statestore.DeletePredicate) []vrow {
				var out []vrow
				for _, g := range groups(applyDeletes(rows, dels)) {
					out = append(out, g[len(g)-1])
				}
				return out
			}},
		{name: "sum",
			opts: func(*testing.T, *statestore.State) merge.Options {
				return merge.Options{Aggregations: []merge.Aggregation{{Column: 2, Func: merge.Sum}}}
			},
			model: func(rows []vrow, _ []statestore.DeletePredicate) []vrow {
				var out []vrow
				for _, g := range groups(rows) {
					r := g[len(g)-1]
					r.v = 0
					for _, x := range g {
						r.v += x.v
					}
					out = append(out, r)
				}
				return out
			}},
	} {
		for _, readAhead := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/read_ahead=%v", mode.name, readAhead), func(t *testing.T) {
				mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
				defer mem.AssertSize(t, 0)
				ctx := context.Background()
				f := newFixture(t, mem)
				r := rand.New(rand.NewPCG(7, 8))
				for i := range 5 {
					if mode.del && i == 3 {
						if _, err := f.states.Commit(ctx, "t", statestore.AddDeletePredicate{ID: "d1", Predicate: []byte("v < 300")}); err != nil {
							t.Fatal(err)
						}
					}
					// Inputs of several batches each (the merge reads each one ahead on a
					// goroutine of its own), four over the same keys and the last above them.
					rows := randomRows(r, 12000+i*1000, 2000)
					if i == 4 {
						for j := range rows {
							rows[j].k += 1_000_000
						}
					}
					f.ingest(t, rows, false)
				}
				before := f.state(t)
				opts := mode.opts(t, before)
				sortRows(f.rows)
				want := mode.model(f.rows, before.DeletePredicates())
				// Reads give the model's rows before compaction...
				equalRows(t, "before", f.readAll(t, opts), want)

				jobs := Plan(before, Config{})
				if len(jobs) != 1 || len(jobs[0].Files) != 5 || !jobs[0].Full {
					t.Fatalf("jobs %q", describe(jobs))
				}
				env := f.env()
				env.Iterators = func(st *statestore.State, full bool) (merge.Options, error) { return mode.opts(t, st), nil }
				env.ReadAhead = readAhead
				res, err := Run(ctx, env, jobs[0])
				if err != nil {
					t.Fatal(err)
				}
				after := res.State
				refs := after.References(statestore.RootID)
				if len(refs) != 1 || res.Output == nil || refs[0].File != res.Output.Name || !refs[0].Exact || refs[0].Rows != int64(len(want)) {
					t.Fatalf("after compaction: %v", after)
				}
				if res.RowsRead != int64(len(f.rows)) || res.RowsWritten != int64(len(want)) {
					t.Fatalf("read %d written %d, want %d and %d", res.RowsRead, res.RowsWritten, len(f.rows), len(want))
				}
				if len(after.UnreferencedFiles()) != 5 {
					t.Fatalf("%d unreferenced files, want the 5 inputs", len(after.UnreferencedFiles()))
				}
				if mode.del {
					if got := after.RetirableDeletePredicates(); !slices.Equal(got, []string{"d1"}) {
						t.Fatalf("retirable deletes %q", got)
					}
				}
				// ...and after: the output holds the stack applied, and reading it again changes
				// nothing.
				got := f.readAll(t, merge.Options{})
				equalRows(t, "output", got, want)
				equalRows(t, "after", f.readAll(t, opts), want)
				sk, err := sketch.Load(ctx, f.store, res.Output.Name, res.Output.Bytes)
				if err != nil || sk.Rows() != int64(len(want)) {
					t.Fatalf("sketch: %v, %v", sk, err)
				}
				if !slices.Equal(res.Output.MinKey, ikey(want[0].k)) || !slices.Equal(res.Output.MaxKey, ikey(want[len(want)-1].k)) {
					t.Fatalf("output key range [%x, %x]", res.Output.MinKey, res.Output.MaxKey)
				}
			})
		}
	}
}

// TestRunTombstones compacts a last-write-wins table with tombstones: a partial job keeps
// them (in the _deleted column), a full job drops them.
func TestRunTombstones(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	ctx := context.Background()
	f := newFixture(t, mem)
	f.ingest(t, []vrow{{k: 1, v: 10}, {k: 2, v: 20}, {k: 3, v: 30}}, false)
	f.ingest(t, []vrow{{k: 2, deleted: true}}, true)
	f.ingest(t, []vrow{{k: 3, v: 31}}, false)
	f.ingest(t, []vrow{{k: 4, v: 40}}, false)
	env := f.env()
	env.Iterators = func(st *statestore.State, full bool) (merge.Options, error) {
		return merge.Options{LastWriteWins: true, DropTombstones: true}, nil
	}
	st := f.state(t)
	refs := st.References(statestore.RootID)
	// Partial job over everything but the newest file: keeps the tombstone.
	var partial []string
	for _, r := range refs {
		if file, _ := st.File(r.File); file.AddedTxn != st.TxnNumber() {
			partial = append(partial, r.File)
		}
	}
	if _, err := Run(ctx, env, Job{ID: "partial", PartitionID: statestore.RootID, Files: partial}); err != nil {
		t.Fatal(err)
	}
	read := f.readAll(t, merge.Options{})
	if len(read) != 4 || !read[1].deleted || read[1].k != 2 {
		t.Fatalf("after the partial job: %+v", read)
	}
	if got := f.readAll(t, merge.Options{LastWriteWins: true, DropTombstones: true}); len(got) != 3 {
		t.Fatalf("read through the stack: %+v", got)
	}
	jobs, _ := PlanFull(f.state(t), true)
	if len(jobs) != 1 || len(jobs[0].Files) != 2 {
		t.Fatalf("full jobs %q", describe(jobs))
	}
	res, err := Run(ctx, env, jobs[0])
	if err != nil {
		t.Fatal(err)
	}
	read = f.readAll(t, merge.Options{})
	want := []vrow{{k: 1, v: 10, version: 2}, {k: 3, v: 31, version: 4}, {k: 4, v: 40, version: 5}}
	equalRows(t, "after the full job", read, want)
	if !IsFullOutput(res.Output.Name) {
		t.Fatalf("output %s not named full", res.Output.Name)
	}
	if jobs, _ := PlanFull(res.State, true); len(jobs) != 0 {
		t.Fatalf("full jobs after a full compaction: %q", describe(jobs))
	}
}

// TestRunClipsToPartition compacts a leaf whose files were pushed down from its parent.
func TestRunClipsToPartition(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	ctx := context.Background()
	f := newFixture(t, mem)
	r := rand.New(rand.NewPCG(9, 10))
	for range 4 {
		f.ingest(t, randomRows(r, 2000, 1000), false)
	}
	if _, err := f.states.Commit(ctx, "t", statestore.SplitPartition{ParentID: statestore.RootID, LeftID: "L", RightID: "R", SplitKey: ikey(500)}); err != nil {
		t.Fatal(err)
	}
	// Nothing to plan in the leaves until the references are pushed down.
	if jobs := Plan(f.state(t), Config{}); len(jobs) != 0 {
		t.Fatalf("jobs before push down: %q", describe(jobs))
	}
	n, err := PushDownAll(ctx, f.states, "t")
	if err != nil || n != 4 {
		t.Fatalf("pushed %d, %v", n, err)
	}
	jobs := Plan(f.state(t), Config{})
	if len(jobs) != 2 {
		t.Fatalf("jobs %q", describe(jobs))
	}
	for _, j := range jobs {
		if _, err := Run(ctx, f.env(), j); err != nil {
			t.Fatal(err)
		}
	}
	st := f.state(t)
	for _, id := range []string{"L", "R"} {
		refs := st.References(id)
		if len(refs) != 1 || !refs[0].Exact {
			t.Fatalf("%s: %v", id, st)
		}
	}
	sortRows(f.rows)
	equalRows(t, "after", f.readAll(t, merge.Options{}), f.rows)
}

func TestRunEmptyOutput(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	ctx := context.Background()
	f := newFixture(t, mem)
	f.ingest(t, []vrow{{k: 1, v: 1}, {k: 2, v: 2}}, false)
	f.ingest(t, []vrow{{k: 3, v: 3}}, false)
	if _, err := f.states.Commit(ctx, "t", statestore.AddDeletePredicate{ID: "all", Predicate: []byte("v < 300")}); err != nil {
		t.Fatal(err)
	}
	env := f.env()
	env.Iterators = func(st *statestore.State, full bool) (merge.Options, error) {
		return merge.Options{Deletes: []merge.Delete{{Txn: int64(st.DeletePredicates()[0].Txn), Pred: lessThan(t, 300)}}}, nil
	}
	jobs, _ := PlanFull(f.state(t), false)
	if len(jobs) != 1 {
		t.Fatalf("jobs %q", describe(jobs))
	}
	res, err := Run(ctx, env, jobs[0])
	if err != nil {
		t.Fatal(err)
	}
	if res.Output != nil || len(res.State.References(statestore.RootID)) != 0 {
		t.Fatalf("output %v, state %v", res.Output, res.State)
	}
	names, _ := f.store.List(ctx, "tables/t/files/c-")
	if len(names) != 0 {
		t.Fatalf("objects left: %q", names)
	}
}

// TestRunConcurrent: two runners on separate state stores over one object store run the
// same job; exactly one commits, the other gives up with ErrJobTaken.
func TestRunConcurrent(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	ctx := context.Background()
	f := newFixture(t, mem)
	r := rand.New(rand.NewPCG(11, 12))
	for range 4 {
		f.ingest(t, randomRows(r, 1000, 500), false)
	}
	for round := range 5 {
		jobs, _ := PlanFull(f.state(t), false)
		if len(jobs) != 1 {
			t.Fatalf("round %d: jobs %q", round, describe(jobs))
		}
		var wg sync.WaitGroup
		errs := make([]error, 2)
		for i := range 2 {
			env := f.env()
			env.States = statestore.New(f.store, statestore.Options{})
			// Each runner plans on its own: same files, its own job ID.
			job := jobs[0]
			job.ID = fmt.Sprintf("%s-%d", job.ID, i)
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, errs[i] = Run(ctx, env, job)
			}()
		}
		wg.Wait()
		ok := 0
		for _, err := range errs {
			switch {
			case err == nil:
				ok++
			case !errors.Is(err, ErrJobTaken):
				t.Fatalf("round %d: %v", round, err)
			}
		}
		if ok != 1 {
			t.Fatalf("round %d: %d runners committed", round, ok)
		}
		// The next round: add a file so there is something to compact again.
		f.ingest(t, randomRows(r, 1000, 500), false)
	}
	sortRows(f.rows)
	equalRows(t, "after", f.readAll(t, merge.Options{}), f.rows)
	names, _ := f.store.List(ctx, "tables/t/files/")
	if st := f.state(t); len(names) != len(st.Files()) {
		t.Fatalf("%d objects, %d files in the state: a loser left its output", len(names), len(st.Files()))
	}
}
