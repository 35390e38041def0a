package trino

import (
	"context"
	"fmt"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/sleeperd/sleeperd/internal/arrowgen"
	"github.com/sleeperd/sleeperd/storage/objstore"
)

// TestNestedColumns reads tables with array, json, jsonb, record (composite type) and map
// columns through the Thrift connector: integer arrays are array(bigint); json, jsonb and
// maps are json (PostgreSQL's text, a map's as jsonb); other arrays (text[], time[], uuid[])
// and records are varchar holding PostgreSQL's text of them.
func TestNestedColumns(t *testing.T) {
	ctx := context.Background()
	eng := openEngine(t, objstore.NewMem())
	file := writeMapFile(t)
	run(t, eng,
		`CREATE TYPE pair AS (n integer, s text)`,
		`CREATE TABLE nest (k integer, ia integer[], ta text[], tt time[], ua uuid[], j json, jb jsonb, r pair) WITH (row_keys = 'k')`,
		`INSERT INTO nest VALUES
			(1, '{1,NULL,3}', '{a,"b c"}', ARRAY['10:00'::time, NULL], ARRAY['a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'::uuid], '{"b": 1,  "a": [1.50]}', '{"b": 1,  "a": [1.50]}', ROW(1, 'x y')),
			(2, NULL, NULL, NULL, NULL, NULL, NULL, NULL),
			(3, '{}', '{}', ARRAY[]::time[], ARRAY[]::uuid[], '[]', 'null', ROW(NULL, ''))`,
		fmt.Sprintf(`CREATE TABLE maps WITH (row_keys = 'id') AS SELECT * FROM read_parquet('%s')`, file),
	)
	c, _ := serve(t, eng)
	for _, tc := range []struct {
		table string
		types []string
		rows  [][]any
	}{
		{"nest", []string{"integer", "array(bigint)", "varchar", "varchar", "varchar", "json", "json", "varchar"}, [][]any{
			{int32(1), []any{int64(1), nil, int64(3)}, `{a,"b c"}`, "{10:00:00,NULL}", "{a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11}", `{"b": 1,  "a": [1.50]}`, `{"a": [1.50], "b": 1}`, `(1,"x y")`},
			{int32(2), nil, nil, nil, nil, nil, nil, nil},
			{int32(3), []any{}, "{}", "{}", "{}", "[]", "null", `(,"")`},
		}},
		{"maps", []string{"bigint", "json", "varchar"}, [][]any{
			{int64(0), `{"k1": 10, "k2": null}`, `(1,x)`},
			{int64(1), "{}", `(,)`},
			{int64(2), nil, nil},
		}},
	} {
		cols, types := tableColumns(ctx, t, c, tc.table)
		if !reflect.DeepEqual(types, tc.types) {
			t.Fatalf("%s: types %v, want %v", tc.table, types, tc.types)
		}
		rows := readTable(t, c, tc.table, all(), cols, types)
		sortRows(rows)
		if !reflect.DeepEqual(rows, tc.rows) {
			t.Errorf("%s: rows\n%q\nwant\n%q", tc.table, rows, tc.rows)
		}
	}
}

// writeMapFile writes a Parquet file (arrow-go's pqarrow) of an id, a map<string, int64> and
// a struct<a int32, b string> column, and returns its path.
func writeMapFile(t *testing.T) string {
	t.Helper()
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	sc := arrow.NewSchema([]arrow.Field{
		{Name: "id", Type: arrow.PrimitiveTypes.Int64},
		{Name: "m", Type: arrow.MapOf(arrow.BinaryTypes.String, arrow.PrimitiveTypes.Int64), Nullable: true},
		{Name: "s", Type: arrow.StructOf(
			arrow.Field{Name: "a", Type: arrow.PrimitiveTypes.Int32, Nullable: true},
			arrow.Field{Name: "b", Type: arrow.BinaryTypes.String, Nullable: true},
		), Nullable: true},
	}, nil)
	b := array.NewRecordBuilder(mem, sc)
	defer b.Release()
	ids, mb, sb := b.Field(0).(*array.Int64Builder), b.Field(1).(*array.MapBuilder), b.Field(2).(*array.StructBuilder)
	keys, items := mb.KeyBuilder().(*array.StringBuilder), mb.ItemBuilder().(*array.Int64Builder)
	// 0: {k2: NULL, k1: 10}, (1, x); 1: {}, (NULL, NULL); 2: NULL, NULL.
	ids.Append(0)
	mb.Append(true)
	keys.Append("k2")
	items.AppendNull()
	keys.Append("k1")
	items.Append(10)
	sb.Append(true)
	sb.FieldBuilder(0).(*array.Int32Builder).Append(1)
	sb.FieldBuilder(1).(*array.StringBuilder).Append("x")
	ids.Append(1)
	mb.Append(true)
	sb.Append(true)
	sb.FieldBuilder(0).AppendNull()
	sb.FieldBuilder(1).AppendNull()
	ids.Append(2)
	mb.AppendNull()
	sb.AppendNull()
	rec := b.NewRecordBatch()
	defer rec.Release()
	file := filepath.Join(t.TempDir(), "maps.parquet")
	if err := arrowgen.WriteParquet(file, rec, nil); err != nil {
		t.Fatal(err)
	}
	return file
}
