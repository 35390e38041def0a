package engine

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/sleeperd/sleeperd/errs"
	"github.com/sleeperd/sleeperd/storage/objstore"
)

// TestNestedColumnsCompactAndSplit runs compaction, splitting, deletes, updates and a
// reopening of the engine over a table whose value columns are composite values holding a
// composite value and arrays, and arrays of composite values (nested Parquet columns): the
// rows read back the same through every step.
func TestNestedColumnsCompactAndSplit(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	store := objstore.NewMem()
	e, c := open(t, store, mem)
	run(t, c, "CREATE TYPE inner_t AS (a integer, b text)")
	run(t, c, "CREATE TYPE outer_t AS (i inner_t, xs bigint[], n numeric, rs inner_t[])")
	run(t, c, "CREATE TABLE nt (k bigint, o outer_t, rs inner_t[], m text) WITH (row_keys = 'k', split_threshold = 150, gc_delay = '0s')")
	row := func(k int) string {
		switch k % 5 {
		case 0:
			return fmt.Sprintf("(%d, NULL, NULL, 'n')", k)
		case 1:
			return fmt.Sprintf("(%d, ROW(NULL, NULL, NULL, NULL), '{}', 'e')", k)
		}
		return fmt.Sprintf("(%d, ROW(ROW(%d, 'b%d'), ARRAY[%d, NULL, %d], %d.25, ARRAY[ROW(%d, NULL)::inner_t, NULL]), ARRAY[ROW(%d, 'x y')::inner_t, ROW(NULL, NULL)::inner_t, NULL], 'v')",
			k, k, k%7, k, -k, k, k%3, k)
	}
	insertRows(t, c, "nt", 300, 60, row)
	const all = "SELECT k, o, rs, (o).i, ((o).i).b, (o).xs, (rs[1]).a FROM nt ORDER BY k"
	want, _ := run(t, c, all)
	if len(want) != 300 || want[2][1] == "" || want[2][2] == "" {
		t.Fatalf("rows %d: %v", len(want), want[:3])
	}
	splitAndCompact(t, c, "nt", all, want)
	run(t, c, "DELETE FROM nt WHERE k % 10 = 3")
	run(t, c, "UPDATE nt SET o = ROW((o).i, (o).xs || 99::bigint, (o).n + 1, (o).rs) WHERE k % 10 = 4")
	want, _ = run(t, c, all)
	if len(want) != 270 {
		t.Fatalf("%d rows after the delete", len(want))
	}
	expect(t, c, "SELECT (o).xs::text, (o).n FROM nt WHERE k = 4", "{4,NULL,-4,99} 5.25")
	run(t, c, "VACUUM FULL nt")
	rowsAre(t, c, all, want, "after compacting the delete and update")
	// 300 rows less 30 deleted; o is NULL for the 60 of k % 5 = 0; o and rs differ by k for
	// the 150 rows left of k % 5 in (2, 3, 4), and are alike (all-NULL fields, '{}') for
	// k % 5 = 1.
	expect(t, c, "SELECT count(*), count(o), count(DISTINCT o), count(DISTINCT rs) FROM nt", "270 210 151 151")
	e, c = reopen(t, e, c, store, mem)
	defer e.Close()
	defer c.Close()
	rowsAre(t, c, all, want, "after reopening")
	expect(t, c, "SELECT pg_typeof((o).i)::text, pg_typeof(rs)::text FROM nt WHERE k = 2", "inner_t inner_t[]")
}

// TestAlterTypeInUse: ALTER TYPE ADD, DROP and RENAME ATTRIBUTE change a composite type a
// table column (of the type and of an array of it) is of, as PostgreSQL does, without
// rewriting data files: rows written before read with the added field NULL, without the
// dropped one and under the new name, also after further writes, compaction, splitting and
// reopening the engine; a type another composite type is of stays 0A000.
func TestAlterTypeInUse(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	store := objstore.NewMem()
	e, c := open(t, store, mem)
	run(t, c, "CREATE TYPE pt AS (x integer, y text)")
	run(t, c, "CREATE TABLE pt_user (k bigint, p pt, ps pt[]) WITH (row_keys = 'k', split_threshold = 40, gc_delay = '0s')")
	var vals []string
	for k := range 60 {
		vals = append(vals, fmt.Sprintf("(%d, ROW(%d, 'y%d'), ARRAY[ROW(%d, NULL)::pt, NULL])", k, k, k, -k))
	}
	run(t, c, "INSERT INTO pt_user VALUES "+strings.Join(vals, ","))
	run(t, c, "INSERT INTO pt_user VALUES (100, NULL, NULL)")
	files, _ := run(t, c, "SELECT count(*) FROM sleeper.files WHERE table_name = 'pt_user'")
	run(t, c, "ALTER TYPE pt ADD ATTRIBUTE v integer")
	expect(t, c, "SELECT k, p::text, ps::text, (p).v FROM pt_user WHERE k IN (1, 100) ORDER BY k", `1 (1,y1,) {"(-1,,)",NULL} (null)|100 (null) (null) (null)`)
	if got, _ := run(t, c, "SELECT count(*) FROM sleeper.files WHERE table_name = 'pt_user'"); rowsText(got) != rowsText(files) {
		t.Errorf("files after ALTER TYPE: %v, before %v", got, files)
	}
	run(t, c, "INSERT INTO pt_user VALUES (200, ROW(2, 'n', 7), ARRAY[ROW(3, 'm', 8)::pt])")
	run(t, c, "ALTER TYPE pt RENAME ATTRIBUTE x TO xx")
	run(t, c, "ALTER TYPE pt DROP ATTRIBUTE y CASCADE")
	const all = "SELECT k, p::text, ps::text, (p).xx, (p).v, (ps[1]).xx FROM pt_user ORDER BY k"
	want := "1 (1,) {\"(-1,)\",NULL} 1 (null) -1|100 (null) (null) (null) (null) (null)|200 (2,7) {\"(3,8)\"} 2 7 3"
	expect(t, c, all+" LIMIT 0", "")
	expect(t, c, "SELECT k, p::text, ps::text, (p).xx, (p).v, (ps[1]).xx FROM pt_user WHERE k IN (1, 100, 200) ORDER BY k", want)
	if _, _, err := tryRun(c, "SELECT (p).y FROM pt_user"); !errors.Is(err, errs.UndefinedColumn) {
		t.Errorf("the dropped field: %v", err)
	}
	rows, _ := run(t, c, all)
	if len(rows) != 62 {
		t.Fatalf("%d rows", len(rows))
	}
	splitAndCompact(t, c, "pt_user", all, rows)
	e, c = reopen(t, e, c, store, mem)
	rowsAre(t, c, all, rows, "after reopening")
	run(t, c, "INSERT INTO pt_user VALUES (300, ROW(4, 5), NULL)")
	expect(t, c, "SELECT p::text FROM pt_user WHERE k = 300", "(4,5)")

	run(t, c, "CREATE TYPE pt_outer AS (p pt, n integer)")
	if _, _, err := tryRun(c, "ALTER TYPE pt DROP ATTRIBUTE v"); !errors.Is(err, errs.NotImplemented) || !strings.Contains(err.Error(), `column "pt_outer.p" uses it`) {
		t.Errorf("ALTER TYPE with a composite type's field of the type: %v", err)
	}
	c.Close()
	e.Close()
}

// TestCopyNestedComposites loads a Parquet file of arrow-go's whose struct holds a struct and
// a list, and whose list holds structs, into columns of a nested composite type and of an
// array of composite values with COPY FROM.
func TestCopyNestedComposites(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	_, c := open(t, objstore.NewMem(), mem)
	run(t, c, "CREATE TYPE inner_t AS (a integer, b text)")
	run(t, c, "CREATE TYPE outer_t AS (i inner_t, xs bigint[])")
	run(t, c, "CREATE TABLE nt (k bigint, o outer_t, rs inner_t[]) WITH (row_keys = 'k')")
	inner := arrow.StructOf(arrow.Field{Name: "a", Type: arrow.PrimitiveTypes.Int32, Nullable: true}, arrow.Field{Name: "b", Type: arrow.BinaryTypes.String, Nullable: true})
	sc := arrow.NewSchema([]arrow.Field{
		{Name: "k", Type: arrow.PrimitiveTypes.Int64},
		{Name: "o", Type: arrow.StructOf(arrow.Field{Name: "i", Type: inner, Nullable: true}, arrow.Field{Name: "xs", Type: arrow.ListOf(arrow.PrimitiveTypes.Int64), Nullable: true}), Nullable: true},
		{Name: "rs", Type: arrow.ListOf(inner), Nullable: true},
	}, nil)
	rb := array.NewRecordBuilder(memory.NewGoAllocator(), sc)
	ob, lb := rb.Field(1).(*array.StructBuilder), rb.Field(2).(*array.ListBuilder)
	for k := range 3 {
		rb.Field(0).(*array.Int64Builder).Append(int64(k))
		if k == 1 {
			ob.AppendNull()
			lb.AppendNull()
			continue
		}
		ob.Append(true)
		ib := ob.FieldBuilder(0).(*array.StructBuilder)
		ib.Append(true)
		ib.FieldBuilder(0).(*array.Int32Builder).Append(int32(k))
		ib.FieldBuilder(1).(*array.StringBuilder).Append("b c")
		xb := ob.FieldBuilder(1).(*array.ListBuilder)
		xb.Append(true)
		xb.ValueBuilder().(*array.Int64Builder).AppendValues([]int64{int64(k), -1}, nil)
		lb.Append(true)
		eb := lb.ValueBuilder().(*array.StructBuilder)
		eb.Append(true)
		eb.FieldBuilder(0).AppendNull()
		eb.FieldBuilder(1).(*array.StringBuilder).Append("e")
		eb.AppendNull()
	}
	b := rb.NewRecordBatch()
	rb.Release()
	name := filepath.Join(t.TempDir(), "nested.parquet")
	writePqarrow(t, name, b)
	b.Release()
	run(t, c, fmt.Sprintf("COPY nt FROM '%s' (FORMAT parquet)", name))
	expect(t, c, "SELECT k, o::text, rs::text, ((o).i).b, (rs[1]).b FROM nt ORDER BY k",
		`0 ("(0,""b c"")","{0,-1}") {"(,e)",NULL} b c e|1 (null) (null) (null) (null)|2 ("(2,""b c"")","{2,-1}") {"(,e)",NULL} b c e`)
}

// insertRows inserts into table the rows row(0) to row(n-1) (each a parenthesised VALUES
// row), batch of them to an INSERT.
func insertRows(t *testing.T, c Conn, table string, n, batch int, row func(k int) string) {
	t.Helper()
	var vals []string
	for k := range n {
		vals = append(vals, row(k))
		if len(vals) == batch || k == n-1 {
			run(t, c, "INSERT INTO "+table+" VALUES "+strings.Join(vals, ","))
			vals = vals[:0]
		}
	}
}

// rowsAre fails t when query's rows on c are not want (step names the point reached).
func rowsAre(t *testing.T, c Conn, query string, want [][]string, step string) {
	t.Helper()
	got, _ := run(t, c, query)
	if rowsText(got) != rowsText(want) {
		t.Fatalf("%s: rows differ\n got %v\nwant %v", step, got[:min(5, len(got))], want[:min(5, len(want))])
	}
}

// splitAndCompact runs VACUUM on table until a leaf has split (failing t if none has after
// four), then VACUUM FULL, checking after each that query's rows on c are want.
func splitAndCompact(t *testing.T, c Conn, table, query string, want [][]string) {
	t.Helper()
	for range 4 {
		run(t, c, "VACUUM "+table)
	}
	rows, _ := run(t, c, "SELECT count(*) FROM sleeper.partitions WHERE table_name = '"+table+"' AND leaf")
	if rows[0][0] == "1" {
		t.Fatalf("no split happened")
	}
	rowsAre(t, c, query, want, "after splitting")
	run(t, c, "VACUUM FULL "+table)
	rowsAre(t, c, query, want, "after compaction")
}
