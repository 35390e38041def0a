package engine

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/sleeperd/sleeperd/errs"

	"github.com/sleeperd/sleeperd/planner"
	"github.com/sleeperd/sleeperd/storage/objstore"
)

// FuzzPlan feeds arbitrary text through parsing, binding and planning against a small
// catalog. Any error is fine; a panic is a bug. Run it with
// go test ./engine -run '^$' -fuzz FuzzPlan -fuzztime 5m; the seeds and whatever the fuzzer
// found interesting are kept under testdata/fuzz/FuzzPlan.
func FuzzPlan(f *testing.F) {
	for _, s := range []string{
		"SELECT 1",
		"SELECT k, v FROM t WHERE k = 5 AND v LIKE 'a%' ORDER BY k DESC NULLS FIRST LIMIT 3 OFFSET 1",
		"SELECT v, count(*), sum(n), avg(n) FROM t GROUP BY v HAVING count(*) > 1",
		"SELECT a.k, b.x FROM t AS a LEFT JOIN u AS b ON a.k = b.k WHERE b.x IS NULL",
		"WITH c AS (SELECT k FROM t) SELECT * FROM c UNION SELECT k FROM u",
		"SELECT k FROM t WHERE k IN (SELECT k FROM u) AND NOT EXISTS (SELECT 1 FROM u WHERE u.k = t.k)",
		"SELECT k, row_number() OVER (PARTITION BY v ORDER BY n) FROM t",
		"SELECT (SELECT max(x) FROM u WHERE u.k = t.k) FROM t",
		"INSERT INTO t VALUES (1, 'a', 2.5), ($1, $2, $3)",
		"UPDATE t SET n = n + 1 WHERE k < 3",
		"DELETE FROM u WHERE x BETWEEN 1 AND 2",
		"CREATE TABLE z (a int, b text) WITH (row_keys = 'a', split_points = '1,2')",
		"SELECT date '2024-01-01' + interval '1' month, extract(year FROM now()), 'x' || 1::text",
		"EXPLAIN ANALYZE SELECT * FROM sleeper.partitions",
		"SELECT CASE WHEN k > 1 THEN 'a' ELSE NULL END, coalesce(v, 'z'), nullif(k, 2) FROM t",
		"SELECT k, unnest(ARRAY[k, 2]) FROM t WHERE k = ANY($1) AND v <> ALL('{a,b}'::text[])",
		"SELECT * FROM unnest(ARRAY[1, 2], ARRAY['x']) WITH ORDINALITY AS u(a, b, o), LATERAL unnest(ARRAY[a]) AS w",
		"SELECT v, count(*) FILTER (WHERE n > 1), string_agg(v, ',' ORDER BY k DESC), array_agg(DISTINCT k) FROM t GROUP BY v",
		"SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY n), mode() WITHIN GROUP (ORDER BY v), stddev(k), bool_and(k > 0) FROM t",
		"SELECT k, k IN (SELECT k FROM u) OR EXISTS (SELECT 1 FROM u WHERE u.x = t.k), (k, v) IN (SELECT k, 'a' FROM u) FROM t",
		"SELECT sum(k) OVER w, rank() OVER (w ORDER BY n) FROM t WINDOW w AS (PARTITION BY v)",
		"SELECT (SELECT count(*) FROM u WHERE u.k = t.k), (SELECT x FROM u WHERE u.k = t.k) FROM t",
		"SELECT c.k, x.s FROM t c LEFT JOIN LATERAL (SELECT sum(x) AS s FROM u WHERE u.k = c.k) x ON true",
		"SELECT ARRAY[1, 2][1], ARRAY[1] || 2, ARRAY[1, 2] @> ARRAY[1], 'a'::varchar(3), now() AT TIME ZONE 'UTC'",
		"SET TIME ZONE 'Europe/Paris'",
	} {
		f.Add(s)
	}
	ctx := context.Background()
	e, err := Open(ctx, Options{Store: objstore.NewMem()})
	if err != nil {
		f.Fatal(err)
	}
	c, _ := e.Connect(ctx, "fuzz", "fuzz")
	for _, q := range []string{
		"CREATE TABLE t (k int PRIMARY KEY, v text, n numeric(10,2)) WITH (split_points = '10')",
		"CREATE TABLE u (k int, x bigint) WITH (row_keys = 'k')",
		"INSERT INTO t VALUES (1, 'a', 1.5), (12, 'b', NULL)",
		"INSERT INTO u VALUES (1, 10), (3, 30)",
	} {
		if _, _, err := tryRun(c, q); err != nil {
			f.Fatal(err)
		}
	}
	f.Fuzz(func(t *testing.T, text string) {
		st, err := c.Prepare(ctx, text, nil)
		if err != nil {
			return
		}
		defer st.Close()
		// Plan queries (but do not run them): binding parameters as NULLs.
		if q, ok := st.(*statement).bound.(*planner.Query); ok {
			params := make([]any, len(q.ParamTypes))
			if _, release, err := e.plan(ctx, q.Root, params); err == nil {
				release()
			}
		}
	})
}

// fuzzSetup is the database every FuzzExecute input starts from: a keyed table with a
// PRIMARY KEY over two partitions, a keyless table, a table keyed by row_keys, and a view,
// holding NULLs, NaN and infinities.
var fuzzSetup = []string{
	"CREATE TABLE t (k int PRIMARY KEY, v text, n numeric(10,2), f float8) WITH (split_points = '10')",
	"CREATE TABLE u (k int, x bigint) WITH (row_keys = 'k')",
	"CREATE TABLE w (a int, b text, d date, ts timestamp)",
	"CREATE VIEW tv AS SELECT t.k, t.v, u.x FROM t LEFT JOIN u ON t.k = u.k",
	"INSERT INTO t VALUES (1, 'a', 1.5, 'NaN'), (12, 'b', NULL, 2.5), (3, NULL, -7.25, '-Infinity'), (20, 'c', 0, NULL)",
	"INSERT INTO u VALUES (1, 10), (3, NULL), (5, 50)",
	"INSERT INTO w VALUES (1, 'x', '2024-01-01', '2024-01-01 10:00'), (NULL, NULL, NULL, NULL), (2, 'y', '1999-12-31', NULL)",
}

// FuzzExecute feeds arbitrary text through the whole statement path: Split, Prepare, Execute,
// every batch drained and the result closed. Any error of a kind a user may see is fine; a
// panic, or an internal error (which is what a panic recovered inside the engine becomes),
// is a bug. Every input starts from the same small database: inputs that only read share one
// engine, and after an input that changed anything the next one gets a fresh copy of the
// store. Statements are bounded by statement_timeout and a memory limit. Run it with
// go test ./engine -run '^$' -fuzz FuzzExecute -fuzztime 5m -parallel 1; the seeds and the
// inputs the fuzzer found interesting are kept under testdata/fuzz/FuzzExecute.
func FuzzExecute(f *testing.F) {
	for _, s := range []string{
		"SELECT * FROM t; SELECT * FROM u; SELECT * FROM w; SELECT * FROM tv",
		"INSERT INTO t VALUES (2, 'z', 9.99, 1) ON CONFLICT DO NOTHING; SELECT * FROM t ORDER BY k",
		"UPDATE t SET n = n * 2, v = v || 'x' WHERE k > 1 RETURNING *",
		"DELETE FROM w WHERE a IS NULL; SELECT count(*) FROM w",
		"DELETE FROM t WHERE f = 'NaN'; SELECT * FROM tv",
		"INSERT INTO u SELECT k + 100, x FROM u; SELECT sum(x), max(k) FROM u",
		"CREATE TABLE z (a int PRIMARY KEY, b text); INSERT INTO z VALUES (1, 'a'); DROP TABLE z",
		"CREATE INDEX i ON t (v); DROP INDEX i; DROP INDEX IF EXISTS i",
		"ALTER TABLE w ADD COLUMN e int; SELECT * FROM w",
		"DROP VIEW tv; CREATE VIEW tv AS SELECT 1 AS one",
		"VACUUM t; VACUUM FULL u; SELECT * FROM sleeper.partitions",
		"SET statement_timeout = '50ms'; SELECT count(*) FROM generate_series(1, 100000000)",
		"SET transaction_read_only = on; INSERT INTO u VALUES (9, 9)",
		"SELECT 2 ^ 3, 2.5 ^ 2, power(f, 2), n ^ 2 FROM t",
		"SELECT k, f, f::numeric, sum(f) OVER (ORDER BY k) FROM t ORDER BY f",
		"EXPLAIN ANALYZE SELECT * FROM t JOIN u USING (k) WHERE k < 10",
		"TRUNCATE w; SELECT * FROM w",
		"INSERT INTO t VALUES ($1, 'p')",
		"SELECT 1/0",
		"BEGIN; SELECT 1; COMMIT",
	} {
		f.Add(s)
	}
	// The FuzzPlan corpus seeds this target too: the same statements, now run.
	if ents, err := os.ReadDir(filepath.Join("testdata", "fuzz", "FuzzPlan")); err == nil {
		for _, ent := range ents {
			b, err := os.ReadFile(filepath.Join("testdata", "fuzz", "FuzzPlan", ent.Name()))
			if err != nil {
				f.Fatal(err)
			}
			if s, ok := corpusString(b); ok {
				f.Add(s)
			}
		}
	}
	ctx := context.Background()
	const memLimit = 64 << 20
	// Build the starting database once and keep its objects, to copy for each fresh engine.
	base := objstore.NewMem()
	{
		e, err := Open(ctx, Options{Store: base})
		if err != nil {
			f.Fatal(err)
		}
		c, _ := e.Connect(ctx, "fuzz", "fuzz")
		for _, q := range fuzzSetup {
			if _, _, err := tryRun(c, q); err != nil {
				f.Fatalf("%s: %v", q, err)
			}
		}
		c.Close()
		e.Close()
	}
	fresh := func() *Engine {
		st := objstore.NewMem()
		names, err := base.List(ctx, "")
		if err != nil {
			f.Fatal(err)
		}
		for _, n := range names {
			b, err := base.ReadAll(ctx, n)
			if err != nil {
				f.Fatal(err)
			}
			if err := st.Put(ctx, n, bytes.NewReader(b)); err != nil {
				f.Fatal(err)
			}
		}
		e, err := Open(ctx, Options{Store: st, QueryMemoryLimit: memLimit, Parallelism: 2})
		if err != nil {
			f.Fatal(err)
		}
		return e
	}
	var e *Engine
	f.Fuzz(func(t *testing.T, text string) {
		if e == nil {
			e = fresh()
		}
		c, _ := e.Connect(ctx, "fuzz", "fuzz")
		defer c.Close()
		if err := c.(Settings).Set("statement_timeout", "300ms"); err != nil {
			t.Fatal(err)
		}
		stmts, err := c.Split(text)
		if err != nil {
			checkKind(t, "split", text, err)
			return
		}
		if len(stmts) > 16 {
			stmts = stmts[:16]
		}
		for _, q := range stmts {
			st, err := c.Prepare(ctx, q, nil)
			if err != nil {
				checkKind(t, "prepare", q, err)
				continue
			}
			if s, ok := st.(*statement); ok && !s.empty {
				if cp, ok := s.bound.(*planner.Copy); ok && cp.File != "" {
					// COPY TO a server file writes wherever the path says: bound, not run.
					st.Close()
					continue
				}
				if _, reads := s.bound.(*planner.Query); !reads {
					// Anything but a query may change the database: the next input starts
					// from a fresh copy.
					defer func() { e = nil }()
				}
			}
			// Parameters are bound as NULLs.
			r, err := st.Execute(ctx, make([]any, len(st.ParamTypes())))
			if err != nil {
				checkKind(t, "execute", q, err)
				st.Close()
				continue
			}
			for {
				b, err := r.Next(ctx)
				if err != nil {
					if err != io.EOF {
						checkKind(t, "next", q, err)
					}
					break
				}
				b.Release()
			}
			if err := r.Close(); err != nil {
				checkKind(t, "close", q, err)
			}
			st.Close()
		}
	})
}

// checkKind fails the test for an internal error: a panic recovered into an error, or an
// error no layer classified.
func checkKind(t *testing.T, step, q string, err error) {
	t.Helper()
	if errs.KindOf(err) == errs.Internal {
		t.Fatalf("%s %q: internal error: %v", step, q, err)
	}
}

// corpusString reads a Go fuzz corpus file holding one string argument.
func corpusString(b []byte) (string, bool) {
	lines := strings.SplitN(string(b), "\n", 3)
	if len(lines) < 2 || !strings.HasPrefix(lines[0], "go test fuzz v1") {
		return "", false
	}
	arg := strings.TrimSpace(lines[1])
	if !strings.HasPrefix(arg, "string(") || !strings.HasSuffix(arg, ")") {
		return "", false
	}
	s, err := strconv.Unquote(arg[len("string(") : len(arg)-1])
	return s, err == nil
}
