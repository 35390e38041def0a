package flightsql

import (
	"strings"
	"testing"

	"github.com/apache/arrow-adbc/go/adbc"
	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/extensions"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/google/uuid"
)

// TestADBCIngestNestedLogicalTypes appends, through the ADBC Flight SQL driver's bulk
// ingest, Arrow structs holding arrow.uuid and time64[us] fields, lists of such structs and
// lists of arrow.uuid and time64[us] to a table of a composite type, an array of it, uuid[]
// and time[] columns; reads them back as SQL text and as the same Arrow types and values
// (in results and in the table schema);
// and refuses a time past 24:00:00 and a 15-byte uuid inside a record, writing nothing.
func TestADBCIngestNestedLogicalTypes(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	ctx := testCtx(t)
	srv := serve(t, Config{Engine: openEngine(t, mem), Alloc: mem})
	cnx := adbcConn(t, srv, mem, nil)
	for _, q := range []string{
		"CREATE TYPE stamp AS (n int, u uuid, t time)",
		"CREATE TABLE nested (id bigint NOT NULL, r stamp, rs stamp[], us uuid[], ts time[]) WITH (row_keys = 'id')",
	} {
		if err := adbcExec(ctx, cnx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}

	uuidType := extensions.NewUUIDType()
	stamp := arrow.StructOf(
		arrow.Field{Name: "n", Type: arrow.PrimitiveTypes.Int32, Nullable: true},
		arrow.Field{Name: "u", Type: uuidType, Nullable: true},
		arrow.Field{Name: "t", Type: arrow.FixedWidthTypes.Time64us, Nullable: true},
	)
	sc := arrow.NewSchema([]arrow.Field{
		{Name: "id", Type: arrow.PrimitiveTypes.Int64},
		{Name: "r", Type: stamp, Nullable: true},
		{Name: "rs", Type: arrow.ListOf(stamp), Nullable: true},
		{Name: "us", Type: arrow.ListOf(uuidType), Nullable: true},
		{Name: "ts", Type: arrow.ListOf(arrow.FixedWidthTypes.Time64us), Nullable: true},
	}, nil)
	u := func(last byte) uuid.UUID { return uuid.UUID{0xa0, 0xee, 15: last} }
	appendStamp := func(sb *array.StructBuilder, n int32, last byte, us int64) {
		sb.Append(true)
		sb.FieldBuilder(0).(*array.Int32Builder).Append(n)
		sb.FieldBuilder(1).(*extensions.UUIDBuilder).Append(u(last))
		sb.FieldBuilder(2).(*array.Time64Builder).Append(arrow.Time64(us))
	}
	appendNullFields := func(sb *array.StructBuilder) {
		sb.Append(true)
		for k := range 3 {
			sb.FieldBuilder(k).AppendNull()
		}
	}
	b := array.NewRecordBuilder(mem, sc)
	defer b.Release()
	rb := b.Field(1).(*array.StructBuilder)
	lb := b.Field(2).(*array.ListBuilder)
	eb := lb.ValueBuilder().(*array.StructBuilder)
	ub := b.Field(3).(*array.ListBuilder)
	tb := b.Field(4).(*array.ListBuilder)
	// Row 1: values everywhere, NULLs inside.
	b.Field(0).(*array.Int64Builder).Append(1)
	appendStamp(rb, 7, 1, (12*3600+34*60+56)*1_000_000+500_000)
	lb.Append(true)
	appendStamp(eb, 8, 2, 3600*1_000_000)
	eb.AppendNull()
	appendNullFields(eb)
	appendStamp(eb, 9, 3, 86_400_000_000)
	ub.Append(true)
	ub.ValueBuilder().(*extensions.UUIDBuilder).Append(u(4))
	ub.ValueBuilder().AppendNull()
	tb.Append(true)
	tb.ValueBuilder().AppendNull()
	tb.ValueBuilder().(*array.Time64Builder).Append(1)
	// Row 2: NULL everywhere.
	b.Field(0).(*array.Int64Builder).Append(2)
	for c := 1; c < 5; c++ {
		b.Field(c).AppendNull()
	}
	// Row 3: a record of NULL fields, empty arrays.
	b.Field(0).(*array.Int64Builder).Append(3)
	appendNullFields(rb)
	lb.Append(true)
	ub.Append(true)
	tb.Append(true)
	batch := b.NewRecordBatch()
	defer batch.Release()
	if n, err := adbcIngest(ctx, cnx, "nested", adbc.OptionValueIngestModeAppend, batch); err != nil || n != 3 {
		t.Fatalf("ingest: n=%d err=%v", n, err)
	}

	// Elements of uuid[] and time[] one by one: the arrays' own text output is the SQL
	// layer's, which this test is not about.
	text := adbcQuery(ctx, t, cnx, `SELECT id, r::text, rs::text, us[1]::text, us[2] IS NULL, cardinality(us), ts[1] IS NULL, ts[2]::text, cardinality(ts),
		(r).u = 'a0ee0000-0000-0000-0000-000000000001', pg_typeof((rs[1]).t)::text, pg_typeof(us[1])::text FROM nested ORDER BY id`)
	defer releaseAll(text)
	want := [][]string{
		{"1", "(7,a0ee0000-0000-0000-0000-000000000001,12:34:56.5)",
			`{"(8,a0ee0000-0000-0000-0000-000000000002,01:00:00)",NULL,"(,,)","(9,a0ee0000-0000-0000-0000-000000000003,24:00:00)"}`,
			"a0ee0000-0000-0000-0000-000000000004", "true", "2", "true", "00:00:00.000001", "2", "true", "time without time zone", "uuid"},
		{"2", "NULL", "NULL", "NULL", "true", "NULL", "true", "NULL", "NULL", "NULL", "time without time zone", "uuid"},
		{"3", "(,,)", "{}", "NULL", "true", "0", "true", "NULL", "0", "NULL", "time without time zone", "uuid"},
	}
	got := rowsOf(text)
	if len(got) != len(want) {
		t.Fatalf("rows as SQL text: %v", got)
	}
	for i := range want {
		for j := range want[i] {
			if got[i][j] != want[i][j] {
				t.Errorf("row %d column %d: %s, want %s", i+1, j+1, got[i][j], want[i][j])
			}
		}
	}

	// Read back through ADBC as the Arrow types and values ingested.
	back := adbcQuery(ctx, t, cnx, "SELECT id, r, rs, us, ts FROM nested ORDER BY id")
	defer releaseAll(back)
	for i, f := range back[0].Schema().Fields() {
		if !arrow.TypeEqual(f.Type, sc.Field(i).Type) {
			t.Errorf("column %s read as %s, want %s", f.Name, f.Type, sc.Field(i).Type)
		}
	}
	if !sameRows(t, back, []arrow.RecordBatch{batch}) {
		t.Error("rows read back through ADBC differ from the rows ingested")
	}
	// ADBC's table schema (Flight SQL GetTables with the schema) names the same types.
	ts, err := cnx.GetTableSchema(ctx, nil, nil, "nested")
	if err != nil {
		t.Fatal(err)
	}
	for i, f := range ts.Fields() {
		if !arrow.TypeEqual(f.Type, sc.Field(i).Type) {
			t.Errorf("table schema: column %s is %s, want %s", f.Name, f.Type, sc.Field(i).Type)
		}
	}

	// Bad values inside records and arrays are refused, and nothing of the batch is written.
	badTime := func() arrow.RecordBatch {
		b := array.NewRecordBuilder(mem, sc)
		defer b.Release()
		b.Field(0).(*array.Int64Builder).Append(10)
		b.Field(1).AppendNull()
		lb := b.Field(2).(*array.ListBuilder)
		lb.Append(true)
		appendStamp(lb.ValueBuilder().(*array.StructBuilder), 1, 1, 86_400_000_001)
		b.Field(3).AppendNull()
		b.Field(4).AppendNull()
		return b.NewRecordBatch()
	}()
	defer badTime.Release()
	if _, err := adbcIngest(ctx, cnx, "nested", adbc.OptionValueIngestModeAppend, badTime); err == nil || !strings.Contains(err.Error(), "time out of range") {
		t.Errorf("time past a day in an array of records: %v", err)
	}
	short := arrow.StructOf(
		arrow.Field{Name: "n", Type: arrow.PrimitiveTypes.Int32, Nullable: true},
		arrow.Field{Name: "u", Type: arrow.BinaryTypes.Binary, Nullable: true},
		arrow.Field{Name: "t", Type: arrow.FixedWidthTypes.Time64us, Nullable: true},
	)
	badUUID := func() arrow.RecordBatch {
		sc := arrow.NewSchema([]arrow.Field{
			{Name: "id", Type: arrow.PrimitiveTypes.Int64},
			{Name: "r", Type: short, Nullable: true},
		}, nil)
		b := array.NewRecordBuilder(mem, sc)
		defer b.Release()
		b.Field(0).(*array.Int64Builder).Append(11)
		sb := b.Field(1).(*array.StructBuilder)
		sb.Append(true)
		sb.FieldBuilder(0).AppendNull()
		sb.FieldBuilder(1).(*array.BinaryBuilder).Append(make([]byte, 15))
		sb.FieldBuilder(2).AppendNull()
		return b.NewRecordBatch()
	}()
	defer badUUID.Release()
	if _, err := adbcIngest(ctx, cnx, "nested", adbc.OptionValueIngestModeAppend, badUUID); err == nil || !strings.Contains(err.Error(), "invalid uuid") {
		t.Errorf("15-byte uuid in a record: %v", err)
	}
	cnt := adbcQuery(ctx, t, cnx, "SELECT count(*) FROM nested")
	defer releaseAll(cnt)
	if r := rowsOf(cnt); len(r) != 1 || r[0][0] != "3" {
		t.Errorf("rows after the refused ingests: %v", r)
	}
}

// TestIngestFixedSizeBinaryInRecord appends Arrow structs with a fixed_size_binary field
// to a record column whose field is bytea, and lists of fixed_size_binary to a bytea[]
// column, through ADBC's bulk ingest, and reads the bytes back as SQL text.
func TestIngestFixedSizeBinaryInRecord(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	ctx := testCtx(t)
	srv := serve(t, Config{Engine: openEngine(t, mem), Alloc: mem})
	cnx := adbcConn(t, srv, mem, nil)
	for _, q := range []string{
		"CREATE TYPE blob AS (n int, b bytea)",
		"CREATE TABLE blobs (id bigint NOT NULL, r blob, bs bytea[]) WITH (row_keys = 'id')",
	} {
		if err := adbcExec(ctx, cnx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	fsb := &arrow.FixedSizeBinaryType{ByteWidth: 2}
	sc := arrow.NewSchema([]arrow.Field{
		{Name: "id", Type: arrow.PrimitiveTypes.Int64},
		{Name: "r", Type: arrow.StructOf(
			arrow.Field{Name: "n", Type: arrow.PrimitiveTypes.Int32, Nullable: true},
			arrow.Field{Name: "b", Type: fsb, Nullable: true}), Nullable: true},
		{Name: "bs", Type: arrow.ListOf(fsb), Nullable: true},
	}, nil)
	b := array.NewRecordBuilder(mem, sc)
	defer b.Release()
	sb := b.Field(1).(*array.StructBuilder)
	lb := b.Field(2).(*array.ListBuilder)
	b.Field(0).(*array.Int64Builder).Append(1)
	sb.Append(true)
	sb.FieldBuilder(0).(*array.Int32Builder).Append(3)
	sb.FieldBuilder(1).(*array.FixedSizeBinaryBuilder).Append([]byte{0xab, 0x01})
	lb.Append(true)
	lb.ValueBuilder().(*array.FixedSizeBinaryBuilder).Append([]byte{0x00, 0xff})
	lb.ValueBuilder().AppendNull()
	b.Field(0).(*array.Int64Builder).Append(2)
	sb.AppendNull()
	lb.AppendNull()
	batch := b.NewRecordBatch()
	defer batch.Release()
	if n, err := adbcIngest(ctx, cnx, "blobs", adbc.OptionValueIngestModeAppend, batch); err != nil || n != 2 {
		t.Fatalf("ingest: n=%d err=%v", n, err)
	}
	text := adbcQuery(ctx, t, cnx, "SELECT id, r::text, (bs[1])::text, bs[2] IS NULL, cardinality(bs) FROM blobs ORDER BY id")
	defer releaseAll(text)
	want := [][]string{{"1", `(3,"\\xab01")`, `\x00ff`, "true", "2"}, {"2", "NULL", "NULL", "true", "NULL"}}
	got := rowsOf(text)
	if len(got) != len(want) {
		t.Fatalf("rows as SQL text: %v", got)
	}
	for i := range want {
		for j := range want[i] {
			if got[i][j] != want[i][j] {
				t.Errorf("row %d column %d: %s, want %s", i+1, j+1, got[i][j], want[i][j])
			}
		}
	}
}
