package engine

import (
	"fmt"
	"path/filepath"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/sleeperd/sleeperd/errs"
	"github.com/sleeperd/sleeperd/format/pgvalue"
	"github.com/sleeperd/sleeperd/storage/objstore"
)

// writeNestedParquet writes rows [0, 6) of a file with a struct column (a NULL record, a
// record of NULL fields, text that needs quoting) and a map column (a NULL map, an empty map,
// a NULL value) with arrow-go's pqarrow.
func writeNestedParquet(t *testing.T, name string) {
	t.Helper()
	rb := array.NewRecordBuilder(memory.NewGoAllocator(), arrow.NewSchema([]arrow.Field{
		{Name: "k", Type: arrow.PrimitiveTypes.Int64},
		{Name: "s", Type: arrow.StructOf(
			arrow.Field{Name: "a", Type: arrow.PrimitiveTypes.Int32, Nullable: true},
			arrow.Field{Name: "b", Type: arrow.BinaryTypes.String, Nullable: true},
		), Nullable: true},
		{Name: "m", Type: arrow.MapOf(arrow.BinaryTypes.String, arrow.PrimitiveTypes.Int64), Nullable: true},
	}, nil))
	defer rb.Release()
	type rec struct {
		null bool
		a    *int32
		b    *string
	}
	i32 := func(v int32) *int32 { return &v }
	str := func(v string) *string { return &v }
	recs := []rec{{a: i32(1), b: str("x")}, {null: true}, {}, {a: i32(1), b: str("a b")}, {a: i32(-2), b: str(`q"(`)}, {a: i32(1), b: str("x")}}
	for k, r := range recs {
		rb.Field(0).(*array.Int64Builder).Append(int64(k))
		sb := rb.Field(1).(*array.StructBuilder)
		if r.null {
			sb.AppendNull()
		} else {
			sb.Append(true)
			if r.a != nil {
				sb.FieldBuilder(0).(*array.Int32Builder).Append(*r.a)
			} else {
				sb.FieldBuilder(0).AppendNull()
			}
			if r.b != nil {
				sb.FieldBuilder(1).(*array.StringBuilder).Append(*r.b)
			} else {
				sb.FieldBuilder(1).AppendNull()
			}
		}
		mb := rb.Field(2).(*array.MapBuilder)
		switch k {
		case 1:
			mb.AppendNull()
		case 2:
			mb.Append(true)
		default:
			mb.Append(true)
			mb.KeyBuilder().(*array.StringBuilder).AppendValues([]string{"z", "a"}, nil)
			mb.ItemBuilder().(*array.Int64Builder).AppendValues([]int64{int64(k), 0}, []bool{true, k != 3})
		}
	}
	b := rb.NewRecordBatch()
	defer b.Release()
	writePqarrow(t, name, b)
}

// runText runs q and returns its rows as PostgreSQL prints them in text (NULL as "NULL").
func runText(t *testing.T, c Conn, q string) string {
	t.Helper()
	out, _, err := tryRunCells(c, q, nil, func(b arrow.RecordBatch, i, j int) string {
		if b.Column(j).IsNull(i) {
			return "NULL"
		}
		return string(pgvalue.AppendField(nil, b.Schema().Field(j), b.Column(j), i, nil))
	})
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return fmt.Sprint(out)
}

// TestNestedValueColumns creates a keyed table with record and map value columns from a
// Parquet file of arrow-go's, and reads it back through writes, compaction, partition
// splitting, ordering, grouping and DISTINCT over records, and the iterator stack; nested
// columns cannot be keys.
func TestNestedValueColumns(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	_, c := open(t, objstore.NewMem(), mem)
	dir := t.TempDir()
	file := filepath.Join(dir, "nested.parquet")
	writeNestedParquet(t, file)

	const want = `[[0 (1,x) {"a": 0, "z": 0}] [1 NULL NULL] [2 (,) {}] [3 (1,"a b") {"a": null, "z": 3}] [4 (-2,"q""(") {"a": 0, "z": 4}] [5 (1,x) {"a": 0, "z": 5}]]`
	if got := runText(t, c, fmt.Sprintf("SELECT k, s, m FROM read_parquet('%s') ORDER BY k", file)); got != want {
		t.Fatalf("read_parquet: %s\nwant %s", got, want)
	}
	importErr(t, c, fmt.Sprintf("CREATE TABLE bad WITH (row_keys = 's') AS SELECT * FROM read_parquet('%s')", file), errs.NotImplemented)
	importErr(t, c, fmt.Sprintf("CREATE TABLE bad WITH (row_keys = 'k', sort_keys = 'm') AS SELECT * FROM read_parquet('%s')", file), errs.NotImplemented)

	run(t, c, fmt.Sprintf("CREATE TABLE n WITH (row_keys = 'k', split_threshold = 8, online = false, gc_delay = '0s') AS SELECT * FROM read_parquet('%s')", file))
	run(t, c, "INSERT INTO n SELECT k + 10, s, m FROM n")
	run(t, c, fmt.Sprintf("CREATE TABLE cp WITH (row_keys = 'k') AS SELECT * FROM read_parquet('%s') WHERE false", file))
	if _, tag := run(t, c, fmt.Sprintf("COPY cp FROM '%s' (FORMAT parquet)", file)); tag != "COPY 6" {
		t.Fatalf("COPY tag %q", tag)
	}
	if got := runText(t, c, "SELECT k, s, m FROM cp ORDER BY k"); got != want {
		t.Errorf("COPY FROM: %s\nwant %s", got, want)
	}
	if got := runText(t, c, "SELECT format_type(atttypid, atttypmod) FROM pg_attribute WHERE attrelid = 'n'::regclass AND attnum > 0 ORDER BY attnum"); got != "[[bigint] [record] [jsonb]]" {
		t.Errorf("column types %s", got)
	}
	check := func(when string) {
		t.Helper()
		if got := runText(t, c, "SELECT k, s, m FROM n WHERE k < 10 ORDER BY k"); got != want {
			t.Errorf("%s: %s\nwant %s", when, got, want)
		}
		if got := runText(t, c, "SELECT count(*), count(s), count(m) FROM n WHERE k >= 10"); got != "[[6 5 5]]" {
			t.Errorf("%s: counts %s", when, got)
		}
		// PostgreSQL's record order: field by field, NULL fields last; NULL records last.
		if got, w := runText(t, c, "SELECT s, count(*) FROM n WHERE k < 10 GROUP BY s ORDER BY s"), `[[(-2,"q""(") 1] [(1,"a b") 1] [(1,x) 2] [(,) 1] [NULL 1]]`; got != w {
			t.Errorf("%s: GROUP BY s: %s\nwant %s", when, got, w)
		}
		if got, w := runText(t, c, "SELECT DISTINCT s FROM n ORDER BY s DESC"), `[[NULL] [(,)] [(1,x)] [(1,"a b")] [(-2,"q""(")]]`; got != w {
			t.Errorf("%s: DISTINCT s: %s\nwant %s", when, got, w)
		}
	}
	check("after writes")
	if got, w := runText(t, c, "SELECT k, (s).a, (s).b, (s).a + 1 FROM n WHERE k < 10 ORDER BY k"), `[[0 1 x 2] [1 NULL NULL NULL] [2 NULL NULL NULL] [3 1 a b 2] [4 -2 q"( -1] [5 1 x 2]]`; got != w {
		t.Errorf("field selection: %s\nwant %s", got, w)
	}
	if got, w := runText(t, c, "SELECT (s).b, count(*) FROM n WHERE (s).a = 1 GROUP BY (s).b ORDER BY 1"), `[[a b 2] [x 4]]`; got != w {
		t.Errorf("field selection in WHERE and GROUP BY: %s\nwant %s", got, w)
	}
	importErr(t, c, "SELECT (s).zz FROM n", errs.UndefinedColumn)
	// A record column beside ROW(...) compares as record_cmp orders (NULL fields equal); an
	// untyped literal of the ROW(...) compares with no field (42804), as in PostgreSQL.
	if got, w := runText(t, c, "SELECT k, s = ROW(1, 'x'::text), s < ROW(1, 'y'::text), s = ROW(NULL::int, NULL::text) FROM n WHERE k < 10 ORDER BY k"), `[[0 t t f] [1 NULL NULL NULL] [2 f f t] [3 f t f] [4 f t f] [5 t t f]]`; got != w {
		t.Errorf("record comparisons: %s\nwant %s", got, w)
	}
	importErr(t, c, "SELECT s = ROW(1, 'x') FROM n", errs.DatatypeMismatch)
	importErr(t, c, "SELECT s = ROW(1, 2) FROM n", errs.DatatypeMismatch)
	importErr(t, c, "SELECT m = m FROM n", errs.UndefinedFunction)
	importErr(t, c, "SELECT m FROM n ORDER BY m", errs.NotImplemented)
	run(t, c, "VACUUM n")
	run(t, c, "VACUUM FULL n")
	if got := runText(t, c, "SELECT count(*) > 1 FROM sleeper.partitions WHERE table_name = 'n' AND leaf"); got != "[[t]]" {
		t.Errorf("the table did not split: %s", got)
	}
	check("after compaction and splitting")

	// Aggregation and age-off iterators keep the newest write's record and map.
	run(t, c, fmt.Sprintf("CREATE TABLE ia WITH (row_keys = 'k', aggregations = 'sum(n)', online = false, gc_delay = '0s') AS SELECT k, 1::bigint AS n, s, m FROM read_parquet('%s')", file))
	run(t, c, "INSERT INTO ia SELECT k, 10, s, NULL FROM n WHERE k IN (13, 14)")
	for _, when := range []string{"before", "after"} {
		if got, w := runText(t, c, "SELECT k, n, s, m FROM ia WHERE k BETWEEN 2 AND 4 ORDER BY k"), `[[2 1 (,) {}] [3 1 (1,"a b") {"a": null, "z": 3}] [4 1 (-2,"q""(") {"a": 0, "z": 4}]]`; got != w {
			t.Errorf("%s VACUUM FULL: %s\nwant %s", when, got, w)
		}
		run(t, c, "VACUUM FULL ia")
	}

	// Export and import round trip.
	out := filepath.Join(dir, "out")
	run(t, c, fmt.Sprintf("COPY n TO '%s' (FORMAT parquet)", out))
	run(t, c, fmt.Sprintf("CREATE TABLE n2 WITH (row_keys = 'k') AS SELECT * FROM read_parquet('%s')", out))
	sameRows(t, c, "SELECT k, s, m FROM n ORDER BY k", "SELECT k, s, m FROM n2 ORDER BY k")
}

// TestNestedValueColumnsHotCache reads a table with record and map columns through the hot
// cache: pinned, by key lookups and by scans, the flat columns cached and the nested ones
// read from their pages.
func TestNestedValueColumnsHotCache(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	_, c := openCache(t, objstore.NewMem(), mem, 64<<20)
	file := filepath.Join(t.TempDir(), "nested.parquet")
	writeNestedParquet(t, file)
	run(t, c, fmt.Sprintf("CREATE TABLE hc WITH (row_keys = 'k') AS SELECT * FROM read_parquet('%s')", file))
	run(t, c, "SELECT sleeper.cache_pin('hc')")
	for range 2 {
		if got, w := runText(t, c, "SELECT k, s, m FROM hc WHERE k = 3"), `[[3 (1,"a b") {"a": null, "z": 3}]]`; got != w {
			t.Errorf("lookup: %s\nwant %s", got, w)
		}
		if got, w := runText(t, c, "SELECT k, (s).b, m FROM hc WHERE k BETWEEN 1 AND 2 ORDER BY k"), `[[1 NULL NULL] [2 NULL {}]]`; got != w {
			t.Errorf("range: %s\nwant %s", got, w)
		}
		if got := runText(t, c, "SELECT count(*), count(s), count(m) FROM hc"); got != "[[6 5 5]]" {
			t.Errorf("scan: %s", got)
		}
	}
}
