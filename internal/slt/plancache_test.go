package slt

import (
	"context"
	"errors"
	"path/filepath"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/sleeperd/sleeperd/engine"
	"github.com/sleeperd/sleeperd/storage/objstore"
)

// TestCorpusKeptPlans runs the corpus and the PostgreSQL-checked files of pg_compat in
// process with every prepared query's plan kept from its first execution
// (engine.Options.KeepPlanAt 1), so that each query the files run goes through a kept plan
// with its scans pruned at execution: the results must be the expected ones.
func TestCorpusKeptPlans(t *testing.T) {
	compat, err := filepath.Glob(filepath.Join(corpus, "pg_compat", "*.slt"))
	if err != nil {
		t.Fatal(err)
	}
	for _, path := range append(corpusFiles(t), compat...) {
		t.Run(filepath.Base(filepath.Dir(path))+"/"+filepath.Base(path), func(t *testing.T) {
			mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
			defer mem.AssertSize(t, 0)
			ctx, cancel := context.WithTimeout(context.Background(), fileTimeout)
			defer cancel()
			func() {
				eng, err := engine.Open(ctx, engine.Options{Store: objstore.NewMem(), Alloc: mem, KeepPlanAt: 1})
				if err != nil {
					t.Fatalf("opening engine: %v", err)
				}
				defer eng.Close()
				conn, err := eng.Connect(ctx, "slt", "slt")
				if err != nil {
					t.Fatalf("connecting: %v", err)
				}
				defer conn.Close()
				db, err := NewConn(conn)
				if err != nil {
					t.Fatal(err)
				}
				runFile(ctx, t, path, db, Options{Names: []string{"sleeperd", "inprocess"}})
			}()
		})
	}
}

// TestKeptPlanOverPgx runs one prepared statement (pgx's statement cache: Parse once, then
// Bind and Execute) over the wire server while rows are added and its table is dropped and
// created again: each execution sees the table as it is, and a table whose columns changed
// fails the statement as PostgreSQL does.
func TestKeptPlanOverPgx(t *testing.T) {
	withServer(t, func(t *testing.T, ctx context.Context, addr string) {
		conn := dial(ctx, t, "postgres://slt@"+addr+"/slt?sslmode=disable")
		exec := func(q string) {
			t.Helper()
			if _, err := conn.Exec(ctx, q); err != nil {
				t.Fatalf("%s: %v", q, err)
			}
		}
		const lookup = "SELECT v FROM t WHERE id = $1"
		get := func(id int64) (string, error) {
			var v string
			err := conn.QueryRow(ctx, lookup, id).Scan(&v)
			return v, err
		}
		exec("CREATE TABLE t (id bigint PRIMARY KEY, v text) WITH (split_points = '10')")
		exec("INSERT INTO t VALUES (1, 'a'), (20, 'b')")
		for i := 0; i < 3; i++ {
			if v, err := get(20); err != nil || v != "b" {
				t.Fatalf("lookup %d: %q, %v", i, v, err)
			}
		}
		exec("INSERT INTO t VALUES (21, 'c')")
		if v, err := get(21); err != nil || v != "c" {
			t.Errorf("new row: %q, %v", v, err)
		}
		exec("DROP TABLE t")
		exec("CREATE TABLE t (id bigint PRIMARY KEY, v text)")
		exec("INSERT INTO t VALUES (20, 'new')")
		if v, err := get(20); err != nil || v != "new" {
			t.Errorf("recreated table: %q, %v", v, err)
		}
		exec("DROP TABLE t")
		exec("CREATE TABLE t (id bigint PRIMARY KEY, v bigint)")
		var pgErr *pgconn.PgError
		if _, err := get(20); !errors.As(err, &pgErr) || pgErr.Code != "0A000" || pgErr.Message != "cached plan must not change result type" {
			t.Errorf("changed result type: %v", err)
		}
	})
}
