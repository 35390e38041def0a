package parquet

import (
	"bytes"
	"context"
	"errors"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/memory"
)

// TestReadSchemaReused reads a file with the same and with different columns, more sets of
// columns than the file keeps schemas for: Reads of the same columns share one schema, every
// Read's batches have the schema and values of the columns it asked for, nil (all columns)
// and an empty list (none) stay apart, and a column out of range is still an error.
func TestReadSchemaReused(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	const rows = 500
	data, _ := writeFile(t, mem, testSchema, Properties{RowGroupRows: 200}, rows, 150)
	f, err := Open(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	sets := [][]int{nil, {}, {0}, {1, 0}, {12, 6}, {2}, {3, 4, 5}, {6, 1}}
	first := map[int]*Reader{}
	for round := range 3 {
		for i, cols := range sets {
			r, err := f.Read(ctx, ReadOptions{Columns: cols, Alloc: mem})
			if err != nil {
				t.Fatal(err)
			}
			want := len(cols)
			if cols == nil {
				want = len(testSchema.Fields())
			}
			if got := r.Schema().NumFields(); got != want {
				t.Fatalf("columns %v: schema of %d fields, want %d", cols, got, want)
			}
			for j, c := range cols {
				if got, exp := r.Schema().Field(j).Name, testSchema.Field(c).Name; got != exp {
					t.Fatalf("columns %v: field %d is %q, want %q", cols, j, got, exp)
				}
			}
			if len(cols) > 0 {
				checkRead(t, r, func(n int) int { return n }, rows)
			}
			if round == 0 {
				first[i] = r
			} else if i == 2 && r.Schema() == first[3].Schema() {
				t.Fatalf("columns %v and %v share a schema", sets[2], sets[3])
			}
			r.Close()
		}
	}
	// Reads of one set of columns in a row share their schema.
	a, err := f.Read(ctx, ReadOptions{Columns: []int{1, 0}, Alloc: mem})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	b, err := f.Read(ctx, ReadOptions{Columns: []int{1, 0}, Alloc: mem})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if a.Schema() != b.Schema() {
		t.Fatal("two Reads of the same columns built two schemas")
	}
	if _, err := f.Read(ctx, ReadOptions{Columns: []int{0, len(testSchema.Fields())}}); !errors.Is(err, ErrInvalidProperties) {
		t.Fatalf("column out of range: %v, want ErrInvalidProperties", err)
	}
}
