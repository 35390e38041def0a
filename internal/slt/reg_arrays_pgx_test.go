package slt

import (
	"reflect"
	"testing"

	"github.com/jackc/pgx/v5"
)

// TestRegArraysOverPgx checks that arrays of regclass, regtype, regproc, regnamespace and
// regrole are sent as PostgreSQL sends them: as regclass[] (2210), regtype[] (2211),
// regproc[] (1008), regnamespace[] (4090) and regrole[] (4097), the elements' names in the
// text format and their OIDs as uint32 in the binary format, and that pgx reads the same
// values from both.
func TestRegArraysOverPgx(t *testing.T) {
	ctx, pg, sd := besidePostgres(t, "reg_arrays_pgx")
	q := `SELECT ARRAY['pg_class'::regclass, 'pg_type', NULL], ARRAY['int4'::regtype, 'text[]'],
		ARRAY['now'::regproc], ARRAY['pg_catalog'::regnamespace], ARRAY[NULL::regrole],
		ARRAY['pg_class'::regclass]::text`
	queries := map[*pgx.Conn]string{pg: q, sd: q}
	sameRawResults(ctx, t, pg, sd, queries)
	for _, formats := range []pgx.QueryResultFormats{{pgx.TextFormatCode}, {pgx.BinaryFormatCode}} {
		want, got := queryValues(ctx, t, pg, q, formats), queryValues(ctx, t, sd, q, formats)
		if !reflect.DeepEqual(want, got) {
			t.Errorf("formats %v: pgx read %v, from PostgreSQL %v", formats, got, want)
		}
	}
	if got := queryValues(ctx, t, sd, q, pgx.QueryResultFormats{pgx.TextFormatCode}); len(got) == 0 || !reflect.DeepEqual(got[0], "{pg_class,pg_type,NULL}") {
		t.Errorf("regclass[] in text: %v", got)
	}
}

// TestRegArrayParameters sends regclass[] (2210) and regtype[] (2211) parameters as a client
// that declares their types does, in the text and the binary format (arrays of uint32 OIDs),
// and reads the results in both formats:
// the names are looked up as PostgreSQL looks them up, and a name nothing has fails with
// PostgreSQL's SQLSTATE.
func TestRegArrayParameters(t *testing.T) {
	ctx, pg, sd := besidePostgres(t, "reg_array_params")
	sameParamResults(ctx, t, pg, sd, []paramCase{
		{`SELECT $1::regclass[]`, 2210, binaryOIDArray(2205, 1259, -1, 1247), true},
		{`SELECT $1::regtype[]::text`, 2211, binaryOIDArray(2206, 23, 1043), true},
		{`SELECT $1::regclass[]`, 2210, string([]byte{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x08, 0x9d}), true},
		{`SELECT $1::regclass[]`, 2210, `{pg_class,pg_type,NULL}`, false},
		{`SELECT $1::regclass[]::text, ($1::regclass[])[2]`, 2210, `{"pg_catalog.pg_class",pg_proc}`, false},
		{`SELECT $1::regtype[]`, 2211, `{int4,"character varying",int8[]}`, false},
		{`SELECT $1::regclass[]`, 2210, `{pg_class,no_such_relation}`, false},
		{`SELECT $1::regtype[]`, 2211, `{int4,no_such_type}`, false},
	})
}
