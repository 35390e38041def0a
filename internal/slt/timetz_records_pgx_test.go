package slt

import (
	"bytes"
	"encoding/binary"
	"reflect"
	"testing"

	"github.com/jackc/pgx/v5"
)

// TestTimeTZRecordsOverPgx reads records and composite values with timetz and timetz[]
// fields through pgx beside PostgreSQL, in text and binary: the bytes are the same (binary:
// record_send naming the fields' OIDs 1266 and 1270, timetz_send's microseconds and seconds
// west of UTC) once each server's OID of the composite type is swapped for PostgreSQL's.
func TestTimeTZRecordsOverPgx(t *testing.T) {
	ctx, pg, sd := besidePostgres(t, "timetz_records_pgx")
	queries := []string{
		"SELECT k, r FROM tzr ORDER BY k",
		"SELECT k, ROW((r).t, k) FROM tzr ORDER BY k",
		"SELECT ROW(timetz '10:00:00.25-05:30', 1), ROW(ARRAY[timetz '23:59:59+14', NULL], 'x'::text)",
		"SELECT ARRAY[ROW(timetz '01:02:03+04', 2, ARRAY[timetz '05:06+07'])::tzrec] FROM tzr WHERE k = 1",
	}
	oids := map[*pgx.Conn]uint32{}
	for _, c := range []*pgx.Conn{pg, sd} {
		for _, q := range []string{
			"CREATE TYPE tzrec AS (t timetz, n int, ts timetz(2)[])",
			"CREATE TABLE tzr (k bigint PRIMARY KEY, r tzrec)",
			`INSERT INTO tzr VALUES
			 (1, ROW('12:34:56.5+01', 7, ARRAY['01:00:00.123-03:30'::timetz, NULL])),
			 (2, NULL),
			 (3, ROW(NULL, NULL, NULL)),
			 (4, ROW('24:00:00-15:59', 0, '{}'))`,
		} {
			if _, err := c.Exec(ctx, q); err != nil {
				t.Fatalf("%s: %v", q, err)
			}
		}
		var oid uint32
		if err := c.QueryRow(ctx, "SELECT oid FROM pg_type WHERE typname = 'tzrec'").Scan(&oid); err != nil {
			t.Fatal(err)
		}
		oids[c] = oid
	}
	be := func(v uint32) []byte { return binary.BigEndian.AppendUint32(nil, v) }
	for _, query := range queries {
		for _, format := range []int16{0, 1} {
			raw := func(c *pgx.Conn) [][][]byte {
				res := c.PgConn().ExecParams(ctx, query, nil, nil, nil, []int16{format}).Read()
				if res.Err != nil {
					t.Fatalf("%s (sleeperd: %v): %v", query, c == sd, res.Err)
				}
				if c == sd {
					for _, r := range res.Rows {
						for i, v := range r {
							r[i] = bytes.ReplaceAll(v, be(oids[sd]), be(oids[pg]))
						}
					}
				}
				return res.Rows
			}
			want, got := raw(pg), raw(sd)
			if len(want) == 0 {
				t.Fatalf("%s: PostgreSQL returned no rows", query)
			}
			if !reflect.DeepEqual(want, got) {
				t.Errorf("%s, format %d: sleeperd sent %q, PostgreSQL %q", query, format, got, want)
			}
		}
	}
}
