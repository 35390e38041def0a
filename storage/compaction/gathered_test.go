package compaction

import (
	"bytes"
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/sleeperd/sleeperd/storage/ingest"
	"github.com/sleeperd/sleeperd/storage/merge"
	"github.com/sleeperd/sleeperd/storage/objstore"
	"github.com/sleeperd/sleeperd/storage/parquet"
	"github.com/sleeperd/sleeperd/storage/statestore"
)

// gatheredFields are the columns of TestRunGatheredSameFile's tables after the text row key
// and the bigint sort key: every flat type of the writer's own page writer, with NULLs, and
// a list (which takes parquet-go's path).
var gatheredFields = []arrow.Field{
	{Name: "s", Type: arrow.BinaryTypes.String, Nullable: true},
	{Name: "b", Type: arrow.BinaryTypes.Binary, Nullable: true},
	{Name: "i32", Type: arrow.PrimitiveTypes.Int32, Nullable: true},
	{Name: "i16", Type: arrow.PrimitiveTypes.Int16},
	{Name: "f64", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
	{Name: "f32", Type: arrow.PrimitiveTypes.Float32, Nullable: true},
	{Name: "ok", Type: arrow.FixedWidthTypes.Boolean, Nullable: true},
	{Name: "d", Type: &arrow.Decimal128Type{Precision: 10, Scale: 2}, Nullable: true},
	{Name: "ts", Type: arrow.FixedWidthTypes.Timestamp_us, Nullable: true},
	{Name: "day", Type: arrow.FixedWidthTypes.Date32, Nullable: true},
	{Name: "list", Type: arrow.ListOf(arrow.PrimitiveTypes.Int64), Nullable: true},
}

// gatheredBatch returns n random rows of schema: keys from a small space (so that keys repeat
// within and across files), empty strings, NULLs, NaNs.
func gatheredBatch(mem memory.Allocator, schema *arrow.Schema, r *rand.Rand, n int) arrow.RecordBatch {
	b := array.NewRecordBuilder(mem, schema)
	defer b.Release()
	str := func() string {
		return fmt.Sprintf("%s%d", "abcdefghij"[:r.IntN(10)], r.IntN(50))
	}
	for range n {
		for i, f := range schema.Fields() {
			fb := b.Field(i)
			if f.Nullable && i > 1 && r.IntN(6) == 0 {
				fb.AppendNull()
				continue
			}
			switch fb := fb.(type) {
			case *array.StringBuilder:
				if i == 0 {
					fb.Append(fmt.Sprintf("k%03d", r.IntN(300)))
				} else {
					fb.Append(str())
				}
			case *array.BinaryBuilder:
				fb.Append([]byte(str()))
			case *array.Int64Builder:
				fb.Append(r.Int64N(20) - 10)
			case *array.Int32Builder:
				fb.Append(r.Int32())
			case *array.Int16Builder:
				fb.Append(int16(r.IntN(1000)))
			case *array.Float64Builder:
				if r.IntN(20) == 0 {
					fb.Append(math.NaN())
				} else {
					fb.Append(r.NormFloat64())
				}
			case *array.Float32Builder:
				fb.Append(float32(r.NormFloat64()))
			case *array.BooleanBuilder:
				fb.Append(r.IntN(2) == 0)
			case *array.Decimal128Builder:
				fb.Append(decimal128.FromI64(r.Int64N(1e9) - 5e8))
			case *array.TimestampBuilder:
				fb.Append(arrow.Timestamp(r.Int64N(1e15)))
			case *array.Date32Builder:
				fb.Append(arrow.Date32(r.Int32N(30000)))
			case *array.ListBuilder:
				fb.Append(true)
				vb := fb.ValueBuilder().(*array.Int64Builder)
				for range r.IntN(3) {
					vb.Append(r.Int64())
				}
			default:
				panic(fmt.Sprintf("no generator for %T", fb))
			}
		}
	}
	return b.NewRecordBatch()
}

// compactOnce ingests files random files of schema into a new table, compacts them fully with
// the given iterators and returns the output object's bytes.
func compactOnce(t *testing.T, mem memory.Allocator, schema *arrow.Schema, seed uint64, files int, opts *merge.Options) []byte {
	t.Helper()
	ctx := context.Background()
	store := objstore.NewMem()
	states := statestore.New(store, statestore.Options{})
	if _, err := states.Create(ctx, "t", statestore.InitialisePartitions{}); err != nil {
		t.Fatal(err)
	}
	props := parquet.Properties{RowGroupRows: 1500, PageBytes: 512, ValuePageBytes: 2048}
	spec := ingest.Spec{Table: "t", Schema: schema, RowKeys: []int{0}, SortKeys: []int{1}, Props: props, FilePrefix: "tables/t/files/", Alloc: mem}
	r := rand.New(rand.NewPCG(seed, 7))
	for range files {
		b := gatheredBatch(mem, schema, r, 200+r.IntN(1500))
		_, err := ingest.Write(ctx, store, states, spec, []arrow.RecordBatch{b})
		b.Release()
		if err != nil {
			t.Fatal(err)
		}
	}
	st, err := states.Snapshot(ctx, "t")
	if err != nil {
		t.Fatal(err)
	}
	jobs, _ := PlanFull(st, false)
	if len(jobs) != 1 || len(jobs[0].Files) != files {
		t.Fatalf("full jobs %q", describe(jobs))
	}
	env := Env{Store: store, States: states, Alloc: mem, ReadAhead: seed%2 == 0, Table: TableSpec{
		ID: "t", Schema: schema, RowKeys: []int{0}, SortKeys: []int{1}, Props: props, FilePrefix: "tables/t/files/",
	}}
	if opts != nil {
		env.Iterators = func(*statestore.State, bool) (merge.Options, error) { return *opts, nil }
	}
	res, err := Run(ctx, env, jobs[0])
	if err != nil {
		t.Fatal(err)
	}
	if res.Output == nil {
		t.Fatal("no output")
	}
	size, err := store.Size(ctx, res.Output.Name)
	if err != nil {
		t.Fatal(err)
	}
	out := make([]byte, size)
	if err := store.ReadAt(ctx, res.Output.Name, out, 0); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestRunGatheredSameFile checks that the merge's rows written straight from the input
// batches (merge.GatheredStream into parquet.Writer.WriteRows) make the same file, byte for
// byte, as the merge's batches written one after another: over tables of text keys and
// every flat type (the writer's own pages) and with a list column (parquet-go's pages), with
// keys repeated within and across files, NULLs, NaNs and several row groups; and that a
// job with iterators (last-write-wins) is unchanged.
func TestRunGatheredSameFile(t *testing.T) {
	key := []arrow.Field{
		{Name: "key", Type: arrow.BinaryTypes.String},
		{Name: "sort", Type: arrow.PrimitiveTypes.Int64},
	}
	flat := arrow.NewSchema(append(slices.Clone(key), gatheredFields[:len(gatheredFields)-1]...), nil)
	nested := arrow.NewSchema(append(slices.Clone(key), gatheredFields...), nil)
	cases := []struct {
		name   string
		schema *arrow.Schema
		opts   *merge.Options
	}{
		{"flat", flat, nil},
		{"nested", nested, nil},
		{"last_write_wins", flat, &merge.Options{LastWriteWins: true}},
	}
	for _, c := range cases {
		for seed := range uint64(4) {
			t.Run(fmt.Sprintf("%s/%d", c.name, seed), func(t *testing.T) {
				mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
				defer mem.AssertSize(t, 0)
				files := 2 + int(seed)*3
				gatheredWrites = false
				want := compactOnce(t, mem, c.schema, seed, files, c.opts)
				gatheredWrites = true
				got := compactOnce(t, mem, c.schema, seed, files, c.opts)
				if !bytes.Equal(got, want) {
					t.Fatalf("gathered writes made a different file (%d bytes, want %d)", len(got), len(want))
				}
			})
		}
	}
}
