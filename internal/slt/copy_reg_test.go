package slt

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/jackc/pgx/v5"
)

// TestCopyToRegNames checks that COPY ... TO STDOUT writes regclass, regtype, regproc,
// regnamespace and regrole values by name in text and CSV, as PostgreSQL does, and so does
// COPY ... TO a file.
func TestCopyToRegNames(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	pg := freshDatabase(ctx, t, "copy_reg")
	sd := dial(ctx, t, fmt.Sprintf("postgres://slt@%s/slt?sslmode=disable", serve(ctx, t, openEngine(ctx, t, mem))))
	for _, c := range []*pgx.Conn{pg, sd} {
		if _, err := c.Exec(ctx, `CREATE TABLE "Reg T" (id int PRIMARY KEY)`); err != nil {
			t.Fatal(err)
		}
	}
	query := `(SELECT pg_typeof(1), pg_typeof('a'::text), 'pg_class'::regclass, '"Reg T"'::regclass, ` +
		`'int4[]'::regtype, 'character varying'::regtype, 'pg_catalog'::regnamespace, 'now'::regproc, ` +
		`0::regclass, NULL::regtype, 123456789::regclass, ROW('"Reg T"'::regclass, 'int4'::regtype, 0::regrole), ` +
		`ARRAY['pg_class'::regclass, '"Reg T"', NULL], ARRAY['int4[]'::regtype, 'character varying'])`
	dir := t.TempDir()
	for _, opts := range []string{"", " (FORMAT csv)", " (FORMAT csv, HEADER, FORCE_QUOTE *)", " (DELIMITER '|')"} {
		sql := "COPY " + query + " TO STDOUT" + opts
		want, _, err := copyTo(ctx, pg, sql)
		if err != nil {
			t.Fatalf("%s on PostgreSQL: %v", sql, err)
		}
		got, _, err := copyTo(ctx, sd, sql)
		if err != nil || got != want {
			t.Errorf("%s:\n got %q, %v\nwant %q", sql, got, err, want)
		}
		// COPY to a file on the server writes the same.
		name := filepath.Join(dir, "out.txt")
		mustExec(ctx, t, sd, "COPY "+query+" TO '"+name+"'"+opts)
		file, err := os.ReadFile(name)
		if err != nil || string(file) != want {
			t.Errorf("%s to a file:\n got %q, %v\nwant %q", opts, file, err, want)
		}
	}
}
