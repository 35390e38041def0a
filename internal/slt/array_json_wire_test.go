package slt

import (
	"reflect"
	"testing"

	"github.com/jackc/pgx/v5"
)

// TestJSONArraysOnTheWire reads jsonb[] and json[] columns and expressions beside PostgreSQL
// in the text and the binary format: the same type OIDs (3807 and 199) and the same bytes
// (each binary jsonb element with its version byte, element type 3802), and pgx decodes them
// to the same Go values.
func TestJSONArraysOnTheWire(t *testing.T) {
	ctx, pg, sd := besidePostgres(t, "json_array_wire")
	sameWireResults(ctx, t, pg, sd, []string{
		"CREATE TABLE jaw (k bigint PRIMARY KEY, jb jsonb[], j json[])",
		`INSERT INTO jaw VALUES (1, ARRAY['{"b": 2, "a": [1, null]}'::jsonb, NULL, '"x"'], ARRAY['{"b":2,  "a":1}'::json, NULL]),
				(2, '{}', '{}'), (3, NULL, NULL)`,
	}, []string{
		"SELECT k, jb, jb[1], j, j[1] FROM jaw ORDER BY k",
		`SELECT ARRAY['{"a":1}'::jsonb, '[true, 2.50]'], '{"{\"z\": 1, \"a\": 2}",null}'::jsonb[], ARRAY['{"a" : 1}'::json], array_agg(jb[1] ORDER BY k) FROM jaw`,
	})
}

// TestJSONBArrayParameters sends jsonb[] parameters as text through pgx's query modes and
// reads them back beside PostgreSQL: the elements are normalised as jsonb.
func TestJSONBArrayParameters(t *testing.T) {
	ctx, pg, sd := besidePostgres(t, "jsonb_array_params")
	for _, mode := range []pgx.QueryExecMode{pgx.QueryExecModeSimpleProtocol, pgx.QueryExecModeExec, pgx.QueryExecModeCacheStatement} {
		read := func(c *pgx.Conn) []string {
			var a, b string
			if err := c.QueryRow(ctx, "SELECT ($1::jsonb[])::text, ($1::jsonb[])[1]::text", mode, `{"{\"b\":1,  \"a\":2}",NULL}`).Scan(&a, &b); err != nil {
				t.Fatal(err)
			}
			return []string{a, b}
		}
		if want, got := read(pg), read(sd); !reflect.DeepEqual(want, got) {
			t.Errorf("mode %v: %q, PostgreSQL's %q", mode, got, want)
		}
	}
}
