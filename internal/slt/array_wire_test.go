package slt

import (
	"testing"
)

// TestArrayColumnsOnTheWire reads numeric(p,s)[], time[] and uuid[] columns and expressions
// beside PostgreSQL in the text and the binary format: the same column names, type OIDs and
// type modifiers (the element's typmod: numeric(6,2)[] is 393222) and the same bytes, and pgx
// decodes them to the same Go values.
func TestArrayColumnsOnTheWire(t *testing.T) {
	ctx, pg, sd := besidePostgres(t, "array_wire")
	sameWireResults(ctx, t, pg, sd, []string{
		"CREATE TABLE aw (k bigint PRIMARY KEY, n numeric(6,2)[], t time[], t3 time(3)[], u uuid[])",
		`INSERT INTO aw VALUES (1, '{1.5,2.255,NULL}', '{10:00,NULL}', ARRAY['01:02:03.45678'::time], '{a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11,NULL}'),
				(2, ARRAY[3, 4.1], ARRAY[]::time[], NULL, '{}'), (3, NULL, NULL, '{}', NULL)`,
	}, []string{
		"SELECT k, n, n[1], t, t3, t3[1], u, u[1] FROM aw ORDER BY k",
		"SELECT '{1.5,NULL}'::numeric(5,2)[], ARRAY[1.5::numeric(4,1)], '{10:00:00.55}'::time(1)[], '{A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11}'::uuid[]",
	})
}
