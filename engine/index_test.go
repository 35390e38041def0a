package engine

import (
	"errors"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/sleeperd/sleeperd/errs"
	"github.com/sleeperd/sleeperd/storage/objstore"
)

// A unique index promises a uniqueness only a PRIMARY KEY keeps, so CREATE UNIQUE INDEX is
// refused (0A000) unless its columns are exactly the primary key's; a refused index leaves
// no name behind.
func TestUniqueIndexRefused(t *testing.T) {
	_, c := open(t, objstore.NewMem(), memory.NewGoAllocator())
	run(t, c, "CREATE TABLE pk2 (a int, b text, c int, PRIMARY KEY (a, b))")
	run(t, c, "CREATE TABLE nokey (a int, b text)")
	for _, q := range []string{
		"CREATE UNIQUE INDEX u1 ON pk2 (c)",
		"CREATE UNIQUE INDEX u1 ON pk2 (a)",
		"CREATE UNIQUE INDEX u1 ON pk2 (a, b, c)",
		"CREATE UNIQUE INDEX u1 ON pk2 (a, lower(b))",
		"CREATE UNIQUE INDEX u1 ON nokey (a)",
		"CREATE UNIQUE INDEX u1 ON nokey (a, b)",
		"CREATE UNIQUE INDEX IF NOT EXISTS u1 ON nokey (a)",
	} {
		_, _, err := tryRun(c, q)
		if !errors.Is(err, errs.NotImplemented) || !strings.Contains(err.Error(), "unique indexes are not supported") {
			t.Errorf("%s: got %v, want 0A000 unique indexes are not supported", q, err)
		}
	}
	if _, _, err := tryRun(c, "DROP INDEX u1"); !errors.Is(err, errs.UndefinedObject) {
		t.Errorf("DROP INDEX u1 after refused creations: got %v, want 42704", err)
	}
	// The primary key's columns, in any order: accepted, recorded, and droppable.
	run(t, c, "CREATE UNIQUE INDEX u2 ON pk2 (b, a)")
	run(t, c, "CREATE UNIQUE INDEX ON pk2 (a, b)")
	run(t, c, "DROP INDEX u2, pk2_a_b_idx")
	// And uniqueness on the key holds: a second row with the key is refused.
	run(t, c, "INSERT INTO pk2 VALUES (1, 'x', 1)")
	if _, _, err := tryRun(c, "INSERT INTO pk2 VALUES (1, 'x', 2)"); !errors.Is(err, errs.UniqueViolation) {
		t.Errorf("second row of a key: %v, want 23505", err)
	}
	if rows, _ := run(t, c, "SELECT count(*), max(c) FROM pk2"); rows[0][0] != "1" || rows[0][1] != "1" {
		t.Errorf("rows with one primary key: %v", rows)
	}
}

// Indexes are kept in the catalog log: they survive reopening the store, and dropping their
// table drops them.
func TestIndexesPersist(t *testing.T) {
	store := objstore.NewMem()
	e, c := open(t, store, memory.NewGoAllocator())
	run(t, c, "CREATE TABLE t (k int PRIMARY KEY, v text)")
	run(t, c, "CREATE INDEX t_v ON t (v)")
	run(t, c, "CREATE TABLE gone (a int)")
	run(t, c, "CREATE INDEX gone_a ON gone (a)")
	run(t, c, "DROP TABLE gone")
	c.Close()
	e.Close()

	_, c = open(t, store, memory.NewGoAllocator())
	if _, _, err := tryRun(c, "CREATE INDEX t_v ON t (k)"); !errors.Is(err, errs.DuplicateTable) {
		t.Errorf("CREATE INDEX of a name recorded before reopening: got %v, want 42P07", err)
	}
	if _, _, err := tryRun(c, "DROP INDEX gone_a"); !errors.Is(err, errs.UndefinedObject) {
		t.Errorf("DROP INDEX of a dropped table's index: got %v, want 42704", err)
	}
	run(t, c, "DROP INDEX t_v")
	if _, _, err := tryRun(c, "DROP INDEX t_v"); !errors.Is(err, errs.UndefinedObject) {
		t.Errorf("DROP INDEX twice: got %v, want 42704", err)
	}
}
