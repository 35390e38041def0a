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
