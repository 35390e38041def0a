package parquet

import (
	"bytes"
	"context"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/compress"
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
			tbl := readByArrowGo(t, data, 512)
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

// TestReadArrowGoFiles reads files written by arrow-go's Parquet writer (V1 and V2 pages,
// dictionary and plain, with and without the stored Arrow schema).
func TestReadArrowGoFiles(t *testing.T) {
	tests := []struct {
		name  string
		props []parquet.WriterProperty
		store bool
	}{
		{"v1 dictionary snappy stored schema", []parquet.WriterProperty{
			parquet.WithDataPageVersion(parquet.DataPageV1), parquet.WithDictionaryDefault(true),
			parquet.WithCompression(compress.Codecs.Snappy), parquet.WithMaxRowGroupLength(700)}, true},
		{"v2 plain zstd mapped schema", []parquet.WriterProperty{
			parquet.WithDataPageVersion(parquet.DataPageV2), parquet.WithDictionaryDefault(false),
			parquet.WithCompression(compress.Codecs.Zstd), parquet.WithDataPageSize(1 << 10)}, false},
		{"v1 dictionary small pages mapped schema", []parquet.WriterProperty{
			parquet.WithDataPageVersion(parquet.DataPageV1), parquet.WithDictionaryDefault(true),
			parquet.WithDataPageSize(512), parquet.WithMaxRowGroupLength(1000)}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
			defer mem.AssertSize(t, 0)
			const rows = 2100
			var buf bytes.Buffer
			var aprops []pqarrow.WriterOption
			if tt.store {
				aprops = append(aprops, pqarrow.WithStoreSchema())
			}
			w, err := pqarrow.NewFileWriter(testSchema, &buf, parquet.NewWriterProperties(tt.props...), pqarrow.NewArrowWriterProperties(aprops...))
			if err != nil {
				t.Fatal(err)
			}
			for r := 0; r < rows; r += 700 {
				b := genBatch(t, mem, testSchema, r, 700)
				if err := w.Write(b); err != nil {
					t.Fatal(err)
				}
				b.Release()
			}
			if err := w.Close(); err != nil {
				t.Fatal(err)
			}
			f, err := Open(bytes.NewReader(buf.Bytes()), int64(buf.Len()))
			if err != nil {
				t.Fatal(err)
			}
			if !f.Schema().Equal(testSchema) {
				t.Fatalf("schema\n%s\nwant\n%s", f.Schema(), testSchema)
			}
			r, err := f.Read(context.Background(), ReadOptions{Alloc: mem, BatchRows: 500})
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			checkRead(t, r, func(n int) int { return n }, rows)
		})
	}
}
