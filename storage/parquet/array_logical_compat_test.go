package parquet

import (
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// TestArrayTypeNamesInStructs writes the same rows twice, a uuid[] column and a record
// whose uuid[], time[] and jsonb[] fields are plain lists: once with the fields naming
// the array types ("_uuid", "_time", "_jsonb"), as a table's schema now does, and once
// without, as files written before do. The first file's element leaves, the record's
// too, have the UUID, TIME and JSON logical types, the second's plain INT64 and strings; both read back to
// the same values with this package's reader.
func TestArrayTypeNamesInStructs(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	named := func(named bool) *arrow.Schema {
		f := func(name string, typ arrow.DataType, sql string) arrow.Field {
			if named {
				return sqlTyped(name, typ, sql, true)
			}
			return arrow.Field{Name: name, Type: typ, Nullable: true}
		}
		return arrow.NewSchema([]arrow.Field{
			{Name: "key", Type: arrow.PrimitiveTypes.Int64},
			f("us", arrow.ListOf(arrow.BinaryTypes.Binary), "_uuid"),
			{Name: "r", Type: arrow.StructOf(
				f("u", arrow.ListOf(arrow.BinaryTypes.Binary), "_uuid"),
				f("t", arrow.ListOf(arrow.PrimitiveTypes.Int64), "_time"),
				f("j", arrow.ListOf(arrow.BinaryTypes.String), "_jsonb"),
			), Nullable: true},
		}, nil)
	}
	newSchema, oldSchema := named(true), named(false)
	b := array.NewRecordBuilder(mem, newSchema)
	defer b.Release()
	uuid := func(i int) []byte { u := make([]byte, 16); u[0], u[15] = byte(i), byte(i>>8); return u }
	const rows = 300
	for i := range rows {
		b.Field(0).(*array.Int64Builder).Append(int64(i))
		us := b.Field(1).(*array.ListBuilder)
		sb := b.Field(2).(*array.StructBuilder)
		if i%7 == 3 {
			us.AppendNull()
			sb.AppendNull()
			continue
		}
		us.Append(true)
		us.ValueBuilder().(*array.BinaryBuilder).AppendValues([][]byte{uuid(i), nil, uuid(i % 5)}[:i%4], []bool{true, false, true}[:i%4])
		sb.Append(true)
		u := sb.FieldBuilder(0).(*array.ListBuilder)
		u.Append(true)
		u.ValueBuilder().(*array.BinaryBuilder).Append(uuid(i * 3))
		tl := sb.FieldBuilder(1).(*array.ListBuilder)
		if i%5 == 0 {
			tl.AppendNull()
		} else {
			tl.Append(true)
			tl.ValueBuilder().(*array.Int64Builder).AppendValues([]int64{int64(i) * 1_000_001, 0}, []bool{true, i%2 == 0})
		}
		j := sb.FieldBuilder(2).(*array.ListBuilder)
		j.Append(true)
		j.ValueBuilder().(*array.StringBuilder).AppendValues([]string{`{"a": 1}`, "[]"}[:i%3], nil)
	}
	want := b.NewRecordBatch()
	defer want.Release()
	old := array.NewRecordBatch(oldSchema, want.Columns(), want.NumRows())
	defer old.Release()

	paths := []string{"us.list.element", "r.u.list.element", "r.t.list.element", "r.j.list.element"}
	for _, tc := range []struct {
		name    string
		schema  *arrow.Schema
		batch   arrow.RecordBatch
		logical []string
	}{
		{"named", newSchema, want, []string{"UUID", "UUID", "Time(isAdjustedToUTC=false, timeUnit=microseconds)", "JSON"}},
		{"plain", oldSchema, old, []string{"none", "none", "Int(bitWidth=64, isSigned=true)", "String"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			data := writeBatch(t, tc.schema, Properties{RowGroupRows: 128}, tc.batch)
			leaves := leafTypes(t, data)
			for i, p := range paths {
				lt, ok := leaves[p]
				if !ok {
					t.Fatalf("no leaf %s in %v", p, leaves)
				}
				got := "none"
				if lt.logical != nil && lt.logical.IsValid() && !lt.logical.IsNone() {
					got = lt.logical.String()
				}
				if got != tc.logical[i] {
					t.Errorf("leaf %s: logical type %s, want %s", p, got, tc.logical[i])
				}
			}
			r := openRead(t, data, ReadOptions{Alloc: mem, BatchRows: 77})
			checkAgainst(t, r, want, 0, rows)
			r.Close()
		})
	}
}
