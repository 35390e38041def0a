package slt

import (
	"context"
	"encoding/binary"
	"errors"
	"reflect"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/sleeperd/sleeperd/internal/arrowgen"
)

// writeParquetFile writes b with arrow-go's pqarrow, default properties, to the file name.
func writeParquetFile(t *testing.T, b arrow.RecordBatch, name string) {
	t.Helper()
	if err := arrowgen.WriteParquet(name, b, nil); err != nil {
		t.Fatal(err)
	}
}

// pgErrorText is the SQLSTATE and message of a server's error, or the error's text.
func pgErrorText(err error) string {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Code + " " + pe.Message
	}
	return err.Error()
}

// binaryOIDArray is a one-dimensional array of OIDs in the binary format, elements of type
// elem; an OID below 0 stands for a NULL element.
func binaryOIDArray(elem uint32, oids ...int64) string {
	var b []byte
	for _, x := range []uint32{1, 0, elem, uint32(len(oids)), 1} {
		b = binary.BigEndian.AppendUint32(b, x)
	}
	for _, oid := range oids {
		if oid < 0 {
			b = binary.BigEndian.AppendUint32(b, 0xffffffff)
			continue
		}
		b = binary.BigEndian.AppendUint32(b, 4)
		b = binary.BigEndian.AppendUint32(b, uint32(oid))
	}
	return string(b)
}

// paramCase is a statement with one parameter declared of type oid, sent in the text format
// or, with binary, in the binary one.
type paramCase struct {
	sql    string
	oid    uint32
	value  string
	binary bool
}

// sameParamResults runs each case on PostgreSQL (pg) and on sleeperd (sd), with results in
// the text and in the binary format: the row's bytes, the columns' type OIDs and the SQLSTATE
// and message of an error must be the same.
func sameParamResults(ctx context.Context, t *testing.T, pg, sd *pgx.Conn, cases []paramCase) {
	t.Helper()
	for _, c := range cases {
		for _, format := range []int16{0, 1} {
			pformat := int16(0)
			if c.binary {
				pformat = 1
			}
			type out struct {
				row  [][]byte
				oids []uint32
				err  string
			}
			var res [2]out
			for i, conn := range []*pgx.Conn{pg, sd} {
				r := conn.PgConn().ExecParams(ctx, c.sql, [][]byte{[]byte(c.value)}, []uint32{c.oid}, []int16{pformat}, []int16{format}).Read()
				if r.Err != nil {
					res[i].err = pgErrorText(r.Err)
					continue
				}
				if len(r.Rows) != 1 {
					t.Fatalf("%s: %d rows", c.sql, len(r.Rows))
				}
				res[i].row = r.Rows[0]
				for _, f := range r.FieldDescriptions {
					res[i].oids = append(res[i].oids, f.DataTypeOID)
				}
			}
			want, got := res[0], res[1]
			if !reflect.DeepEqual(got, want) {
				t.Errorf("%s with %q (declared %d), result format %d: %q %v %q, PostgreSQL %q %v %q",
					c.sql, c.value, c.oid, format, got.row, got.oids, got.err, want.row, want.oids, want.err)
			}
		}
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
