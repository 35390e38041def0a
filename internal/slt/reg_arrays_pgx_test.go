package slt

import (
	"encoding/binary"
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
	// A one-dimensional array of OIDs in the binary format, elements of type elem.
	oidArray := func(elem uint32, oids ...int64) string {
		var b []byte
		b = binary.BigEndian.AppendUint32(b, 1)
		b = binary.BigEndian.AppendUint32(b, 0)
		b = binary.BigEndian.AppendUint32(b, elem)
		b = binary.BigEndian.AppendUint32(b, uint32(len(oids)))
		b = binary.BigEndian.AppendUint32(b, 1)
		for _, oid := range oids {
			if oid < 0 {
				b = binary.BigEndian.AppendUint32(b, 0xffffffff)
				continue
			}
			b = binary.BigEndian.AppendUint32(b, 4)
			b = binary.BigEndian.AppendUint32(b, uint32(oid))
		}
		return string(b)
	}
	cases := []struct {
		sql    string
		oid    uint32
		value  string
		binary bool
	}{
		{`SELECT $1::regclass[]`, 2210, oidArray(2205, 1259, -1, 1247), true},
		{`SELECT $1::regtype[]::text`, 2211, oidArray(2206, 23, 1043), true},
		{`SELECT $1::regclass[]`, 2210, string([]byte{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x08, 0x9d}), true},
		{`SELECT $1::regclass[]`, 2210, `{pg_class,pg_type,NULL}`, false},
		{`SELECT $1::regclass[]::text, ($1::regclass[])[2]`, 2210, `{"pg_catalog.pg_class",pg_proc}`, false},
		{`SELECT $1::regtype[]`, 2211, `{int4,"character varying",int8[]}`, false},
		{`SELECT $1::regclass[]`, 2210, `{pg_class,no_such_relation}`, false},
		{`SELECT $1::regtype[]`, 2211, `{int4,no_such_type}`, false},
	}
	for _, c := range cases {
		for _, format := range []int16{0, 1} {
			run := func(conn *pgx.Conn) ([][]byte, []uint32, string) {
				pformat := int16(0)
				if c.binary {
					pformat = 1
				}
				res := conn.PgConn().ExecParams(ctx, c.sql, [][]byte{[]byte(c.value)}, []uint32{c.oid}, []int16{pformat}, []int16{format}).Read()
				if res.Err != nil {
					return nil, nil, pgErrorText(res.Err)
				}
				if len(res.Rows) != 1 {
					t.Fatalf("%s: %d rows", c.sql, len(res.Rows))
				}
				var oids []uint32
				for _, f := range res.FieldDescriptions {
					oids = append(oids, f.DataTypeOID)
				}
				return res.Rows[0], oids, ""
			}
			wantRow, wantOIDs, wantErr := run(pg)
			gotRow, gotOIDs, gotErr := run(sd)
			if gotErr != wantErr {
				t.Errorf("%s with %s, format %d: error %q, PostgreSQL %q", c.sql, c.value, format, gotErr, wantErr)
				continue
			}
			if !reflect.DeepEqual(gotOIDs, wantOIDs) {
				t.Errorf("%s with %s, format %d: types %v, PostgreSQL %v", c.sql, c.value, format, gotOIDs, wantOIDs)
			}
			if !reflect.DeepEqual(gotRow, wantRow) {
				t.Errorf("%s with %s, format %d: %q, PostgreSQL %q", c.sql, c.value, format, gotRow, wantRow)
			}
		}
	}
}
