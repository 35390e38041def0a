package engine

import (
	"errors"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/sleeperd/sleeperd/errs"
	"github.com/sleeperd/sleeperd/storage/objstore"
)

func TestJoinsAndSubqueries(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	_, c := open(t, objstore.NewMem(), mem)
	run(t, c, "CREATE TABLE a (id int PRIMARY KEY, name text, b_id int)")
	run(t, c, "CREATE TABLE b (id int PRIMARY KEY, label text)")
	run(t, c, "INSERT INTO a VALUES (1, 'x', 10), (2, 'y', 20), (3, 'z', NULL), (4, 'w', 40)")
	run(t, c, "INSERT INTO b VALUES (10, 'ten'), (20, 'twenty'), (30, 'thirty')")
	for _, tc := range []struct{ q, want string }{
		{"SELECT a.name, b.label FROM a JOIN b ON a.b_id = b.id ORDER BY a.name", "x ten|y twenty"},
		{"SELECT a.name, b.label FROM a, b WHERE a.b_id = b.id AND b.label <> 'ten' ORDER BY 1", "y twenty"},
		{"SELECT a.name, b.label FROM a LEFT JOIN b ON a.b_id = b.id ORDER BY a.name", "w (null)|x ten|y twenty|z (null)"},
		{"SELECT a.name, b.label FROM a RIGHT JOIN b ON a.b_id = b.id ORDER BY b.label", "x ten|(null) thirty|y twenty"},
		{"SELECT count(*) FROM a FULL JOIN b ON a.b_id = b.id", "5"},
		{"SELECT count(*) FROM a CROSS JOIN b", "12"},
		{"SELECT x.n FROM (SELECT name AS n FROM a WHERE id > 2) AS x ORDER BY 1", "w|z"},
		{"WITH big AS (SELECT id FROM a WHERE id >= 3) SELECT count(*) FROM big", "2"},
		{"SELECT id FROM a UNION SELECT id FROM b ORDER BY 1 LIMIT 3", "1|2|3"},
		{"SELECT b_id FROM a INTERSECT SELECT id FROM b ORDER BY 1", "10|20"},
		{"SELECT id FROM b EXCEPT SELECT b_id FROM a", "30"},
		{"SELECT count(*) FROM (SELECT 1 UNION ALL SELECT 1) AS u(x)", "2"},
		{"SELECT t.name FROM a AS t JOIN b USING (id)", ""},
	} {
		checkQuery(t, c, tc.q, tc.want)
	}
}

func TestSubqueryPredicates(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	_, c := open(t, objstore.NewMem(), mem)
	run(t, c, "CREATE TABLE o (id int PRIMARY KEY, cust int, amount int)")
	run(t, c, "CREATE TABLE cu (id int PRIMARY KEY, name text)")
	run(t, c, "INSERT INTO cu VALUES (1, 'ann'), (2, 'bob'), (3, 'cy')")
	run(t, c, "INSERT INTO o VALUES (10, 1, 5), (11, 1, 7), (12, 2, 100), (13, NULL, 1)")
	for _, tc := range []struct{ q, want string }{
		{"SELECT name FROM cu WHERE id IN (SELECT cust FROM o) ORDER BY 1", "ann|bob"},
		{"SELECT name FROM cu WHERE id NOT IN (SELECT cust FROM o WHERE cust IS NOT NULL) ORDER BY 1", "cy"},
		{"SELECT name FROM cu WHERE id NOT IN (SELECT cust FROM o)", ""},
		{"SELECT name FROM cu WHERE EXISTS (SELECT 1 FROM o WHERE o.cust = cu.id AND o.amount > 6) ORDER BY 1", "ann|bob"},
		{"SELECT name FROM cu WHERE NOT EXISTS (SELECT 1 FROM o WHERE o.cust = cu.id) ORDER BY 1", "cy"},
		{"SELECT id FROM o WHERE amount > (SELECT avg(amount) FROM o) ORDER BY 1", "12"},
		{"SELECT id, (SELECT max(amount) FROM o) AS m FROM cu ORDER BY 1", "1 100|2 100|3 100"},
		{"SELECT cust, sum(amount) FROM o GROUP BY cust HAVING sum(amount) > (SELECT min(amount) * 10 FROM o) ORDER BY 1", "1 12|2 100"},
	} {
		checkQuery(t, c, tc.q, tc.want)
	}
}

func TestExplainAnalyze(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	_, c := open(t, objstore.NewMem(), mem)
	run(t, c, "CREATE TABLE t (k int PRIMARY KEY, v int) WITH (split_points = '5')")
	run(t, c, "INSERT INTO t VALUES (1, 1), (2, 2), (6, 6), (7, 7), (8, 8)")
	rows, _ := run(t, c, "EXPLAIN ANALYZE SELECT v FROM t WHERE k > 5 ORDER BY v")
	text := rowsText(rows)
	for _, want := range []string{"Sort", "actual rows=3", "partitions=1/2", "time="} {
		if !strings.Contains(text, want) {
			t.Errorf("EXPLAIN ANALYZE output lacks %q:\n%s", want, strings.ReplaceAll(text, "|", "\n"))
		}
	}
	plain, _ := run(t, c, "EXPLAIN SELECT v FROM t WHERE k > 5 ORDER BY v")
	if strings.Contains(rowsText(plain), "actual rows") {
		t.Errorf("plain EXPLAIN ran the query: %v", plain)
	}
}

func TestWindowFunctions(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	_, c := open(t, objstore.NewMem(), mem)
	run(t, c, "CREATE TABLE s (id int PRIMARY KEY, grp text, v int)")
	run(t, c, "INSERT INTO s VALUES (1, 'a', 10), (2, 'a', 20), (3, 'a', 20), (4, 'b', 5), (5, 'b', NULL)")
	for _, tc := range []struct{ q, want string }{
		{"SELECT id, row_number() OVER (PARTITION BY grp ORDER BY id) FROM s ORDER BY id", "1 1|2 2|3 3|4 1|5 2"},
		{"SELECT id, rank() OVER (ORDER BY v DESC NULLS LAST), dense_rank() OVER (ORDER BY v DESC NULLS LAST) FROM s ORDER BY id", "1 3 2|2 1 1|3 1 1|4 4 3|5 5 4"},
		{"SELECT id, sum(v) OVER (PARTITION BY grp) FROM s ORDER BY id", "1 50|2 50|3 50|4 5|5 5"},
		{"SELECT id, lag(v) OVER (ORDER BY id), lead(v, 1, -1) OVER (ORDER BY id) FROM s ORDER BY id", "1 (null) 20|2 10 20|3 20 5|4 20 (null)|5 5 -1"},
		{"SELECT id, sum(v) OVER (ORDER BY id ROWS BETWEEN 1 PRECEDING AND CURRENT ROW) FROM s ORDER BY id", "1 10|2 30|3 40|4 25|5 5"},
		{"SELECT grp, sum(v), rank() OVER (ORDER BY sum(v) DESC) FROM s GROUP BY grp ORDER BY grp", "a 50 1|b 5 2"},
	} {
		checkQuery(t, c, tc.q, tc.want)
	}
	if _, _, err := tryRun(c, "SELECT id FROM s WHERE row_number() OVER () > 1"); err == nil {
		t.Error("a window function in WHERE was accepted")
	}
}

func TestCorrelatedScalarSubquery(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	_, c := open(t, objstore.NewMem(), mem)
	run(t, c, "CREATE TABLE li (id int PRIMARY KEY, part int, qty int)")
	run(t, c, "INSERT INTO li VALUES (1, 1, 10), (2, 1, 30), (3, 2, 5), (4, 2, 7), (5, 3, 1)")
	for _, tc := range []struct{ q, want string }{
		// Rows below their part's average quantity (TPC-H Q17's shape).
		{"SELECT id FROM li AS o WHERE qty < (SELECT avg(qty) FROM li AS i WHERE i.part = o.part) ORDER BY id", "1|3"},
		// A correlation other than equality runs per outer binding (a dependent join).
		{"SELECT id, (SELECT max(qty) FROM li AS i WHERE i.part = o.part AND i.id <> o.id) FROM li AS o ORDER BY id", "1 30|2 10|3 7|4 5|5 (null)"},
	} {
		rows, _, err := tryRun(c, tc.q)
		if err != nil {
			t.Errorf("%s: %v", tc.q, err)
			continue
		}
		if got := rowsText(rows); got != tc.want {
			t.Errorf("%s\n got %s\nwant %s", tc.q, got, tc.want)
		}
	}
}

func TestUtilityStatements(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	_, c := open(t, objstore.NewMem(), mem)
	run(t, c, "CREATE TABLE src (id int PRIMARY KEY, v text)")
	run(t, c, "INSERT INTO src VALUES (1, 'a'), (2, 'b'), (3, 'c')")
	for _, tc := range []struct{ q, tag string }{
		{"BEGIN", "BEGIN"}, {"COMMIT", "COMMIT"}, {"ROLLBACK", "ROLLBACK"},
		{"CREATE INDEX src_v ON src (v)", "CREATE INDEX"}, {"DROP INDEX src_v", "DROP INDEX"},
		{"CREATE TABLE copy AS SELECT id * 10 AS x, v FROM src WHERE id > 1", "SELECT 2"},
	} {
		_, tag := run(t, c, tc.q)
		if tag != tc.tag {
			t.Errorf("%s: tag %q, want %q", tc.q, tag, tc.tag)
		}
	}
	expect(t, c, "SELECT x, v FROM copy ORDER BY x", "20 b|30 c")
	if _, _, err := tryRun(c, "CREATE INDEX i ON nope (v)"); err == nil {
		t.Error("an index on a missing table was accepted")
	}
}

func TestViews(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	store := objstore.NewMem()
	_, c := open(t, store, mem)
	run(t, c, "CREATE TABLE t (k int PRIMARY KEY, v int)")
	run(t, c, "INSERT INTO t VALUES (1, 10), (2, 20), (3, 30)")
	run(t, c, "CREATE VIEW big (key, val) AS SELECT k, v FROM t WHERE v > 15")
	run(t, c, "CREATE VIEW bigger AS SELECT key FROM big WHERE val > 25")
	expect(t, c, "SELECT key, val FROM big ORDER BY key", "2 20|3 30")
	expect(t, c, "SELECT * FROM bigger", "3")
	run(t, c, "INSERT INTO t VALUES (4, 40)")
	expect(t, c, "SELECT count(*) FROM bigger", "2")
	for _, tc := range []struct {
		q    string
		kind error
	}{
		{"DROP TABLE t", errs.DependentObjects},
		{"DROP VIEW big", errs.DependentObjects},
		{"CREATE VIEW big AS SELECT 1", errs.DuplicateTable},
		{"CREATE TABLE big (a int)", errs.DuplicateTable},
		{"DROP VIEW nope", errs.UndefinedTable},
		{"CREATE VIEW bad AS SELECT nope FROM t", errs.UndefinedColumn},
	} {
		if _, _, err := tryRun(c, tc.q); !errors.Is(err, tc.kind) {
			t.Errorf("%s: %v, want kind %v", tc.q, err, tc.kind)
		}
	}
	run(t, c, "CREATE OR REPLACE VIEW big (key, val) AS SELECT k, v FROM t WHERE v > 35")
	expect(t, c, "SELECT key FROM big", "4")
	run(t, c, "DROP VIEW IF EXISTS nope")
	// Views survive a reopen.
	_, c2 := open(t, store, mem)
	expect(t, c2, "SELECT count(*) FROM bigger", "1")
	run(t, c2, "DROP TABLE t CASCADE")
	if _, _, err := tryRun(c2, "SELECT * FROM big"); !errors.Is(err, errs.UndefinedTable) {
		t.Errorf("view survived DROP TABLE CASCADE: %v", err)
	}
}

// checkQuery runs q and compares its rows, formatted by rowsText, with want.
func checkQuery(t *testing.T, c Conn, q, want string) {
	t.Helper()
	rows, _, err := tryRun(c, q)
	if err != nil {
		t.Errorf("%s: %v", q, err)
		return
	}
	if got := rowsText(rows); got != want {
		t.Errorf("%s\n got %s\nwant %s", q, got, want)
	}
}
