package catalog

import (
	"bytes"
	"errors"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	pq "github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/format"

	"github.com/sleeperd/sleeperd/errs"
	"github.com/sleeperd/sleeperd/storage/parquet"
)

// TestEncodingProperty checks the encoding property: files of a table written with its
// properties hold delta-encoded integer and text chunks by default and with 'delta', PLAIN
// ones with 'plain', and any other value is refused.
func TestEncodingProperty(t *testing.T) {
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "k", Type: arrow.PrimitiveTypes.Int64},
		{Name: "s", Type: arrow.BinaryTypes.String, Nullable: true},
	}, nil)
	for _, tt := range []struct {
		raw       map[string]string
		ints, txt format.Encoding
	}{
		{nil, format.DeltaBinaryPacked, format.DeltaByteArray},
		{map[string]string{"encoding": "delta"}, format.DeltaBinaryPacked, format.DeltaByteArray},
		{map[string]string{"encoding": " PLAIN "}, format.Plain, format.Plain},
	} {
		p, err := parseProperties(tt.raw)
		if err != nil {
			t.Fatal(err)
		}
		mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
		b := array.NewRecordBuilder(mem, schema)
		for i := range 1000 {
			b.Field(0).(*array.Int64Builder).Append(int64(i))
			b.Field(1).(*array.StringBuilder).Append("text")
		}
		batch := b.NewRecordBatch()
		b.Release()
		var buf bytes.Buffer
		w, err := parquet.NewWriter(&buf, schema, p.Parquet)
		if err != nil {
			t.Fatal(err)
		}
		if err := w.Write(batch); err != nil {
			t.Fatal(err)
		}
		batch.Release()
		if _, err := w.Close(); err != nil {
			t.Fatal(err)
		}
		mem.AssertSize(t, 0)
		f, err := pq.OpenFile(bytes.NewReader(buf.Bytes()), int64(buf.Len()))
		if err != nil {
			t.Fatal(err)
		}
		cols := f.Metadata().RowGroups[0].Columns
		if got := cols[0].MetaData.Encoding[0]; got != tt.ints {
			t.Errorf("%v: bigint chunk encoded %s, want %s", tt.raw, got, tt.ints)
		}
		if got := cols[1].MetaData.Encoding[0]; got != tt.txt {
			t.Errorf("%v: text chunk encoded %s, want %s", tt.raw, got, tt.txt)
		}
	}
	_, err := parseProperties(map[string]string{"encoding": "rle"})
	if !errors.Is(err, errs.InvalidParameter) {
		t.Errorf("encoding = 'rle': %v, want an invalid parameter error", err)
	}
}
