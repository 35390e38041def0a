package flightsql

import (
	"testing"

	"github.com/apache/arrow-adbc/go/adbc"
	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// TestADBCIngestIntervalArrays appends Arrow lists of month_day_nano intervals (NULL lists,
// empty lists, NULL elements) to an interval[] column through the ADBC Flight SQL driver's
// bulk ingest, and reads them back as SQL text and as the same Arrow values, before and
// after VACUUM FULL rewrites the table's files.
func TestADBCIngestIntervalArrays(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	ctx := testCtx(t)
	srv := serve(t, Config{Engine: openEngine(t, mem), Alloc: mem})
	cnx := adbcConn(t, srv, mem, nil)
	if err := adbcExec(ctx, cnx, "CREATE TABLE spans (id bigint NOT NULL, a interval[]) WITH (row_keys = 'id')"); err != nil {
		t.Fatal(err)
	}
	sc := arrow.NewSchema([]arrow.Field{
		{Name: "id", Type: arrow.PrimitiveTypes.Int64},
		{Name: "a", Type: arrow.ListOf(arrow.FixedWidthTypes.MonthDayNanoInterval), Nullable: true},
	}, nil)
	b := array.NewRecordBuilder(mem, sc)
	defer b.Release()
	ids := b.Field(0).(*array.Int64Builder)
	lb := b.Field(1).(*array.ListBuilder)
	ib := lb.ValueBuilder().(*array.MonthDayNanoIntervalBuilder)
	ids.Append(1)
	lb.Append(true)
	ib.Append(arrow.MonthDayNanoInterval{Days: 1})
	ib.AppendNull()
	ib.Append(arrow.MonthDayNanoInterval{Months: 14, Days: -3, Nanoseconds: (4*3600+5*60+6)*1_000_000_000 + 789_000_000})
	ids.Append(2)
	lb.AppendNull()
	ids.Append(3)
	lb.Append(true)
	batch := b.NewRecordBatch()
	defer batch.Release()
	if n, err := adbcIngest(ctx, cnx, "spans", adbc.OptionValueIngestModeAppend, batch); err != nil || n != 3 {
		t.Fatalf("ingest: n=%d err=%v", n, err)
	}
	want := [][]string{
		{"1", `{"1 day",NULL,"1 year 2 mons -3 days +04:05:06.789"}`, "3", "1 day"},
		{"2", "NULL", "NULL", "NULL"},
		{"3", "{}", "0", "NULL"},
	}
	check := func(step string) {
		text := adbcQuery(ctx, t, cnx, "SELECT id, a::text, cardinality(a), a[1]::text FROM spans ORDER BY id")
		defer releaseAll(text)
		got := rowsOf(text)
		if len(got) != len(want) {
			t.Fatalf("%s: rows as SQL text: %v", step, got)
		}
		for i := range want {
			for j := range want[i] {
				if got[i][j] != want[i][j] {
					t.Errorf("%s: row %d column %d: %s, want %s", step, i+1, j+1, got[i][j], want[i][j])
				}
			}
		}
		back := adbcQuery(ctx, t, cnx, "SELECT id, a FROM spans ORDER BY id")
		defer releaseAll(back)
		if f := back[0].Schema().Field(1); !arrow.TypeEqual(f.Type, sc.Field(1).Type) {
			t.Errorf("%s: column a read as %s, want %s", step, f.Type, sc.Field(1).Type)
		}
		if !sameRows(t, back, []arrow.RecordBatch{batch}) {
			t.Errorf("%s: rows read back through ADBC differ from the rows ingested", step)
		}
	}
	check("after ingest")
	if err := adbcExec(ctx, cnx, "VACUUM FULL spans"); err != nil {
		t.Fatal(err)
	}
	check("after VACUUM FULL")
}
