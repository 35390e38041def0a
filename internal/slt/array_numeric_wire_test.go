package slt

import (
	"math/big"
	"reflect"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
)

// TestNumericArraysOnTheWire reads numeric[] (no type modifier) columns and expressions beside
// PostgreSQL in the text and the binary format: the same type OIDs (1231) and modifiers and
// the same bytes (each binary element in numeric's binary form with its own display scale),
// and pgx decodes them to the same Go values.
func TestNumericArraysOnTheWire(t *testing.T) {
	ctx, pg, sd := besidePostgres(t, "numeric_array_wire")
	sameWireResults(ctx, t, pg, sd, []string{
		"CREATE TABLE naw (k bigint PRIMARY KEY, a numeric[])",
		`INSERT INTO naw VALUES (1, '{1.5,2,NULL,-0.001,12345678901234.5}'), (2, ARRAY[10, 2.50]), (3, '{}'), (4, NULL)`,
	}, []string{
		"SELECT k, a, a[1], a[2] FROM naw ORDER BY k",
		"SELECT ARRAY[1.5, 2], '{0.10,NULL,100}'::numeric[], ARRAY[1, 2.25, 3.100], array_agg(a[2] ORDER BY k) FROM naw",
	})
}

// TestNumericArrayParameters sends numeric[] parameters in the text and the binary format
// (pgx's pgtype.Numeric elements) and reads them back beside PostgreSQL: each element keeps
// its scale.
func TestNumericArrayParameters(t *testing.T) {
	ctx, pg, sd := besidePostgres(t, "numeric_array_params")
	q := "SELECT $1::numeric[], ($1::numeric[])[2], $2::numeric[]"
	for _, mode := range []pgx.QueryExecMode{pgx.QueryExecModeSimpleProtocol, pgx.QueryExecModeExec, pgx.QueryExecModeCacheStatement} {
		args := []any{mode, "{1.5,2.000,NULL,-0.25}", []pgtype.Numeric{{Int: big.NewInt(15), Exp: -1, Valid: true}, {Int: big.NewInt(2000), Exp: -3, Valid: true}, {}}}
		values := func(c *pgx.Conn) []any {
			rows, err := c.Query(ctx, q, args...)
			if err != nil {
				t.Fatal(err)
			}
			return rowValues(t, rows)
		}
		texts := func(c *pgx.Conn) []string {
			var a, b, c2 string
			if err := c.QueryRow(ctx, "SELECT ($1::numeric[])::text, ($1::numeric[])[2]::text, $2::numeric[]::text", args...).Scan(&a, &b, &c2); err != nil {
				t.Fatal(err)
			}
			return []string{a, b, c2}
		}
		if want, got := values(pg), values(sd); !reflect.DeepEqual(want, got) {
			t.Errorf("mode %v: pgx values %v, PostgreSQL's %v", mode, got, want)
		}
		if want, got := texts(pg), texts(sd); !reflect.DeepEqual(want, got) {
			t.Errorf("mode %v: text %q, PostgreSQL's %q", mode, got, want)
		}
	}
}
