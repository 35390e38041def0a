package slt

import (
	"math/big"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
)

// arrayParams are array parameters by element type: the array's type, its type OID and a
// value in PostgreSQL's array text.
var arrayParams = []struct {
	typ  string
	oid  uint32
	text string
}{
	{"time[]", 1183, `{10:11:12.5,NULL,00:00:00,23:59:59.999999}`},
	{"uuid[]", 2951, `{a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11,NULL,00000000-0000-0000-0000-000000000001}`},
	{"date[]", 1182, `{2024-02-29,NULL,1999-12-31}`},
	{"timestamp[]", 1115, `{"2024-02-29 10:11:12.5",NULL}`},
	{"timestamptz[]", 1185, `{"2024-02-29 10:11:12.5+00",NULL}`},
	{"interval[]", 1187, `{"1 year 2 mons 3 days 04:05:06.5",NULL,-00:00:01}`},
	{"numeric(6,2)[]", 1231, `{1.5,NULL,-2.25,100}`},
	{"bytea[]", 1001, `{"\\x0102ff",NULL,"\\x"}`},
	{"bool[]", 1000, `{t,NULL,f}`},
	{"int4[]", 1007, `{1,NULL,-3}`},
	{"text[]", 1009, `{a,NULL,"b c"}`},
}

// TestArrayParamsBesidePostgres sends array parameters of each element type to PostgreSQL
// and to sleeperd, declared with their type OIDs, in the text format and in the binary
// format PostgreSQL itself writes them in: both must return the same rows, in the text and
// the binary result formats.
func TestArrayParamsBesidePostgres(t *testing.T) {
	ctx, pg, sd := besidePostgres(t, "array_params")
	for _, p := range arrayParams {
		t.Run(p.typ, func(t *testing.T) {
			q := "SELECT $1::" + p.typ + ", $1::" + p.typ + "::text, array_length($1::" + p.typ + ", 1), ($1::" + p.typ + ")[1]::text"
			sameRawRows(ctx, t, pg, sd, q, [][]byte{[]byte(p.text)}, []uint32{p.oid})
			if !strings.Contains(p.typ, "(") {
				// (An untyped $1 of a type with a modifier would be the type without it.)
				sameRawRows(ctx, t, pg, sd, "SELECT $1", [][]byte{[]byte(p.text)}, []uint32{p.oid})
			}
			// The binary form, as PostgreSQL's send function writes it.
			res := pg.PgConn().ExecParams(ctx, "SELECT $1::"+p.typ, [][]byte{[]byte(p.text)}, []uint32{p.oid}, nil, []int16{1}).Read()
			if res.Err != nil {
				t.Fatal(res.Err)
			}
			bin := res.Rows[0][0]
			for _, format := range []int16{0, 1} {
				read := func(c *pgx.Conn) [][][]byte {
					res := c.PgConn().ExecParams(ctx, q, [][]byte{bin}, []uint32{p.oid}, []int16{1}, []int16{format}).Read()
					if res.Err != nil {
						t.Fatalf("binary parameter: %s: %v", q, res.Err)
					}
					return res.Rows
				}
				if want, got := read(pg), read(sd); !reflect.DeepEqual(want, got) {
					t.Errorf("binary parameter, result format %d: sleeperd sent %q, PostgreSQL %q", format, got, want)
				}
			}
		})
	}
}

// TestArrayParamsPgxModes passes arrays of time, uuid, date, timestamp, numeric(p,s) and bool as
// Go values through each of pgx's query modes (prepared and described, executed with the
// binary or the text format, or written into the query text): sleeperd returns what
// PostgreSQL returns.
func TestArrayParamsPgxModes(t *testing.T) {
	ctx, pg, sd := besidePostgres(t, "array_params_modes")
	at := func(h, m, s, us int64) pgtype.Time {
		return pgtype.Time{Microseconds: ((h*60+m)*60+s)*1e6 + us, Valid: true}
	}
	day := time.Date(2024, 2, 29, 10, 11, 12, 500000000, time.UTC)
	args := []struct {
		typ string
		v   any
	}{
		{"time[]", []pgtype.Time{at(10, 11, 12, 500000), {}, at(23, 59, 59, 999999)}},
		{"uuid[]", []pgtype.UUID{{Bytes: [16]byte{0xa0, 0xee, 0xbc, 0x99, 15: 0x11}, Valid: true}, {}}},
		{"date[]", []pgtype.Date{{Time: day.Truncate(24 * time.Hour), Valid: true}, {}}},
		{"timestamp[]", []pgtype.Timestamp{{Time: day, Valid: true}, {}}},
		{"timestamptz[]", []time.Time{day}},
		{"numeric(6,2)[]", []pgtype.Numeric{{Int: bigInt(15), Exp: -1, Valid: true}, {}, {Int: bigInt(-225), Exp: -2, Valid: true}}},
		{"bool[]", []pgtype.Bool{{Bool: true, Valid: true}, {}, {Valid: true}}},
		{"text[]", []string{"a", "b c", ""}},
		{"time[]", `{10:00,NULL}`},
		{"uuid[]", `{A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11}`},
	}
	modes := []pgx.QueryExecMode{pgx.QueryExecModeCacheStatement, pgx.QueryExecModeCacheDescribe, pgx.QueryExecModeDescribeExec, pgx.QueryExecModeExec, pgx.QueryExecModeSimpleProtocol}
	for _, a := range args {
		for _, mode := range modes {
			q := "SELECT $1::" + a.typ + "::text"
			read := func(c *pgx.Conn) (string, error) {
				var s string
				err := c.QueryRow(ctx, q, mode, a.v).Scan(&s)
				return s, err
			}
			want, werr := read(pg)
			got, gerr := read(sd)
			if werr != nil || gerr != nil {
				if (werr == nil) != (gerr == nil) {
					t.Errorf("%s %v (%T): sleeperd: %v, PostgreSQL: %v", a.typ, mode, a.v, gerr, werr)
				}
				continue
			}
			if got != want {
				t.Errorf("%s %v (%T): sleeperd %q, PostgreSQL %q", a.typ, mode, a.v, got, want)
			}
		}
	}
}

func bigInt(n int64) *big.Int { return big.NewInt(n) }
