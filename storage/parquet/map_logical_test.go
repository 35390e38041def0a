package parquet

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/extensions"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"

	"github.com/sleeperd/sleeperd/types"
)

// TestMapKeyLogicalTypes writes maps whose keys and values are uuid, time and json (named by
// their fields' metadata), with dictionary encoding and without: the key leaf has the
// physical and logical type a flat column (or a list element) of the type has, as the value
// leaf does, and the file reads back to the values written with this package's reader (the
// key and value fields keeping their metadata) and arrow-go's.
func TestMapKeyLogicalTypes(t *testing.T) {
	uuidT := func(name string) arrow.Field { return sqlTyped(name, arrow.BinaryTypes.Binary, "uuid", false) }
	timeT := func(name string) arrow.Field { return sqlTyped(name, arrow.PrimitiveTypes.Int64, "time", false) }
	jsonT := func(name, sql string) arrow.Field { return sqlTyped(name, arrow.BinaryTypes.String, sql, false) }
	nullable := func(f arrow.Field) arrow.Field { f.Nullable = true; return f }
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "key", Type: arrow.PrimitiveTypes.Int64},
		{Name: "ut", Type: arrow.MapOfFields(uuidT("key"), nullable(timeT("value"))), Nullable: true},
		{Name: "ju", Type: arrow.MapOfFields(jsonT("key", "json"), nullable(uuidT("value")))},
		{Name: "tj", Type: arrow.MapOfFields(timeT("key"), nullable(jsonT("value", "jsonb"))), Nullable: true},
	}, nil)
	const (
		uuidLeaf = "FIXED_LEN_BYTE_ARRAY UUID"
		timeLeaf = "INT64 Time(isAdjustedToUTC=false, timeUnit=microseconds)"
		jsonLeaf = "BYTE_ARRAY JSON"
	)
	wantLeaves := map[string]string{
		"ut.key_value.key": uuidLeaf, "ut.key_value.value": timeLeaf,
		"ju.key_value.key": jsonLeaf, "ju.key_value.value": uuidLeaf,
		"tj.key_value.key": timeLeaf, "tj.key_value.value": jsonLeaf,
	}
	for _, dict := range []bool{true, false} {
		t.Run(fmt.Sprintf("dictionary=%v", dict), func(t *testing.T) {
			mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
			defer mem.AssertSize(t, 0)
			rng := rand.New(rand.NewPCG(7, 11))
			const rows = 900
			want := convertedRows(rng, mem, schema, rows)
			defer want.Release()
			data := writeBatch(t, schema, Properties{RowGroupRows: 400, PageBytes: 1 << 10, Dictionary: dict}, want, KeyColumns(0))

			leaves := leafTypes(t, data)
			for p, w := range wantLeaves {
				lt, ok := leaves[p]
				if !ok {
					t.Fatalf("no leaf %s in %v", p, leaves)
				}
				if got := lt.physical + " " + lt.logical.String(); got != w {
					t.Errorf("leaf %s is %s, want %s", p, got, w)
				}
			}

			f := openWithSchema(t, data, schema)
			readAllAgainst(t, f, mem, 1+rng.IntN(200), want, rows)

			tbl := readByArrowGoChecked(t, data, mem)
			defer tbl.Release()
			for i := range schema.NumFields() {
				col, err := array.Concatenate(tbl.Column(i).Data().Chunks(), mem)
				if err != nil {
					t.Fatal(err)
				}
				sameValues(t, "arrow-go "+schema.Field(i).Name, col, want.Column(i))
				col.Release()
			}
		})
	}
}

// TestMapLogicalKeysOfArrowGo reads a file arrow-go wrote without its Arrow schema (as
// DuckDB and Spark write theirs) holding a map of time keys and uuid values and one of uuid
// keys: the keys and values read as flat time and uuid columns do, in int64 and binary
// storage whose fields name time and uuid in metadata, with the values written.
func TestMapLogicalKeysOfArrowGo(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	uuidType := extensions.NewUUIDType()
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "k", Type: arrow.PrimitiveTypes.Int64},
		{Name: "tu", Type: arrow.MapOf(arrow.FixedWidthTypes.Time64us, uuidType), Nullable: true},
		{Name: "us", Type: arrow.MapOf(uuidType, arrow.BinaryTypes.String), Nullable: true},
	}, nil)
	const rows = 300
	uuidOf := func(r, k int) [16]byte {
		var u [16]byte
		for i := range u {
			u[i] = byte(r*5 + k*3 + i)
		}
		return u
	}
	b := array.NewRecordBuilder(mem, schema)
	tu, us := b.Field(1).(*array.MapBuilder), b.Field(2).(*array.MapBuilder)
	for r := range rows {
		b.Field(0).(*array.Int64Builder).Append(int64(r))
		if r%7 == 3 {
			tu.AppendNull()
			us.AppendNull()
			continue
		}
		tu.Append(true)
		us.Append(true)
		for k := range r % 3 {
			tu.KeyBuilder().(*array.Time64Builder).Append(arrow.Time64(int64(r*1000+k) % types.MicrosPerDay))
			if k == 1 {
				tu.ItemBuilder().AppendNull()
			} else {
				tu.ItemBuilder().(*extensions.UUIDBuilder).Append(uuidOf(r, k))
			}
			us.KeyBuilder().(*extensions.UUIDBuilder).Append(uuidOf(r, k+10))
			us.ItemBuilder().(*array.StringBuilder).Append(fmt.Sprint(r, k))
		}
	}
	batch := b.NewRecordBatch()
	b.Release()
	defer batch.Release()
	var buf bytes.Buffer
	w, err := pqarrow.NewFileWriter(schema, &buf, parquet.NewWriterProperties(parquet.WithMaxRowGroupLength(128)), pqarrow.NewArrowWriterProperties())
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Write(batch); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	f, err := Open(bytes.NewReader(buf.Bytes()), int64(buf.Len()))
	if err != nil {
		t.Fatal(err)
	}
	sqlType := func(f arrow.Field) string { v, _ := f.Metadata.GetValue(types.SQLTypeKey); return v }
	for i, want := range [][2]string{{"time", "uuid"}, {"uuid", ""}} {
		mt, ok := f.Schema().Field(1 + i).Type.(*arrow.MapType)
		if !ok || sqlType(mt.KeyField()) != want[0] || sqlType(mt.ItemField()) != want[1] || !mt.ItemField().Nullable {
			t.Fatalf("map read as %s", f.Schema().Field(1+i).Type)
		}
	}
	if kt := f.Schema().Field(1).Type.(*arrow.MapType).KeyType(); kt.ID() != arrow.INT64 {
		t.Fatalf("time keys read as %s", kt)
	}
	rd, err := f.Read(context.Background(), ReadOptions{Alloc: mem, BatchRows: 100})
	if err != nil {
		t.Fatal(err)
	}
	defer rd.Close()
	r := 0
	for {
		got, err := rd.Next(context.Background())
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		gtu, gus := got.Column(1).(*array.Map), got.Column(2).(*array.Map)
		tk, tv := gtu.Keys().(*array.Int64), gtu.Items().(*array.Binary)
		uk, uv := gus.Keys().(*array.Binary), gus.Items().(*array.String)
		for i := 0; i < int(got.NumRows()); i, r = i+1, r+1 {
			if r%7 == 3 {
				if gtu.IsValid(i) || gus.IsValid(i) {
					t.Fatalf("row %d: not NULL", r)
				}
				continue
			}
			lo, hi := gtu.ValueOffsets(i)
			ulo, uhi := gus.ValueOffsets(i)
			if int(hi-lo) != r%3 || int(uhi-ulo) != r%3 {
				t.Fatalf("row %d: %d and %d entries, want %d", r, hi-lo, uhi-ulo, r%3)
			}
			for k := range r % 3 {
				j, uj := int(lo)+k, int(ulo)+k
				wu, wk := uuidOf(r, k), uuidOf(r, k+10)
				if tk.Value(j) != int64(r*1000+k)%types.MicrosPerDay || (k == 1) != tv.IsNull(j) || k != 1 && !bytes.Equal(tv.Value(j), wu[:]) ||
					!bytes.Equal(uk.Value(uj), wk[:]) || uv.Value(uj) != fmt.Sprint(r, k) {
					t.Fatalf("row %d entry %d read wrong", r, k)
				}
			}
		}
		got.Release()
	}
	if r != rows {
		t.Fatalf("%d rows, want %d", r, rows)
	}
}
