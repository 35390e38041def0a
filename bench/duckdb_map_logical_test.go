package bench

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/sleeperd/sleeperd/storage/parquet"
	"github.com/sleeperd/sleeperd/types"
)

// TestDuckDBMapLogicalKeys has DuckDB read a file of sleeperd's writer holding maps whose
// keys and values are uuid, time and json (named by their fields' metadata, as a table's
// stored schema names them), with dictionary encoding and without: DuckDB gives the maps
// the types MAP(UUID, TIME) and MAP(TIME, JSON) and reads the values written.
func TestDuckDBMapLogicalKeys(t *testing.T) {
	dir, _, duck := roundTrip(t)
	named := func(name string, dt arrow.DataType, sql string, nullable bool) arrow.Field {
		return arrow.Field{Name: name, Type: dt, Nullable: nullable, Metadata: arrow.NewMetadata([]string{types.SQLTypeKey}, []string{sql})}
	}
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "id", Type: arrow.PrimitiveTypes.Int32},
		{Name: "ut", Type: arrow.MapOfFields(named("key", arrow.BinaryTypes.Binary, "uuid", false), named("value", arrow.PrimitiveTypes.Int64, "time", true)), Nullable: true},
		{Name: "tj", Type: arrow.MapOfFields(named("key", arrow.PrimitiveTypes.Int64, "time", false), named("value", arrow.BinaryTypes.String, "jsonb", true)), Nullable: true},
	}, nil)
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	b := array.NewRecordBuilder(mem, schema)
	defer b.Release()
	ut, tj := b.Field(1).(*array.MapBuilder), b.Field(2).(*array.MapBuilder)
	b.Field(0).(*array.Int32Builder).AppendValues([]int32{0, 1, 2}, nil)
	ut.Append(true)
	ut.KeyBuilder().(*array.BinaryBuilder).Append([]byte{0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff})
	ut.ItemBuilder().(*array.Int64Builder).Append(3723456789)
	ut.KeyBuilder().(*array.BinaryBuilder).Append(bytes.Repeat([]byte{0xff}, 16))
	ut.ItemBuilder().AppendNull()
	tj.Append(true)
	tj.KeyBuilder().(*array.Int64Builder).Append(43200000000)
	tj.ItemBuilder().(*array.StringBuilder).Append(`{"a": [1, 2]}`)
	ut.Append(true)
	tj.AppendNull()
	ut.AppendNull()
	tj.Append(true)
	batch := b.NewRecordBatch()
	defer batch.Release()
	// Each map compared with the one of row 0, as DuckDB's literal of its types.
	want := [][]string{{"0", "true", "2", "true", "1"}, {"1", "false", "0", "NULL", "NULL"}, {"2", "NULL", "NULL", "false", "0"}}
	const view = `SELECT id::VARCHAR,
		coalesce((ut = MAP {UUID '00112233-4455-6677-8899-aabbccddeeff': TIME '01:02:03.456789', UUID 'ffffffff-ffff-ffff-ffff-ffffffffffff': NULL})::VARCHAR, 'NULL'),
		coalesce(cardinality(ut)::VARCHAR, 'NULL'),
		coalesce((tj = MAP {TIME '12:00:00': '{"a": [1, 2]}'::JSON})::VARCHAR, 'NULL'),
		coalesce(cardinality(tj)::VARCHAR, 'NULL')
		FROM read_parquet('%s') ORDER BY id`
	for _, dict := range []bool{false, true} {
		var buf bytes.Buffer
		w, err := parquet.NewWriter(&buf, schema, parquet.Properties{Dictionary: dict})
		if err != nil {
			t.Fatal(err)
		}
		if err := w.Write(batch); err != nil {
			t.Fatal(err)
		}
		if _, err := w.Close(); err != nil {
			t.Fatal(err)
		}
		f := filepath.Join(dir, fmt.Sprintf("maps_%v.parquet", dict))
		if err := os.WriteFile(f, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		compareRows(t, fmt.Sprintf("the types DuckDB gives the maps (dictionary=%v)", dict),
			duck(fmt.Sprintf("SELECT column_name, column_type FROM (DESCRIBE SELECT ut, tj FROM read_parquet('%s'))", f)),
			[][]string{{"ut", "MAP(UUID, TIME)"}, {"tj", "MAP(TIME, JSON)"}})
		compareRows(t, fmt.Sprintf("DuckDB reading the maps (dictionary=%v)", dict),
			duck(fmt.Sprintf(view, f)), want)
	}
}

// TestReadParquetDuckDBMapLogicalKeys has sleeperd read a file DuckDB wrote holding maps of
// UUID keys and TIME values and of TIME keys and JSON values: read_parquet gives the keys and
// values the types uuid, time and json, so the maps show them as uuid and time text (not
// bytea and bigint), and so does a table made of the file with CREATE TABLE ... AS.
func TestReadParquetDuckDBMapLogicalKeys(t *testing.T) {
	dir, run, duck := roundTrip(t)
	in := filepath.Join(dir, "duck_maps.parquet")
	duck(fmt.Sprintf(`COPY (SELECT * FROM (VALUES
		(0, MAP {UUID '00112233-4455-6677-8899-aabbccddeeff': TIME '01:02:03.456789', UUID 'ffffffff-ffff-ffff-ffff-ffffffffffff': NULL},
			MAP {TIME '12:00:00': '{"a": [1, 2]}'::JSON}),
		(1, NULL, NULL)
	) v(id, ut, tj)) TO '%s' (FORMAT parquet)`, in))
	want := [][]string{
		{"0", `{"00112233-4455-6677-8899-aabbccddeeff": "01:02:03.456789", "ffffffff-ffff-ffff-ffff-ffffffffffff": null}`, `{"12:00:00": "{\"a\": [1, 2]}"}`, "01:02:03.456789"},
		{"1", "NULL", "NULL", "NULL"},
	}
	const q = `SELECT id::text, coalesce(ut::text, 'NULL'), coalesce(tj::text, 'NULL'),
		coalesce(ut ->> '00112233-4455-6677-8899-aabbccddeeff', 'NULL') FROM %s ORDER BY id`
	compareRows(t, "read_parquet of DuckDB's maps", run(fmt.Sprintf(q, fmt.Sprintf("read_parquet('%s')", in))), want)
	run(fmt.Sprintf("CREATE TABLE duck_maps WITH (row_keys = 'id') AS SELECT * FROM read_parquet('%s')", in))
	compareRows(t, "a table of DuckDB's maps", run(fmt.Sprintf(q, "duck_maps")), want)
}
