package slt

import (
	"context"
	"fmt"
	"reflect"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/jackc/pgx/v5"
)

// TestIntervalArraysOverPgx stores interval[] values in a table of sleeperd and of
// PostgreSQL, rewrites sleeperd's files with VACUUM FULL, and reads them back through pgx in
// text and binary: the raw bytes and column type OIDs must be PostgreSQL's (array_send of
// interval elements), and pgx must decode them to the same Go values.
func TestIntervalArraysOverPgx(t *testing.T) {
	postgresDSN(t)
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	ctx, cancel := context.WithTimeout(context.Background(), fileTimeout)
	defer cancel()
	func() {
		pg := freshDatabase(ctx, t, "interval_arrays_pgx")
		addr := serve(ctx, t, openEngine(ctx, t, mem))
		sd := dial(ctx, t, fmt.Sprintf("postgres://slt@%s/slt?sslmode=disable", addr))
		for _, c := range []*pgx.Conn{pg, sd} {
			for _, q := range []string{
				"CREATE TABLE iv (k bigint PRIMARY KEY, a interval[])",
				"INSERT INTO iv VALUES (1, ARRAY[interval '1 day', NULL, interval '-1 year 2 mons 3 days 04:05:06.000007']), (2, NULL), (3, '{}')",
				"INSERT INTO iv VALUES (4, '{\"1 hour\",NULL,\"-00:00:01\"}')",
				"VACUUM FULL iv",
			} {
				if _, err := c.Exec(ctx, q); err != nil {
					t.Fatalf("%s: %v", q, err)
				}
			}
		}
		const q = "SELECT k, a FROM iv ORDER BY k"
		for _, format := range []int16{0, 1} {
			raw := func(c *pgx.Conn) ([][][]byte, []uint32) {
				res := c.PgConn().ExecParams(ctx, q, nil, nil, nil, []int16{format}).Read()
				if res.Err != nil {
					t.Fatalf("%s: %v", q, res.Err)
				}
				var oids []uint32
				for _, f := range res.FieldDescriptions {
					oids = append(oids, f.DataTypeOID)
				}
				return res.Rows, oids
			}
			want, wantOIDs := raw(pg)
			got, gotOIDs := raw(sd)
			if len(want) != 4 || !reflect.DeepEqual(want, got) {
				t.Errorf("format %d: sleeperd sent %q, PostgreSQL %q", format, got, want)
			}
			if !reflect.DeepEqual(wantOIDs, gotOIDs) {
				t.Errorf("format %d: column types %v, PostgreSQL's %v", format, gotOIDs, wantOIDs)
			}
		}
		for _, formats := range []pgx.QueryResultFormats{{pgx.TextFormatCode}, {pgx.BinaryFormatCode}} {
			scan := func(c *pgx.Conn) []any {
				rows, err := c.Query(ctx, q, formats)
				if err != nil {
					t.Fatal(err)
				}
				defer rows.Close()
				return rowValues(t, rows)
			}
			if want, got := scan(pg), scan(sd); !reflect.DeepEqual(want, got) {
				t.Errorf("formats %v: pgx read %v, from PostgreSQL %v", formats, got, want)
			}
		}
	}()
}
