package slt

import (
	"encoding/binary"
	"testing"

	"github.com/jackc/pgx/v5"
)

// TestRegTypesOnTheWire reads regclass, regtype and regnamespace values beside PostgreSQL in
// the text and the binary format: the same type OIDs (2205, 2206, 4089), the names in text and
// the uint32 OIDs in binary, and the same Go values through pgx.
func TestRegTypesOnTheWire(t *testing.T) {
	ctx, pg, sd := besidePostgres(t, "reg_wire")
	sameWireResults(ctx, t, pg, sd, []string{"CREATE TABLE rw (k int PRIMARY KEY, v text)"}, []string{
		"SELECT 'int4'::regtype, pg_typeof(1.5), pg_typeof('x'::varchar), 'varchar[]'::regtype, 'bpchar'::regtype, 'regclass'::regtype",
		"SELECT 'pg_class'::regclass, 'pg_type'::regclass, 'public'::regnamespace, 'pg_catalog'::regnamespace",
		"SELECT 'pg_class'::regclass::oid::int8, 'int4'::regtype::text, pg_typeof(1)::text, 'pg_class'::regclass = 'pg_class'::regclass::oid",
		"SELECT a.atttypid::regtype FROM pg_attribute a WHERE a.attrelid = 'rw'::regclass AND a.attnum > 0 ORDER BY a.attnum",
	})
	// A table's OID differs between the servers: its name in text, its OID in binary.
	for _, c := range []*pgx.Conn{pg, sd} {
		var oid uint32
		if err := c.QueryRow(ctx, "SELECT 'rw'::regclass::oid").Scan(&oid); err != nil {
			t.Fatal(err)
		}
		text := c.PgConn().ExecParams(ctx, "SELECT 'rw'::regclass, 'rw_pkey'::regclass", nil, nil, nil, []int16{0}).Read()
		if text.Err != nil {
			t.Fatal(text.Err)
		}
		if got := text.FieldDescriptions[0].DataTypeOID; got != 2205 {
			t.Errorf("regclass column of type %d", got)
		}
		if len(text.Rows) != 1 || string(text.Rows[0][0]) != "rw" || string(text.Rows[0][1]) != "rw_pkey" {
			t.Errorf("regclass text %q", text.Rows)
		}
		bin := c.PgConn().ExecParams(ctx, "SELECT 'rw'::regclass", nil, nil, nil, []int16{1}).Read()
		if bin.Err != nil {
			t.Fatal(bin.Err)
		}
		if len(bin.Rows) != 1 || len(bin.Rows[0][0]) != 4 || binary.BigEndian.Uint32(bin.Rows[0][0]) != oid {
			t.Errorf("regclass binary %x, want the OID %d", bin.Rows, oid)
		}
	}
}
