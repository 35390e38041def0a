package parquet

import (
	"bytes"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// recordingWriter keeps what is written to it and the length of every write.
type recordingWriter struct {
	buf    bytes.Buffer
	writes []int
}

func (r *recordingWriter) Write(p []byte) (int, error) {
	r.writes = append(r.writes, len(p))
	return r.buf.Write(p)
}

// TestWriterGathersSmallWrites writes files of many small pages (a page index of thousands
// of entries, which the footer's encoder writes a field at a time), on the flat path and on
// parquet-go's, and checks that the output saw few writes, every one but the last at least
// outBuffer bytes, and that the file reads back.
func TestWriterGathersSmallWrites(t *testing.T) {
	flatSchema := arrow.NewSchema([]arrow.Field{
		testSchema.Field(0), testSchema.Field(1), testSchema.Field(2), testSchema.Field(6),
		testSchema.Field(8), testSchema.Field(12), testSchema.Field(13),
	}, nil)
	rows := 40_000
	if raceEnabled {
		rows = 10_000
	}
	for _, tc := range []struct {
		name   string
		schema *arrow.Schema
		flat   bool
	}{
		{"flat", flatSchema, true},
		{"parquet-go", testSchema, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
			defer mem.AssertSize(t, 0)
			props := Properties{Compression: Snappy, RowGroupRows: 10_000, PageBytes: 256, ValuePageBytes: 256}
			var out recordingWriter
			w, err := NewWriter(&out, tc.schema, props, KeyColumns(0))
			if err != nil {
				t.Fatal(err)
			}
			if (w.flat != nil) != tc.flat {
				t.Fatalf("flat path %v, want %v", w.flat != nil, tc.flat)
			}
			for r := 0; r < rows; r += 1000 {
				b := genBatch(t, mem, tc.schema, r, 1000)
				if err := w.Write(b); err != nil {
					t.Fatal(err)
				}
				b.Release()
			}
			meta, err := w.Close()
			if err != nil {
				t.Fatal(err)
			}
			data := out.buf.Bytes()
			if meta.Bytes != int64(len(data)) || meta.Rows != int64(rows) {
				t.Fatalf("meta %+v, want %d rows, %d bytes", meta, rows, len(data))
			}
			if max := len(data)/outBuffer + 1; len(out.writes) > max {
				t.Errorf("%d writes of a %d-byte file, want at most %d", len(out.writes), len(data), max)
			}
			for i, n := range out.writes[:len(out.writes)-1] {
				if n < outBuffer {
					t.Fatalf("write %d of %d holds %d bytes, want at least %d", i, len(out.writes), n, outBuffer)
				}
			}
			tbl := readByArrowGo(t, data, 4096)
			defer tbl.Release()
			if tbl.NumRows() != int64(rows) {
				t.Fatalf("arrow-go read %d rows, want %d", tbl.NumRows(), rows)
			}
			r := openRead(t, data, ReadOptions{Alloc: mem})
			defer r.Close()
			checkRead(t, r, func(n int) int { return n }, rows)
		})
	}
}
