package slt

import (
	"encoding/binary"
	"fmt"
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
	sameParamResults(ctx, t, pg, sd, []paramCase{
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
		{`SELECT $1`, 2205, "\x00\x00\x04\xeb\x00", true},
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
		{`SELECT $1`, 2210, binaryOIDArray(2205, 1259, 1247), true},
		{`SELECT $1`, 2207, `{"lower(text)","upper(text)"}`, false},
		{`SELECT $1`, 2209, binaryOIDArray(2204, 551, 0), true},
		{`SELECT $1::text`, 2208, `{||/}`, false},
	})
}

// TestRegLookupsSeeCatalogChanges prepares statements that read names as regclass per
// execution (a parameter declared regclass or regclass[], a text[] parameter cast to
// regclass[], a text column cast to regclass[]) and runs them before and after the relation
// they name is created and after it is dropped: each execution must see the catalog as it is
// then, as PostgreSQL's input functions do.
func TestRegLookupsSeeCatalogChanges(t *testing.T) {
	ctx, pg, sd := besidePostgres(t, "reg_lookups_catalog")
	stmts := []struct {
		sql  string
		oids []uint32
		arg  string
	}{
		{`SELECT $1::text`, []uint32{2205}, `rlc_t`},
		{`SELECT $1::text`, []uint32{2210}, `{pg_class,rlc_t}`},
		{`SELECT $1::regclass[]::text`, []uint32{1009}, `{rlc_t}`},
		{`SELECT names::regclass[]::text FROM rlc_names`, nil, ``},
	}
	type out struct {
		rows [][][]byte
		err  string
	}
	step := func(what string, setup ...string) {
		var res [2][]out
		for i, conn := range []*pgx.Conn{pg, sd} {
			for _, s := range setup {
				if _, err := conn.Exec(ctx, s); err != nil {
					t.Fatalf("%s: %v", s, err)
				}
			}
			for j, s := range stmts {
				var args [][]byte
				if s.oids != nil {
					args = [][]byte{[]byte(s.arg)}
				}
				r := conn.PgConn().ExecPrepared(ctx, fmt.Sprintf("rlc%d", j), args, nil, nil).Read()
				o := out{rows: r.Rows}
				if r.Err != nil {
					o = out{err: pgErrorText(r.Err)}
				}
				res[i] = append(res[i], o)
			}
		}
		for j := range stmts {
			if !reflect.DeepEqual(res[1][j], res[0][j]) {
				t.Errorf("%s: %s: %q %s, PostgreSQL %q %s", what, stmts[j].sql, res[1][j].rows, res[1][j].err, res[0][j].rows, res[0][j].err)
			}
		}
	}
	for _, conn := range []*pgx.Conn{pg, sd} {
		if _, err := conn.Exec(ctx, `CREATE TABLE rlc_names (k int PRIMARY KEY, names text[])`); err != nil {
			t.Fatal(err)
		}
		if _, err := conn.Exec(ctx, `INSERT INTO rlc_names VALUES (1, '{pg_class}')`); err != nil {
			t.Fatal(err)
		}
		for j, s := range stmts {
			if _, err := conn.PgConn().Prepare(ctx, fmt.Sprintf("rlc%d", j), s.sql, s.oids); err != nil {
				t.Fatalf("%s: %v", s.sql, err)
			}
		}
	}
	step("before")
	step("created", `CREATE TABLE rlc_t (k int PRIMARY KEY)`, `UPDATE rlc_names SET names = '{rlc_t,pg_type}'`)
	step("dropped", `DROP TABLE rlc_t`)
}
