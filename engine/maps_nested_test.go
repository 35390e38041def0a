package engine

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/sleeperd/sleeperd/errs"
	"github.com/sleeperd/sleeperd/storage/objstore"
)

// writeMapsInCompositesParquet writes rows [0, rows) of a file with a struct holding a map,
// a list of maps, a map of lists and a map of structs, with arrow-go's pqarrow: row 1 is NULL
// in each, row 2 has a NULL map field, a NULL list element and a NULL in a list value, row 3
// a NULL map value.
func writeMapsInCompositesParquet(t *testing.T, name string, rows int) {
	t.Helper()
	mapT := arrow.MapOf(arrow.BinaryTypes.String, arrow.PrimitiveTypes.Int64)
	rb := array.NewRecordBuilder(memory.NewGoAllocator(), arrow.NewSchema([]arrow.Field{
		{Name: "k", Type: arrow.PrimitiveTypes.Int64},
		{Name: "s", Type: arrow.StructOf(
			arrow.Field{Name: "a", Type: arrow.PrimitiveTypes.Int32, Nullable: true},
			arrow.Field{Name: "m", Type: mapT, Nullable: true},
		), Nullable: true},
		{Name: "lm", Type: arrow.ListOf(mapT), Nullable: true},
		{Name: "ml", Type: arrow.MapOf(arrow.BinaryTypes.String, arrow.ListOf(arrow.PrimitiveTypes.Int64)), Nullable: true},
		{Name: "ms", Type: arrow.MapOf(arrow.BinaryTypes.String, arrow.StructOf(arrow.Field{Name: "x", Type: arrow.PrimitiveTypes.Int64, Nullable: true}, arrow.Field{Name: "y", Type: arrow.BinaryTypes.String, Nullable: true})), Nullable: true},
	}, nil))
	defer rb.Release()
	for k := range rows {
		rb.Field(0).(*array.Int64Builder).Append(int64(k))
		sb := rb.Field(1).(*array.StructBuilder)
		lb := rb.Field(2).(*array.ListBuilder)
		mlb := rb.Field(3).(*array.MapBuilder)
		msb := rb.Field(4).(*array.MapBuilder)
		if k%10 == 1 {
			sb.AppendNull()
			lb.AppendNull()
			mlb.AppendNull()
			msb.AppendNull()
			continue
		}
		sb.Append(true)
		sb.FieldBuilder(0).(*array.Int32Builder).Append(int32(k))
		mb := sb.FieldBuilder(1).(*array.MapBuilder)
		if k%10 == 2 {
			mb.AppendNull()
		} else {
			mb.Append(true)
			mb.KeyBuilder().(*array.StringBuilder).AppendValues([]string{"z", "a"}, nil)
			mb.ItemBuilder().(*array.Int64Builder).AppendValues([]int64{int64(k), 7}, []bool{true, k%10 != 3})
		}
		lb.Append(true)
		em := lb.ValueBuilder().(*array.MapBuilder)
		em.Append(true)
		em.KeyBuilder().(*array.StringBuilder).AppendValues([]string{"p"}, nil)
		em.ItemBuilder().(*array.Int64Builder).AppendValues([]int64{int64(k)}, nil)
		em.AppendNull()
		em.Append(true)
		mlb.Append(true)
		mlb.KeyBuilder().(*array.StringBuilder).AppendValues([]string{"xs", "e", "n"}, nil)
		il := mlb.ItemBuilder().(*array.ListBuilder)
		il.Append(true)
		il.ValueBuilder().(*array.Int64Builder).AppendValues([]int64{1, int64(k)}, []bool{true, k%10 != 2})
		il.Append(true)
		il.AppendNull()
		msb.Append(true)
		msb.KeyBuilder().(*array.StringBuilder).AppendValues([]string{"r"}, nil)
		is := msb.ItemBuilder().(*array.StructBuilder)
		is.Append(true)
		is.FieldBuilder(0).(*array.Int64Builder).Append(int64(k * 10))
		is.FieldBuilder(1).(*array.StringBuilder).Append("a \"q\"")
	}
	b := rb.NewRecordBatch()
	defer b.Release()
	writePqarrow(t, name, b)
}

// TestMapsInComposites reads a Parquet file of arrow-go's with maps inside a struct, a list of
// maps, and maps of lists and of structs: read_parquet, CREATE TABLE ... AS and COPY FROM
// take them; they show as jsonb (inside the record's text, as jsonb[] elements, as JSON
// arrays and objects inside the map); the jsonb operators take them; ROW(...) holds a map;
// INSERT ... SELECT, UPDATE and DELETE write them; splitting, compaction and reopening the
// engine keep every value.
func TestMapsInComposites(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	store := objstore.NewMem()
	e, c := open(t, store, mem)
	file := filepath.Join(t.TempDir(), "maps.parquet")
	writeMapsInCompositesParquet(t, file, 40)

	const want = `[[0 (0,"{""a"": 7, ""z"": 0}") {"{\"p\": 0}",NULL,"{}"} {"e": [], "n": null, "xs": [1, 0]} {"r": {"x": 0, "y": "a \"q\""}}] ` +
		`[1 NULL NULL NULL NULL] ` +
		`[2 (2,) {"{\"p\": 2}",NULL,"{}"} {"e": [], "n": null, "xs": [1, null]} {"r": {"x": 20, "y": "a \"q\""}}] ` +
		`[3 (3,"{""a"": null, ""z"": 3}") {"{\"p\": 3}",NULL,"{}"} {"e": [], "n": null, "xs": [1, 3]} {"r": {"x": 30, "y": "a \"q\""}}]]`
	pgText := func(q, want string) {
		t.Helper()
		if got := runText(t, c, q); got != want {
			t.Errorf("%s\n got %s\nwant %s", q, got, want)
		}
	}
	pgText(fmt.Sprintf("SELECT k, s, lm, ml, ms FROM read_parquet('%s') WHERE k < 4 ORDER BY k", file), want)
	run(t, c, fmt.Sprintf("CREATE TABLE mc WITH (row_keys = 'k', split_threshold = 10, gc_delay = '0s') AS SELECT * FROM read_parquet('%s')", file))
	run(t, c, fmt.Sprintf("CREATE TABLE cp WITH (row_keys = 'k') AS SELECT * FROM read_parquet('%s') WHERE false", file))
	if _, tag := run(t, c, fmt.Sprintf("COPY cp FROM '%s' (FORMAT parquet)", file)); tag != "COPY 40" {
		t.Fatalf("COPY tag %q", tag)
	}
	pgText("SELECT k, s, lm, ml, ms FROM cp WHERE k < 4 ORDER BY k", want)
	expect(t, c, "SELECT string_agg(format_type(atttypid, atttypmod), ' ' ORDER BY attnum) FROM pg_attribute WHERE attrelid = 'mc'::regclass AND attnum > 0", "bigint record jsonb[] jsonb jsonb")

	// The jsonb operators take a map (a record's field, an array's element, a map holding
	// arrays and records) as the jsonb it is shown as; casts to text and jsonb give that text.
	expect(t, c, `SELECT k, (s).m -> 'z', (s).m ->> 'a', lm[1] ->> 'p', ml -> 'xs' -> 1, ml #>> '{xs,0}', ms -> 'r' ->> 'y', ml ? 'e', jsonb_typeof(ml -> 'e'),
		s::text, lm::text, ml::text, (ms::jsonb -> 'r') = '{"y": "a \"q\"", "x": 30}'::jsonb FROM mc WHERE k BETWEEN 2 AND 3 ORDER BY k`,
		`2 (null) (null) 2 null 1 a "q" true array (2,) {"{\"p\": 2}",NULL,"{}"} {"e": [], "n": null, "xs": [1, null]} false|`+
			`3 3 (null) 3 3 1 a "q" true array (3,"{""a"": null, ""z"": 3}") {"{\"p\": 3}",NULL,"{}"} {"e": [], "n": null, "xs": [1, 3]} true`)
	expect(t, c, `SELECT (s).m @> '{"z": 0}', ms @> '{"r": {"x": 0}}', (s).m ?| '{q,a}', ml #> '{xs}', (ml - 'xs')::text, ((s).m || '{"b": 1}')::text FROM mc WHERE k = 0`,
		`true true true [1, 0] {"e": [], "n": null} {"a": 7, "b": 1, "z": 0}`)
	// Only a map is written into a map column.
	for _, q := range []string{`INSERT INTO mc (k, ml) VALUES (1000, '{"xs": [1]}'::jsonb)`, `UPDATE mc SET ml = '{}' WHERE k = 0`} {
		if _, _, err := tryRun(c, q); !errors.Is(err, errs.DatatypeMismatch) {
			t.Errorf("%s: %v, want 42804", q, err)
		}
	}
	// A map assigned to a jsonb column or a jsonb field of a composite type is its jsonb.
	run(t, c, "CREATE TYPE kj AS (k bigint, j jsonb)")
	run(t, c, "CREATE TABLE js (k bigint, j jsonb, r kj) WITH (row_keys = 'k')")
	run(t, c, "INSERT INTO js SELECT k, ml, ROW(k, (s).m) FROM mc WHERE k < 3")
	expect(t, c, "SELECT k, j::text, r::text, j ->> 'xs' FROM js ORDER BY k",
		`0 {"e": [], "n": null, "xs": [1, 0]} (0,"{""a"": 7, ""z"": 0}") [1, 0]|1 (null) (1,) (null)|2 {"e": [], "n": null, "xs": [1, null]} (2,) [1, null]`)
	expect(t, c, "SELECT ROW(k, (s).m, ml)::text FROM mc WHERE k = 0", `(0,"{""a"": 7, ""z"": 0}","{""e"": [], ""n"": null, ""xs"": [1, 0]}")`)
	// Maps still neither compare nor order (they are not jsonb values until cast).
	for _, q := range []string{"SELECT (s).m = (s).m FROM mc", "SELECT ml = ml FROM mc"} {
		if _, _, err := tryRun(c, q); !errors.Is(err, errs.UndefinedFunction) {
			t.Errorf("%s: %v, want 42883", q, err)
		}
	}
	for _, q := range []string{"SELECT k FROM mc ORDER BY s", "SELECT k FROM mc ORDER BY ms"} {
		if _, _, err := tryRun(c, q); !errors.Is(err, errs.NotImplemented) {
			t.Errorf("%s: %v, want 0A000", q, err)
		}
	}

	// Writes: INSERT ... SELECT copies them, UPDATE sets a column from another row's value.
	run(t, c, "INSERT INTO mc SELECT k + 100, s, lm, ml, ms FROM mc WHERE k < 20")
	run(t, c, "UPDATE mc SET s = NULL, ms = NULL, lm = ARRAY[lm[3], NULL] WHERE k = 105")
	run(t, c, "DELETE FROM mc WHERE k = 104")
	const all = "SELECT k, s, lm, ml, ms, (s).m ->> 'z' FROM mc ORDER BY k"
	rows, _ := run(t, c, all)
	if len(rows) != 59 {
		t.Fatalf("%d rows", len(rows))
	}
	expect(t, c, "SELECT s IS NULL, ms IS NULL, lm::text FROM mc WHERE k = 105", `true true {"{}",NULL}`)
	splitAndCompact(t, c, "mc", all, rows)
	e, c = reopen(t, e, c, store, mem)
	defer e.Close()
	defer c.Close()
	rowsAre(t, c, all, rows, "after reopening")
	pgText("SELECT k, s, lm, ml, ms FROM mc WHERE k < 4 ORDER BY k", want)
}

// TestMapsInCompositesHotCache reads maps inside records and arrays, and maps of arrays and
// records, through the hot cache, and a record column through it across ALTER TYPE of its
// type: lookups and scans give what the files give.
func TestMapsInCompositesHotCache(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	_, c := openCache(t, objstore.NewMem(), mem, 64<<20)
	file := filepath.Join(t.TempDir(), "maps.parquet")
	writeMapsInCompositesParquet(t, file, 12)
	run(t, c, fmt.Sprintf("CREATE TABLE hc WITH (row_keys = 'k') AS SELECT * FROM read_parquet('%s')", file))
	run(t, c, "SELECT sleeper.cache_pin('hc')")
	want := runText(t, c, fmt.Sprintf("SELECT k, s, lm, ml, ms FROM read_parquet('%s') WHERE k IN (2, 3) ORDER BY k", file))
	for range 2 {
		if got := runText(t, c, "SELECT k, s, lm, ml, ms FROM hc WHERE k IN (2, 3) ORDER BY k"); got != want {
			t.Errorf("lookup: %s\nwant %s", got, want)
		}
		expect(t, c, "SELECT count(*), count(s), count((s).m ->> 'z'), count(lm[1] ->> 'p') FROM hc", "12 10 9 10")
	}

	run(t, c, "CREATE TYPE hp AS (x integer, y text)")
	run(t, c, "CREATE TABLE ht (k bigint, p hp) WITH (row_keys = 'k')")
	run(t, c, "INSERT INTO ht VALUES (1, ROW(1, 'a')), (2, ROW(2, 'b'))")
	run(t, c, "SELECT sleeper.cache_pin('ht')")
	expect(t, c, "SELECT p::text FROM ht WHERE k = 2", "(2,b)")
	run(t, c, "ALTER TYPE hp ADD ATTRIBUTE z bigint")
	run(t, c, "ALTER TYPE hp DROP ATTRIBUTE x")
	for range 2 {
		expect(t, c, "SELECT p::text, (p).z FROM ht WHERE k = 2", "(b,) (null)")
		expect(t, c, "SELECT string_agg(p::text, ' ' ORDER BY k) FROM ht", "(a,) (b,)")
	}
}

// TestAlterTypeBesideOpenBlock: rows a transaction block of another session wrote in a
// composite type's old shape, committed after ALTER TYPE changed the type, read in the new
// shape (a reshape cannot fail), before and after compaction; the block's files hold the
// column under its former stored name.
func TestAlterTypeBesideOpenBlock(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	e, a := open(t, objstore.NewMem(), mem)
	b, err := e.Connect(context.Background(), "test", "test")
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	run(t, a, "CREATE TYPE bp AS (x integer, y text)")
	run(t, a, "CREATE TABLE bt (k bigint, p bp) WITH (row_keys = 'k', gc_delay = '0s')")
	run(t, a, "INSERT INTO bt VALUES (1, ROW(1, 'a'))")
	run(t, b, "BEGIN")
	run(t, b, "INSERT INTO bt VALUES (2, ROW(2, 'b'))")
	run(t, a, "ALTER TYPE bp DROP ATTRIBUTE x")
	run(t, a, "ALTER TYPE bp ADD ATTRIBUTE z integer")
	run(t, b, "COMMIT")
	rows, _ := run(t, a, "SELECT k, p::text FROM bt ORDER BY k")
	if rowsText(rows) != "1 (a,)|2 (b,)" {
		t.Errorf("rows after ALTER TYPE: %v", rows)
	}
	run(t, a, "VACUUM FULL bt")
	if got, _ := run(t, a, "SELECT k, p::text FROM bt ORDER BY k"); rowsText(got) != rowsText(rows) {
		t.Errorf("after compaction %v, before %v", got, rows)
	}
}
