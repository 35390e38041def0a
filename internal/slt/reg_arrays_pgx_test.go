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
