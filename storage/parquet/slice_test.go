package parquet

import (
	"bytes"
	"context"
	"fmt"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// A slice of a batch, whose string and binary offsets do not start at 0, is written as the
// rows of the slice.
func TestWriteSlicedBatch(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "s", Type: arrow.BinaryTypes.String, Nullable: true},
		{Name: "b", Type: arrow.BinaryTypes.Binary},
	}, nil)
	rb := array.NewRecordBuilder(mem, schema)
	defer rb.Release()
	for i := range 20 {
		if i%3 == 0 {
			rb.Field(0).AppendNull()
		} else {
			rb.Field(0).(*array.StringBuilder).Append(fmt.Sprintf("s%d", i))
		}
		rb.Field(1).(*array.BinaryBuilder).Append([]byte(fmt.Sprintf("bin-%d", i)))
	}
	full := rb.NewRecordBatch()
	defer full.Release()
	slice := full.NewSlice(7, 15)
	defer slice.Release()

	var buf bytes.Buffer
	w, err := NewWriter(&buf, schema, Properties{})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Write(slice); err != nil {
		t.Fatal(err)
	}
	if _, err := w.Close(); err != nil {
		t.Fatal(err)
	}
	f, err := Open(bytes.NewReader(buf.Bytes()), int64(buf.Len()))
	if err != nil {
		t.Fatal(err)
	}
	r, err := f.Read(context.Background(), ReadOptions{Alloc: mem})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	got, err := r.Next(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer got.Release()
	for c := range 2 {
		for i := range int(slice.NumRows()) {
			if g, w := got.Column(c).ValueStr(i), slice.Column(c).ValueStr(i); g != w {
				t.Errorf("column %d row %d: %q, want %q", c, i, g, w)
			}
		}
	}
}
