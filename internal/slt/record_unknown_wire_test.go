package slt

import "testing"

// TestRecordUnknownFieldsOnTheWire reads records holding untyped literals beside PostgreSQL in
// the text and the binary format: an untyped literal's field is of type unknown (705) in the
// binary record, as PostgreSQL sends it, an array of jsonb jsonb[], and the record's values
// are the same.
func TestRecordUnknownFieldsOnTheWire(t *testing.T) {
	ctx, pg, sd := besidePostgres(t, "record_unknown_wire")
	sameWireResults(ctx, t, pg, sd, nil, []string{
		"SELECT ROW(1, 'a')",
		"SELECT ROW('x', NULL, 2.5, 'y'::text)",
		"SELECT ROW(1, ROW('a', 'b'))",
		"SELECT ROW(k, 'lit') FROM (VALUES (1), (2)) v(k) ORDER BY k",
		// Arrays of jsonb and json inside a record: jsonb[] (3807) and json[] (199).
		`SELECT ROW(ARRAY['{"b": 1, "a": 2}'::jsonb, NULL], ARRAY['[1,  2]'::json], 1)`,
	})
}
