package slt

import (
	"reflect"
	"testing"

	"github.com/jackc/pgx/v5"
)

// TestArrayColumnsOnTheWire reads numeric(p,s)[], time[] and uuid[] columns and expressions
// beside PostgreSQL in the text and the binary format: the same column names, type OIDs and
// type modifiers (the element's typmod: numeric(6,2)[] is 393222) and the same bytes, and pgx
// decodes them to the same Go values.
func TestArrayColumnsOnTheWire(t *testing.T) {
	ctx, pg, sd := besidePostgres(t, "array_wire")
	for _, c := range []*pgx.Conn{pg, sd} {
		for _, q := range []string{
			"CREATE TABLE aw (k bigint PRIMARY KEY, n numeric(6,2)[], t time[], t3 time(3)[], u uuid[])",
			`INSERT INTO aw VALUES (1, '{1.5,2.255,NULL}', '{10:00,NULL}', ARRAY['01:02:03.45678'::time], '{a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11,NULL}'),
					(2, ARRAY[3, 4.1], ARRAY[]::time[], NULL, '{}'), (3, NULL, NULL, '{}', NULL)`,
		} {
			if _, err := c.Exec(ctx, q); err != nil {
				t.Fatalf("%s: %v", q, err)
			}
		}
	}
	for _, q := range []string{
		"SELECT k, n, n[1], t, t3, t3[1], u, u[1] FROM aw ORDER BY k",
		"SELECT '{1.5,NULL}'::numeric(5,2)[], ARRAY[1.5::numeric(4,1)], '{10:00:00.55}'::time(1)[], '{A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11}'::uuid[]",
	} {
		for _, format := range []int16{0, 1} {
			type col struct {
				name string
				oid  uint32
				mod  int32
			}
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
		values := func(c *pgx.Conn) []any {
			rows, err := c.Query(ctx, q, pgx.QueryResultFormats{pgx.BinaryFormatCode})
			if err != nil {
				t.Fatal(err)
			}
			return rowValues(t, rows)
		}
		if want, got := values(pg), values(sd); !reflect.DeepEqual(want, got) {
			t.Errorf("%s: pgx values %v, PostgreSQL's %v", q, got, want)
		}
	}
}
