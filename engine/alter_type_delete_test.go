package engine

import (
	"testing"

	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/sleeperd/sleeperd/storage/objstore"
)

// Rows deleted or replaced before ALTER COLUMN ... TYPE may hold values the new type cannot
// take: the ALTER reads only the rows that are there, and later reads, compactions and a
// restart must not fail on the old values the files still hold.
func TestAlterColumnTypeAfterDelete(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	store := objstore.NewMem()
	e, c := open(t, store, mem)
	// A PRIMARY KEY table: DELETE writes a tombstone, UPDATE a newer version.
	run(t, c, "CREATE TABLE d (id integer PRIMARY KEY, v text, n text)")
	run(t, c, "INSERT INTO d VALUES (1, 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', '1'), (2, 'x', 'y'), (3, 'bad', 'z')")
	run(t, c, "DELETE FROM d WHERE id = 2")
	run(t, c, "UPDATE d SET v = '00000000-0000-0000-0000-000000000001', n = '3' WHERE id = 3")
	run(t, c, "ALTER TABLE d ALTER COLUMN v TYPE uuid USING v::uuid")
	run(t, c, "ALTER TABLE d ALTER COLUMN n TYPE integer USING n::integer")
	want := "1 a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11 1|3 00000000-0000-0000-0000-000000000001 3"
	expect(t, c, "SELECT id, v::text, n FROM d ORDER BY id", want)
	expect(t, c, "SELECT count(*) FROM d WHERE id = 2", "0")
	expect(t, c, "SELECT n FROM d WHERE id = 3", "3")
	run(t, c, "UPDATE d SET n = n + 1 WHERE id IN (2, 3)")
	run(t, c, "UPDATE d SET n = n - 1 WHERE id = 3")
	// A table without a key: DELETE keeps a delete predicate.
	run(t, c, "CREATE TABLE p (v text, n text)")
	run(t, c, "INSERT INTO p VALUES ('a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', '1'), ('x', 'y')")
	run(t, c, "DELETE FROM p WHERE v = 'x'")
	run(t, c, "ALTER TABLE p ALTER COLUMN v TYPE uuid USING v::uuid")
	run(t, c, "ALTER TABLE p ALTER COLUMN n TYPE integer USING n::integer")
	expect(t, c, "SELECT v::text, n FROM p", "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11 1")
	e.Close()

	e, c = open(t, store, mem)
	expect(t, c, "SELECT id, v::text, n FROM d ORDER BY id", want)
	expect(t, c, "SELECT v::text, n FROM p", "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11 1")
	run(t, c, "VACUUM FULL d")
	run(t, c, "VACUUM FULL p")
	expect(t, c, "SELECT id, v::text, n FROM d ORDER BY id", want)
	expect(t, c, "SELECT v::text, n FROM p", "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11 1")
	e.Close()

	e, c = open(t, store, mem)
	defer e.Close()
	expect(t, c, "SELECT id, v::text, n FROM d ORDER BY id", want)
	expect(t, c, "SELECT v::text, n FROM p", "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11 1")
}
