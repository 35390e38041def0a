package engine

import (
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/sleeperd/sleeperd/errs"
	"github.com/sleeperd/sleeperd/storage/objstore"
)

// TestDuplicateKeyDetail: 23505 names the constraint and the first offending key as
// PostgreSQL does, for few keys (looked up one by one) and many (looked up by their range).
func TestDuplicateKeyDetail(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	_, c := open(t, objstore.NewMem(), mem)
	run(t, c, "CREATE TABLE k (a text, b integer, v integer, PRIMARY KEY (a, b)) WITH (split_points = 'm')")
	run(t, c, "INSERT INTO k SELECT 'k' || (g % 50), g, g FROM generate_series(1, 3000) g")
	for _, tc := range []struct{ q, detail string }{
		{"INSERT INTO k VALUES ('x', 1, 0), ('k7', 7, 0), ('k8', 8, 0)", "Key (a, b)=(k7, 7) already exists."},
		{"INSERT INTO k VALUES ('x', 1, 0), ('x', 1, 0)", "Key (a, b)=(x, 1) already exists."},
		// 2000 distinct leading values: a range lookup.
		{"INSERT INTO k SELECT 'n' || g, g, 0 FROM generate_series(1, 2000) g UNION ALL SELECT 'k9', 9, 0", "Key (a, b)=(k9, 9) already exists."},
	} {
		_, _, err := tryRun(c, tc.q)
		var e *errs.Error
		if !errors.Is(err, errs.UniqueViolation) || !errors.As(err, &e) || e.Detail != tc.detail || e.Msg != `duplicate key value violates unique constraint "k_pkey"` {
			t.Errorf("%s: %v (detail %q), want 23505 with %q", tc.q, err, detailOf(err), tc.detail)
		}
	}
	expect(t, c, "SELECT count(*), sum(v) FROM k", "3000 4501500")
	// Many new keys in one statement, none existing.
	if _, tag := run(t, c, "INSERT INTO k SELECT 'n' || g, g, 0 FROM generate_series(1, 2000) g"); tag != "INSERT 0 2000" {
		t.Errorf("tag %q", tag)
	}
}

func detailOf(err error) string {
	var e *errs.Error
	if errors.As(err, &e) {
		return e.Detail
	}
	return ""
}

// TestConcurrentInsertsOfOneKey: sessions of two engines on one store insert the same keys
// concurrently; each key is inserted once, every other attempt fails with 23505 (or 40001
// when its lookups kept losing races), and no row is replaced.
func TestConcurrentInsertsOfOneKey(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	store := objstore.NewMem()
	_, a := open(t, store, mem)
	_, b := open(t, store, mem)
	run(t, a, "CREATE TABLE u (k integer PRIMARY KEY, who integer)")
	const keys, workers = 10, 4
	var mu sync.Mutex
	won := map[int]int{}
	var wg sync.WaitGroup
	errc := make(chan error, workers)
	for w := range workers {
		c := a
		if w%2 == 1 {
			c = b
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			for k := range keys {
				_, _, err := tryRun(c, fmt.Sprintf("INSERT INTO u VALUES (%d, %d)", k, w))
				switch {
				case err == nil:
					mu.Lock()
					won[k]++
					mu.Unlock()
				case errors.Is(err, errs.UniqueViolation), errors.Is(err, errs.Conflict):
				default:
					errc <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errc)
	for err := range errc {
		t.Fatal(err)
	}
	for k := range keys {
		if won[k] != 1 {
			t.Errorf("key %d inserted %d times", k, won[k])
		}
	}
	expect(t, a, "SELECT count(*) FROM u", fmt.Sprint(keys))
}

// TestParamsInOnConflictAndReturning: parameters in VALUES, ON CONFLICT DO UPDATE and
// RETURNING of a prepared INSERT, executed again and again.
func TestParamsInOnConflictAndReturning(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	_, c := open(t, objstore.NewMem(), mem)
	run(t, c, "CREATE TABLE kv (k integer PRIMARY KEY, v text, n integer)")
	const q = "INSERT INTO kv VALUES ($1, $2, 1) ON CONFLICT (k) DO UPDATE SET v = kv.v || $2, n = kv.n + 1 WHERE kv.n < $3 RETURNING k, v, n"
	for _, tc := range []struct {
		args []any
		rows string
		tag  string
	}{
		{[]any{int64(1), "a", int64(3)}, "[[1 a 1]]", "INSERT 0 1"},
		{[]any{int64(1), "b", int64(3)}, "[[1 ab 2]]", "INSERT 0 1"},
		{[]any{int64(1), "c", int64(3)}, "[[1 abc 3]]", "INSERT 0 1"},
		{[]any{int64(1), "d", int64(3)}, "[]", "INSERT 0 0"}, // WHERE false: not updated
		{[]any{int64(2), "x", int64(0)}, "[[2 x 1]]", "INSERT 0 1"},
	} {
		rows, tag := run(t, c, q, tc.args...)
		if fmt.Sprint(rows) != tc.rows || tag != tc.tag {
			t.Errorf("%v: rows %v, tag %q; want %s, %q", tc.args, rows, tag, tc.rows, tc.tag)
		}
	}
	rows, tag := run(t, c, "DELETE FROM kv WHERE k = $1 RETURNING v, n * $2", int64(1), int64(10))
	if fmt.Sprint(rows) != "[[abc 30]]" || tag != "DELETE 1" {
		t.Errorf("DELETE RETURNING: %v %q", rows, tag)
	}
	rows, tag = run(t, c, "UPDATE kv SET k = k + $1 RETURNING k", int64(5))
	if fmt.Sprint(rows) != "[[7]]" || tag != "UPDATE 1" {
		t.Errorf("UPDATE RETURNING: %v %q", rows, tag)
	}
}
