package parquet

import (
	"bytes"
	"context"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet/file"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"
)

// TestReadByArrowGo reads files written here with arrow-go's Parquet reader and compares every
// value and the restored Arrow types.
func TestReadByArrowGo(t *testing.T) {
	for _, props := range []Properties{
		{RowGroupRows: 600, PageBytes: 2 << 10},
		{RowGroupRows: 1000, Dictionary: true, Compression: Snappy},
		{Compression: Gzip},
		{Compression: None, Dictionary: true},
	} {
		t.Run(props.Compression, func(t *testing.T) {
			mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
			defer mem.AssertSize(t, 0)
			const rows = 2500
			data, _ := writeFile(t, mem, testSchema, props, rows, 1000)
			pf, err := file.NewParquetReader(bytes.NewReader(data))
			if err != nil {
				t.Fatal(err)
			}
			defer pf.Close()
			fr, err := pqarrow.NewFileReader(pf, pqarrow.ArrowReadProperties{BatchSize: 512}, mem)
			if err != nil {
				t.Fatal(err)
			}
			tbl, err := fr.ReadTable(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			defer tbl.Release()
			if tbl.NumRows() != rows {
				t.Fatalf("rows %d", tbl.NumRows())
			}
			for i, f := range testSchema.Fields() {
				got := tbl.Schema().Field(i)
				if got.Name != f.Name || !arrow.TypeEqual(got.Type, f.Type) || got.Nullable != f.Nullable {
					t.Fatalf("field %d: %v, want %v", i, got, f)
				}
				col, err := array.Concatenate(tbl.Column(i).Data().Chunks(), mem)
				if err != nil {
					t.Fatal(err)
				}
				for r := 0; r < rows; r++ {
					if g, w := goValue(col, r), testValue(f.Name, r); !equalValues(g, w) {
						col.Release()
						t.Fatalf("column %s row %d: got %v, want %v", f.Name, r, g, w)
					}
				}
				col.Release()
			}
		})
	}
}
