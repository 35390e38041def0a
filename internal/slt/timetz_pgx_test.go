package slt

import (
	"bytes"
	"encoding/binary"
	"reflect"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
)

// TestTimeTZOverPgx reads timetz and timetz[] values through pgx beside PostgreSQL: columns
// are described with OIDs 1266 and 1270, the text and the binary bytes (timetz_send: int64
// microseconds, then int32 seconds west of UTC) are PostgreSQL's, parameters sent as text
// and as binary are read as PostgreSQL reads them, and pgx scans the values to the same
// strings. Records holding timetz values have PostgreSQL's text.
func TestTimeTZOverPgx(t *testing.T) {
	ctx, pg, sd := besidePostgres(t, "timetz_pgx")
	for _, c := range []*pgx.Conn{pg, sd} {
		for _, q := range []string{
			"SET TIME ZONE 'UTC'",
			"CREATE TABLE tzp (k bigint PRIMARY KEY, t timetz, tp time(3) with time zone)",
			`INSERT INTO tzp VALUES (1, '04:05:06.789-08', '10:00:00.12345+05:30'), (2, NULL, NULL),
			 (3, '24:00:00+15:59:59', '00:00:00-15:59'), (4, '12:00:00+00', '23:59:59.9999+01')`,
		} {
			if _, err := c.Exec(ctx, q); err != nil {
				t.Fatalf("%s: %v", q, err)
			}
		}
	}
	const query = "SELECT t, tp, ARRAY[t, NULL, tp] FROM tzp ORDER BY k"
	for _, format := range []int16{0, 1} {
		raw := func(c *pgx.Conn) [][][]byte {
			res := c.PgConn().ExecParams(ctx, query, nil, nil, nil, []int16{format}).Read()
			if res.Err != nil {
				t.Fatalf("%s: %v", query, res.Err)
			}
			for i, want := range []uint32{1266, 1266, 1270} {
				if got := res.FieldDescriptions[i].DataTypeOID; got != want {
					t.Errorf("format %d: column %d described as OID %d, want %d", format, i, got, want)
				}
			}
			if res.FieldDescriptions[1].TypeModifier != 3 {
				t.Errorf("format %d: tp's typmod %d, want 3", format, res.FieldDescriptions[1].TypeModifier)
			}
			return res.Rows
		}
		if want, got := raw(pg), raw(sd); !reflect.DeepEqual(want, got) {
			t.Errorf("format %d: sleeperd sent %q, PostgreSQL %q", format, got, want)
		}
	}

	// Records holding timetz values, in text.
	const rq = "SELECT ROW(tp, t), ROW(t, k) FROM tzp ORDER BY k"
	recText := func(c *pgx.Conn) [][][]byte {
		res := c.PgConn().ExecParams(ctx, rq, nil, nil, nil, []int16{0}).Read()
		if res.Err != nil {
			t.Fatalf("%s: %v", rq, res.Err)
		}
		return res.Rows
	}
	if want, got := recText(pg), recText(sd); !reflect.DeepEqual(want, got) {
		t.Errorf("records: sleeperd sent %q, PostgreSQL %q", got, want)
	}

	// Parameters: text with an offset, and timetz_send's bytes (10:30:00.25 at +02:00, that
	// is 7200 seconds east, -7200 west).
	bin := binary.BigEndian.AppendUint64(nil, uint64(37_800_250_000))
	bin = binary.BigEndian.AppendUint32(bin, uint32(0xFFFFE3E0)) // -7200
	for _, p := range []struct {
		val    []byte
		format int16
	}{{[]byte("10:30:00.25+02"), 0}, {bin, 1}} {
		const pq = "SELECT $1::timetz, $1::timetz::time, $1::timetz AT TIME ZONE 'UTC', $1::timetz < timetz '09:00+00'"
		run := func(c *pgx.Conn) [][][]byte {
			res := c.PgConn().ExecParams(ctx, pq, [][]byte{p.val}, []uint32{1266}, []int16{p.format}, []int16{1}).Read()
			if res.Err != nil {
				t.Fatalf("%s: %v", pq, res.Err)
			}
			return res.Rows
		}
		if want, got := run(pg), run(sd); !reflect.DeepEqual(want, got) {
			t.Errorf("parameter in format %d: sleeperd sent %q, PostgreSQL %q", p.format, got, want)
		}
	}

	// COPY: text rows in (one without a zone, taking the session's), PostgreSQL's binary COPY
	// of them in, and both formats out.
	for _, c := range []*pgx.Conn{pg, sd} {
		for _, q := range []string{"CREATE TABLE tzc (k int, t timetz(2))", "CREATE TABLE tzb (k int, t timetz(2))"} {
			if _, err := c.Exec(ctx, q); err != nil {
				t.Fatalf("%s: %v", q, err)
			}
		}
		in := "1\t04:05:06.789-08\n2\t\\N\n3\t10:00\n4\t2024-07-01 12:00:00.125 Europe/Paris\n"
		if _, err := c.PgConn().CopyFrom(ctx, strings.NewReader(in), "COPY tzc FROM STDIN"); err != nil {
			t.Fatalf("COPY FROM: %v", err)
		}
	}
	var pgBinary bytes.Buffer
	if _, err := pg.PgConn().CopyTo(ctx, &pgBinary, "COPY tzc TO STDOUT (FORMAT binary)"); err != nil {
		t.Fatal(err)
	}
	for _, c := range []*pgx.Conn{pg, sd} {
		if _, err := c.PgConn().CopyFrom(ctx, bytes.NewReader(pgBinary.Bytes()), "COPY tzb FROM STDIN (FORMAT binary)"); err != nil {
			t.Fatalf("binary COPY FROM: %v", err)
		}
	}
	for _, q := range []string{"COPY (SELECT * FROM tzc ORDER BY k) TO STDOUT", "COPY (SELECT * FROM tzb ORDER BY k) TO STDOUT", "COPY (SELECT * FROM tzc ORDER BY k) TO STDOUT (FORMAT binary)"} {
		out := func(c *pgx.Conn) string {
			var b bytes.Buffer
			if _, err := c.PgConn().CopyTo(ctx, &b, q); err != nil {
				t.Fatalf("%s: %v", q, err)
			}
			return b.String()
		}
		if want, got := out(pg), out(sd); want != got {
			t.Errorf("%s: sleeperd %q, PostgreSQL %q", q, got, want)
		}
	}

	// pgx, which has no timetz codec, scans the values as text.
	scan := func(c *pgx.Conn) []string {
		rows, err := c.Query(ctx, "SELECT t FROM tzp WHERE t IS NOT NULL ORDER BY t")
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		var out []string
		for rows.Next() {
			var s string
			if err := rows.Scan(&s); err != nil {
				t.Fatal(err)
			}
			out = append(out, s)
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		return out
	}
	want, got := scan(pg), scan(sd)
	if !reflect.DeepEqual(want, got) || len(got) != 3 {
		t.Errorf("pgx scans %q, PostgreSQL's %q", got, want)
	}
}
