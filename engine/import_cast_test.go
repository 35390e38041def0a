package engine

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	pqfile "github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"

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
	var buf bytes.Buffer
	w, err := pqarrow.NewFileWriter(b.Schema(), &buf, pqfile.NewWriterProperties(), pqarrow.NewArrowWriterProperties())
	if err != nil {
		return false
	}
	if err := w.Write(b); err != nil {
		w.Close()
		return false
	}
	if err := w.Close(); err != nil {
		return false
	}
	return os.WriteFile(name, buf.Bytes(), 0o644) == nil
}
