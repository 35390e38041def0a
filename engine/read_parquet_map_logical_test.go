package engine

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/extensions"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/sleeperd/sleeperd/storage/objstore"
	"github.com/sleeperd/sleeperd/storage/parquet"
	"github.com/sleeperd/sleeperd/types"
)

// TestReadParquetMapLogicalTypes reads maps whose keys and values are uuid, time and json
// through read_parquet, from a file of sleeperd's writer (the key and value fields naming
// their SQL types, as a table's stored schema names them) and from one of arrow-go's (Arrow's
// uuid extension and time64, as DuckDB and Spark write UUID and TIME leaves): the maps show
// their keys and values as uuid and time text (not bytea and bigint), also in a table made of
// the files with CREATE TABLE ... AS, after reopening, and the table's data files give the
// key and value leaves Parquet's UUID, TIME and JSON logical types.
func TestReadParquetMapLogicalTypes(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	dir := t.TempDir()
	u1 := [16]byte{0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff}
	u2 := [16]byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}

	// Ours: storage types whose fields name the SQL types.
	named := func(name string, dt arrow.DataType, sql string, nullable bool) arrow.Field {
		return arrow.Field{Name: name, Type: dt, Nullable: nullable, Metadata: arrow.NewMetadata([]string{types.SQLTypeKey}, []string{sql})}
	}
	ours := arrow.NewSchema([]arrow.Field{
		{Name: "id", Type: arrow.PrimitiveTypes.Int32},
		{Name: "ut", Type: arrow.MapOfFields(named("key", arrow.BinaryTypes.Binary, "uuid", false), named("value", arrow.PrimitiveTypes.Int64, "time", true)), Nullable: true},
		{Name: "tj", Type: arrow.MapOfFields(named("key", arrow.PrimitiveTypes.Int64, "time", false), named("value", arrow.BinaryTypes.String, "jsonb", true)), Nullable: true},
	}, nil)
	b := array.NewRecordBuilder(memory.NewGoAllocator(), ours)
	ut, tj := b.Field(1).(*array.MapBuilder), b.Field(2).(*array.MapBuilder)
	b.Field(0).(*array.Int32Builder).AppendValues([]int32{0, 1}, nil)
	ut.Append(true)
	ut.KeyBuilder().(*array.BinaryBuilder).Append(u1[:])
	ut.ItemBuilder().(*array.Int64Builder).Append(3723456789)
	ut.KeyBuilder().(*array.BinaryBuilder).Append(u2[:])
	ut.ItemBuilder().AppendNull()
	tj.Append(true)
	tj.KeyBuilder().(*array.Int64Builder).Append(43200000000)
	tj.ItemBuilder().(*array.StringBuilder).Append(`{"a": [1, 2]}`)
	ut.AppendNull()
	tj.Append(true)
	batch := b.NewRecordBatch()
	b.Release()
	var buf bytes.Buffer
	w, err := parquet.NewWriter(&buf, ours, parquet.Properties{})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Write(batch); err != nil {
		t.Fatal(err)
	}
	if _, err := w.Close(); err != nil {
		t.Fatal(err)
	}
	batch.Release()
	oursFile := filepath.Join(dir, "ours.parquet")
	if err := os.WriteFile(oursFile, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}

	// arrow-go's, without its Arrow schema.
	uuidType := extensions.NewUUIDType()
	theirs := arrow.NewSchema([]arrow.Field{
		{Name: "id", Type: arrow.PrimitiveTypes.Int32},
		{Name: "tu", Type: arrow.MapOf(arrow.FixedWidthTypes.Time64us, uuidType), Nullable: true},
		{Name: "us", Type: arrow.MapOf(uuidType, arrow.BinaryTypes.String), Nullable: true},
	}, nil)
	b = array.NewRecordBuilder(memory.NewGoAllocator(), theirs)
	tu, us := b.Field(1).(*array.MapBuilder), b.Field(2).(*array.MapBuilder)
	b.Field(0).(*array.Int32Builder).AppendValues([]int32{0, 1}, nil)
	tu.Append(true)
	tu.KeyBuilder().(*array.Time64Builder).Append(arrow.Time64(3723456789))
	tu.ItemBuilder().(*extensions.UUIDBuilder).Append(u1)
	us.Append(true)
	us.KeyBuilder().(*extensions.UUIDBuilder).Append(u2)
	us.ItemBuilder().(*array.StringBuilder).Append("x")
	tu.AppendNull()
	us.Append(true)
	batch = b.NewRecordBatch()
	b.Release()
	theirsFile := filepath.Join(dir, "theirs.parquet")
	writePqarrow(t, theirsFile, batch)
	batch.Release()

	const (
		wantOurs = `[[0 {"00112233-4455-6677-8899-aabbccddeeff": "01:02:03.456789", "ffffffff-ffff-ffff-ffff-ffffffffffff": null} {"12:00:00": "{\"a\": [1, 2]}"} 01:02:03.456789] ` +
			`[1 NULL {} NULL]]`
		wantTheirs = `[[0 {"01:02:03.456789": "00112233-4455-6677-8899-aabbccddeeff"} {"ffffffff-ffff-ffff-ffff-ffffffffffff": "x"} x] [1 NULL {} NULL]]`
	)
	qOurs := func(from string) string {
		return "SELECT id, ut::text, tj, ut ->> '00112233-4455-6677-8899-aabbccddeeff' FROM " + from + " ORDER BY id"
	}
	qTheirs := func(from string) string {
		return "SELECT id, tu::text, us, us ->> 'ffffffff-ffff-ffff-ffff-ffffffffffff' FROM " + from + " ORDER BY id"
	}

	store := objstore.NewMem()
	e, c := open(t, store, mem)
	check := func(q, want string) {
		t.Helper()
		if got := runText(t, c, q); got != want {
			t.Errorf("%s\n got %s\nwant %s", q, got, want)
		}
	}
	check(qOurs(fmt.Sprintf("read_parquet('%s')", oursFile)), wantOurs)
	check(qTheirs(fmt.Sprintf("read_parquet('%s')", theirsFile)), wantTheirs)
	run(t, c, fmt.Sprintf("CREATE TABLE mo WITH (row_keys = 'id') AS SELECT * FROM read_parquet('%s')", oursFile))
	run(t, c, fmt.Sprintf("CREATE TABLE mt WITH (row_keys = 'id') AS SELECT * FROM read_parquet('%s')", theirsFile))
	check(qOurs("mo"), wantOurs)
	check(qTheirs("mt"), wantTheirs)

	const (
		uuidLeaf = "FIXED_LEN_BYTE_ARRAY UUID"
		timeLeaf = "INT64 Time(isAdjustedToUTC=false, timeUnit=microseconds)"
		jsonLeaf = "BYTE_ARRAY JSON"
	)
	for name, leaves := range dataFileLeaves(t, store) {
		want := map[string]string{"ut.key_value.key": uuidLeaf, "ut.key_value.value": timeLeaf, "tj.key_value.key": timeLeaf, "tj.key_value.value": jsonLeaf}
		if _, ok := leaves["tu.key_value.key"]; ok {
			want = map[string]string{"tu.key_value.key": timeLeaf, "tu.key_value.value": uuidLeaf, "us.key_value.key": uuidLeaf}
		}
		for path, w := range want {
			if leaves[path] != w {
				t.Errorf("%s: leaf %s is %q, want %q (leaves %v)", name, path, leaves[path], w, leaves)
			}
		}
	}

	e, c = reopen(t, e, c, store, mem)
	defer e.Close()
	defer c.Close()
	check(qOurs("mo"), wantOurs)
	check(qTheirs("mt"), wantTheirs)
	run(t, c, "INSERT INTO mo SELECT id + 10, ut, tj FROM mo WHERE id = 0")
	check("SELECT ut::text FROM mo WHERE id = 10", `[[{"00112233-4455-6677-8899-aabbccddeeff": "01:02:03.456789", "ffffffff-ffff-ffff-ffff-ffffffffffff": null}]]`)
}
