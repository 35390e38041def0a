package slt

import (
	"fmt"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/jackc/pgx/v5"
)

// writeRecordsParquet writes, with arrow-go's pqarrow, rows k = 0..4 holding a record column
// s (int4, text) and a map column m (text to bigint) as recordsOracle builds them in
// PostgreSQL.
func writeRecordsParquet(t *testing.T, name string) {
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
	sb, mb := rb.Field(1).(*array.StructBuilder), rb.Field(2).(*array.MapBuilder)
	as, bs := sb.FieldBuilder(0).(*array.Int32Builder), sb.FieldBuilder(1).(*array.StringBuilder)
	ks, vs := mb.KeyBuilder().(*array.StringBuilder), mb.ItemBuilder().(*array.Int64Builder)
	for k := range 5 {
		rb.Field(0).(*array.Int64Builder).Append(int64(k))
		switch k {
		case 1:
			sb.AppendNull()
			mb.AppendNull()
			continue
		case 2:
			sb.Append(true)
			as.AppendNull()
			bs.AppendNull()
			mb.Append(true)
			continue
		}
		sb.Append(true)
		as.Append(map[int]int32{0: 1, 3: 1, 4: -2}[k])
		bs.Append(map[int]string{0: "x", 3: "a b", 4: `q"(\`}[k])
		mb.Append(true)
		ks.AppendValues([]string{"z", "a"}, nil)
		vs.AppendValues([]int64{int64(k), 0}, []bool{true, k != 3})
	}
	b := rb.NewRecordBatch()
	defer b.Release()
	writeParquetFile(t, b, name)
}

// recordsOracle is the PostgreSQL query giving the rows writeRecordsParquet writes: records
// made with ROW, maps as jsonb objects.
const recordsOracle = `SELECT k, CASE WHEN k = 1 THEN NULL ELSE ROW(a, b) END AS s, m FROM (VALUES
	(0::bigint, 1, 'x', '{"z": 0, "a": 0}'::jsonb),
	(1, NULL, NULL, NULL),
	(2, NULL, NULL, '{}'),
	(3, 1, 'a b', '{"z": 3, "a": null}'),
	(4, -2, 'q"(\', '{"z": 4, "a": 0}')) AS v(k, a, b, m)`

// TestRecordsOverPgx reads record and map columns of a table made from a Parquet file
// through pgx, against PostgreSQL's records (ROW) and jsonb: the raw text and binary results
// must be the same bytes (record_out's quoting, record_send's field OIDs and lengths, jsonb's
// version byte), and pgx must decode the binary records to the same Go values.
func TestRecordsOverPgx(t *testing.T) {
	ctx, pg, sd := besidePostgres(t, "records_pgx")
	file := filepath.Join(t.TempDir(), "records.parquet")
	writeRecordsParquet(t, file)
	if _, err := sd.Exec(ctx, fmt.Sprintf("CREATE TABLE r WITH (row_keys = 'k') AS SELECT * FROM read_parquet('%s')", file)); err != nil {
		t.Fatal(err)
	}
	queries := map[*pgx.Conn]string{
		pg: "SELECT k, s, m FROM (" + recordsOracle + ") AS o ORDER BY k",
		sd: "SELECT k, s, m FROM r ORDER BY k",
	}
	sameRawResults(ctx, t, pg, sd, queries)
	want, got := queryValues(ctx, t, pg, queries[pg]), queryValues(ctx, t, sd, queries[sd])
	if !reflect.DeepEqual(want, got) {
		t.Errorf("pgx read %v, from PostgreSQL %v", got, want)
	}
	if len(got) != 15 || !reflect.DeepEqual(got[12+1], []any{int32(-2), `q"(\`}) || got[4] != nil {
		t.Errorf("pgx read %v", got)
	}
}

// rowValues reads every row of rows and returns their values in order, as pgx decodes them
// (a binary record to the []any of its fields).
func rowValues(t *testing.T, rows pgx.Rows) []any {
	t.Helper()
	var out []any
	for rows.Next() {
		vals, err := rows.Values()
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, vals...)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}
