package engine

import (
	"fmt"
	"path/filepath"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/sleeperd/sleeperd/errs"
	"github.com/sleeperd/sleeperd/internal/arrowgen"
	"github.com/sleeperd/sleeperd/storage/objstore"
)

// TestCopyParquetEveryTypeIntoEveryColumnType writes, with arrow-go, Parquet files of a
// column of every Arrow type it writes (flat, in a list and in a struct) and copies each
// into tables whose column is of each SQL type: every COPY loads its rows or fails with
// the SQLSTATE of a SQL error (never XX000), and the tables count the rows of the copies
// that loaded.
func TestCopyParquetEveryTypeIntoEveryColumnType(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	_, c := open(t, objstore.NewMem(), mem)
	dir := t.TempDir()
	run(t, c, "CREATE TYPE one AS (a bigint)")
	cols := []string{"boolean", "smallint", "integer", "bigint", "real", "double precision", "numeric",
		"numeric(10,2)", "text", "varchar(3)", "bytea", "date", "timestamp", "timestamptz", "interval",
		"time", "uuid", "jsonb", "bigint[]", "text[]", "uuid[]", "one", "one[]"}
	for i, col := range cols {
		run(t, c, fmt.Sprintf("CREATE TABLE t%d (c %s)", i, col))
	}
	rows := make([]int, len(cols))
	gomem := memory.NewGoAllocator()
	files := 0
	for _, leaf := range arrowgen.Leaves() {
		for _, k := range []int{0, 1, 4} { // flat, list, struct
			src := arrowgen.Nest(leaf, k)
			a := arrowgen.Array(gomem, src, 9)
			b := array.NewRecordBatch(arrow.NewSchema([]arrow.Field{{Name: "c", Type: src, Nullable: true}}, nil), []arrow.Array{a}, int64(a.Len()))
			a.Release()
			name := filepath.Join(dir, fmt.Sprintf("f%d.parquet", files))
			files++
			if !tryWritePqarrow(name, b) {
				b.Release()
				continue // a type arrow-go does not write to Parquet
			}
			b.Release()
			for i, col := range cols {
				_, _, err := tryRun(c, fmt.Sprintf("COPY t%d FROM '%s' (FORMAT parquet)", i, name))
				if err != nil {
					if st := errs.SQLState(err); st == "XX000" || st == "" {
						t.Errorf("%s into %s: %s %v", src, col, st, err)
					}
					continue
				}
				rows[i] += 9
			}
		}
	}
	for i, col := range cols {
		r, _ := run(t, c, fmt.Sprintf("SELECT count(*) FROM t%d", i))
		if fmt.Sprint(r[0][0]) != fmt.Sprint(rows[i]) {
			t.Errorf("%s: %v rows, want %d", col, r, rows[i])
		}
	}
}

// tryWritePqarrow writes b to a Parquet file with arrow-go, reporting whether arrow-go
// could write its types.
func tryWritePqarrow(name string, b arrow.RecordBatch) bool {
	return arrowgen.WriteParquet(name, b, nil) == nil
}

// TestCopyParquetTextIntoJSON copies Parquet text columns (string and large_string) into
// json and jsonb columns: text that is not JSON fails with 22P02, as PostgreSQL's input
// functions fail, and jsonb values are stored normalised.
func TestCopyParquetTextIntoJSON(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	_, c := open(t, objstore.NewMem(), mem)
	dir := t.TempDir()
	run(t, c, "CREATE TABLE j (k int, a json, b jsonb) WITH (row_keys = 'k')")
	gomem := memory.NewGoAllocator()
	for i, tt := range []arrow.DataType{arrow.BinaryTypes.String, arrow.BinaryTypes.LargeString} {
		write := func(name string, vals ...string) string {
			schema := arrow.NewSchema([]arrow.Field{{Name: "k", Type: arrow.PrimitiveTypes.Int32},
				{Name: "a", Type: tt, Nullable: true}, {Name: "b", Type: tt, Nullable: true}}, nil)
			rb := array.NewRecordBuilder(gomem, schema)
			defer rb.Release()
			for r, v := range vals {
				rb.Field(0).(*array.Int32Builder).Append(int32(i*10 + r))
				for f := 1; f <= 2; f++ {
					if err := rb.Field(f).AppendValueFromString(v); err != nil {
						t.Fatal(err)
					}
				}
			}
			b := rb.NewRecordBatch()
			defer b.Release()
			path := filepath.Join(dir, fmt.Sprintf("%s%d.parquet", name, i))
			if !tryWritePqarrow(path, b) {
				t.Fatalf("writing %s", path)
			}
			return path
		}
		bad := write("bad", `{"a": 1}`, "not json")
		if _, _, err := tryRun(c, fmt.Sprintf("COPY j FROM '%s' (FORMAT parquet)", bad)); errs.SQLState(err) != "22P02" {
			t.Errorf("%s: text that is not JSON: %v", tt, err)
		}
		good := write("good", `{"b": 1,  "a": [1, 2]}`)
		run(t, c, fmt.Sprintf("COPY j FROM '%s' (FORMAT parquet)", good))
	}
	rows, _ := run(t, c, "SELECT k, a::text, b::text FROM j ORDER BY k")
	want := [][]string{{"0", `{"b": 1,  "a": [1, 2]}`, `{"a": [1, 2], "b": 1}`}, {"10", `{"b": 1,  "a": [1, 2]}`, `{"a": [1, 2], "b": 1}`}}
	if fmt.Sprint(rows) != fmt.Sprint(want) {
		t.Errorf("rows %v, want %v", rows, want)
	}
}
