package slt

import (
	"fmt"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
)

// numericQueries are typmod-less numeric results whose scale sleeperd gives as PostgreSQL
// does (see docs/sql.md for those it does not).
var numericQueries = []string{
	`SELECT '3.5'::numeric * 2`,
	`SELECT '2.50'::numeric, 7::numeric, -0.001::numeric`,
	`SELECT 1::numeric / 3, 7::numeric / 2, 12345.678::numeric / 7, 0::numeric / 3`,
	`SELECT 1.5 * 2.25, 10.0 - 0.25, 3::numeric * 1.50`,
	`SELECT sum(x), min(x), max(x) FROM (VALUES (1.5), (2.25), (-0.75)) v(x)`,
	`SELECT sum(x::numeric), avg(x::numeric) FROM (VALUES (1), (2), (4)) v(x)`,
	`SELECT round(2.567, 1), trunc(2::numeric / 3, 3), round(10::numeric / 4)`,
	// Values of a plain numeric whose scale is each value's own.
	`SELECT n, n * 2, n / 3, -n, abs(n), n + 0.5 FROM (VALUES ('-7.00'::text::numeric)) v(n)`,
	`SELECT sum(t::numeric), avg(t::numeric), max(t::numeric), min(t::numeric) FROM (VALUES ('1.50'), ('-0.25'), ('3')) v(t)`,
	`SELECT 0.1::float8::numeric, 1e20::float8::numeric, '1.5e-2'::text::numeric, 2.5::float4::numeric`,
	`SELECT avg(x), avg(x * 0.1) FROM (VALUES (1), (2)) v(x)`,
	// Values of different scales side by side keep their own.
	`SELECT x FROM (VALUES (1.5), (2.25)) v(x) WHERE x < 2`,
	`SELECT x FROM (SELECT 1.5 AS x UNION ALL SELECT 2.250) s WHERE x > 2`,
	`SELECT x FROM (SELECT 1 AS x UNION ALL SELECT 2.50) s WHERE x < 2`,
	`SELECT COALESCE(NULL, 1.5, 2.25), CASE WHEN true THEN 2 ELSE 0.125 END, GREATEST(1.5, 2), LEAST(1.50, 3, 2.5)`,
}

// TestNumericScaleOverPgx reads typmod-less numeric results from PostgreSQL and from sleeperd
// through pgx in the text and the binary format: the text and the binary values (which carry
// the display scale, dscale) must be the same bytes, and pgx must decode the same numbers.
func TestNumericScaleOverPgx(t *testing.T) {
	ctx, pg, sd := besidePostgres(t, "numeric_pgx")
	raw := func(c *pgx.Conn, sql string, format int16) [][]byte {
		t.Helper()
		res := c.PgConn().ExecParams(ctx, sql, nil, nil, nil, []int16{format}).Read()
		if res.Err != nil {
			t.Fatalf("%s: %v", sql, res.Err)
		}
		if len(res.Rows) != 1 {
			t.Fatalf("%s: %d rows", sql, len(res.Rows))
		}
		for _, fd := range res.FieldDescriptions {
			if fd.DataTypeOID != pgtype.NumericOID {
				t.Errorf("%s: column %s has type %d", sql, fd.Name, fd.DataTypeOID)
			}
		}
		return res.Rows[0]
	}
	for _, sql := range numericQueries {
		for _, format := range []int16{0, 1} {
			want, got := raw(pg, sql, format), raw(sd, sql, format)
			if len(want) != len(got) {
				t.Fatalf("%s: %d columns, PostgreSQL %d", sql, len(got), len(want))
			}
			for i := range want {
				if string(want[i]) != string(got[i]) {
					t.Errorf("%s, format %d, column %d: %q, PostgreSQL %q", sql, format, i+1, got[i], want[i])
				}
			}
		}
		// pgx's own decoding, with the extended protocol's binary results.
		scan := func(c *pgx.Conn) []string {
			rows, err := c.Query(ctx, sql)
			if err != nil {
				t.Fatal(err)
			}
			defer rows.Close()
			var out []string
			for rows.Next() {
				vals, err := rows.Values()
				if err != nil {
					t.Fatal(err)
				}
				for _, v := range vals {
					n := v.(pgtype.Numeric)
					s, _ := n.Value()
					out = append(out, fmt.Sprint(s))
				}
			}
			if err := rows.Err(); err != nil {
				t.Fatal(err)
			}
			return out
		}
		if want, got := scan(pg), scan(sd); fmt.Sprint(want) != fmt.Sprint(got) {
			t.Errorf("%s: pgx read %v, from PostgreSQL %v", sql, got, want)
		}
	}
}
