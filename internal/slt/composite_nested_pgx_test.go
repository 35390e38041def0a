package slt

import (
	"bytes"
	"encoding/binary"
	"reflect"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
)

// TestNestedCompositesOverPgx reads composite values holding a composite value, arrays,
// numeric and an array of composite values, and a column of an array of composite values,
// through pgx beside PostgreSQL: the text bytes are the same, the binary bytes are the same
// once each server's OIDs of the two composite types (in record_send's field OIDs and
// array_send's element OID) are swapped for PostgreSQL's, and pgx decodes the binary values
// to the same Go values.
func TestNestedCompositesOverPgx(t *testing.T) {
	ctx, pg, sd := besidePostgres(t, "composite_nested_pgx")
	const query = "SELECT k, o, rs FROM nt ORDER BY k"
	type oidSet struct{ inner, innerArr, outer, outerArr uint32 }
	oids := map[*pgx.Conn]oidSet{}
	for _, c := range []*pgx.Conn{pg, sd} {
		for _, q := range []string{
			"CREATE TYPE inner_t AS (a integer, b text)",
			"CREATE TYPE outer_t AS (i inner_t, xs bigint[], n numeric, ts text[], rs inner_t[])",
			"CREATE TABLE nt (k bigint PRIMARY KEY, o outer_t, rs inner_t[])",
			`INSERT INTO nt VALUES
				 (1, ROW(ROW(1, 'a b'), ARRAY[1, NULL, 3], 2.50, ARRAY['p', 'q r'], ARRAY[ROW(5, 'e')::inner_t, NULL]), ARRAY[ROW(1, 'x')::inner_t, ROW(NULL, NULL)::inner_t]),
				 (2, NULL, NULL),
				 (3, ROW(NULL, NULL, NULL, NULL, NULL), '{}'),
				 (4, ROW(ROW(NULL, ''), '{}', -1e20, '{}', '{}'), ARRAY[NULL::inner_t])`,
		} {
			if _, err := c.Exec(ctx, q); err != nil {
				t.Fatalf("%s: %v", q, err)
			}
		}
		var s oidSet
		if err := c.QueryRow(ctx, "SELECT i.oid, i.typarray, o.oid, o.typarray FROM pg_type i, pg_type o WHERE i.typname = 'inner_t' AND o.typname = 'outer_t'").Scan(&s.inner, &s.innerArr, &s.outer, &s.outerArr); err != nil {
			t.Fatal(err)
		}
		oids[c] = s
	}
	swap := func(rows [][][]byte) [][][]byte {
		from, to := oids[sd], oids[pg]
		be := func(v uint32) []byte { return binary.BigEndian.AppendUint32(nil, v) }
		for _, r := range rows {
			for i, v := range r {
				for _, p := range [][2]uint32{{from.inner, to.inner}, {from.innerArr, to.innerArr}, {from.outer, to.outer}} {
					v = bytes.ReplaceAll(v, be(p[0]), be(p[1]))
				}
				r[i] = v
			}
		}
		return rows
	}
	for _, format := range []int16{0, 1} {
		raw := func(c *pgx.Conn) [][][]byte {
			res := c.PgConn().ExecParams(ctx, query, nil, nil, nil, []int16{format}).Read()
			if res.Err != nil {
				t.Fatalf("%s: %v", query, res.Err)
			}
			if got := res.FieldDescriptions[1].DataTypeOID; got != oids[c].outer {
				t.Errorf("format %d: column o described as OID %d, pg_type says %d", format, got, oids[c].outer)
			}
			if got := res.FieldDescriptions[2].DataTypeOID; got != oids[c].innerArr {
				t.Errorf("format %d: column rs described as OID %d, pg_type says %d", format, got, oids[c].innerArr)
			}
			return res.Rows
		}
		want, got := raw(pg), swap(raw(sd))
		if !reflect.DeepEqual(want, got) {
			t.Errorf("format %d: sleeperd sent %q, PostgreSQL %q", format, got, want)
		}
	}
	scan := func(c *pgx.Conn) []any {
		m := c.TypeMap()
		typ := func(name string) *pgtype.Type {
			ft, ok := m.TypeForName(name)
			if !ok {
				t.Fatalf("no pgx type %s", name)
			}
			return ft
		}
		field := func(name, typName string) pgtype.CompositeCodecField {
			return pgtype.CompositeCodecField{Name: name, Type: typ(typName)}
		}
		s := oids[c]
		m.RegisterType(&pgtype.Type{Name: "inner_t", OID: s.inner, Codec: &pgtype.CompositeCodec{Fields: []pgtype.CompositeCodecField{
			field("a", "int4"), field("b", "text")}}})
		m.RegisterType(&pgtype.Type{Name: "_inner_t", OID: s.innerArr, Codec: &pgtype.ArrayCodec{ElementType: typ("inner_t")}})
		m.RegisterType(&pgtype.Type{Name: "outer_t", OID: s.outer, Codec: &pgtype.CompositeCodec{Fields: []pgtype.CompositeCodecField{
			field("i", "inner_t"), field("xs", "_int8"), field("n", "numeric"), field("ts", "_text"), field("rs", "_inner_t")}}})
		rows, err := c.Query(ctx, query, pgx.QueryResultFormats{pgx.BinaryFormatCode, pgx.BinaryFormatCode, pgx.BinaryFormatCode})
		if err != nil {
			t.Fatal(err)
		}
		return rowValues(t, rows)
	}
	want, got := scan(pg), scan(sd)
	if !reflect.DeepEqual(want, got) {
		t.Errorf("pgx values: sleeperd %#v, PostgreSQL %#v", got, want)
	}
	if len(got) != 12 || got[1] == nil || got[2] == nil {
		t.Errorf("pgx values: %#v", got)
	}
}
