package slt

import (
	"context"
	"reflect"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/jackc/pgx/v5"
)

// TestArraysThroughPgx binds Go slices as array parameters and scans array results, with
// pgx's binary and text formats, against the real wire server.
func TestArraysThroughPgx(t *testing.T) {
	withServer(t, func(t *testing.T, ctx context.Context, addr string) {
		for _, mode := range []pgx.QueryExecMode{pgx.QueryExecModeCacheStatement, pgx.QueryExecModeExec, pgx.QueryExecModeSimpleProtocol} {
			conn := dial(ctx, t, "postgres://slt@"+addr+"/slt?sslmode=disable&default_query_exec_mode="+modeName(mode))
			if mode == pgx.QueryExecModeCacheStatement {
				for _, q := range []string{
					"CREATE TABLE people (id bigint PRIMARY KEY, name text, tags text)",
					"INSERT INTO people VALUES (1, 'ann', 'a,b'), (2, 'bob', NULL), (3, 'cy', 'c'), (4, 'di', 'a')",
				} {
					if _, err := conn.Exec(ctx, q); err != nil {
						t.Fatal(err)
					}
				}
			}
			var names []string
			rows, err := conn.Query(ctx, "SELECT name FROM people WHERE id = ANY($1) ORDER BY id", []int64{3, 1, 9})
			if err != nil {
				t.Fatalf("%v: %v", mode, err)
			}
			for rows.Next() {
				var n string
				if err := rows.Scan(&n); err != nil {
					t.Fatal(err)
				}
				names = append(names, n)
			}
			if rows.Err() != nil || !reflect.DeepEqual(names, []string{"ann", "cy"}) {
				t.Errorf("%v: id = ANY($1): %v, %v", mode, names, rows.Err())
			}

			var ids []int64
			if err := conn.QueryRow(ctx, "SELECT array_agg(id ORDER BY id DESC) FROM people WHERE name <> ALL($1)", []string{"bob", "di"}).Scan(&ids); err != nil {
				t.Fatalf("%v: %v", mode, err)
			}
			if !reflect.DeepEqual(ids, []int64{3, 1}) {
				t.Errorf("%v: array_agg: %v", mode, ids)
			}

			var tags []*string
			if err := conn.QueryRow(ctx, "SELECT string_to_array($1::text, ',', 'x')", "p,x,q r").Scan(&tags); err != nil {
				t.Fatalf("%v: %v", mode, err)
			}
			if len(tags) != 3 || *tags[0] != "p" || tags[1] != nil || *tags[2] != "q r" {
				t.Errorf("%v: string_to_array: %v", mode, tags)
			}

			var n int
			if err := conn.QueryRow(ctx, "SELECT cardinality($1::int[])", []int32{4, 5, 6}).Scan(&n); err != nil || n != 3 {
				t.Errorf("%v: cardinality: %d, %v", mode, n, err)
			}
		}
	})
}

// withServer runs f, in a subtest whose cleanups close its connections, the server and the
// engine, against a wire server over a fresh engine; then it checks the engine's allocator
// for leaks.
func withServer(t *testing.T, f func(t *testing.T, ctx context.Context, addr string)) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	t.Run("server", func(t *testing.T) {
		eng := openEngine(ctx, t, mem)
		f(t, ctx, serve(ctx, t, eng))
	})
}

func modeName(m pgx.QueryExecMode) string {
	switch m {
	case pgx.QueryExecModeExec:
		return "exec"
	case pgx.QueryExecModeSimpleProtocol:
		return "simple_protocol"
	}
	return "cache_statement"
}
