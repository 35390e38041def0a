package slt

import (
	"reflect"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
)

// TestCompositeTypesOverPgx reads a column of a composite type through pgx, beside
// PostgreSQL: the text and binary bytes are the same (record_send's field OIDs), the column
// is described with the type's own OID (a number of each server's, which pg_type lists),
// and pgx, given the type's fields under that OID, decodes the binary records to the same
// Go values.
func TestCompositeTypesOverPgx(t *testing.T) {
	ctx, pg, sd := besidePostgres(t, "composite_pgx")
	const query = "SELECT k, c FROM ct ORDER BY k"
	oids := map[*pgx.Conn]uint32{}
	for _, c := range []*pgx.Conn{pg, sd} {
		for _, q := range []string{
			"CREATE TYPE pair AS (n integer, s text, ok boolean)",
			"CREATE TABLE ct (k bigint PRIMARY KEY, c pair)",
			`INSERT INTO ct VALUES (1, ROW(1, 'a b', true)), (2, NULL), (3, ROW(NULL, '', false)), (4, '(4,"q""x",)')`,
		} {
			if _, err := c.Exec(ctx, q); err != nil {
				t.Fatalf("%s: %v", q, err)
			}
		}
		var oid uint32
		if err := c.QueryRow(ctx, "SELECT oid FROM pg_type WHERE typname = 'pair'").Scan(&oid); err != nil {
			t.Fatal(err)
		}
		oids[c] = oid
	}
	for _, format := range []int16{0, 1} {
		raw := func(c *pgx.Conn) [][][]byte {
			res := c.PgConn().ExecParams(ctx, query, nil, nil, nil, []int16{format}).Read()
			if res.Err != nil {
				t.Fatalf("%s: %v", query, res.Err)
			}
			if got := res.FieldDescriptions[1].DataTypeOID; got != oids[c] {
				t.Errorf("format %d: column c described as OID %d, pg_type says %d", format, got, oids[c])
			}
			return res.Rows
		}
		if want, got := raw(pg), raw(sd); !reflect.DeepEqual(want, got) {
			t.Errorf("format %d: sleeperd sent %q, PostgreSQL %q", format, got, want)
		}
	}
	scan := func(c *pgx.Conn) []any {
		// The composite's codec, under the OID pg_type gives (pgx's LoadType asks with
		// $1::text::regtype, which sleeperd does not have).
		m := c.TypeMap()
		field := func(name, typ string) pgtype.CompositeCodecField {
			ft, ok := m.TypeForName(typ)
			if !ok {
				t.Fatalf("no pgx type %s", typ)
			}
			return pgtype.CompositeCodecField{Name: name, Type: ft}
		}
		m.RegisterType(&pgtype.Type{Name: "pair", OID: oids[c], Codec: &pgtype.CompositeCodec{Fields: []pgtype.CompositeCodecField{
			field("n", "int4"), field("s", "text"), field("ok", "bool")}}})
		rows, err := c.Query(ctx, query, pgx.QueryResultFormats{pgx.BinaryFormatCode, pgx.BinaryFormatCode})
		if err != nil {
			t.Fatal(err)
		}
		return rowValues(t, rows)
	}
	want, got := scan(pg), scan(sd)
	if !reflect.DeepEqual(want, got) {
		t.Errorf("pgx values: sleeperd %#v, PostgreSQL %#v", got, want)
	}
	if len(got) != 8 || got[2] == nil {
		t.Errorf("pgx values: %#v", got)
	}
}
