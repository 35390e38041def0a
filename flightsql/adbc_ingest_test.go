package flightsql

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/apache/arrow-adbc/go/adbc"
	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/extensions"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/google/uuid"
)

// adbcIngest runs an ADBC bulk ingest (the driver sends CommandStatementIngest) of b into
// table in mode and returns the rows written.
func adbcIngest(ctx context.Context, cnx adbc.Connection, table, mode string, b arrow.RecordBatch) (int64, error) {
	st, err := cnx.NewStatement()
	if err != nil {
		return 0, err
	}
	defer st.Close()
	if err := st.SetOption(adbc.OptionKeyIngestTargetTable, table); err != nil {
		return 0, err
	}
	if err := st.SetOption(adbc.OptionKeyIngestMode, mode); err != nil {
		return 0, err
	}
	// BindStream, not Bind: the driver's single-batch path wraps the batch in a reader it
	// never releases, which the checked allocator would report as a leak.
	rdr, err := array.NewRecordReader(b.Schema(), []arrow.RecordBatch{b})
	if err != nil {
		return 0, err
	}
	err = st.BindStream(ctx, rdr)
	rdr.Release() // the statement keeps its own reference
	if err != nil {
		return 0, err
	}
	return st.ExecuteUpdate(ctx)
}

// adbcQuery runs a query through ADBC and returns its batches.
func adbcQuery(ctx context.Context, t *testing.T, cnx adbc.Connection, sql string) []arrow.RecordBatch {
	t.Helper()
	st, err := cnx.NewStatement()
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if err := st.SetSqlQuery(sql); err != nil {
		t.Fatal(err)
	}
	rr, _, err := st.ExecuteQuery(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer rr.Release()
	var out []arrow.RecordBatch
	for rr.Next() {
		b := rr.RecordBatch()
		b.Retain()
		out = append(out, b)
	}
	if err := rr.Err(); err != nil {
		releaseAll(out)
		t.Fatal(err)
	}
	return out
}

// TestADBCIngestLogicalTypes creates a table through the ADBC Flight SQL driver's bulk
// ingest from an Arrow schema whose metadata names the row key (the driver passes no ingest
// options of its own), with time64[us], arrow.uuid, arrow.json and list columns, appends to
// it and to a table created in SQL (jsonb normalised on the way), and reads everything back
// through ADBC as the same Arrow types and values.
func TestADBCIngestLogicalTypes(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	ctx := testCtx(t)
	eng := openEngine(t, mem)
	srv := serve(t, Config{Engine: eng, Alloc: mem})
	cnx := adbcConn(t, srv, mem, nil)

	jsonType, err := extensions.NewJSONType(arrow.BinaryTypes.String)
	if err != nil {
		t.Fatal(err)
	}
	md := arrow.NewMetadata([]string{OptionRowKeys}, []string{"id"})
	sc := arrow.NewSchema([]arrow.Field{
		{Name: "id", Type: arrow.PrimitiveTypes.Int64},
		{Name: "t", Type: arrow.FixedWidthTypes.Time64us, Nullable: true},
		{Name: "u", Type: extensions.NewUUIDType(), Nullable: true},
		{Name: "j", Type: jsonType, Nullable: true},
		{Name: "tags", Type: arrow.ListOf(arrow.BinaryTypes.String), Nullable: true},
	}, &md)
	build := func(from, n int) arrow.RecordBatch {
		b := array.NewRecordBuilder(mem, sc)
		defer b.Release()
		for i := from; i < from+n; i++ {
			b.Field(0).(*array.Int64Builder).Append(int64(i))
			if i%5 == 4 {
				for c := 1; c < 5; c++ {
					b.Field(c).AppendNull()
				}
				continue
			}
			b.Field(1).(*array.Time64Builder).Append(arrow.Time64(int64(i) * 37_000_001 % 86_400_000_000))
			var u uuid.UUID
			for k := range u {
				u[k] = byte(i*7 + k)
			}
			b.Field(2).(*extensions.UUIDBuilder).Append(u)
			b.Field(3).(*array.ExtensionBuilder).StorageBuilder().(*array.StringBuilder).Append(fmt.Sprintf(`{"a": %d, "b": [true, null]}`, i))
			lb := b.Field(4).(*array.ListBuilder)
			lb.Append(true)
			for k := range i % 3 {
				lb.ValueBuilder().(*array.StringBuilder).Append(fmt.Sprintf("t%d.%d", i, k))
			}
		}
		return b.NewRecordBatch()
	}

	const rows = 500
	first := build(0, rows)
	defer first.Release()
	if n, err := adbcIngest(ctx, cnx, "logical", adbc.OptionValueIngestModeCreate, first); err != nil || n != rows {
		t.Fatalf("ingest create: n=%d err=%v", n, err)
	}
	second := build(rows, rows)
	defer second.Release()
	if n, err := adbcIngest(ctx, cnx, "logical", adbc.OptionValueIngestModeAppend, second); err != nil || n != rows {
		t.Fatalf("ingest append: n=%d err=%v", n, err)
	}

	tbl, err := eng.Catalog().Table(ctx, "logical")
	if err != nil {
		t.Fatal(err)
	}
	if len(tbl.RowKeys) != 1 || tbl.Columns[tbl.RowKeys[0]].Name != "id" {
		t.Fatalf("row keys %v, want id", tbl.RowKeys)
	}

	// ADBC's table schema (Flight SQL GetTables with the schema) names the same types.
	ts, err := cnx.GetTableSchema(ctx, nil, nil, "logical")
	if err != nil {
		t.Fatal(err)
	}
	for i, f := range ts.Fields() {
		if !arrow.TypeEqual(f.Type, sc.Field(i).Type) {
			t.Errorf("table schema: column %s is %s, want %s", f.Name, f.Type, sc.Field(i).Type)
		}
	}

	got := adbcQuery(ctx, t, cnx, "SELECT id, t, u, j, tags FROM logical ORDER BY id")
	defer releaseAll(got)
	for i, f := range got[0].Schema().Fields() {
		if !arrow.TypeEqual(f.Type, sc.Field(i).Type) {
			t.Fatalf("column %s read as %s, want %s", f.Name, f.Type, sc.Field(i).Type)
		}
	}
	if !sameRows(t, got, []arrow.RecordBatch{first, second}) {
		t.Error("rows read back through ADBC differ from the rows ingested")
	}

	// SQL sees the same values as time, uuid and json.
	text := adbcQuery(ctx, t, cnx, "SELECT t::text, u::text, j->>'a', pg_typeof(t)::text, pg_typeof(u)::text, pg_typeof(j)::text FROM logical WHERE id = 1")
	defer releaseAll(text)
	row := rowsOf(text)
	if len(row) != 1 || row[0][0] != "00:00:37.000001" || row[0][1] != "0708090a-0b0c-0d0e-0f10-111213141516" || row[0][2] != "1" ||
		row[0][3] != "time without time zone" || row[0][4] != "uuid" || row[0][5] != "json" {
		t.Errorf("row 1 as SQL text: %v", row)
	}

	// Appending to a table created in SQL: jsonb values are normalised, times checked.
	exec := func(sql string) {
		t.Helper()
		st, err := cnx.NewStatement()
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		if err := st.SetSqlQuery(sql); err != nil {
			t.Fatal(err)
		}
		if _, err := st.ExecuteUpdate(ctx); err != nil {
			t.Fatal(err)
		}
	}
	exec("CREATE TABLE existing (id bigint NOT NULL, t time, u uuid, j jsonb, tags text[]) WITH (row_keys = 'id')")
	third := build(0, 10)
	defer third.Release()
	if n, err := adbcIngest(ctx, cnx, "existing", adbc.OptionValueIngestModeAppend, third); err != nil || n != 10 {
		t.Fatalf("ingest into existing: n=%d err=%v", n, err)
	}
	js := adbcQuery(ctx, t, cnx, "SELECT j::text, j = '{\"b\": [true, null], \"a\": 3}'::jsonb FROM existing WHERE id = 3")
	defer releaseAll(js)
	if r := rowsOf(js); len(r) != 1 || r[0][0] != `{"a": 3, "b": [true, null]}` || r[0][1] != "true" {
		t.Errorf("jsonb ingested: %v", r)
	}

	// A time past 24:00:00 is refused, and nothing of the batch is written.
	bad := func() arrow.RecordBatch {
		b := array.NewRecordBuilder(mem, sc)
		defer b.Release()
		b.Field(0).(*array.Int64Builder).Append(99)
		b.Field(1).(*array.Time64Builder).Append(arrow.Time64(86_400_000_001))
		for c := 2; c < 5; c++ {
			b.Field(c).AppendNull()
		}
		return b.NewRecordBatch()
	}()
	defer bad.Release()
	if _, err := adbcIngest(ctx, cnx, "existing", adbc.OptionValueIngestModeAppend, bad); err == nil || !strings.Contains(err.Error(), "time out of range") {
		t.Errorf("time past a day: %v", err)
	}
	cnt := adbcQuery(ctx, t, cnx, "SELECT count(*) FROM existing")
	defer releaseAll(cnt)
	if r := rowsOf(cnt); len(r) != 1 || r[0][0] != "10" {
		t.Errorf("rows after the refused ingest: %v", r)
	}
}
