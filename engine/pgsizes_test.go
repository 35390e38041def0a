package engine

import (
	"context"
	"errors"
	"io"
	"strconv"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/sleeperd/sleeperd/errs"
	"github.com/sleeperd/sleeperd/function"
	"github.com/sleeperd/sleeperd/storage/objstore"
)

// TestRelationSizes checks the size functions against the table's committed files: a new
// table has none, an INSERT adds a file of sleeper.files' bytes, a second one grows the size
// again even for a statement prepared before it; indexes and views have size 0; an OID no
// relation has gives NULL and a name none has an error.
func TestRelationSizes(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	_, c := open(t, objstore.NewMem(), mem)
	run(t, c, "CREATE TABLE sz (id bigint PRIMARY KEY, name text)")
	run(t, c, "CREATE INDEX sz_name ON sz (name)")
	run(t, c, "CREATE VIEW szv AS SELECT id FROM sz")
	ctx := context.Background()
	st, err := c.Prepare(ctx, "SELECT pg_table_size('sz')", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	// prepared executes st, whose size must be the one a fresh statement reads.
	prepared := func() int64 {
		t.Helper()
		r, err := st.Execute(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		defer r.Close()
		b, err := r.Next(ctx)
		if err != nil {
			t.Fatal(err)
		}
		defer b.Release()
		v := b.Column(0).(*array.Int64).Value(0)
		if _, err := r.Next(ctx); err != io.EOF {
			t.Fatalf("more than one batch: %v", err)
		}
		return v
	}
	size := func() int64 {
		t.Helper()
		rows, _ := run(t, c, "SELECT pg_table_size('sz'::regclass), pg_relation_size('sz'), pg_total_relation_size('sz'), pg_indexes_size('sz')")
		r := rows[0]
		if r[0] != r[1] || r[0] != r[2] || r[3] != "0" {
			t.Errorf("table, relation, total and indexes sizes: %v", r)
		}
		files, _ := run(t, c, "SELECT coalesce(sum(bytes), 0) FROM (SELECT DISTINCT file_name, bytes FROM sleeper.files WHERE table_name = 'sz' AND partition_id IS NOT NULL) f")
		if r[0] != files[0][0] {
			t.Errorf("pg_table_size is %s, the files' bytes %s", r[0], files[0][0])
		}
		n, err := strconv.ParseInt(r[0], 10, 64)
		if err != nil {
			t.Fatal(err)
		}
		if p := prepared(); p != n {
			t.Errorf("prepared statement: %d, fresh statement %d", p, n)
		}
		return n
	}
	empty := size()
	if empty != 0 {
		t.Errorf("empty table: %d bytes", empty)
	}
	run(t, c, "INSERT INTO sz VALUES (1, 'a'), (2, 'b')")
	one := size()
	if one <= empty {
		t.Errorf("after an INSERT: %d bytes, before %d", one, empty)
	}
	run(t, c, "INSERT INTO sz VALUES (3, 'c')")
	two := size()
	if two <= one {
		t.Errorf("after a second INSERT: %d bytes, before %d", two, one)
	}
	rows, _ := run(t, c, "SELECT c.relname, pg_relation_size(c.oid), pg_table_size(c.oid), pg_relation_size(c.oid, 'fsm'), pg_size_pretty(pg_total_relation_size(c.oid)) FROM pg_class c WHERE c.relname IN ('sz_pkey', 'sz_name', 'szv') ORDER BY 1")
	if got, want := rowsText(rows), "sz_name 0 0 0 0 bytes|sz_pkey 0 0 0 0 bytes|szv 0 0 0 0 bytes"; got != want {
		t.Errorf("indexes and view:\n got %s\nwant %s", got, want)
	}
	// In WHERE, in an aggregate's argument, over an unqualified column, and in ORDER BY.
	for _, q := range []string{
		"SELECT pg_size_pretty(sum(pg_total_relation_size(c.oid))) FROM pg_class c WHERE pg_table_size(c.oid) > 0",
		"SELECT pg_size_pretty(pg_table_size(oid)) FROM pg_class WHERE relkind = 'r' ORDER BY pg_relation_size(oid) DESC LIMIT 1",
	} {
		rows, _ := run(t, c, q)
		if got, want := rowsText(rows), function.SizePretty(two); got != want {
			t.Errorf("%s: got %s, want %s", q, got, want)
		}
	}
	rows, _ = run(t, c, "SELECT pg_table_size(123), pg_relation_size(NULL), pg_relation_size('sz', 'vm')")
	if got, want := rowsText(rows), "(null) (null) 0"; got != want {
		t.Errorf("unknown OID, NULL and vm fork: got %s want %s", got, want)
	}
	for q, kind := range map[string]error{
		"SELECT pg_table_size('nosuch')":          errs.UndefinedTable,
		"SELECT pg_relation_size('sz', 'nofork')": errs.InvalidParameter,
		"SELECT pg_table_size('sz'::text)":        errs.UndefinedFunction,
	} {
		if _, _, err := tryRun(c, q); !errors.Is(err, kind) {
			t.Errorf("%s: %v, want %v", q, err, kind)
		}
	}
}
