package engine

import (
	"bytes"
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/extensions"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet/file"

	"github.com/sleeperd/sleeperd/storage/objstore"
	"github.com/sleeperd/sleeperd/storage/parquet"
	"github.com/sleeperd/sleeperd/types"
)

// dataFileLeaves is, for each data file in store, the physical and logical type of each of
// its leaves (as arrow-go's reader sees them) by path.
func dataFileLeaves(t *testing.T, store *objstore.Mem) map[string]map[string]string {
	t.Helper()
	names, err := store.List(context.Background(), "")
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]map[string]string{}
	for _, name := range names {
		if !strings.HasSuffix(name, ".parquet") {
			continue
		}
		data, err := store.ReadAll(context.Background(), name)
		if err != nil {
			t.Fatal(err)
		}
		pf, err := file.NewParquetReader(bytes.NewReader(data))
		if err != nil {
			t.Fatal(err)
		}
		s := pf.MetaData().Schema
		got := map[string]string{}
		for i := range s.NumColumns() {
			col := s.Column(i)
			got[col.Path()] = col.PhysicalType().String() + " " + col.LogicalType().String()
		}
		pf.Close()
		out[name] = got
	}
	if len(out) == 0 {
		t.Fatalf("no data files among %v", names)
	}
	return out
}

// TestCTASReadParquetLogicalStruct makes a table of a Parquet file (written as DuckDB and
// Spark write theirs, without an Arrow schema) whose struct has TIME and UUID fields: the
// table's record column keeps the fields' SQL types time and uuid, also after reopening,
// and its data files give the struct's leaves Parquet's TIME and UUID logical types, as a
// table of a declared composite type does, with the values of the file.
func TestCTASReadParquetLogicalStruct(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	uuidType := extensions.NewUUIDType()
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "k", Type: arrow.PrimitiveTypes.Int32},
		{Name: "r", Type: arrow.StructOf(
			arrow.Field{Name: "t", Type: arrow.FixedWidthTypes.Time64us, Nullable: true},
			arrow.Field{Name: "u", Type: uuidType, Nullable: true},
		), Nullable: true},
	}, nil)
	b := array.NewRecordBuilder(memory.NewGoAllocator(), schema)
	sb := b.Field(1).(*array.StructBuilder)
	for k := range 3 {
		b.Field(0).(*array.Int32Builder).Append(int32(k))
		switch k {
		case 0:
			sb.Append(true)
			sb.FieldBuilder(0).(*array.Time64Builder).Append(arrow.Time64(3723456789))
			sb.FieldBuilder(1).(*extensions.UUIDBuilder).Append([16]byte{0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff})
		case 1:
			sb.Append(true)
			sb.FieldBuilder(0).AppendNull()
			sb.FieldBuilder(1).AppendNull()
		case 2:
			sb.AppendNull()
		}
	}
	batch := b.NewRecordBatch()
	b.Release()
	defer batch.Release()
	in := filepath.Join(t.TempDir(), "in.parquet")
	writePqarrow(t, in, batch)

	store := objstore.NewMem()
	e, c := open(t, store, mem)
	run(t, c, fmt.Sprintf("CREATE TABLE ct WITH (row_keys = 'k') AS SELECT * FROM read_parquet('%s')", in))
	const q = "SELECT k, (r).t::text, (r).u::text, pg_typeof((r).t)::text, pg_typeof((r).u)::text FROM ct ORDER BY k"
	const want = "[[0 01:02:03.456789 00112233-4455-6677-8899-aabbccddeeff time without time zone uuid] " +
		"[1 NULL NULL time without time zone uuid] [2 NULL NULL time without time zone uuid]]"
	if got := runText(t, c, q); got != want {
		t.Errorf("%s\n got %s\nwant %s", q, got, want)
	}
	for name, leaves := range dataFileLeaves(t, store) {
		for path, w := range map[string]string{
			"r.t": "INT64 Time(isAdjustedToUTC=false, timeUnit=microseconds)",
			"r.u": "FIXED_LEN_BYTE_ARRAY UUID",
		} {
			if leaves[path] != w {
				t.Errorf("%s: leaf %s is %q, want %q (leaves %v)", name, path, leaves[path], w, leaves)
			}
		}
	}
	e, c = reopen(t, e, c, store, mem)
	defer e.Close()
	defer c.Close()
	if got := runText(t, c, q); got != want {
		t.Errorf("after reopening: %s\n got %s\nwant %s", q, got, want)
	}
	run(t, c, "INSERT INTO ct SELECT k + 10, r FROM ct WHERE k = 0")
	for name, leaves := range dataFileLeaves(t, store) {
		if leaves["r.t"] != "INT64 Time(isAdjustedToUTC=false, timeUnit=microseconds)" || leaves["r.u"] != "FIXED_LEN_BYTE_ARRAY UUID" {
			t.Errorf("after reopening: %s: leaves %v", name, leaves)
		}
	}
}

// TestTimeTZArrayInDataFiles writes a table of timetz and timetz[] columns: Parquet has no
// logical type that keeps an offset, so the array's element leaf is the plain INT64 of the
// packed values, as the timetz column's leaf is, and the file's Arrow schema names the
// column's SQL type (_timetz, as it names the timetz column's), from which readers that
// look (and sleeperd) know the values' form; the rows read back as inserted, also after
// reopening.
func TestTimeTZArrayInDataFiles(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	store := objstore.NewMem()
	e, c := open(t, store, mem)
	run(t, c, "CREATE TABLE tzs (k int, tz timetz, tza timetz[]) WITH (row_keys = 'k')")
	run(t, c, `INSERT INTO tzs VALUES (1, '04:05:06.789-08', ARRAY['10:00:00+05:30'::timetz, NULL, '23:59:59.999999-15:59']),
		(2, NULL, ARRAY[]::timetz[]), (3, '00:00:00+00', NULL)`)
	const q = "SELECT k, tz::text, tza::text FROM tzs ORDER BY k"
	const want = "[[1 04:05:06.789-08 {10:00:00+05:30,NULL,23:59:59.999999-15:59}] [2 NULL {}] [3 00:00:00+00 NULL]]"
	if got := runText(t, c, q); got != want {
		t.Errorf("%s\n got %s\nwant %s", q, got, want)
	}
	for name, leaves := range dataFileLeaves(t, store) {
		if leaves["tza.list.element"] != leaves["tz"] || !strings.HasPrefix(leaves["tz"], "INT64 ") {
			t.Errorf("%s: timetz leaf %q, timetz[] element leaf %q, want the same INT64", name, leaves["tz"], leaves["tza.list.element"])
		}
		data, err := store.ReadAll(context.Background(), name)
		if err != nil {
			t.Fatal(err)
		}
		f, err := parquet.Open(bytes.NewReader(data), int64(len(data)))
		if err != nil {
			t.Fatal(err)
		}
		for _, w := range [][2]string{{"tz", "timetz"}, {"tza", "_timetz"}} {
			i := f.Schema().FieldIndices(w[0])
			if len(i) != 1 {
				t.Fatalf("%s: schema %s", name, f.Schema())
			}
			if got, _ := f.Schema().Field(i[0]).Metadata.GetValue(types.SQLTypeKey); got != w[1] {
				t.Errorf("%s: column %s is named %q in the file's Arrow schema, want %q", name, w[0], got, w[1])
			}
		}
	}
	e, c = reopen(t, e, c, store, mem)
	defer e.Close()
	defer c.Close()
	if got := runText(t, c, q); got != want {
		t.Errorf("after reopening: %s\n got %s\nwant %s", q, got, want)
	}
}
