package engine

import (
	"fmt"
	"path/filepath"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/sleeperd/sleeperd/errs"
	"github.com/sleeperd/sleeperd/storage/objstore"
)

// TestImportParquetLists imports list columns written by arrow-go's pqarrow (without the
// Arrow schema: the LIST groups are mapped) into array columns, with element types cast as
// for flat columns, then exports the table to Parquet and imports that into another table.
func TestImportParquetLists(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	_, c := open(t, objstore.NewMem(), mem)
	run(t, c, "CREATE TABLE l (k bigint, tags text[], nums bigint[], fs double precision[]) WITH (row_keys = 'k')")
	dir := t.TempDir()
	rb := array.NewRecordBuilder(memory.NewGoAllocator(), arrow.NewSchema([]arrow.Field{
		{Name: "k", Type: arrow.PrimitiveTypes.Int32},
		{Name: "tags", Type: arrow.ListOf(arrow.BinaryTypes.String), Nullable: true},
		{Name: "nums", Type: arrow.ListOf(arrow.PrimitiveTypes.Int32), Nullable: true},
		{Name: "fs", Type: arrow.ListOfNonNullable(arrow.PrimitiveTypes.Float64), Nullable: true},
	}, nil))
	for k := range 4 {
		rb.Field(0).(*array.Int32Builder).Append(int32(k))
		for f := 1; f < 4; f++ {
			lb := rb.Field(f).(*array.ListBuilder)
			switch k {
			case 0:
				lb.AppendNull()
				continue
			case 1:
				lb.AppendEmptyValue()
				continue
			}
			lb.Append(true)
			switch vb := lb.ValueBuilder().(type) {
			case *array.StringBuilder:
				vb.AppendValues([]string{"a", "b,c", ""}, []bool{true, true, k == 3})
			case *array.Int32Builder:
				vb.AppendValues([]int32{int32(k), -7}, []bool{true, k == 2})
			case *array.Float64Builder:
				vb.AppendValues([]float64{0.5, float64(k)}, nil)
			}
		}
	}
	b := rb.NewRecordBatch()
	rb.Release()
	writePqarrow(t, filepath.Join(dir, "lists.parquet"), b)
	b.Release()
	if _, tag := run(t, c, fmt.Sprintf("COPY l FROM '%s' (FORMAT parquet)", filepath.Join(dir, "lists.parquet"))); tag != "COPY 4" {
		t.Errorf("tag %q", tag)
	}
	const want = `[[0 (null) (null) (null)] [1 [] [] []] [2 ["a","b,c",null] [2,-7] [0.5,2]] [3 ["a","b,c",""] [3,null] [0.5,3]]]`
	rows, _ := run(t, c, "SELECT k, tags, nums, fs FROM l ORDER BY k")
	if got := fmt.Sprint(rows); got != want {
		t.Errorf("rows %s\nwant %s", got, want)
	}

	out := filepath.Join(dir, "out")
	run(t, c, fmt.Sprintf("COPY l TO '%s' (FORMAT parquet)", out))
	run(t, c, "CREATE TABLE l2 (k bigint, tags text[], nums bigint[], fs double precision[]) WITH (row_keys = 'k')")
	run(t, c, fmt.Sprintf("COPY l2 FROM '%s' (FORMAT parquet)", out))
	rows, _ = run(t, c, "SELECT k, tags, nums, fs FROM l2 ORDER BY k")
	if got := fmt.Sprint(rows); got != want {
		t.Errorf("exported and imported: rows %s\nwant %s", got, want)
	}

	// A list where the table has a flat column, and the other way round, cannot be cast.
	run(t, c, "CREATE TABLE flat (k bigint, tags text, nums bigint, fs float8) WITH (row_keys = 'k')")
	importErr(t, c, fmt.Sprintf("COPY flat FROM '%s' (FORMAT parquet)", filepath.Join(dir, "lists.parquet")), errs.CannotCoerce)
}

// TestReadParquet reads Parquet files written by arrow-go's pqarrow with read_parquet in
// FROM, creates a keyed table from them with CREATE TABLE ... AS, and refuses what it
// cannot read.
func TestReadParquet(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	_, c := open(t, objstore.NewMem(), mem)
	dir := t.TempDir()
	rb := array.NewRecordBuilder(memory.NewGoAllocator(), arrow.NewSchema([]arrow.Field{
		{Name: "k", Type: arrow.PrimitiveTypes.Int16},
		{Name: "name", Type: arrow.BinaryTypes.String, Nullable: true},
		{Name: "nums", Type: arrow.ListOf(arrow.PrimitiveTypes.Int8), Nullable: true},
	}, nil))
	for k := range 3 {
		rb.Field(0).(*array.Int16Builder).Append(int16(10 - k))
		rb.Field(1).(*array.StringBuilder).AppendValues([]string{fmt.Sprintf("n%d", k)}, []bool{k != 1})
		lb := rb.Field(2).(*array.ListBuilder)
		switch k {
		case 0:
			lb.Append(true)
			lb.ValueBuilder().(*array.Int8Builder).AppendValues([]int8{-1, 0, 1}, []bool{true, false, true})
		case 1:
			lb.AppendEmptyValue()
		default:
			lb.AppendNull()
		}
	}
	b := rb.NewRecordBatch()
	rb.Release()
	writePqarrow(t, filepath.Join(dir, "a.parquet"), b)
	writePqarrow(t, filepath.Join(dir, "b.parquet"), b)
	b.Release()
	one := filepath.Join(dir, "a.parquet")
	rows, _ := run(t, c, fmt.Sprintf("SELECT k, name, nums, cardinality(nums) FROM read_parquet('%s') ORDER BY k", one))
	if got, want := fmt.Sprint(rows), "[[8 n2 (null) (null)] [9 (null) [] 0] [10 n0 [-1,null,1] 3]]"; got != want {
		t.Errorf("rows %s, want %s", got, want)
	}
	rows, _ = run(t, c, fmt.Sprintf("SELECT count(*), sum(k) FROM read_parquet('%s/*.parquet') AS p", dir))
	if got := fmt.Sprint(rows); got != "[[6 54]]" {
		t.Errorf("two files: %s", got)
	}
	run(t, c, fmt.Sprintf("CREATE TABLE fromfile WITH (row_keys = 'k') AS SELECT k::integer AS k, name, nums FROM read_parquet('%s')", one))
	rows, _ = run(t, c, "SELECT k, name, nums FROM fromfile ORDER BY k")
	if got, want := fmt.Sprint(rows), "[[8 n2 (null)] [9 (null) []] [10 n0 [-1,null,1]]]"; got != want {
		t.Errorf("created table: %s, want %s", got, want)
	}
	rows, _ = run(t, c, "SELECT format_type(atttypid, atttypmod) FROM pg_attribute WHERE attrelid = 'fromfile'::regclass AND attnum > 0 ORDER BY attnum")
	if got, want := fmt.Sprint(rows), "[[integer] [text] [smallint[]]]"; got != want {
		t.Errorf("column types %s, want %s", got, want)
	}
	importErr(t, c, "SELECT * FROM read_parquet('relative.parquet')", errs.InvalidName)
	importErr(t, c, fmt.Sprintf("SELECT * FROM read_parquet('%s/none.parquet')", dir), errs.UndefinedFile)
}

// TestImportParquetNestedRefused refuses a struct column where the table has a flat one
// (42846), a struct holding a list included; read_parquet reads the latter as a record
// holding an array.
func TestImportParquetNestedRefused(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	_, c := open(t, objstore.NewMem(), mem)
	run(t, c, "CREATE TABLE s (k bigint, v text) WITH (row_keys = 'k')")
	dir := t.TempDir()
	for i, vt := range []arrow.DataType{
		arrow.StructOf(arrow.Field{Name: "a", Type: arrow.PrimitiveTypes.Int64}, arrow.Field{Name: "b", Type: arrow.BinaryTypes.String}),
		arrow.StructOf(arrow.Field{Name: "a", Type: arrow.ListOf(arrow.PrimitiveTypes.Int64), Nullable: true}),
	} {
		rb := array.NewRecordBuilder(memory.NewGoAllocator(), arrow.NewSchema([]arrow.Field{
			{Name: "k", Type: arrow.PrimitiveTypes.Int64},
			{Name: "v", Type: vt, Nullable: true},
		}, nil))
		rb.Field(0).(*array.Int64Builder).Append(1)
		rb.Field(1).AppendNull()
		b := rb.NewRecordBatch()
		rb.Release()
		name := filepath.Join(dir, fmt.Sprintf("s%d.parquet", i))
		writePqarrow(t, name, b)
		b.Release()
		importErr(t, c, fmt.Sprintf("COPY s FROM '%s' (FORMAT parquet)", name), errs.CannotCoerce)
		if i == 1 {
			if got := runText(t, c, fmt.Sprintf("SELECT k, v IS NULL, pg_typeof(v)::text FROM read_parquet('%s')", name)); got != "[[1 t record]]" {
				t.Errorf("read_parquet of a struct holding a list: %s", got)
			}
		}
	}
}
