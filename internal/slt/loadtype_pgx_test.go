package slt

import (
	"errors"
	"reflect"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgtype"
)

// TestLoadTypeOverPgx registers composite types and their array types the way pgx
// applications do, with conn.LoadType (which asks "select $1::text::regtype::oid", then
// pg_type and pg_attribute), beside PostgreSQL, and scans a column of one in binary format:
// both servers give the same Go values.
func TestLoadTypeOverPgx(t *testing.T) {
	ctx, pg, sd := besidePostgres(t, "loadtype_pgx")
	const query = "SELECT k, p FROM lt ORDER BY k"
	scan := func(c *pgx.Conn) []any {
		for _, q := range []string{
			"CREATE TYPE lt_pair AS (n integer, s text, ok boolean, x numeric(10,2))",
			"CREATE TABLE lt (k bigint PRIMARY KEY, p lt_pair)",
			`INSERT INTO lt VALUES (1, ROW(1, 'a b', true, 2.5)), (2, NULL), (3, ROW(NULL, '', false, NULL))`,
		} {
			if _, err := c.Exec(ctx, q); err != nil {
				t.Fatalf("%s: %v", q, err)
			}
		}
		for _, name := range []string{"lt_pair", "lt_pair[]", "public.lt_pair"} {
			typ, err := c.LoadType(ctx, name)
			if err != nil {
				t.Fatalf("LoadType(%q): %v", name, err)
			}
			c.TypeMap().RegisterType(typ)
		}
		if typ, _ := c.TypeMap().TypeForName("lt_pair[]"); typ == nil {
			t.Fatal("lt_pair[] not registered")
		} else if _, ok := typ.Codec.(*pgtype.ArrayCodec); !ok {
			t.Fatalf("lt_pair[]'s codec: %#v", typ.Codec)
		}
		if typ, _ := c.TypeMap().TypeForName("lt_pair"); typ == nil {
			t.Fatal("lt_pair not registered")
		} else if cc, ok := typ.Codec.(*pgtype.CompositeCodec); !ok || len(cc.Fields) != 4 || cc.Fields[3].Name != "x" {
			t.Fatalf("lt_pair's codec: %#v", typ.Codec)
		}
		rows, err := c.Query(ctx, query, pgx.QueryResultFormats{pgx.BinaryFormatCode})
		if err != nil {
			t.Fatal(err)
		}
		return rowValues(t, rows)
	}
	want, got := scan(pg), scan(sd)
	if !reflect.DeepEqual(want, got) {
		t.Errorf("pgx values: sleeperd %#v, PostgreSQL %#v", got, want)
	}
	if len(got) != 6 || got[1] == nil || got[3] != nil {
		t.Errorf("pgx values: %#v", got)
	}
	// Unknown names are PostgreSQL's error.
	for _, c := range []*pgx.Conn{pg, sd} {
		var oid uint32
		err := c.QueryRow(ctx, "select $1::text::regtype::oid", "no_such_type").Scan(&oid)
		var pe *pgconn.PgError
		if !errors.As(err, &pe) || pe.Code != "42704" {
			t.Errorf("unknown type: %v", err)
		}
	}
}
