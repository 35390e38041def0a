package slt

import (
	"bytes"
	"encoding/binary"
	"reflect"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
)

// TestCompositeSQLTypesOverPgx reads composite values whose fields are of character types
// with a length, uuid, time and arrays of time and uuid, through pgx beside PostgreSQL: the
// text bytes are the same, the binary bytes (record_send naming the fields' OIDs 1042, 1043,
// 2950, 1083, 1183 and 2951) are the same once each server's OID of the composite type is
// swapped for PostgreSQL's, and pgx decodes the binary values to the same Go values.
func TestCompositeSQLTypesOverPgx(t *testing.T) {
	ctx, pg, sd := besidePostgres(t, "composite_sqltypes_pgx")
	const query = "SELECT k, r, (r).c, (r).u, (r).t FROM tg ORDER BY k"
	oids := map[*pgx.Conn]uint32{}
	for _, c := range []*pgx.Conn{pg, sd} {
		for _, q := range []string{
			"CREATE TYPE tagged AS (c char(3), v varchar(5), u uuid, t time, ts time[], us uuid[])",
			"CREATE TABLE tg (k bigint PRIMARY KEY, r tagged)",
			`INSERT INTO tg VALUES
			 (1, ROW('a', 'x y', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', '12:34:56.5', ARRAY['01:00'::time, NULL], ARRAY['00000000-0000-0000-0000-000000000001'::uuid])),
			 (2, NULL),
			 (3, ROW(NULL, NULL, NULL, NULL, NULL, NULL)),
			 (4, ROW('', '', 'ffffffff-ffff-ffff-ffff-ffffffffffff', '24:00', '{}', '{}'))`,
		} {
			if _, err := c.Exec(ctx, q); err != nil {
				t.Fatalf("%s: %v", q, err)
			}
		}
		var oid uint32
		if err := c.QueryRow(ctx, "SELECT oid FROM pg_type WHERE typname = 'tagged'").Scan(&oid); err != nil {
			t.Fatal(err)
		}
		oids[c] = oid
	}
	be := func(v uint32) []byte { return binary.BigEndian.AppendUint32(nil, v) }
	for _, format := range []int16{0, 1} {
		raw := func(c *pgx.Conn) [][][]byte {
			res := c.PgConn().ExecParams(ctx, query, nil, nil, nil, []int16{format}).Read()
			if res.Err != nil {
				t.Fatalf("%s: %v", query, res.Err)
			}
			if got := res.FieldDescriptions[1].DataTypeOID; got != oids[c] {
				t.Errorf("format %d: column r described as OID %d, pg_type says %d", format, got, oids[c])
			}
			for i, want := range []uint32{1042, 2950, 1083} {
				if got := res.FieldDescriptions[2+i].DataTypeOID; got != want {
					t.Errorf("format %d: column %d described as OID %d, want %d", format, 2+i, got, want)
				}
			}
			if c == sd {
				for _, r := range res.Rows {
					for i, v := range r {
						r[i] = bytes.ReplaceAll(v, be(oids[sd]), be(oids[pg]))
					}
				}
			}
			return res.Rows
		}
		want, got := raw(pg), raw(sd)
		if !reflect.DeepEqual(want, got) {
			t.Errorf("format %d: sleeperd sent %q, PostgreSQL %q", format, got, want)
		}
	}
	scan := func(c *pgx.Conn) []any {
		m := c.TypeMap()
		field := func(name, typName string) pgtype.CompositeCodecField {
			ft, ok := m.TypeForName(typName)
			if !ok {
				t.Fatalf("no pgx type %s", typName)
			}
			return pgtype.CompositeCodecField{Name: name, Type: ft}
		}
		m.RegisterType(&pgtype.Type{Name: "tagged", OID: oids[c], Codec: &pgtype.CompositeCodec{Fields: []pgtype.CompositeCodecField{
			field("c", "bpchar"), field("v", "varchar"), field("u", "uuid"), field("t", "time"), field("ts", "_time"), field("us", "_uuid")}}})
		rows, err := c.Query(ctx, "SELECT r FROM tg ORDER BY k", pgx.QueryResultFormats{pgx.BinaryFormatCode})
		if err != nil {
			t.Fatal(err)
		}
		return rowValues(t, rows)
	}
	want, got := scan(pg), scan(sd)
	if !reflect.DeepEqual(want, got) {
		t.Errorf("pgx values: sleeperd %#v, PostgreSQL %#v", got, want)
	}
	if len(got) != 4 || got[0] == nil || got[1] != nil {
		t.Errorf("pgx values: %#v", got)
	}
}
