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

// writeMapsParquet writes, with arrow-go's pqarrow, rows k = 0..2 of a record s holding a
// map, a list of maps lm, a map of lists ml and a map of records ms, as mapsOracle builds
// them in PostgreSQL.
func writeMapsParquet(t *testing.T, name string) {
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
		{Name: "ms", Type: arrow.MapOf(arrow.BinaryTypes.String, arrow.StructOf(
			arrow.Field{Name: "x", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
			arrow.Field{Name: "y", Type: arrow.BinaryTypes.String, Nullable: true})), Nullable: true},
	}, nil))
	defer rb.Release()
	sb, lb := rb.Field(1).(*array.StructBuilder), rb.Field(2).(*array.ListBuilder)
	mlb, msb := rb.Field(3).(*array.MapBuilder), rb.Field(4).(*array.MapBuilder)
	for k := range 3 {
		rb.Field(0).(*array.Int64Builder).Append(int64(k))
		if k == 1 {
			sb.AppendNull()
			lb.AppendNull()
			mlb.AppendNull()
			msb.AppendNull()
			continue
		}
		sb.Append(true)
		sb.FieldBuilder(0).(*array.Int32Builder).Append(int32(k))
		mb := sb.FieldBuilder(1).(*array.MapBuilder)
		if k == 2 {
			mb.AppendNull()
		} else {
			mb.Append(true)
			mb.KeyBuilder().(*array.StringBuilder).AppendValues([]string{"z", "a"}, nil)
			mb.ItemBuilder().(*array.Int64Builder).AppendValues([]int64{0, 7}, nil)
		}
		lb.Append(true)
		em := lb.ValueBuilder().(*array.MapBuilder)
		em.Append(true)
		em.KeyBuilder().(*array.StringBuilder).Append("p")
		em.ItemBuilder().(*array.Int64Builder).Append(int64(k))
		em.AppendNull()
		em.Append(true)
		mlb.Append(true)
		mlb.KeyBuilder().(*array.StringBuilder).AppendValues([]string{"xs", "e", "n"}, nil)
		il := mlb.ItemBuilder().(*array.ListBuilder)
		il.Append(true)
		il.ValueBuilder().(*array.Int64Builder).AppendValues([]int64{1, int64(k)}, []bool{true, k != 2})
		il.Append(true)
		il.AppendNull()
		msb.Append(true)
		msb.KeyBuilder().(*array.StringBuilder).Append("r")
		is := msb.ItemBuilder().(*array.StructBuilder)
		is.Append(true)
		is.FieldBuilder(0).(*array.Int64Builder).Append(int64(k * 10))
		is.FieldBuilder(1).(*array.StringBuilder).Append(`a "q"`)
	}
	b := rb.NewRecordBatch()
	defer b.Release()
	writeParquetFile(t, b, name)
}

// mapsOracle is the PostgreSQL query giving the rows writeMapsParquet writes: records made
// with ROW, maps as jsonb objects, a list of maps as jsonb[].
const mapsOracle = `SELECT k, CASE WHEN k = 1 THEN NULL ELSE ROW(a, m) END AS s, lm, ml, ms FROM (VALUES
	(0::bigint, 0, '{"z": 0, "a": 7}'::jsonb, ARRAY['{"p": 0}', NULL, '{}']::jsonb[], '{"xs": [1, 0], "e": [], "n": null}'::jsonb, '{"r": {"x": 0, "y": "a \"q\""}}'::jsonb),
	(1, NULL, NULL, NULL, NULL, NULL),
	(2, 2, NULL, ARRAY['{"p": 2}', NULL, '{}']::jsonb[], '{"xs": [1, null], "e": [], "n": null}', '{"r": {"x": 20, "y": "a \"q\""}}')) AS v(k, a, m, lm, ml, ms)`

// TestMapsInCompositesOverPgx reads a table made from a Parquet file whose record holds a
// map, with a list of maps and maps of lists and of records, through pgx, against
// PostgreSQL's records (ROW) of jsonb, jsonb[] and jsonb: the raw text and binary results
// must be the same bytes (record_send's jsonb field OID and version byte, array_send's
// jsonb element OID and version bytes), and pgx must decode them to the same Go values.
func TestMapsInCompositesOverPgx(t *testing.T) {
	ctx, pg, sd := besidePostgres(t, "maps_pgx")
	file := filepath.Join(t.TempDir(), "maps.parquet")
	writeMapsParquet(t, file)
	if _, err := sd.Exec(ctx, fmt.Sprintf("CREATE TABLE r WITH (row_keys = 'k') AS SELECT * FROM read_parquet('%s')", file)); err != nil {
		t.Fatal(err)
	}
	queries := map[*pgx.Conn]string{
		pg: "SELECT k, s, lm, ml, ms FROM (" + mapsOracle + ") AS o ORDER BY k",
		sd: "SELECT k, s, lm, ml, ms FROM r ORDER BY k",
	}
	sameRawResults(ctx, t, pg, sd, queries)
	for _, formats := range []pgx.QueryResultFormats{{pgx.TextFormatCode}, {pgx.BinaryFormatCode}} {
		want, got := queryValues(ctx, t, pg, queries[pg], formats), queryValues(ctx, t, sd, queries[sd], formats)
		if !reflect.DeepEqual(want, got) {
			t.Errorf("formats %v: pgx read %v, from PostgreSQL %v", formats, got, want)
		}
		var s0 any = `(0,"{""a"": 7, ""z"": 0}")` // text: the record's text
		if formats[0] == pgx.BinaryFormatCode {
			s0 = []any{int32(0), map[string]any{"a": float64(7), "z": float64(0)}}
		}
		if len(got) != 15 || !reflect.DeepEqual(got[1], s0) {
			t.Errorf("formats %v: pgx read %#v", formats, got)
		}
	}
}
