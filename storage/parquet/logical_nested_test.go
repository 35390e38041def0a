package parquet

import (
	"bytes"
	"context"
	"errors"
	"io"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/extensions"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"

	"github.com/sleeperd/sleeperd/types"
)

// TestNestedLogicalLeavesOfArrowGo reads a file arrow-go wrote (with its Arrow schema
// stored and without) whose struct has time64[us] and arrow.uuid fields beside a list of
// uuids and a list of times: their leaves (Parquet TIME(MICROS) and UUID) read as the flat
// ones do, in int64 and binary storage whose fields name time and uuid in metadata, with
// the values and NULLs written.
func TestNestedLogicalLeavesOfArrowGo(t *testing.T) {
	uuidType := extensions.NewUUIDType()
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "k", Type: arrow.PrimitiveTypes.Int64},
		{Name: "r", Type: arrow.StructOf(
			arrow.Field{Name: "t", Type: arrow.FixedWidthTypes.Time64us, Nullable: true},
			arrow.Field{Name: "u", Type: uuidType, Nullable: true},
		), Nullable: true},
		{Name: "us", Type: arrow.ListOf(uuidType), Nullable: true},
		{Name: "ts", Type: arrow.ListOf(arrow.FixedWidthTypes.Time64us), Nullable: true},
	}, nil)
	const rows = 700
	uuidOf := func(r, k int) [16]byte {
		var u [16]byte
		for i := range u {
			u[i] = byte(r*7 + k*3 + i)
		}
		return u
	}
	timeOf := func(r int) int64 { return int64(r) * 1_000_003 % types.MicrosPerDay }
	for _, store := range []bool{true, false} {
		mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
		b := array.NewRecordBuilder(mem, schema)
		sb := b.Field(1).(*array.StructBuilder)
		ub := b.Field(2).(*array.ListBuilder)
		tb := b.Field(3).(*array.ListBuilder)
		for r := range rows {
			b.Field(0).(*array.Int64Builder).Append(int64(r))
			switch r % 5 {
			case 1:
				sb.AppendNull()
				ub.AppendNull()
				tb.AppendNull()
				continue
			case 2:
				sb.Append(true)
				sb.FieldBuilder(0).AppendNull()
				sb.FieldBuilder(1).AppendNull()
				ub.Append(true)
				ub.ValueBuilder().AppendNull()
				tb.Append(true)
				continue
			}
			sb.Append(true)
			sb.FieldBuilder(0).(*array.Time64Builder).Append(arrow.Time64(timeOf(r)))
			sb.FieldBuilder(1).(*extensions.UUIDBuilder).Append(uuidOf(r, 0))
			ub.Append(true)
			ub.ValueBuilder().(*extensions.UUIDBuilder).Append(uuidOf(r, 1))
			ub.ValueBuilder().(*extensions.UUIDBuilder).Append(uuidOf(r, 2))
			tb.Append(true)
			tb.ValueBuilder().(*array.Time64Builder).Append(arrow.Time64(timeOf(r + 1)))
		}
		batch := b.NewRecordBatch()
		b.Release()
		var buf bytes.Buffer
		var aprops []pqarrow.WriterOption
		if store {
			aprops = append(aprops, pqarrow.WithStoreSchema())
		}
		w, err := pqarrow.NewFileWriter(schema, &buf, parquet.NewWriterProperties(parquet.WithMaxRowGroupLength(300)),
			pqarrow.NewArrowWriterProperties(aprops...))
		if err != nil {
			t.Fatal(err)
		}
		if err := w.Write(batch); err != nil {
			t.Fatal(err)
		}
		batch.Release()
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		f, err := Open(bytes.NewReader(buf.Bytes()), int64(buf.Len()))
		if err != nil {
			t.Fatal(err)
		}
		sqlType := func(f arrow.Field) string { v, _ := f.Metadata.GetValue(types.SQLTypeKey); return v }
		st, ok := f.Schema().Field(1).Type.(*arrow.StructType)
		if !ok || st.Field(0).Type.ID() != arrow.INT64 || sqlType(st.Field(0)) != "time" ||
			st.Field(1).Type.ID() != arrow.BINARY || sqlType(st.Field(1)) != "uuid" {
			t.Fatalf("store=%v: struct read as %s", store, f.Schema().Field(1).Type)
		}
		for i, want := range []string{"uuid", "time"} {
			lt, ok := f.Schema().Field(2 + i).Type.(*arrow.ListType)
			if !ok || sqlType(lt.ElemField()) != want {
				t.Fatalf("store=%v: list read as %s (%v)", store, f.Schema().Field(2+i).Type, lt.ElemField().Metadata)
			}
		}
		rd, err := f.Read(context.Background(), ReadOptions{Alloc: mem, BatchRows: 256})
		if err != nil {
			t.Fatal(err)
		}
		r := 0
		for {
			got, err := rd.Next(context.Background())
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			rs := got.Column(1).(*array.Struct)
			us, ts := got.Column(2).(*array.List), got.Column(3).(*array.List)
			tv := rs.Field(0).(*array.Int64)
			uv := rs.Field(1).(*array.Binary)
			uvals, tvals := us.ListValues().(*array.Binary), ts.ListValues().(*array.Int64)
			for i := 0; i < int(got.NumRows()); i, r = i+1, r+1 {
				switch r % 5 {
				case 1:
					if rs.IsValid(i) || us.IsValid(i) || ts.IsValid(i) {
						t.Fatalf("store=%v row %d: not NULL", store, r)
					}
				case 2:
					lo, hi := us.ValueOffsets(i)
					tlo, thi := ts.ValueOffsets(i)
					if !rs.IsValid(i) || tv.IsValid(i) || uv.IsValid(i) || hi-lo != 1 || uvals.IsValid(int(lo)) || thi != tlo {
						t.Fatalf("store=%v row %d: NULL fields and elements read wrong", store, r)
					}
				default:
					lo, hi := us.ValueOffsets(i)
					tlo, thi := ts.ValueOffsets(i)
					u0, u1, u2 := uuidOf(r, 0), uuidOf(r, 1), uuidOf(r, 2)
					if tv.Value(i) != timeOf(r) || !bytes.Equal(uv.Value(i), u0[:]) || hi-lo != 2 ||
						!bytes.Equal(uvals.Value(int(lo)), u1[:]) || !bytes.Equal(uvals.Value(int(lo)+1), u2[:]) ||
						thi-tlo != 1 || tvals.Value(int(tlo)) != timeOf(r+1) {
						t.Fatalf("store=%v row %d: values read wrong", store, r)
					}
				}
			}
			got.Release()
		}
		rd.Close()
		if r != rows {
			t.Errorf("store=%v: %d rows read, want %d", store, r, rows)
		}
		mem.AssertSize(t, 0)
	}
}
