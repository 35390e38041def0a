package slt

import (
	"encoding/binary"
	"reflect"
	"testing"

	"github.com/jackc/pgx/v5"
)

// TestRegParameters sends parameters declared of the object identifier types (regclass 2205,
// regtype 2206, regproc 24, regprocedure 2202, regoper 2203, regoperator 2204, regnamespace
// 4089, regrole 4096) and of their array types, in the text format (names or OIDs) and the
// binary one (OIDs as uint32), and reads the results in both formats: the values, their types
// and the SQLSTATEs of names nothing has must be PostgreSQL's.
func TestRegParameters(t *testing.T) {
	ctx, pg, sd := besidePostgres(t, "reg_params")
	oid4 := func(oid uint32) string { return string(binary.BigEndian.AppendUint32(nil, oid)) }
	oidArray := func(elem uint32, oids ...uint32) string {
		var b []byte
		for _, x := range []uint32{1, 0, elem, uint32(len(oids)), 1} {
			b = binary.BigEndian.AppendUint32(b, x)
		}
		for _, oid := range oids {
			b = binary.BigEndian.AppendUint32(b, 4)
			b = binary.BigEndian.AppendUint32(b, oid)
		}
		return string(b)
	}
	cases := []struct {
		sql    string
		oid    uint32
		value  string
		binary bool
	}{
		// Scalars in the binary format: a 4-byte OID.
		{`SELECT $1::regclass`, 2205, oid4(1259), true},
		{`SELECT $1, $1::bigint`, 2205, oid4(1247), true},
		{`SELECT $1::regtype::text`, 2206, oid4(23), true},
		{`SELECT $1`, 2206, oid4(1043), true},
		{`SELECT $1`, 24, oid4(1299), true},
		{`SELECT $1`, 2202, oid4(870), true},
		{`SELECT $1`, 2203, oid4(551), true},
		{`SELECT $1, $1::bigint`, 2204, oid4(551), true},
		{`SELECT $1`, 4089, oid4(11), true},
		{`SELECT $1`, 2205, oid4(424242), true},
		{`SELECT $1`, 2205, "\x00\x00\x04", true},
		// Scalars in the text format: a name or an OID.
		{`SELECT $1`, 2205, `pg_class`, false},
		{`SELECT $1`, 2205, `1259`, false},
		{`SELECT $1::regclass = 'pg_type'::regclass`, 2205, `pg_catalog.pg_type`, false},
		{`SELECT $1`, 2205, `no_such_relation`, false},
		{`SELECT $1`, 2206, `character varying`, false},
		{`SELECT $1`, 2206, `no_such_type`, false},
		{`SELECT $1`, 2202, `lower(text)`, false},
		{`SELECT $1`, 2202, `lower(int4)`, false},
		{`SELECT $1`, 2203, `||/`, false},
		{`SELECT $1`, 2203, `+`, false},
		{`SELECT $1`, 2204, `-(NONE,int4)`, false},
		{`SELECT $1`, 2204, `+(int4)`, false},
		{`SELECT $1`, 4089, `public`, false},
		{`SELECT $1`, 4089, `no_such_schema`, false},
		// Arrays declared of these types keep their type.
		{`SELECT $1`, 2210, `{pg_class,pg_type}`, false},
		{`SELECT $1, pg_typeof($1)`, 2211, `{int4,text}`, false},
		{`SELECT $1`, 2210, oidArray(2205, 1259, 1247), true},
		{`SELECT $1`, 2207, `{"lower(text)","upper(text)"}`, false},
		{`SELECT $1`, 2209, oidArray(2204, 551, 0), true},
		{`SELECT $1::text`, 2208, `{||/}`, false},
	}
	for _, c := range cases {
		for _, format := range []int16{0, 1} {
			pformat := int16(0)
			if c.binary {
				pformat = 1
			}
			type out struct {
				row  [][]byte
				oids []uint32
				err  string
			}
			var res [2]out
			for i, conn := range []*pgx.Conn{pg, sd} {
				r := conn.PgConn().ExecParams(ctx, c.sql, [][]byte{[]byte(c.value)}, []uint32{c.oid}, []int16{pformat}, []int16{format}).Read()
				if r.Err != nil {
					res[i].err, _ = errorParts(r.Err)
					continue
				}
				if len(r.Rows) != 1 {
					t.Fatalf("%s: %d rows", c.sql, len(r.Rows))
				}
				res[i].row = r.Rows[0]
				for _, f := range r.FieldDescriptions {
					res[i].oids = append(res[i].oids, f.DataTypeOID)
				}
			}
			want, got := res[0], res[1]
			if !reflect.DeepEqual(got, want) {
				t.Errorf("%s with %q (declared %d), result format %d: %q %v %q, PostgreSQL %q %v %q",
					c.sql, c.value, c.oid, format, got.row, got.oids, got.err, want.row, want.oids, want.err)
			}
		}
	}
}
