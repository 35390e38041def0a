package slt

import (
	"context"
	"reflect"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/jackc/pgx/v5"

	"github.com/sleeperd/sleeperd/internal/arrowgen"
)

// writeParquetFile writes b with arrow-go's pqarrow, default properties, to the file name.
func writeParquetFile(t *testing.T, b arrow.RecordBatch, name string) {
	t.Helper()
	if err := arrowgen.WriteParquet(name, b, nil); err != nil {
		t.Fatal(err)
	}
}

// sameRawResults runs queries[pg] on PostgreSQL and queries[sd] on sleeperd, with results in
// the text and in the binary format: the rows' bytes and the columns' type OIDs must be the
// same.
func sameRawResults(ctx context.Context, t *testing.T, pg, sd *pgx.Conn, queries map[*pgx.Conn]string) {
	t.Helper()
	for _, format := range []int16{0, 1} {
		raw := func(c *pgx.Conn) ([][][]byte, []uint32) {
			res := c.PgConn().ExecParams(ctx, queries[c], nil, nil, nil, []int16{format}).Read()
			if res.Err != nil {
				t.Fatalf("%s: %v", queries[c], res.Err)
			}
			var oids []uint32
			for _, f := range res.FieldDescriptions {
				oids = append(oids, f.DataTypeOID)
			}
			return res.Rows, oids
		}
		want, wantOIDs := raw(pg)
		got, gotOIDs := raw(sd)
		if !reflect.DeepEqual(want, got) {
			t.Errorf("format %d: sleeperd sent %q, PostgreSQL %q", format, got, want)
		}
		if !reflect.DeepEqual(wantOIDs, gotOIDs) {
			t.Errorf("format %d: column types %v, PostgreSQL's %v", format, gotOIDs, wantOIDs)
		}
	}
}

// queryValues runs q on c (args may choose the result formats) and returns the values of
// its rows in order, as pgx decodes them.
func queryValues(ctx context.Context, t *testing.T, c *pgx.Conn, q string, args ...any) []any {
	t.Helper()
	rows, err := c.Query(ctx, q, args...)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	return rowValues(t, rows)
}

// sameWireResults runs the setup statements on both servers, then each query in the text and
// the binary result format: sleeperd must send the same columns (names, type OIDs and
// modifiers) and the same bytes as PostgreSQL, and pgx must decode the binary results to the
// same values.
func sameWireResults(ctx context.Context, t *testing.T, pg, sd *pgx.Conn, setup, queries []string) {
	t.Helper()
	for _, c := range []*pgx.Conn{pg, sd} {
		for _, q := range setup {
			if _, err := c.Exec(ctx, q); err != nil {
				t.Fatalf("%s: %v", q, err)
			}
		}
	}
	type col struct {
		name string
		oid  uint32
		mod  int32
	}
	for _, q := range queries {
		for _, format := range []int16{0, 1} {
			read := func(c *pgx.Conn) ([]col, [][][]byte) {
				res := c.PgConn().ExecParams(ctx, q, nil, nil, nil, []int16{format}).Read()
				if res.Err != nil {
					t.Fatalf("%s: %v", q, res.Err)
				}
				var cols []col
				for _, fd := range res.FieldDescriptions {
					cols = append(cols, col{fd.Name, fd.DataTypeOID, fd.TypeModifier})
				}
				return cols, res.Rows
			}
			wc, wr := read(pg)
			gc, gr := read(sd)
			if !reflect.DeepEqual(wc, gc) {
				t.Errorf("format %d: %s\ncolumns %v, PostgreSQL's %v", format, q, gc, wc)
			}
			if !reflect.DeepEqual(wr, gr) {
				t.Errorf("format %d: %s\nsleeperd sent %q, PostgreSQL %q", format, q, gr, wr)
			}
		}
		binary := pgx.QueryResultFormats{pgx.BinaryFormatCode}
		if want, got := queryValues(ctx, t, pg, q, binary), queryValues(ctx, t, sd, q, binary); !reflect.DeepEqual(want, got) {
			t.Errorf("%s: pgx values %v, PostgreSQL's %v", q, got, want)
		}
	}
}
