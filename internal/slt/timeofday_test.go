package slt

import (
	"reflect"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
)

// TestTimeOverPgx stores and reads time and time(p) columns through pgx on PostgreSQL and on
// sleeperd: parameters pgx encodes in binary (pgtype.Time) and as text, and the raw text and
// binary results must be the same bytes; pgx must decode them to the same values.
func TestTimeOverPgx(t *testing.T) {
	ctx, pg, sd := besidePostgres(t, "time_pgx")
	setup := func(c *pgx.Conn) {
		t.Helper()
		if _, err := c.Exec(ctx, "CREATE TABLE tp (id int NOT NULL, t time, t2 time(2), PRIMARY KEY (id))"); err != nil {
			t.Fatal(err)
		}
		// pgx sends pgtype.Time in binary; the string goes as text.
		if _, err := c.Exec(ctx, "INSERT INTO tp VALUES ($1, $2, $3), (2, $4, '23:59:59.999'), (3, NULL, NULL)",
			1, pgtype.Time{Microseconds: 13*3600e6 + 14*60e6 + 15_500_001, Valid: true}, "07:08:09.125", "24:00:00"); err != nil {
			t.Fatal(err)
		}
	}
	setup(pg)
	setup(sd)
	const query = "SELECT id, t, t2, t - time '01:00', t::text FROM tp WHERE t IS NULL OR t > $1 ORDER BY id"
	arg := pgtype.Time{Microseconds: 3600e6, Valid: true}
	sameRawRows(ctx, t, pg, sd, query, [][]byte{[]byte("01:00:00")}, []uint32{1083})
	scan := func(c *pgx.Conn) []any {
		rows, err := c.Query(ctx, query, arg)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		var out []any
		for rows.Next() {
			var (
				id   int32
				a, b pgtype.Time
				d    pgtype.Interval
				s    *string
			)
			if err := rows.Scan(&id, &a, &b, &d, &s); err != nil {
				t.Fatal(err)
			}
			out = append(out, id, a, b, d, s)
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		return out
	}
	want, got := scan(pg), scan(sd)
	if !reflect.DeepEqual(want, got) {
		t.Errorf("pgx read %v, from PostgreSQL %v", got, want)
	}
	if len(got) != 15 || got[1].(pgtype.Time).Microseconds != int64(13*time.Hour/time.Microsecond)+14*60e6+15_500_001 {
		t.Errorf("pgx read %v, want the rows stored", got)
	}
}
