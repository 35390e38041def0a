package slt

import (
	"bytes"
	"context"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
)

const arrayColumnsTable = `CREATE TABLE ac (id integer PRIMARY KEY, i2 smallint[], i4 integer[], i8 bigint[],
	f4 real[], f8 double precision[], n numeric(12,3)[], t text[], b boolean[], d date[], ts timestamp[], by bytea[])`

// TestArrayColumnsPgxMatchPostgres writes array columns of every element type with pgx's
// binary parameters (NULL arrays, empty arrays and NULL elements among them) to sleeperd and
// to PostgreSQL, and checks that both send the same column types and the same bytes in
// binary and in text, and that pgx scans them back into the Go slices it sent.
func TestArrayColumnsPgxMatchPostgres(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	ctx, cancel := context.WithTimeout(context.Background(), fileTimeout)
	defer cancel()
	num := func(s string) pgtype.Numeric {
		var n pgtype.Numeric
		if err := n.Scan(s); err != nil {
			t.Fatal(err)
		}
		return n
	}
	day := func(y, m, d int) time.Time { return time.Date(y, time.Month(m), d, 0, 0, 0, 0, time.UTC) }
	s1 := "a"
	rows := [][]any{
		{int32(1), []int16{1, -2}, []int32{10, 20, 30}, []int64{-9223372036854775808, 9223372036854775807}, []float32{1.5, -0.25}, []float64{1e100, 0},
			[]pgtype.Numeric{num("1.250"), num("-99.001")}, []string{"a", "with space", `quo"te`, "", "NULL"}, []bool{true, false},
			[]time.Time{day(2024, 2, 29), day(1999, 12, 31)}, []time.Time{time.Date(2024, 1, 2, 3, 4, 5, 123456000, time.UTC)}, [][]byte{{0, 0xff}, {}}},
		{int32(2), []int16{}, []int32{}, []int64{}, []float32{}, []float64{}, []pgtype.Numeric{}, []string{}, []bool{}, []time.Time{}, []time.Time{}, [][]byte{}},
		{int32(3), nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil},
		{int32(4), []*int16{nil}, []*int32{nil, nil}, []*int64{nil}, []*float32{nil}, []*float64{nil}, []*pgtype.Numeric{nil}, []*string{nil, &s1}, []*bool{nil}, []*time.Time{nil}, []*time.Time{nil}, [][]byte{nil}},
	}
	pg := freshDatabase(ctx, t, "array_columns")
	sd := dial(ctx, t, fmt.Sprintf("postgres://slt@%s/slt?sslmode=disable", serve(ctx, t, openEngine(ctx, t, mem))))
	for _, c := range []*pgx.Conn{pg, sd} {
		if _, err := c.Exec(ctx, arrayColumnsTable); err != nil {
			t.Fatal(err)
		}
		for _, r := range rows {
			if _, err := c.Exec(ctx, "INSERT INTO ac VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)", r...); err != nil {
				t.Fatalf("insert %v: %v", r[0], err)
			}
		}
	}
	// The same rows again through COPY FROM STDIN in binary (pgx's CopyFrom).
	cols := []string{"id", "i2", "i4", "i8", "f4", "f8", "n", "t", "b", "d", "ts", "by"}
	copied := make([][]any, len(rows))
	for i, r := range rows {
		copied[i] = append([]any{r[0].(int32) + 10}, r[1:]...)
	}
	for _, c := range []*pgx.Conn{pg, sd} {
		if n, err := c.CopyFrom(ctx, pgx.Identifier{"ac"}, cols, pgx.CopyFromRows(copied)); err != nil || n != int64(len(rows)) {
			t.Fatalf("CopyFrom: %d, %v", n, err)
		}
	}
	rows = append(rows, copied...)
	// And one row through COPY FROM STDIN in text.
	const text = "30\t{1,-2}\t{}\t\\N\t{1.5,NULL}\t{-0.5}\t{1.25}\t{\"a b\",NULL,\"\"}\t{t}\t{2024-01-01}\t{\"2024-01-01 10:00:00\"}\t\\N\n"
	for _, c := range []*pgx.Conn{pg, sd} {
		if _, err := c.PgConn().CopyFrom(ctx, strings.NewReader(text), "COPY ac FROM STDIN"); err != nil {
			t.Fatalf("COPY text: %v", err)
		}
	}
	rows = append(rows, nil)
	const q = "SELECT i2, i4, i8, f4, f8, n, t, b, d, ts, by FROM ac ORDER BY id"
	for _, format := range []int16{pgx.BinaryFormatCode, pgx.TextFormatCode} {
		want, wantOIDs := rawRows(ctx, t, pg, q, format)
		got, gotOIDs := rawRows(ctx, t, sd, q, format)
		if len(want) != len(rows) || len(got) != len(rows) {
			t.Fatalf("format %d: %d rows, PostgreSQL's %d", format, len(got), len(want))
		}
		if !reflect.DeepEqual(gotOIDs, wantOIDs) {
			t.Errorf("format %d: column types %v, PostgreSQL's %v", format, gotOIDs, wantOIDs)
		}
		for r := range want {
			for c := range want[r] {
				if r >= len(got) || !bytes.Equal(got[r][c], want[r][c]) || (got[r][c] == nil) != (want[r][c] == nil) {
					t.Errorf("format %d row %d column %d: got %q, PostgreSQL sent %q", format, r, c, got[r][c], want[r][c])
				}
			}
		}
	}
	var (
		i4 []int32
		tx []*string
		d  []time.Time
		by [][]byte
	)
	if err := sd.QueryRow(ctx, "SELECT i4, t, d, by FROM ac WHERE id = 1").Scan(&i4, &tx, &d, &by); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(i4, rows[0][2]) || len(tx) != 5 || *tx[2] != `quo"te` || !d[0].Equal(day(2024, 2, 29)) || !bytes.Equal(by[0], []byte{0, 0xff}) {
		t.Errorf("scanned %v %v %v %v", i4, tx, d, by)
	}
	var empty, null []int64
	if err := sd.QueryRow(ctx, "SELECT (SELECT i8 FROM ac WHERE id = 2), (SELECT i8 FROM ac WHERE id = 3)").Scan(&empty, &null); err != nil {
		t.Fatal(err)
	}
	if empty == nil || len(empty) != 0 || null != nil {
		t.Errorf("empty %#v, NULL %#v", empty, null)
	}
}

// rawRows runs q with every result column in the given format and returns the values as
// sent and the columns' type OIDs.
func rawRows(ctx context.Context, t *testing.T, c *pgx.Conn, q string, format int16) ([][][]byte, []uint32) {
	t.Helper()
	sd, err := c.Prepare(ctx, "", q)
	if err != nil {
		t.Fatal(err)
	}
	formats := make([]int16, len(sd.Fields))
	for i := range formats {
		formats[i] = format
	}
	res := c.PgConn().ExecPrepared(ctx, sd.Name, nil, nil, formats).Read()
	if res.Err != nil {
		t.Fatal(res.Err)
	}
	var oids []uint32
	for _, f := range res.FieldDescriptions {
		oids = append(oids, f.DataTypeOID)
	}
	return res.Rows, oids
}
