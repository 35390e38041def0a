package parquet

import (
	"bytes"
	"context"
	"fmt"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet/file"
	arrowschema "github.com/apache/arrow-go/v18/parquet/schema"

	"github.com/sleeperd/sleeperd/types"
)

// logicalSchema is a table's stored schema with time, uuid and jsonb columns: int64, binary
// and string storage named by their metadata.
func logicalSchema(named bool) *arrow.Schema {
	md := func(name string) arrow.Metadata {
		if !named {
			return arrow.Metadata{}
		}
		return arrow.NewMetadata([]string{types.SQLTypeKey}, []string{name})
	}
	return arrow.NewSchema([]arrow.Field{
		{Name: "k", Type: arrow.PrimitiveTypes.Int64},
		{Name: "t", Type: arrow.PrimitiveTypes.Int64, Nullable: true, Metadata: md("time")},
		{Name: "u", Type: arrow.BinaryTypes.Binary, Nullable: true, Metadata: md("uuid")},
		{Name: "j", Type: arrow.BinaryTypes.String, Nullable: true, Metadata: md("jsonb")},
	}, nil)
}

func logicalBatch(mem memory.Allocator, schema *arrow.Schema, rows int) arrow.RecordBatch {
	b := array.NewRecordBuilder(mem, schema)
	defer b.Release()
	for r := 0; r < rows; r++ {
		b.Field(0).(*array.Int64Builder).Append(int64(r))
		if r%7 == 3 {
			b.Field(1).AppendNull()
			b.Field(2).AppendNull()
			b.Field(3).AppendNull()
			continue
		}
		b.Field(1).(*array.Int64Builder).Append(int64(r) * 1_000_003 % types.MicrosPerDay)
		u := make([]byte, 16)
		for i := range u {
			u[i] = byte(r*31 + i)
		}
		b.Field(2).(*array.BinaryBuilder).Append(u)
		b.Field(3).(*array.StringBuilder).Append(fmt.Sprintf(`{"a": %d}`, r))
	}
	return b.NewRecordBatch()
}

func writeLogical(t *testing.T, mem memory.Allocator, schema *arrow.Schema, props Properties, rows int) []byte {
	t.Helper()
	b := logicalBatch(mem, schema, rows)
	defer b.Release()
	return writeBatch(t, schema, props, b)
}

// TestLogicalTypes writes time, uuid and jsonb columns with Parquet's TIME(MICROS), UUID and
// JSON logical types, reads them back here with the same values, and checks what arrow-go's
// reader sees: the logical types and the values; files written before (plain INT64 and
// BYTE_ARRAY leaves) read into the same storage.
func TestLogicalTypes(t *testing.T) {
	for _, props := range []Properties{{RowGroupRows: 300, PageBytes: 1 << 10}, {Dictionary: true, Compression: Snappy}} {
		t.Run(fmt.Sprint(props.Dictionary), func(t *testing.T) {
			mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
			defer mem.AssertSize(t, 0)
			const rows = 1000
			schema := logicalSchema(true)
			data := writeLogical(t, mem, schema, props, rows)

			pf, err := file.NewParquetReader(bytes.NewReader(data))
			if err != nil {
				t.Fatal(err)
			}
			defer pf.Close()
			ps := pf.MetaData().Schema
			if lt := ps.Column(1).LogicalType(); !lt.Equals(arrowschema.NewTimeLogicalType(false, arrowschema.TimeUnitMicros)) {
				t.Errorf("t: logical type %s", lt)
			}
			if lt := ps.Column(2).LogicalType(); !lt.Equals(arrowschema.UUIDLogicalType{}) || ps.Column(2).TypeLength() != 16 {
				t.Errorf("u: logical type %s, length %d", lt, ps.Column(2).TypeLength())
			}
			if lt := ps.Column(3).LogicalType(); !lt.Equals(arrowschema.JSONLogicalType{}) {
				t.Errorf("j: logical type %s", lt)
			}

			want := logicalBatch(mem, schema, rows)
			defer want.Release()
			// Our reader: the same storage and values.
			r := openRead(t, data, ReadOptions{Alloc: mem, BatchRows: 128})
			compareLogical(t, r, want)
			r.Close()

			// arrow-go reads the same values (time64[us] for time).
			tbl := readByArrowGo(t, data, 256)
			defer tbl.Release()
			for c := 1; c < 4; c++ {
				col, err := array.Concatenate(tbl.Column(c).Data().Chunks(), mem)
				if err != nil {
					t.Fatal(err)
				}
				for i := 0; i < rows; i++ {
					if col.IsNull(i) != want.Column(c).IsNull(i) {
						t.Fatalf("column %d row %d: null %v", c, i, col.IsNull(i))
					}
					if col.IsNull(i) {
						continue
					}
					var got any
					switch a := col.(type) {
					case *array.Time64:
						got = int64(a.Value(i))
					case array.ExtensionArray:
						got = string(a.Storage().(*array.FixedSizeBinary).Value(i))
					case *array.FixedSizeBinary:
						got = string(a.Value(i))
					case *array.String:
						got = a.Value(i)
					case *array.Binary:
						got = string(a.Value(i))
					case *array.Int64:
						got = a.Value(i)
					default:
						t.Fatalf("column %d read as %s", c, col.DataType())
					}
					var w any
					switch a := want.Column(c).(type) {
					case *array.Int64:
						w = a.Value(i)
					case *array.Binary:
						w = string(a.Value(i))
					case *array.String:
						w = a.Value(i)
					}
					if got != w {
						t.Fatalf("arrow-go column %d row %d: %v, want %v", c, i, got, w)
					}
				}
				col.Release()
			}

			// A file written before (no metadata: plain leaves) reads as it did.
			old := writeLogical(t, mem, logicalSchema(false), props, rows)
			of, err := Open(bytes.NewReader(old), int64(len(old)))
			if err != nil {
				t.Fatal(err)
			}
			or, err := of.Read(context.Background(), ReadOptions{Alloc: mem})
			if err != nil {
				t.Fatal(err)
			}
			compareLogical(t, or, want)
			or.Close()
		})
	}
}

func compareLogical(t *testing.T, r *Reader, want arrow.RecordBatch) {
	t.Helper()
	rows := forBatches(t, r, func(b arrow.RecordBatch, row int) bool {
		for c := 0; c < int(b.NumCols()); c++ {
			if !arrow.TypeEqual(b.Column(c).DataType(), want.Column(c).DataType()) {
				t.Fatalf("column %d read as %s", c, b.Column(c).DataType())
			}
			exp := array.NewSlice(want.Column(c), int64(row), int64(row)+b.NumRows())
			if !array.Equal(b.Column(c), exp) {
				t.Fatalf("column %d rows %d..: %v, want %v", c, row, b.Column(c), exp)
			}
			exp.Release()
		}
		return true
	})
	if rows != int(want.NumRows()) {
		t.Fatalf("read %d rows, want %d", rows, want.NumRows())
	}
}
