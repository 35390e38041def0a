package slt

import "testing"

// TestRecordUnknownFieldsOnTheWire reads records holding untyped literals beside PostgreSQL in
// the text and the binary format: an untyped literal's field is of type unknown (705) in the
// binary record, as PostgreSQL sends it, and the record's values are the same.
func TestRecordUnknownFieldsOnTheWire(t *testing.T) {
	ctx, pg, sd := besidePostgres(t, "record_unknown_wire")
	sameWireResults(ctx, t, pg, sd, nil, []string{
		"SELECT ROW(1, 'a')",
		"SELECT ROW('x', NULL, 2.5, 'y'::text)",
		"SELECT ROW(1, ROW('a', 'b'))",
		"SELECT ROW(k, 'lit') FROM (VALUES (1), (2)) v(k) ORDER BY k",
	})
}
