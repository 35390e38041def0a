package engine

import (
	"context"
	"testing"

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
