package slt

import (
	"reflect"
	"testing"

	"github.com/jackc/pgx/v5"
)

// TestJSONUUIDOverPgx stores and reads json, jsonb and uuid through pgx on PostgreSQL and on
// sleeperd: the raw text and binary results (jsonb's version byte, uuid's 16 bytes) must be
// the same bytes, and pgx must decode them to the same Go values (maps, slices, [16]byte)
// from parameters it encodes itself.
func TestJSONUUIDOverPgx(t *testing.T) {
	ctx, pg, sd := besidePostgres(t, "json_uuid_pgx")
	id := [16]byte{0xa0, 0xee, 0xbc, 0x99, 0x9c, 0x0b, 0x4e, 0xf8, 0xbb, 0x6d, 0x6b, 0xb9, 0xbd, 0x38, 0x0a, 0x11}
	doc := map[string]any{"b": []any{1.0, "x", nil}, "a": map[string]any{"c": true}}
	setup := func(c *pgx.Conn) {
		t.Helper()
		if _, err := c.Exec(ctx, "CREATE TABLE ju (id uuid NOT NULL, j jsonb, p json, PRIMARY KEY (id))"); err != nil {
			t.Fatal(err)
		}
		// pgx sends the uuid and jsonb parameters in binary, the json one as text.
		if _, err := c.Exec(ctx, "INSERT INTO ju VALUES ($1, $2, $3), ($4, NULL, NULL)", id, doc, map[string]any{"k": 1}, [16]byte{1}); err != nil {
			t.Fatal(err)
		}
	}
	setup(pg)
	setup(sd)
	const query = "SELECT id, j, p, j -> 'b', id::text AS s FROM ju ORDER BY id"
	sameRawRows(ctx, t, pg, sd, query, nil, nil)
	scan := func(c *pgx.Conn) []any {
		rows, err := c.Query(ctx, query)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		var out []any
		for rows.Next() {
			var (
				u    [16]byte
				j, p map[string]any
				b    []any
				s    string
			)
			if err := rows.Scan(&u, &j, &p, &b, &s); err != nil {
				t.Fatal(err)
			}
			out = append(out, u, j, p, b, s)
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		return out
	}
	want, got := scan(pg), scan(sd)
	if !reflect.DeepEqual(want, got) {
		t.Errorf("pgx read %v, from PostgreSQL %v", got, want)
	}
	if len(got) != 10 || got[0] != [16]byte{1} || got[5] != id || !reflect.DeepEqual(got[6], doc) {
		t.Errorf("pgx read %v, want the rows stored", got)
	}
}
