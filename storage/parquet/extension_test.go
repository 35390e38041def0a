package parquet

import (
	"bytes"
	"context"
	"errors"
	"io"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/sleeperd/sleeperd/types"
)

// An extension column (numeric without a type modifier) is stored as its storage type and
// read back as the extension type, its values and NULLs unchanged.
func TestExtensionColumnRoundTrip(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	schema := arrow.NewSchema([]arrow.Field{{Name: "n", Type: types.VarNumeric, Nullable: true}}, nil)
	b := array.NewBuilder(mem, types.VarNumeric)
	defer b.Release()
	sb := b.(*array.ExtensionBuilder).Builder.(*array.Decimal128Builder)
	var want []decimal128.Num
	for i := 0; i < 10; i++ {
		if i == 3 {
			sb.AppendNull()
			want = append(want, decimal128.Num{})
			continue
		}
		n, _ := types.PackNumeric(decimal128.FromI64(int64(-i*70)), int32(i%3))
		sb.Append(n)
		want = append(want, n)
	}
	col := b.NewArray()
	defer col.Release()
	rec := array.NewRecordBatch(schema, []arrow.Array{col}, int64(col.Len()))
	defer rec.Release()
	var buf bytes.Buffer
	w, err := NewWriter(&buf, schema, Properties{})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Write(rec); err != nil {
		t.Fatal(err)
	}
	if _, err := w.Close(); err != nil {
		t.Fatal(err)
	}
	f, err := Open(bytes.NewReader(buf.Bytes()), int64(buf.Len()))
	if err != nil {
		t.Fatal(err)
	}
	if !f.Schema().Equal(schema) {
		t.Fatalf("schema %s, want %s", f.Schema(), schema)
	}
	r, err := f.Read(context.Background(), ReadOptions{Alloc: mem})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	got := 0
	for {
		batch, err := r.Next(context.Background())
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		a := batch.Column(0)
		if !types.IsVarNumeric(a.DataType()) {
			t.Fatalf("read type %s", a.DataType())
		}
		vals := arrow.GetValues[decimal128.Num](a.Data(), 1)
		for i := 0; i < a.Len(); i++ {
			if (got+i == 3) != a.IsNull(i) || (a.IsValid(i) && vals[i] != want[got+i]) {
				t.Fatalf("row %d: %v null=%v, want %v", got+i, vals[i], a.IsNull(i), want[got+i])
			}
		}
		got += a.Len()
		batch.Release()
	}
	if got != len(want) {
		t.Fatalf("%d rows, want %d", got, len(want))
	}
}
