package parquet

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet/file"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"
	arrowschema "github.com/apache/arrow-go/v18/parquet/schema"

	"github.com/sleeperd/sleeperd/types"
)

// sqlTyped is field name of Arrow type t whose metadata names the SQL type sql.
func sqlTyped(name string, t arrow.DataType, sql string, nullable bool) arrow.Field {
	return arrow.Field{Name: name, Type: t, Nullable: nullable, Metadata: arrow.NewMetadata([]string{types.SQLTypeKey}, []string{sql})}
}

// readByArrowGoChecked reads a file whole with arrow-go's pqarrow reader into mem.
func readByArrowGoChecked(t *testing.T, data []byte, mem memory.Allocator) arrow.Table {
	t.Helper()
	pf, err := file.NewParquetReader(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	defer pf.Close()
	fr, err := pqarrow.NewFileReader(pf, pqarrow.ArrowReadProperties{BatchSize: 256}, mem)
	if err != nil {
		t.Fatal(err)
	}
	tbl, err := fr.ReadTable(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return tbl
}

// leafTypes returns, by dotted path, the physical type, fixed length and logical type of
// each leaf of a file, as arrow-go's Parquet reader sees them.
func leafTypes(t *testing.T, data []byte) map[string]leafType {
	t.Helper()
	pf, err := file.NewParquetReader(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	defer pf.Close()
	s := pf.MetaData().Schema
	out := make(map[string]leafType, s.NumColumns())
	for i := range s.NumColumns() {
		c := s.Column(i)
		out[c.Path()] = leafType{c.PhysicalType().String(), c.TypeLength(), c.LogicalType()}
	}
	return out
}

type leafType struct {
	physical string
	length   int
	logical  arrowschema.LogicalType
}

// TestNestedUUIDDictionary writes uuids in a struct, as the values of a map, in a list of
// structs and in a list, with dictionary encoding and without: every uuid leaf is
// FIXED_LEN_BYTE_ARRAY(16) with the UUID logical type (the list's element too), and the
// file reads back to the values written (NULL uuids, structs, lists and maps, empty lists
// and maps, few distinct uuids so that dictionary pages hold them) with this package's
// reader, whole and by a span, and with arrow-go's.
func TestNestedUUIDDictionary(t *testing.T) {
	uuid := func(name string, nullable bool) arrow.Field {
		return sqlTyped(name, arrow.BinaryTypes.Binary, "uuid", nullable)
	}
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "key", Type: arrow.PrimitiveTypes.Int64},
		{Name: "s", Type: arrow.StructOf(uuid("u", true), arrow.Field{Name: "n", Type: arrow.PrimitiveTypes.Int32, Nullable: true}), Nullable: true},
		{Name: "m", Type: arrow.MapOfFields(arrow.Field{Name: "key", Type: arrow.BinaryTypes.String}, uuid("value", true)), Nullable: true},
		{Name: "ls", Type: arrow.ListOf(arrow.StructOf(uuid("u", true))), Nullable: true},
		{Name: "lu", Type: arrow.ListOfField(uuid("element", true)), Nullable: true},
		{Name: "lun", Type: arrow.ListOfField(uuid("element", false))},
	}, nil)
	wantLeaves := []string{"s.u", "m.key_value.value", "ls.list.element.u", "lu.list.element", "lun.list.element"}
	for _, dict := range []bool{true, false} {
		for seed := range uint64(2) {
			t.Run(fmt.Sprintf("dictionary=%v/%d", dict, seed), func(t *testing.T) {
				mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
				defer mem.AssertSize(t, 0)
				rng := rand.New(rand.NewPCG(seed, 17))
				const rows = 1500
				want := convertedRows(rng, mem, schema, rows)
				defer want.Release()
				props := Properties{RowGroupRows: 600, PageBytes: 1 << 10, Dictionary: dict}
				data := writeBatch(t, schema, props, want, KeyColumns(0))

				leaves := leafTypes(t, data)
				for _, p := range wantLeaves {
					lt, ok := leaves[p]
					if !ok {
						t.Fatalf("no leaf %s in %v", p, leaves)
					}
					if lt.physical != "FIXED_LEN_BYTE_ARRAY" || lt.length != uuidBytes || !lt.logical.Equals(arrowschema.UUIDLogicalType{}) {
						t.Errorf("leaf %s: %s(%d) %s, want FIXED_LEN_BYTE_ARRAY(16) UUID", p, lt.physical, lt.length, lt.logical)
					}
				}
				if dict {
					checkDictionaryPages(t, data, wantLeaves)
				}

				f := openWithSchema(t, data, schema)
				readAllAgainst(t, f, mem, 1+rng.IntN(300), want, rows)
				lo, hi := int64(rng.IntN(200)), int64(300+rng.IntN(300))
				r, err := f.Read(context.Background(), ReadOptions{Alloc: mem, BatchRows: 1 + rng.IntN(64), Spans: []Span{{Group: 1, Lo: lo, Hi: hi}}})
				if err != nil {
					t.Fatal(err)
				}
				checkAgainst(t, r, want, 600+int(lo), int(hi-lo))
				r.Close()

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
}

// checkDictionaryPages checks that each leaf of paths has a dictionary page in every row
// group of the file.
func checkDictionaryPages(t *testing.T, data []byte, paths []string) {
	t.Helper()
	pf, err := file.NewParquetReader(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	defer pf.Close()
	md := pf.MetaData()
	for g := range md.NumRowGroups() {
		rg := md.RowGroup(g)
		for i := range rg.NumColumns() {
			cc, err := rg.ColumnChunk(i)
			if err != nil {
				t.Fatal(err)
			}
			path := cc.PathInSchema().String()
			for _, p := range paths {
				if p == path && !cc.HasDictionaryPage() {
					t.Errorf("row group %d: leaf %s has no dictionary page", g, p)
				}
			}
		}
	}
}

// TestListElementLogicalTypes writes lists of each element type whose Parquet logical type
// comes from its field (uuid, time, json named in metadata, the element's or else the
// list's as an array type) or its Arrow type (decimals of each physical type, intervals,
// timestamps of each unit, int8, int16), with dictionary
// encoding and without: the element leaf has the physical and logical type a flat column of
// the type has, and the file reads back to the values written with this package's reader
// and arrow-go's.
func TestListElementLogicalTypes(t *testing.T) {
	elems := []struct {
		field    arrow.Field
		physical string
		length   int
		logical  arrowschema.LogicalType // nil: none
	}{
		{sqlTyped("element", arrow.BinaryTypes.Binary, "uuid", true), "FIXED_LEN_BYTE_ARRAY", 16, arrowschema.UUIDLogicalType{}},
		{sqlTyped("element", arrow.PrimitiveTypes.Int64, "time", true), "INT64", -1, arrowschema.NewTimeLogicalType(false, arrowschema.TimeUnitMicros)},
		{sqlTyped("element", arrow.BinaryTypes.String, "json", true), "BYTE_ARRAY", -1, arrowschema.JSONLogicalType{}},
		{sqlTyped("element", arrow.BinaryTypes.String, "jsonb", false), "BYTE_ARRAY", -1, arrowschema.JSONLogicalType{}},
		{arrow.Field{Name: "element", Type: &arrow.Decimal128Type{Precision: 5, Scale: 2}, Nullable: true}, "INT32", -1, arrowschema.NewDecimalLogicalType(5, 2)},
		{arrow.Field{Name: "element", Type: &arrow.Decimal128Type{Precision: 15, Scale: 3}, Nullable: true}, "INT64", -1, arrowschema.NewDecimalLogicalType(15, 3)},
		{arrow.Field{Name: "element", Type: &arrow.Decimal128Type{Precision: 30, Scale: 4}, Nullable: true}, "FIXED_LEN_BYTE_ARRAY", decimalBytes(30), arrowschema.NewDecimalLogicalType(30, 4)},
		{arrow.Field{Name: "element", Type: arrow.FixedWidthTypes.MonthDayNanoInterval, Nullable: true}, "FIXED_LEN_BYTE_ARRAY", intervalBytes, nil},
		{arrow.Field{Name: "element", Type: &arrow.TimestampType{Unit: arrow.Millisecond, TimeZone: "UTC"}, Nullable: true}, "INT64", -1, arrowschema.NewTimestampLogicalType(true, arrowschema.TimeUnitMillis)},
		{arrow.Field{Name: "element", Type: &arrow.TimestampType{Unit: arrow.Microsecond}, Nullable: true}, "INT64", -1, arrowschema.NewTimestampLogicalType(false, arrowschema.TimeUnitMicros)},
		{arrow.Field{Name: "element", Type: &arrow.TimestampType{Unit: arrow.Nanosecond, TimeZone: "UTC"}, Nullable: true}, "INT64", -1, arrowschema.NewTimestampLogicalType(true, arrowschema.TimeUnitNanos)},
		{arrow.Field{Name: "element", Type: arrow.PrimitiveTypes.Int8, Nullable: true}, "INT32", -1, arrowschema.NewIntLogicalType(8, true)},
		{arrow.Field{Name: "element", Type: arrow.PrimitiveTypes.Int16, Nullable: true}, "INT32", -1, arrowschema.NewIntLogicalType(16, true)},
	}
	fields := []arrow.Field{{Name: "key", Type: arrow.PrimitiveTypes.Int64}}
	for i, e := range elems {
		fields = append(fields, arrow.Field{Name: fmt.Sprintf("l%d", i), Type: arrow.ListOfField(e.field), Nullable: i%2 == 0})
	}
	// Lists of plain elements whose own field names the array type, as types.SQLMetadata
	// names them (a record's uuid[] field is a list of binary named "_uuid").
	for _, a := range []struct {
		name     string
		t        arrow.DataType
		physical string
		length   int
		logical  arrowschema.LogicalType
	}{
		{"_uuid", arrow.BinaryTypes.Binary, "FIXED_LEN_BYTE_ARRAY", 16, arrowschema.UUIDLogicalType{}},
		{"_time", arrow.PrimitiveTypes.Int64, "INT64", -1, arrowschema.NewTimeLogicalType(false, arrowschema.TimeUnitMicros)},
		{"_jsonb", arrow.BinaryTypes.String, "BYTE_ARRAY", -1, arrowschema.JSONLogicalType{}},
	} {
		f := sqlTyped(fmt.Sprintf("l%d", len(elems)), arrow.ListOf(a.t), a.name, true)
		fields = append(fields, f)
		elems = append(elems, struct {
			field    arrow.Field
			physical string
			length   int
			logical  arrowschema.LogicalType
		}{f, a.physical, a.length, a.logical})
	}
	schema := arrow.NewSchema(fields, nil)
	for _, dict := range []bool{true, false} {
		t.Run(fmt.Sprintf("dictionary=%v", dict), func(t *testing.T) {
			mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
			defer mem.AssertSize(t, 0)
			rng := rand.New(rand.NewPCG(3, 5))
			const rows = 1200
			want := convertedRows(rng, mem, schema, rows)
			defer want.Release()
			data := writeBatch(t, schema, Properties{RowGroupRows: 500, PageBytes: 1 << 10, Dictionary: dict}, want, KeyColumns(0))

			leaves := leafTypes(t, data)
			for i, e := range elems {
				p := fmt.Sprintf("l%d.list.element", i)
				lt, ok := leaves[p]
				if !ok {
					t.Fatalf("no leaf %s in %v", p, leaves)
				}
				if lt.physical != e.physical || e.length > 0 && lt.length != e.length {
					t.Errorf("list of %s: leaf %s(%d), want %s(%d)", e.field.Type, lt.physical, lt.length, e.physical, e.length)
				}
				switch {
				case e.logical == nil:
					if lt.logical != nil && lt.logical.IsValid() && !lt.logical.IsNone() {
						t.Errorf("list of %s: logical type %s, want none", e.field.Type, lt.logical)
					}
				case !lt.logical.Equals(e.logical):
					t.Errorf("list of %s (%v): logical type %s, want %s", e.field.Type, e.field.Metadata, lt.logical, e.logical)
				}
			}

			r := openRead(t, data, ReadOptions{Alloc: mem, BatchRows: 173})
			checkAgainst(t, r, want, 0, rows)
			r.Close()

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
