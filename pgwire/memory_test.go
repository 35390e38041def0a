package pgwire

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/sleeperd/sleeperd/engine"
	"github.com/sleeperd/sleeperd/storage/objstore"
)

// TestServerMemoryPool runs statements at once over the wire on a server whose memory limit
// gives the spilling operators of all of them a 2 MiB pool, each over about 5x that: they
// share it, spill and return what a server without limits returns. A value larger than the
// limit fails with 53200, and the server and the connection keep serving. sleeper.memory
// shows the pool.
func TestServerMemoryPool(t *testing.T) {
	mem := newMem(t)
	// Spilling six statements at once on a loaded machine takes a while.
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	open := func(opts engine.Options) *pgx.Conn {
		opts.Store, opts.Alloc = objstore.NewMem(), mem
		eng, err := engine.Open(context.Background(), opts)
		if err != nil {
			t.Fatal(err)
		}
		_, addr, shutdown := serveLoopback(t, eng.Connect)
		t.Cleanup(func() {
			shutdown()
			eng.Close()
		})
		c, err := pgx.Connect(ctx, "postgres://alice@"+addr+"/db?sslmode=disable")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close(context.Background()) })
		// About 10 MB of rows.
		if _, err := c.Exec(ctx, "CREATE TABLE t (id integer PRIMARY KEY, g integer, s text)"); err != nil {
			t.Fatal(err)
		}
		for lo := 1; lo <= 150000; lo += 30000 {
			q := fmt.Sprintf("INSERT INTO t SELECT i, i %% 101, 'v' || (i %% 50000) || repeat('y', 40 + i %% 50000 %% 23) FROM generate_series(%d, %d) AS x(i)", lo, lo+29999)
			if _, err := c.Exec(ctx, q); err != nil {
				t.Fatal(err)
			}
		}
		return c
	}
	t.Cleanup(func() { mem.AssertSize(t, 0) })
	limited := open(engine.Options{QueryMemoryLimit: 64 << 20, MemoryLimit: 8 << 20, SpillDir: t.TempDir()})
	plain := open(engine.Options{})
	addr := limited.Config().Host + ":" + fmt.Sprint(limited.Config().Port)

	queries := []string{
		"SELECT s, g, row_number() OVER (PARTITION BY s ORDER BY id), sum(id) OVER (PARTITION BY g ORDER BY s, id) FROM t",
		"SELECT s, g FROM t UNION SELECT s, g + 1 FROM t WHERE id % 3 = 0",
		"SELECT s FROM t EXCEPT ALL SELECT s FROM t WHERE id % 2 = 0",
		"SELECT s, count(*), min(id) FROM t GROUP BY s",
		"SELECT id, s FROM t ORDER BY s DESC, id",
		"SELECT a.id, b.g FROM t a JOIN t b ON a.s = b.s AND a.id <> b.id",
	}
	rowsOf := func(c *pgx.Conn, q string) ([]string, error) {
		rows, err := c.Query(ctx, q)
		if err != nil {
			return nil, err
		}
		defer rows.Close()
		var out []string
		for rows.Next() {
			vals, err := rows.Values()
			if err != nil {
				return nil, err
			}
			out = append(out, fmt.Sprint(vals...))
		}
		return out, rows.Err()
	}
	want := make([][]string, len(queries))
	for i, q := range queries {
		rows, err := rowsOf(plain, q)
		if err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		slices.Sort(rows)
		want[i] = rows
	}
	errc := make(chan error, len(queries))
	for i, q := range queries {
		go func() {
			c, err := pgx.Connect(ctx, "postgres://alice@"+addr+"/db?sslmode=disable")
			if err != nil {
				errc <- err
				return
			}
			defer c.Close(context.Background())
			got, err := rowsOf(c, q)
			slices.Sort(got)
			if err == nil && !slices.Equal(got, want[i]) {
				err = fmt.Errorf("%s: %d rows differ from the %d without limits", q, len(got), len(want[i]))
			}
			errc <- err
		}()
	}
	for range queries {
		if err := <-errc; err != nil {
			t.Error(err)
		}
	}

	var pool, reserved, active, statements, files int64
	if err := limited.QueryRow(ctx, "SELECT pool_bytes, reserved_bytes, active_statements, statements, spill_files FROM sleeper.memory").Scan(&pool, &reserved, &active, &statements, &files); err != nil {
		t.Fatal(err)
	}
	if pool != 2<<20 || reserved != 0 || active != 0 || statements < int64(len(queries)) || files == 0 {
		t.Errorf("sleeper.memory: pool %d, reserved %d, active %d, statements %d, spill files %d", pool, reserved, active, statements, files)
	}

	var pgErr *pgconn.PgError
	_, err := rowsOf(limited, "SELECT length(repeat(s, 200000)) FROM t WHERE id = 1")
	if !errors.As(err, &pgErr) || pgErr.Code != "53200" {
		t.Fatalf("a 9 MB value under an 8 MiB limit: %v, want SQLSTATE 53200", err)
	}
	var n int64
	if err := limited.QueryRow(ctx, "SELECT count(*) FROM t").Scan(&n); err != nil || n != 150000 {
		t.Fatalf("count after the failure: %d, %v", n, err)
	}
}
